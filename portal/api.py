"""What every endpoint of the REST API (``/api/``) shares, whichever app it lives in.

- ``ApiBodyLimitMiddleware``: a body over ``API_MAX_BODY_SIZE`` is answered 413 before
  anything parses it.
- ``RejectUnknownFieldsMixin``: a request body's field the operation does not take is a
  400 naming it, and the schema says so (``additionalProperties: false``).
"""

from collections.abc import Mapping
from io import BytesIO

from django.conf import settings
from django.core.handlers.wsgi import LimitedStream
from django.http import JsonResponse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.extensions import OpenApiSerializerExtension
from rest_framework import serializers

API_PREFIX = "/api/"
_READ_CHUNK = 64 * 1024


class ApiBodyLimitMiddleware:
    """Refuse an API request body over ``settings.API_MAX_BODY_SIZE`` bytes with 413.

    A declared ``Content-Length`` over the limit is refused without reading a byte. A
    chunked body (no ``Content-Length``: gunicorn passes it on as a stream that Django
    alone would treat as empty) is read up to one byte past the limit: over it, 413;
    within it, the request goes on with that body and its length, so the parsers see it.
    Pages (the CSV import's upload) are not affected: Django's
    ``DATA_UPLOAD_MAX_MEMORY_SIZE`` and the upload handlers govern them.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.path_info.startswith(API_PREFIX) and self._too_large(request):
            limit = settings.API_MAX_BODY_SIZE
            return JsonResponse(
                {
                    "detail": _("The request body is larger than %(limit)s bytes.")
                    % {"limit": limit}
                },
                status=413,
            )
        return self.get_response(request)

    def _too_large(self, request) -> bool:
        limit = settings.API_MAX_BODY_SIZE
        length = request.META.get("CONTENT_LENGTH")
        if length:
            try:
                return int(length) > limit
            except ValueError:
                return False  # Django reads no body for a length it cannot parse
        if "chunked" not in request.META.get("HTTP_TRANSFER_ENCODING", "").lower():
            return False
        stream = request.META.get("wsgi.input")
        if stream is None:
            return False
        body = BytesIO()
        while body.tell() <= limit:
            chunk = stream.read(min(_READ_CHUNK, limit + 1 - body.tell()))
            if not chunk:
                break
            body.write(chunk)
        if body.tell() > limit:
            return True
        size = body.tell()
        body.seek(0)
        request.META["CONTENT_LENGTH"] = str(size)
        request._stream = LimitedStream(body, size)
        return False


class RejectUnknownFieldsMixin:
    """Put before ``serializers.Serializer``: a key of the input that is no writable field
    is an error of its own (``{"colour": ["Unknown field."]}``), reported together with the
    other fields' errors, so nothing a client sends is silently dropped. Nested serializers
    with the mixin check their own keys."""

    default_error_messages = {"unknown_field": gettext_lazy("Unknown field.")}

    def to_internal_value(self, data):
        unknown = {}
        if isinstance(data, Mapping):
            writable = {name for name, field in self.fields.items() if not field.read_only}
            unknown = {
                str(key): [self.error_messages["unknown_field"]]
                for key in data
                if key not in writable
            }
        try:
            value = super().to_internal_value(data)
        except serializers.ValidationError as error:
            if unknown and isinstance(error.detail, dict):
                raise serializers.ValidationError({**error.detail, **unknown}) from error
            raise
        if unknown:
            raise serializers.ValidationError(unknown)
        return value


class RejectUnknownFieldsExtension(OpenApiSerializerExtension):
    """The schema of a request body with the mixin allows no other properties."""

    target_class = RejectUnknownFieldsMixin
    match_subclasses = True

    def map_serializer(self, auto_schema, direction):
        schema = auto_schema._map_basic_serializer(self.target, direction)
        if direction == "request":
            schema["additionalProperties"] = False
        return schema

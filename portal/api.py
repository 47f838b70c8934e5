"""What every endpoint of the REST API (``/api/``) shares, whichever app it lives in.

- ``ApiBodyLimitMiddleware``: a body over ``API_MAX_BODY_SIZE`` is answered 413 before
  anything parses it.
"""

from io import BytesIO

from django.conf import settings
from django.core.handlers.wsgi import LimitedStream
from django.http import JsonResponse
from django.utils.translation import gettext as _

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

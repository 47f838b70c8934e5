"""What every endpoint of the REST API (``/api/``) shares, whichever app it lives in.

- ``ApiBodyLimitMiddleware``: a body over ``API_MAX_BODY_SIZE`` is answered 413 before
  anything parses it.
- ``StrictInputMixin``: a request body is read as exactly what the schema says; a field
  the operation does not take is a 400 naming it (``additionalProperties: false``).
- ``MoneyField``: amounts as a JSON number or a plain decimal string.
- ``api_not_found``: an unknown address under /api/ is a JSON 404.
- ``ApiAutoSchema``: every operation's schema lists the answers any endpoint can give
  (field errors, no or a wrong key, throttled, too large...) with their bodies.
"""

import copy
import math
import re
from collections.abc import Mapping
from decimal import ROUND_HALF_UP, Decimal
from io import BytesIO

from django.conf import settings
from django.core.exceptions import ValidationError as DjangoError
from django.core.handlers.wsgi import LimitedStream
from django.core.validators import MaxLengthValidator, ProhibitNullCharactersValidator
from django.http import JsonResponse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.csrf import csrf_exempt
from drf_spectacular.extensions import OpenApiSerializerExtension, OpenApiSerializerFieldExtension
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.plumbing import ResolvedComponent
from rest_framework import serializers
from rest_framework.validators import ProhibitSurrogateCharactersValidator

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
        # what WSGIRequest would have built had the length been known
        request.META["CONTENT_LENGTH"] = str(size)
        request._stream = LimitedStream(body, size)
        return False


@csrf_exempt
def api_not_found(request, *args, **kwargs):
    """Any other address under /api/: a JSON 404, like the API's own, not a page."""
    return JsonResponse({"detail": _("Not found.")}, status=404)


class PrototypeFields:
    """A serializer whose fields are shallow copies of one unbound set per class, made
    once, instead of DRF's deep copy of every declared field (which builds each field
    again from its arguments) for every serializer made: on the intake path two
    serializers per lead cost more CPU than routing the lead.

    For serializers whose fields are not changed in place after they are made (their
    validator lists and messages are shared between the copies) and that have no
    ``many=True`` field (whose one child serializer would be shared too).
    """

    def get_fields(self):
        cls = type(self)
        prototypes = cls.__dict__.get("_field_prototypes")
        if prototypes is None:
            prototypes = super().get_fields()
            cls._field_prototypes = prototypes
        return {name: copy.copy(field) for name, field in prototypes.items()}


class StrictInputMixin:
    """Put before ``serializers.Serializer``: the body is read as exactly what the schema
    says, so that what the schema allows is what the API takes.

    - A key that is no writable field is an error of its own (``{"colour": ["Unknown
      field."]}``), reported with the other fields' errors: nothing is silently dropped.
    - A text field takes a JSON string and a yes/no field ``true`` or ``false`` (DRF alone
      turns ``5`` into ``"5"`` and ``1`` or ``"yes"`` into ``true``).
    - A text field's length is that of the text as sent, before spaces around it are
      trimmed, and it holds no control characters (tab and line breaks aside).
    - ``request_schema_rules()`` may add JSON Schema keywords for rules between fields
      (``allOf``/``anyOf``); the serializer's validation enforces the same rules.

    Nested serializers with the mixin do the same for their own keys.
    """

    default_error_messages = {"unknown_field": gettext_lazy("Unknown field.")}

    def request_schema_rules(self) -> dict:
        return {}

    def run_validation(self, data=serializers.empty):
        """A JSON object whose every value is plainly right is read in one pass over its
        keys (``_read_plain``), with the same result as DRF's validation, which visits every
        field (raising and catching an exception for each one absent) and each field's
        validators: a batch of 500 leads spent a third of its time there. Anything else, an
        error above all, goes through DRF as before, so its messages are DRF's."""
        if type(data) is dict and not getattr(self.root, "partial", False):
            value = self._read_plain(data)
            if value is not None:
                return value
        return super().run_validation(data)

    def _read_plain(self, data: dict):
        """``data``'s validated value, or ``None`` when DRF must read it (``_Declined``)."""
        readers = self.__dict__.get("_plain_readers")
        if readers is None:
            readers = self._plain_readers = _plain_readers(self)
        if readers is False:
            return None
        try:
            value = {}
            for key in data:
                if key not in readers:
                    return None  # an unknown field: DRF reports it
            for name, field, read, needed in readers.values():
                raw = data.get(name, serializers.empty)
                if raw is serializers.empty:
                    if needed:
                        return None
                    continue
                self.set_value(value, field.source_attrs, read(raw))
            if self.validators:  # (DRF's collects read-only defaults even for none)
                self.run_validators(value)
            return self.validate(value)
        except (_Declined, serializers.ValidationError, serializers.SkipField, DjangoError):
            return None

    def to_internal_value(self, data):
        errors = {}
        if isinstance(data, Mapping):
            for key, value in data.items():
                field = self.fields.get(key)
                if field is None or field.read_only:
                    errors[str(key)] = [self.error_messages["unknown_field"]]
                elif message := _input_error(field, value):
                    errors[key] = [message]
        try:
            value = super().to_internal_value(data)
        except serializers.ValidationError as error:
            if errors and isinstance(error.detail, dict):
                raise serializers.ValidationError({**error.detail, **errors}) from error
            raise
        if errors:
            raise serializers.ValidationError(errors)
        return value


# C0 control characters other than tab, line feed and carriage return, and DEL: no text
# sent to the API holds them (PostgreSQL cannot store a NUL; the others are noise).
CONTROL = r"\x00-\x08\x0b\x0c\x0e-\x1f\x7f"
# … and what else DRF's text fields refuse: lone surrogates (a JSON "\ud800").
_NOT_PLAIN_TEXT = re.compile(f"[{CONTROL}\ud800-\udfff]")


class _Declined(Exception):
    """A value ``_read_plain`` leaves to DRF."""


def _plain_readers(serializer) -> dict | bool:
    """Per writable field: (name, field, reader, required). A reader returns what DRF's
    validation of a field returns for a plain value, and raises ``_Declined`` for any
    other. ``False`` when the serializer validates a field in a method of its own or has
    a field with a default (DRF's path handles those)."""
    readers = {}
    for field in serializer._writable_fields:
        name = field.field_name
        if getattr(serializer, f"validate_{name}", None) or field.default is not serializers.empty:
            return False
        readers[name] = (name, field, _plain_reader(field), field.required)
    return readers


def _unchanged(field, base, *methods) -> bool:
    return isinstance(field, base) and all(
        getattr(type(field), m) is getattr(base, m) for m in methods
    )


_TEXT_METHODS = ("run_validation", "validate_empty_values", "to_internal_value", "get_value")
_DEFAULT_TEXT_VALIDATORS = (
    MaxLengthValidator,
    ProhibitNullCharactersValidator,
    ProhibitSurrogateCharactersValidator,
)


def _plain_reader(field):
    """The fast reader of plain text and choices; any other field is read by its own
    ``run_validation``, after the mixin's type and length checks."""
    if (
        _unchanged(field, serializers.CharField, *_TEXT_METHODS)
        and all(isinstance(v, _DEFAULT_TEXT_VALIDATORS) for v in field.validators)
        and field.min_length is None
    ):
        limit, trim, blank = field.max_length, field.trim_whitespace, field.allow_blank

        def text(value):
            if type(value) is not str or (limit is not None and len(value) > limit):
                raise _Declined
            if _NOT_PLAIN_TEXT.search(value):
                raise _Declined
            stripped = value.strip() if trim else value
            if value == "" or (trim and not stripped):  # what DRF calls blank
                if not blank:
                    raise _Declined
                return ""
            return stripped

        return text
    if _unchanged(field, serializers.ChoiceField, *_TEXT_METHODS) and not field.validators:
        choices, blank = field.choice_strings_to_values, field.allow_blank

        def choice(value):
            if type(value) is not str:
                raise _Declined
            if value == "" and blank:
                return ""
            try:
                return choices[value]
            except KeyError:
                raise _Declined from None

        return choice

    def other(value):
        if _input_error(field, value):
            raise _Declined
        return field.run_validation(value)

    return other


def _input_error(field, value) -> str | None:
    """The message for a value of the wrong JSON type, too long or with control
    characters for ``field``."""
    if value is None:
        return None  # the field says whether null is allowed
    if isinstance(field, serializers.BooleanField) and not isinstance(value, bool):
        return field.error_messages["invalid"].format(input=value)
    if isinstance(field, serializers.CharField):
        if not isinstance(value, str):
            return field.error_messages["invalid"]
        if field.max_length is not None and len(value) > field.max_length:
            return field.error_messages["max_length"].format(max_length=field.max_length)
        if re.search(f"[{CONTROL}]", value):
            return _("Remove the control characters (such as a NUL byte) from the text.")
    return None


class StrictInputExtension(OpenApiSerializerExtension):
    """The schema of a request body with the mixin allows no other properties, and states
    the serializer's rules between fields."""

    target_class = StrictInputMixin
    match_subclasses = True

    def map_serializer(self, auto_schema, direction):
        schema = auto_schema._map_basic_serializer(self.target, direction)
        if direction == "request":
            schema["additionalProperties"] = False
            if rules := self.target.request_schema_rules():
                schema[RULES_KEY] = rules  # put in place by apply_request_rules
        return schema


RULES_KEY = "x-request-rules"


def apply_request_rules(result, generator, request, public):
    """Postprocessing hook, after drf-spectacular's enum hook: put each request body's
    rules between fields in place. (The enum hook would turn an ``enum`` inside them,
    such as the statuses a branch applies to, into a reference to the field's whole
    list of choices.)"""
    for schema in result.get("components", {}).get("schemas", {}).values():
        schema.update(schema.pop(RULES_KEY, {}))
    return result


class JsonObjectField(serializers.DictField):
    """A JSON object taken as it is, for a serializer that reads its keys itself (a
    batch's items): DRF's ``DictField`` ran a field's validation for every value of every
    item, 4,000 calls for nothing per batch of 500 leads. The schema is DictField's."""

    def to_internal_value(self, data):
        if type(data) is dict and all(type(key) is str for key in data):
            if not data and not self.allow_empty:
                self.fail("empty")
            return data
        return super().to_internal_value(data)


class MoneyField(serializers.DecimalField):
    """An amount in euros with cents, as a JSON number (rounded to cents) or as a string
    of digits with at most two decimals ("45000", "45000.50"): no sign, exponent, spaces or
    separators, so that the schema can say exactly what is taken. From 0 to
    9,999,999,999.99; with ``allow_null`` also null or "" for no amount."""

    PATTERN = r"^[0-9]{1,10}(?:\.[0-9]{1,2})?$"
    MAXIMUM = Decimal("9999999999.99")

    def __init__(self, **kwargs):
        super().__init__(max_digits=12, decimal_places=2, min_value=0, **kwargs)

    def validate_empty_values(self, data):
        if data == "" and self.allow_null:
            return True, None
        if isinstance(data, str) and not data.strip():
            self.fail("invalid")  # DRF would read spaces as no amount
        return super().validate_empty_values(data)

    def to_internal_value(self, data):
        if isinstance(data, bool):
            self.fail("invalid")
        if isinstance(data, int | float):
            if isinstance(data, float) and not math.isfinite(data):
                self.fail("invalid")
            value = Decimal(str(data))
            if value < 0:
                self.fail("min_value", min_value=0)
            if value > self.MAXIMUM:
                self.fail("max_value", max_value=self.MAXIMUM)
            return value.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
        if isinstance(data, str) and re.search(self.PATTERN, data):
            return super().to_internal_value(data)
        self.fail("invalid")


class MoneyFieldExtension(OpenApiSerializerFieldExtension):
    target_class = MoneyField

    def map_serializer_field(self, auto_schema, direction):
        if direction == "response":
            return {"type": "string", "format": "decimal", "pattern": r"^[0-9]{1,10}\.[0-9]{2}$"}
        options = [
            {"type": "number", "minimum": 0, "maximum": float(MoneyField.MAXIMUM)},
            {"type": "string", "pattern": MoneyField.PATTERN},
        ]
        if self.target.allow_null:
            options.append({"type": "string", "maxLength": 0})
        return {"anyOf": options}


ERROR_SCHEMA = {
    "type": "object",
    "properties": {"detail": {"type": "string"}},
    "required": ["detail"],
}
FIELD_ERRORS_SCHEMA = {
    "type": "object",
    "description": (
        "Errors per field of the body or query (`non_field_errors` for the whole): a list "
        "of messages, or for a nested object its own errors per field. A body that is no "
        "JSON object at all gets `detail`."
    ),
    "additionalProperties": {
        "anyOf": [
            {"type": "array", "items": {"type": "string"}},
            {"type": "object"},
            {"type": "string"},
        ]
    },
}


# The characters Python's ``str.strip()`` trims, which is what "blank" means to DRF and
# Django, spelled out: a pattern's ``\s`` means other things to other engines (in
# JSON Schema's ECMA-262 regexes it leaves out U+0085, so a schema with ``\s`` called
# "\u0085" a company name, which the API then refused as blank).
SPACE = r"\t\n\x0b\x0c\r\x1c-\x1f \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"
# ... of them, the ones that are not control characters (text may hold them).
PLAIN_SPACE = r"\t\n\r \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"

# Query parameters go through Django's form fields, which refuse NUL; body text refuses
# every control character (``_input_error``) and is trimmed of spaces around it.
NO_NUL = r"^[^\x00]*$"
TEXT = rf"^[^{CONTROL}]*$"
NOT_BLANK = rf"^[^{CONTROL}]*[^{PLAIN_SPACE}{CONTROL}][^{CONTROL}]*$"
BLANK = rf"^[{PLAIN_SPACE}]*$"


class ApiAutoSchema(AutoSchema):
    """drf-spectacular's schema, made to say what the API takes and answers:

    - every operation lists the answers views do not list themselves (added where
      missing, given their body where a view only described them);
    - a text field in a request takes no control character, a required one needs a
      character that is not a space (spaces around text are trimmed), and an e-mail
      address may be left blank with spaces;
    - an empty query parameter is the same as leaving it out (``allowEmptyValue``), and
      a text parameter takes no NUL character either.
    """

    def _map_basic_serializer(self, serializer, direction):
        outer, self._direction = getattr(self, "_direction", None), direction
        try:
            return super()._map_basic_serializer(serializer, direction)
        finally:
            self._direction = outer

    def _insert_field_validators(self, field, schema):
        super()._insert_field_validators(field, schema)
        if self._direction == "request" and isinstance(field, serializers.CharField):
            _text_rules(field, schema)

    def get_operation(self, *args, **kwargs):
        operation = super().get_operation(*args, **kwargs)
        if operation is None:
            return None
        for parameter in operation.get("parameters", []):
            if parameter["in"] != "query":
                continue
            if not parameter.get("required"):
                parameter["allowEmptyValue"] = True
            value = parameter.get("schema", {})
            if value.get("type") == "string" and not {"enum", "format", "pattern"} & set(value):
                value["pattern"] = NO_NUL  # Django's form fields refuse NUL
        error = self._component("Error", ERROR_SCHEMA)
        field_errors = self._component("FieldErrors", FIELD_ERRORS_SCHEMA)
        has_body = "requestBody" in operation
        places = {parameter["in"] for parameter in operation.get("parameters", [])}
        common = {
            "400": (
                has_body or "query" in places,
                "The body or a query parameter does not match the schema, or breaks a rule "
                "it cannot express; the message says what to change.",
                field_errors,
            ),
            "401": (True, "No API key, or an unknown or revoked one.", error),
            "403": (True, "The key or person may not do this.", error),
            "404": ("path" in places, "Not found, or not yours.", error),
            "413": (True, "The request body is larger than 1 MB (`API_MAX_BODY_SIZE`).", error),
            "414": (
                True,
                "The URL is longer than the web server takes (answered by the server, "
                "not the portal, so not as JSON).",
                None,
            ),
            "415": (has_body, "The body is not `application/json`.", error),
            "429": (
                True,
                "Too many requests, or too many failed API keys from this address; try "
                "again after `Retry-After` seconds.",
                error,
            ),
        }
        responses = operation["responses"]
        for code, (applies, description, body) in common.items():
            if not applies and code not in responses:
                continue
            response = responses.setdefault(code, {"description": description})
            response["description"] = response.get("description") or description
            if body is not None and "content" not in response:
                response["content"] = {"application/json": {"schema": body}}
        responses.get("401", {}).setdefault(
            "headers", {"WWW-Authenticate": {"schema": {"type": "string"}}}
        )
        responses.get("429", {}).setdefault(
            "headers",
            {
                "Retry-After": {
                    "schema": {"type": "integer", "minimum": 0},
                    "description": "Seconds to wait before trying again.",
                }
            },
        )
        operation["responses"] = dict(sorted(responses.items()))
        return operation

    def _component(self, name: str, schema: dict) -> dict:
        component = ResolvedComponent(
            name=name, type=ResolvedComponent.SCHEMA, schema=schema, object=name
        )
        self.registry.register_on_missing(component)
        return component.ref


def _text_rules(field, schema: dict) -> None:
    """Add a text field's rules about NUL and blank text to its request ``schema``."""
    if "oneOf" in schema:  # blank allowed beside a format: blank is spaces only when trimmed
        for option in schema["oneOf"]:
            if option.get("maxLength") == 0 and field.trim_whitespace:
                del option["maxLength"]
                option["pattern"] = BLANK
        return
    if schema.get("type") != "string" or "format" in schema or "pattern" in schema:
        return
    needs_text = field.trim_whitespace and not field.allow_blank
    schema["pattern"] = NOT_BLANK if needs_text else TEXT


def trimmed_text_pattern(max_length: int) -> str:
    """Text of at most ``max_length`` characters once the spaces around it are trimmed
    (as Django's form fields trim), without NUL: JSON Schema's ``maxLength`` counts the
    spaces too."""
    core = rf"[^{SPACE}\x00](?:[^\x00]{{0,{max_length - 2}}}[^{SPACE}\x00])?"
    return rf"^[{SPACE}]*(?:{core})?[{SPACE}]*$"


def query_int(request, name: str, *, default: int, minimum: int, cutoff: int | None = None) -> int:
    """An integer query parameter: ``default`` when absent or empty, at most ``cutoff``;
    anything else than a whole number from ``minimum`` is a 400 naming the parameter."""
    raw = request.query_params.get(name, "")
    if raw == "":
        return default
    if not re.fullmatch(r"-?[0-9]+", raw) or int(raw) < minimum:
        raise serializers.ValidationError(
            {name: [_("Give a whole number from %(min)d.") % {"min": minimum}]}
        )
    return min(int(raw), cutoff) if cutoff else int(raw)

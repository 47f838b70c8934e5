"""REST endpoints.

- Intake: ``POST /api/v1/leads/`` with an integration key.
- A dealer's own systems, with a personal token (or a signed-in session):
  ``GET /api/v1/leads/`` (own leads only, filterable, cursor-paginated),
  ``GET /api/v1/leads/{id}/`` and ``POST /api/v1/leads/{id}/status/``.

Leads are reached through the same selectors and access helper as the pages
(``leads.access.get_lead_for_user``): another dealer's lead is a 404, like a missing
one; a colleague without the right to act gets 403.
"""

import threading
from collections.abc import Mapping

from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiParameter,
    OpenApiResponse,
    PolymorphicProxySerializer,
    extend_schema,
)
from rest_framework import generics, serializers, status
from rest_framework.exceptions import NotFound
from rest_framework.pagination import CursorPagination
from rest_framework.permissions import BasePermission
from rest_framework.response import Response
from rest_framework.throttling import ScopedRateThrottle, SimpleRateThrottle
from rest_framework.views import APIView

from leads import access, selectors
from leads.api.permissions import IsIntegration
from leads.api.serializers import (
    DealerLeadSerializer,
    LeadBatchResponseSerializer,
    LeadBatchSerializer,
    LeadIntakeResponseSerializer,
    LeadIntakeSerializer,
    LeadRejectedSerializer,
    LeadStatusUpdateSerializer,
)
from leads.filters import SEARCH_MAX_LENGTH, ApiLeadFilter
from leads.models import Integration, Lead
from leads.services import pipeline
from leads.services.intake import lead_intake, leads_intake_batch
from portal.api import query_int, trimmed_text_pattern
from portal.forms import validate_storable_datetime

# An RFC 3339 moment ``validate_storable_datetime`` takes: a UTC offset within ±15:59,
# and not so close to the years 1 and 9999 that UTC falls outside them.
STORABLE_DATE_TIME = (
    r"^(?!0001-01-01T[^Z]*\+)(?!9999-12-31T[^Z]*-)"
    r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(?:\.[0-9]+)?"
    r"(?:Z|[+-](?:0[0-9]|1[0-5]):[0-5][0-9])$"
)

SOURCE_OF_INTEGRATION = {
    Integration.Kind.WEB_FORM: Lead.Source.WEB_FORM,
    Integration.Kind.MARKETING: Lead.Source.MARKETING,
    Integration.Kind.OTHER: Lead.Source.API,
}


class IsPerson(BasePermission):
    """A person (personal token or session), not an integration key."""

    message = gettext_lazy(
        "Use a personal token (Preferences → API tokens), not an integration key."
    )

    def has_permission(self, request, view):
        user = request.user
        return bool(user and user.is_authenticated and getattr(user, "pk", None) and user.is_active)


class RedisSlidingLog(SimpleRateThrottle):
    """DRF's throttle (at most ``num_requests`` in any ``duration`` seconds), counted by
    Redis in one round trip when the cache is Redis (``ResilientRedisCache.sliding_log``)
    instead of its history read and written whole; elsewhere DRF's own way."""

    def allow_request(self, request, view):
        sliding_log = getattr(self.cache, "sliding_log", None)
        if sliding_log is None or self.rate is None:
            return super().allow_request(request, view)
        self.key = self.get_cache_key(request, view)
        if self.key is None:
            return True
        self.now = self.timer()
        counted = sliding_log(
            f"{self.key}:log", now=self.now, window=self.duration, limit=self.num_requests
        )
        if counted is None:  # Redis is down: DRF's throttle sees an empty history
            self.history = []
            return True
        allowed, count, oldest = counted
        # What DRF's ``wait`` reads: as many moments as the window holds, the oldest last.
        self.history = [oldest] * count if oldest is not None else []
        return allowed


class IntakeThrottle(ScopedRateThrottle, RedisSlidingLog):
    """``API_INTAKE_RATE`` per integration key (an integration's caller has no user id,
    so DRF's scoped throttle would put every integration in one bucket)."""

    def get_cache_key(self, request, view):
        return self.cache_format % {"scope": self.scope, "ident": f"key-{request.auth.pk}"}


class LeadCursorPagination(CursorPagination):
    """Newest first, ``page_size`` 1-200 (default 50; no whole number in range is a 400);
    a ``cursor`` that is not one of ours is a 404 "Invalid cursor"."""

    page_size = 50
    max_page_size = 200
    page_size_query_param = "page_size"
    ordering = ("-created_at", "-id")

    def get_page_size(self, request):
        return query_int(
            request,
            self.page_size_query_param,
            default=self.page_size,
            minimum=1,
            cutoff=self.max_page_size,
        )

    def get_schema_operation_parameters(self, view):
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            if parameter["name"] == self.page_size_query_param:
                parameter["schema"]["minimum"] = 1
        return parameters

    def decode_cursor(self, request):
        """DRF's cursor, whose position (a ``created_at``) must be a moment the database
        can compare: a client may send back anything, and an unusable cursor is DRF's 404
        "Invalid cursor" (the page it points to does not exist), not a 500. (Not a 400:
        any string is a cursor as far as the schema can tell, so the contract check counts
        a 400 for one as a valid request refused.)"""
        invalid = NotFound(self.invalid_cursor_message)
        cursor = super().decode_cursor(request)
        if cursor is None or cursor.position is None:
            return cursor
        field = Lead._meta.get_field(self.ordering[0].lstrip("-"))
        try:
            moment = field.to_python(cursor.position)  # as the query will read it
            if timezone.is_naive(moment):
                moment = timezone.make_aware(moment)
            validate_storable_datetime(moment)
        except DjangoValidationError:
            raise invalid from None
        return cursor


class _IntakeSerializers(threading.local):
    """One intake reader and one answer writer per thread, made once, as the batch view
    makes one of each per batch: a serializer made per request copies and binds its
    fields again (some 40 per lead), a sixth of the intake's cost outside the
    service. Neither keeps anything of a request: ``run_validation`` returns what it
    read, and the writer's context is set before each answer."""

    def __init__(self):
        self.reader = LeadIntakeSerializer()
        self.writer = LeadIntakeResponseSerializer()


_intake_serializers = _IntakeSerializers()


def read_intake(data) -> dict:
    """The validated fields of one lead's body, or ``ValidationError`` with the errors
    ``LeadIntakeSerializer(data=data).is_valid(raise_exception=True)`` gives, read by the
    thread's reader. A body that is no JSON object goes the usual way (DRF words the
    error of a ``null`` body in ``is_valid``)."""
    if not isinstance(data, Mapping):
        serializer = LeadIntakeSerializer(data=data)
        serializer.is_valid(raise_exception=True)
        return serializer.validated_data
    return _intake_serializers.reader.run_validation(data)


def write_intake_answer(lead, *, duplicate: bool, outcome) -> dict:
    """``LeadIntakeResponseSerializer(lead, context=...).data``, by the thread's writer."""
    writer = _intake_serializers.writer
    writer._context = {"duplicate": duplicate, "outcome": outcome}
    try:
        return writer.to_representation(lead)
    finally:
        writer._context = {}  # (no lead's routing outcome kept past its request)


class LeadListCreateView(generics.ListAPIView):
    """``GET``: the caller's leads. ``POST``: intake from an integration."""

    serializer_class = DealerLeadSerializer
    pagination_class = LeadCursorPagination
    filter_backends = [DjangoFilterBackend]
    filterset_class = ApiLeadFilter
    throttle_scope = "intake"

    def get_permissions(self):
        if self.request.method == "POST":
            return [IsIntegration()]
        return [IsPerson()]

    def get_throttles(self):
        if self.request.method == "POST":
            return [IntakeThrottle()]
        return []

    def get_queryset(self):
        user = self.request.user
        return access.with_contact_facts(
            selectors.leads_for_api(selectors.leads_visible_to(user)), user
        )

    @extend_schema(
        operation_id="leads_list",
        summary="List your leads",
        description=(
            "Your dealer's leads (an internal rep: their own; a manager: all), newest "
            "first, 50 per page with a cursor (`next`/`previous`). Filter by `status` "
            "(a status, `open`, `closed` or `all`, the default), `temperature`, `sector`, "
            "`age` (days: 1, 7, 30, 90 or `older`), `sla` (`overdue`, `soon`, `running`, "
            "`done`), `q` (company, contact, e-mail, city, postcode or #id) and "
            "`updated_after` (ISO 8601) to fetch only what changed since your last sync."
        ),
        parameters=[
            OpenApiParameter(
                "q",
                {"type": "string", "pattern": trimmed_text_pattern(SEARCH_MAX_LENGTH)},
                description=f"Search text, at most {SEARCH_MAX_LENGTH} characters once "
                "the spaces around it are trimmed.",
            ),
            OpenApiParameter(
                "updated_after",
                {"type": "string", "format": "date-time", "pattern": STORABLE_DATE_TIME},
                description="Changed after this moment (RFC 3339), with a UTC offset "
                "within ±15:59.",
            ),
        ],
        responses={
            200: DealerLeadSerializer(many=True),
            400: OpenApiResponse(description='A filter\'s value is not allowed: {"sla": ["…"]}'),
            404: OpenApiResponse(
                description='The cursor is not one of ours: {"detail": "Invalid cursor"}'
            ),
        },
        tags=["dealer"],
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    @extend_schema(
        operation_id="leads_create",
        summary="Post a lead",
        description=(
            "Creates a lead and routes it at once to exactly one owner. Posting the same "
            "`external_id` again returns the existing lead (200). A submission from a contact "
            "or company that has an open lead within the duplicate window is attached to that "
            "lead (200, `duplicate: true`)."
        ),
        request=LeadIntakeSerializer,
        responses={
            201: LeadIntakeResponseSerializer,
            200: OpenApiResponse(
                LeadIntakeResponseSerializer, "Already known (same external id or duplicate)"
            ),
            400: OpenApiResponse(description='Field errors, e.g. {"postcode": ["…"]}'),
        },
        tags=["intake"],
    )
    def post(self, request):
        integration = request.auth.integration
        result = lead_intake(
            data=read_intake(request.data),
            source=SOURCE_OF_INTEGRATION.get(integration.kind, Lead.Source.API),
            integration=integration,
        )
        body = write_intake_answer(
            result.lead, duplicate=result.duplicate_of is not None, outcome=result.outcome
        )
        return Response(
            body, status=status.HTTP_201_CREATED if result.created else status.HTTP_200_OK
        )


BATCH_EXAMPLE = {
    "leads": [
        {
            "external_id": "crm-10071",
            "company_name": "Rijnmond Techniek B.V.",
            "country": "NL",
            "postcode": "3011 AB",
            "contact_email": "inkoop@rijnmond-techniek.example",
            "interest": "demo",
            "estimated_value": "40000",
        },
        {
            "external_id": "crm-10072",
            "company_name": "Alpen Maschinenbau GmbH",
            "country": "DE",
            "postcode": "80331",
            "contact_phone": "+49 89 1234567",
            "sector": "machinery",
        },
    ]
}


class LeadBatchView(APIView):
    """``POST``: up to 500 leads from an integration in one request."""

    permission_classes = [IsIntegration]
    throttle_scope = "intake"

    def get_throttles(self):
        return [IntakeThrottle()]

    @extend_schema(
        operation_id="leads_create_batch",
        summary="Post many leads at once",
        description=(
            "Creates and routes up to 500 leads in one transaction (marketing automation, "
            "CRM syncs). Each item has the fields of `POST /api/v1/leads/` and needs an "
            "`external_id`: sending the same batch again adds nothing. The answer is 207 "
            "with one result per item, in order, each with the status the single endpoint "
            "would give: 201 created (owner, rule, reason, deadlines), 200 already known "
            "(the same external id, or a repeat of an open lead: `duplicate: true`), 400 "
            "with the item's field errors. A bad item never fails the others."
        ),
        request=LeadBatchSerializer,
        examples=[OpenApiExample("Two leads", value=BATCH_EXAMPLE, request_only=True)],
        responses={
            207: LeadBatchResponseSerializer,
            400: OpenApiResponse(
                description='Not a batch: {"leads": ["Ensure this field has no more than 500 '
                'elements."]}'
            ),
        },
        tags=["intake"],
    )
    def post(self, request):
        batch = LeadBatchSerializer(data=request.data)
        batch.is_valid(raise_exception=True)
        results: dict[int, dict] = {}
        valid: dict[int, dict] = {}
        # One serializer reads every item and one writes every answer: building one per
        # item (DRF deep-copies its fields, countries and all) cost more than routing.
        reader = LeadIntakeSerializer()
        for index, item in enumerate(batch.validated_data["leads"]):
            try:
                valid[index] = reader.run_validation(item)
                errors = {}
            except serializers.ValidationError as error:
                errors = dict(error.detail)
            if not str(item.get("external_id") or "").strip():
                errors["external_id"] = [
                    _("Give each lead of a batch your id for it, so that sending it again is safe.")
                ]
                valid.pop(index, None)
            if errors:
                results[index] = {"index": index, "status": 400, "errors": errors}
        integration = request.auth.integration
        written = leads_intake_batch(
            items=valid,
            source=SOURCE_OF_INTEGRATION.get(integration.kind, Lead.Source.API),
            integration=integration,
        )
        writer = LeadIntakeResponseSerializer()
        for index, result in written.items():
            if result.lead is None:
                body = {"detail": [result.error]}
                results[index] = {"index": index, "status": result.status, "errors": body}
                continue
            writer._context = {"duplicate": result.duplicate, "outcome": result.outcome}
            lead = writer.to_representation(result.lead)
            results[index] = {"index": index, "status": result.status, "lead": lead}
        ordered = [results[index] for index in sorted(results)]
        body = {
            "created": sum(1 for r in ordered if r["status"] == 201),
            "existing": sum(1 for r in ordered if r["status"] == 200),
            "invalid": sum(1 for r in ordered if r["status"] >= 400),
            "results": ordered,
        }
        return Response(body, status=status.HTTP_207_MULTI_STATUS)


# The intake view keeps its old name for anything that imports it.
LeadIntakeView = LeadListCreateView


class LeadDetailView(APIView):
    permission_classes = [IsPerson]

    @extend_schema(
        operation_id="leads_retrieve",
        summary="One of your leads",
        responses={
            200: DealerLeadSerializer,
            404: OpenApiResponse(description="No such lead, or not yours"),
        },
        tags=["dealer"],
    )
    def get(self, request, pk: int):
        lead = access.get_lead_for_user(request.user, pk)
        return Response(DealerLeadSerializer(lead, context={"request": request}).data)


class LeadStatusView(APIView):
    permission_classes = [IsPerson]

    @extend_schema(
        operation_id="leads_status",
        summary="Move a lead through the pipeline",
        description=(
            "new → accepted → contacted → meeting → proposal → won | lost; lost from any "
            "open state; rejected only from new or accepted (the lead then goes to another "
            "owner and leaves your list). A move the pipeline does not allow is a 409 with "
            "the reason."
        ),
        request=LeadStatusUpdateSerializer,
        responses={
            200: PolymorphicProxySerializer(
                component_name="LeadStatusResult",
                serializers=[DealerLeadSerializer, LeadRejectedSerializer],
                resource_type_field_name=None,
            ),
            400: OpenApiResponse(description='Field errors, e.g. {"won_value": ["…"]}'),
            403: OpenApiResponse(description="A colleague handles this lead"),
            404: OpenApiResponse(description="No such lead, or not yours"),
            409: OpenApiResponse(
                description='Not allowed from the current status: {"status": ["…"]}'
            ),
        },
        tags=["dealer"],
    )
    def post(self, request, pk: int):
        lead = access.get_lead_for_user(request.user, pk, access.ACT)
        serializer = LeadStatusUpdateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        target = data["status"]
        try:
            if target == Lead.Status.ACCEPTED:
                lead = pipeline.lead_accept(
                    lead=lead,
                    actor=request.user,
                    next_step=data.get("next_step", ""),
                    next_step_on=data.get("next_step_on"),
                )
            elif target == Lead.Status.REJECTED:
                pipeline.lead_reject(
                    lead=lead,
                    actor=request.user,
                    reason=data.get("reason", ""),
                    note=data.get("note", ""),
                )
                body = {
                    "id": lead.pk,
                    "status": "rejected",
                    "detail": _("The lead went to another owner; it is no longer yours."),
                }
                return Response(body)
            else:
                lead = pipeline.lead_set_status(
                    lead=lead,
                    actor=request.user,
                    status=target,
                    won_value=data.get("won_value"),
                    reason=data.get("reason", ""),
                    note=data.get("note", ""),
                    next_step=data.get("next_step") or None,
                    next_step_on=data.get("next_step_on"),
                )
        except pipeline.IllegalTransition as error:
            return Response({"status": error.messages}, status=status.HTTP_409_CONFLICT)
        except DjangoValidationError as error:
            errors = (
                error.message_dict
                if hasattr(error, "error_dict")
                else {"non_field_errors": error.messages}
            )
            return Response(errors, status=status.HTTP_400_BAD_REQUEST)
        lead = access.get_lead_for_user(request.user, lead.pk)
        return Response(DealerLeadSerializer(lead, context={"request": request}).data)

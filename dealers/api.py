"""Claims over the REST API: ``GET/POST /api/v1/claims/`` and ``GET /api/v1/claims/<id>/``.

A dealer's own systems use a personal API token (``Authorization: Api-Key dp_…``, an
``ApiKey`` with ``user`` set) or a browser session. Reads go through
``dealers.selectors``/``dealers.access`` like the pages; a claim is registered with
``dealers.services.claim_submit``, whose validation rules these serializers share.
Conflicts are shown as a dealer may read them: kinds and messages, never another
dealer's name, id or count.
"""

from django.core.exceptions import ValidationError as DjangoValidationError
from django.urls import path
from django.utils import timezone
from drf_spectacular.utils import (
    OpenApiResponse,
    extend_schema,
    extend_schema_field,
)
from rest_framework import serializers, status
from rest_framework.exceptions import PermissionDenied
from rest_framework.generics import GenericAPIView
from rest_framework.pagination import LimitOffsetPagination
from rest_framework.permissions import BasePermission
from rest_framework.response import Response
from rest_framework.views import APIView

from dealers import access, selectors, services
from dealers.models import Claim
from leads.api.fields import CountryField, PostcodeField, postcode_errors, postcode_schema
from leads.models import Policy
from leads.services.cleaning import clean_claim_fields
from portal.api import MoneyField, StrictInputMixin, query_int
from portal.users.models import User


class IsPerson(BasePermission):
    """A signed-in person (session or personal token), not an integration's key."""

    message = "Use a personal API token or a session; integration keys may only post leads."

    def has_permission(self, request, view):
        user = request.user
        return isinstance(user, User) and user.is_active


class ConflictSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=[services.CUSTOMER, services.CLAIM, services.OPEN_LEAD])
    message = serializers.CharField()


class ClaimSerializer(serializers.ModelSerializer):
    country = serializers.CharField(source="country.code")
    contact_email = serializers.EmailField(read_only=True, allow_blank=True)
    conflicts = serializers.SerializerMethodField()
    can_renew = serializers.SerializerMethodField()

    class Meta:
        model = Claim
        fields = [
            "id",
            "company_name",
            "website",
            "vat_number",
            "country",
            "postcode",
            "contact_name",
            "contact_email",
            "expected_value",
            "notes",
            "status",
            "conflicts",
            "submitted_at",
            "approved_at",
            "expires_at",
            "renewals",
            "can_renew",
            "decision_reason",
        ]
        read_only_fields = fields

    @extend_schema_field(ConflictSerializer(many=True))
    def get_conflicts(self, claim) -> list[dict]:
        seen = []
        for conflict in claim.conflicts or ():
            kind = conflict.get("kind")
            text = services.conflict_messages([conflict])
            if kind and text and (kind, text[0]) not in seen:
                seen.append((kind, text[0]))
        return [{"kind": kind, "message": text} for kind, text in seen]

    def get_can_renew(self, claim) -> bool:
        return services.claim_can_renew(
            claim, policy=self.context["policy"], now=self.context["now"]
        )


class ClaimCreateSerializer(StrictInputMixin, serializers.Serializer):
    company_name = serializers.CharField(max_length=200)
    country = CountryField()
    postcode = PostcodeField(help_text="As written in the country; NL 3011 AB, DE 01067, BE 1000")
    website = serializers.CharField(max_length=200, required=False, allow_blank=True)
    vat_number = serializers.CharField(max_length=30, required=False, allow_blank=True)
    contact_name = serializers.CharField(max_length=150, required=False, allow_blank=True)
    contact_email = serializers.EmailField(required=False, allow_blank=True)
    expected_value = MoneyField(required=False, allow_null=True)
    notes = serializers.CharField(required=False, allow_blank=True, max_length=5000)

    def request_schema_rules(self) -> dict:
        return {"allOf": [postcode_schema()]}

    def validate(self, attrs):
        errors = postcode_errors(attrs)
        try:
            cleaned = clean_claim_fields({**attrs, "postcode": ""} if errors else attrs)
        except DjangoValidationError as error:
            errors = {**error.message_dict, **errors}
        if errors:
            raise serializers.ValidationError(errors)
        return cleaned


def _context(request) -> dict:
    return {"request": request, "policy": Policy.current(), "now": timezone.now()}


class ClaimPagination(LimitOffsetPagination):
    """``limit`` (1-200, default 50) and ``offset``; a value that is no whole number in
    range is a 400 instead of the default."""

    default_limit = 50
    max_limit = 200

    def get_limit(self, request):
        return query_int(
            request,
            self.limit_query_param,
            default=self.default_limit,
            minimum=1,
            cutoff=self.max_limit,
        )

    def get_offset(self, request):
        return query_int(request, self.offset_query_param, default=0, minimum=0)

    def get_schema_operation_parameters(self, view):
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            parameter["schema"]["minimum"] = 1 if parameter["name"] == "limit" else 0
        return parameters


class ClaimListQuerySerializer(serializers.Serializer):
    status = serializers.ChoiceField(
        choices=selectors.CLAIM_FILTERS, required=False, allow_blank=True
    )


class ClaimListView(GenericAPIView):
    permission_classes = [IsPerson]
    pagination_class = ClaimPagination
    serializer_class = ClaimSerializer

    @extend_schema(
        operation_id="claims_list",
        summary="Your claims",
        description=(
            "The claims of your dealer (staff with claim access: all claims), newest first. "
            "Filter with `status` = active (approved and unexpired), pending or ended."
        ),
        parameters=[ClaimListQuerySerializer],
        responses={200: ClaimSerializer(many=True)},
        tags=["claims"],
    )
    def get(self, request):
        now = timezone.now()
        claims = selectors.claims_visible_to(request.user)
        query = ClaimListQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        show = query.validated_data.get("status", "")
        claims = selectors.claims_filtered(claims, show, now=now)
        page = self.paginate_queryset(claims)
        body = ClaimSerializer(page, many=True, context=_context(request)).data
        return self.get_paginated_response(body)

    @extend_schema(
        operation_id="claims_create",
        summary="Register a claim",
        description=(
            "Registers your dealer's claim on a prospect company. The portal checks for "
            "conflicts (an existing customer, another dealer's claim, an open lead): a clean "
            "claim is approved at once when the policy says so (`status: approved`, with "
            "`expires_at`), otherwise it waits for the channel manager (`status: pending`) "
            "and `conflicts` says why, without naming other dealers."
        ),
        request=ClaimCreateSerializer,
        responses={
            201: ClaimSerializer,
            400: OpenApiResponse(description='Field errors, e.g. {"vat_number": ["…"]}'),
            403: OpenApiResponse(description="Only dealer users register claims."),
            409: OpenApiResponse(
                description="Your dealer already has a claim on this company, has as many "
                "claims as allowed, or its agreement has ended: "
                '{"non_field_errors": ["…"]}'
            ),
        },
        tags=["claims"],
    )
    def post(self, request):
        membership = request.user.dealer_membership
        if membership is None:
            raise PermissionDenied("Only a dealer's users register claims.")
        serializer = ClaimCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            claim = services.claim_submit(
                dealer=membership.dealer,
                submitted_by=request.user,
                data=serializer.validated_data,
            )
        except DjangoValidationError as error:
            if hasattr(error, "error_dict"):
                return Response(error.message_dict, status=status.HTTP_400_BAD_REQUEST)
            # not the request but the dealer's claims or agreement stand in the way
            return Response({"non_field_errors": error.messages}, status=status.HTTP_409_CONFLICT)
        body = ClaimSerializer(claim, context=_context(request)).data
        return Response(body, status=status.HTTP_201_CREATED)


class ClaimDetailView(APIView):
    permission_classes = [IsPerson]

    @extend_schema(
        operation_id="claims_retrieve",
        summary="One claim",
        responses={200: ClaimSerializer, 404: OpenApiResponse(description="No such claim")},
        tags=["claims"],
    )
    def get(self, request, pk: int):
        claim = access.get_claim_for_user(request.user, pk)
        return Response(ClaimSerializer(claim, context=_context(request)).data)


urlpatterns = [
    path("", ClaimListView.as_view(), name="api-claims"),
    path("<int:pk>/", ClaimDetailView.as_view(), name="api-claim"),
]

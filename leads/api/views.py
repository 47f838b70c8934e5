"""REST endpoints. Intake: ``POST /api/v1/leads/`` with an integration key."""

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.response import Response
from rest_framework.throttling import ScopedRateThrottle
from rest_framework.views import APIView

from leads.api.permissions import IsIntegration
from leads.api.serializers import LeadIntakeResponseSerializer, LeadIntakeSerializer
from leads.models import Integration, Lead
from leads.services.intake import lead_intake

SOURCE_OF_INTEGRATION = {
    Integration.Kind.WEB_FORM: Lead.Source.WEB_FORM,
    Integration.Kind.MARKETING: Lead.Source.MARKETING,
    Integration.Kind.OTHER: Lead.Source.API,
}


class LeadIntakeView(APIView):
    permission_classes = [IsIntegration]
    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "intake"

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
        serializer = LeadIntakeSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        integration = request.auth.integration
        result = lead_intake(
            data=serializer.validated_data,
            source=SOURCE_OF_INTEGRATION.get(integration.kind, Lead.Source.API),
            integration=integration,
        )
        body = LeadIntakeResponseSerializer(
            result.lead, context={"duplicate": result.duplicate_of is not None}
        ).data
        return Response(
            body, status=status.HTTP_201_CREATED if result.created else status.HTTP_200_OK
        )

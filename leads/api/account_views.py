"""Accounts and installed base from the manufacturer's CRM or ERP: one account by its
external id (``PUT``) or up to 1,000 at once, each answered on its own
(``leads.services.accounts_sync``)."""

from drf_spectacular.utils import OpenApiExample, OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from leads.api.permissions import SyncsAccounts
from leads.api.serializers import (
    AccountBatchResponseSerializer,
    AccountBatchSerializer,
    AccountItemSerializer,
    AccountPathSerializer,
    AccountSyncResultSerializer,
    AccountSyncSerializer,
)
from leads.services.accounts_sync import accounts_upsert

ACCOUNT_EXAMPLE = {
    "legal_name": "Van Dijk Techniek B.V.",
    "domain": "vandijk-techniek.nl",
    "vat_number": "NL004495445B01",
    "coc_number": "12345678",
    "country": "NL",
    "postcode": "3011 AB",
    "city": "Rotterdam",
    "sector": "machinery",
    "parent": "crm-acc-100",
    "account_manager": "eva.visser@example.com",
    "serving_dealer": "DLR-7",
    "installed_base": [
        {"product": "CNC 5-axis", "serial_number": "SN-004211", "installed_on": "2023-05-12"}
    ],
}


class AccountSyncView(APIView):
    """``PUT``: create or update one account by its id in the CRM."""

    permission_classes = [SyncsAccounts]

    @extend_schema(
        operation_id="accounts_upsert",
        summary="Create or update an account",
        description=(
            "Creates the account with this external id, or updates it: every field is set "
            "from the body (a field left out is emptied); `installed_base` replaces the "
            "account's installed base when it is sent and keeps it when it is not. Leads "
            "and claims keep their owners; the company's next lead routes by the new facts. "
            "Needs an integration key with the `accounts` scope."
        ),
        parameters=[
            OpenApiParameter(
                "external_id",
                AccountPathSerializer.EXTERNAL_ID_SCHEMA,
                OpenApiParameter.PATH,
                description="The account's id in your CRM: 1-100 characters, not only spaces.",
            )
        ],
        request=AccountSyncSerializer,
        examples=[OpenApiExample("An account", value=ACCOUNT_EXAMPLE, request_only=True)],
        responses={
            201: AccountSyncResultSerializer,
            200: AccountSyncResultSerializer,
            400: OpenApiResponse(description='Field errors, e.g. {"parent": ["…"]}'),
        },
        tags=["accounts"],
    )
    def put(self, request, external_id: str):
        serializer = AccountSyncSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        path = AccountPathSerializer(data={"external_id": external_id})
        path.is_valid(raise_exception=True)
        external_id = path.validated_data["external_id"]
        (result,) = accounts_upsert([{**serializer.validated_data, "external_id": external_id}])
        if result.status == 400:
            return Response(result.errors, status=status.HTTP_400_BAD_REQUEST)
        body = {
            "external_id": external_id,
            "id": result.account.pk,
            "created": result.status == 201,
        }
        return Response(body, status=result.status)


class AccountBatchView(APIView):
    """``POST``: up to 1,000 accounts in one request and one transaction."""

    permission_classes = [SyncsAccounts]

    @extend_schema(
        operation_id="accounts_upsert_batch",
        summary="Create or update many accounts at once",
        description=(
            "Up to 1,000 accounts, each with the fields of `PUT /api/v1/accounts/{external_id}/` "
            "and its `external_id`. A parent may be in the same batch. The answer is 207 with "
            "one result per item, in order: 201 created, 200 updated, 400 with the item's "
            "field errors; an item with errors writes nothing and never fails the others."
        ),
        request=AccountBatchSerializer,
        examples=[
            OpenApiExample(
                "Two accounts",
                value={"accounts": [{**ACCOUNT_EXAMPLE, "external_id": "crm-acc-101"}]},
                request_only=True,
            )
        ],
        responses={
            207: AccountBatchResponseSerializer,
            400: OpenApiResponse(description='Not a batch: {"accounts": ["…"]}'),
        },
        tags=["accounts"],
    )
    def post(self, request):
        batch = AccountBatchSerializer(data=request.data)
        batch.is_valid(raise_exception=True)
        reader = AccountItemSerializer()
        results: dict[int, dict] = {}
        valid: list[tuple[int, dict]] = []
        for index, item in enumerate(batch.validated_data["accounts"]):
            external_id = str(item.get("external_id") or "")[:100]
            try:
                data = reader.run_validation(item)
            except serializers.ValidationError as error:
                results[index] = {
                    "index": index,
                    "external_id": external_id,
                    "status": 400,
                    "errors": dict(error.detail),
                }
                continue
            valid.append((index, data))
        written = accounts_upsert([data for _index, data in valid])
        for (index, data), result in zip(valid, written, strict=True):
            answer = {"index": index, "external_id": data["external_id"], "status": result.status}
            if result.status == 400:
                answer["errors"] = result.errors
            else:
                answer["id"] = result.account.pk
            results[index] = answer
        ordered = [results[index] for index in sorted(results)]
        body = {
            "created": sum(1 for r in ordered if r["status"] == 201),
            "updated": sum(1 for r in ordered if r["status"] == 200),
            "invalid": sum(1 for r in ordered if r["status"] == 400),
            "results": ordered,
        }
        return Response(body, status=status.HTTP_207_MULTI_STATUS)

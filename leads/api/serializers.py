"""API shapes. Validation rules live in the one field cleaner
(``leads.services.cleaning``), shared with the inquiry form, the CSV import and claims;
the serializers read the JSON as strictly as the schema states it
(``portal.api.StrictInputMixin``) and state in the schema the rules between fields that
the services apply (``request_schema_rules``)."""

from django.core.exceptions import ValidationError as DjangoValidationError
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from leads import access
from leads.api.fields import CountryField, PostcodeField, postcode_errors, postcode_schema
from leads.models import Lead, Policy
from leads.services.cleaning import INTEREST_TEMPERATURE, clean_lead_fields
from leads.services.intake import BATCH_MAX
from leads.services.pipeline import CloseReason
from portal.api import (
    NOT_BLANK,
    JsonObjectField,
    MoneyField,
    PrototypeFields,
    StrictInputMixin,
)
from portal.choices import Language, Sector
from portal.messages import render_message


class QualificationSerializer(PrototypeFields, StrictInputMixin, serializers.Serializer):
    """The lead definition (seed 004). Omitted answers are unknown; a lead with any
    answer "false" goes to the marketing nurture queue instead of sales."""

    fits_profile = serializers.BooleanField(required=False, help_text="Fits the customer profile")
    decision_level = serializers.BooleanField(required=False, help_text="Decision-level contact")
    need = serializers.BooleanField(required=False, help_text="Needs what we sell")
    evaluation_3m = serializers.BooleanField(required=False, help_text="Evaluation within 3 months")
    purchase_6m = serializers.BooleanField(required=False, help_text="Purchase within 6 months")
    talk_2w = serializers.BooleanField(required=False, help_text="Willing to talk within 2 weeks")


class LeadIntakeSerializer(PrototypeFields, StrictInputMixin, serializers.Serializer):
    external_id = serializers.CharField(
        max_length=100,
        required=False,
        allow_blank=True,
        help_text="Your id for this lead; posting it again returns the same lead (idempotent).",
    )
    company_name = serializers.CharField(max_length=200)
    website = serializers.CharField(max_length=200, required=False, allow_blank=True)
    vat_number = serializers.CharField(max_length=30, required=False, allow_blank=True)
    coc_number = serializers.CharField(max_length=40, required=False, allow_blank=True)
    country = CountryField()
    postcode = PostcodeField(help_text="As written in the country; NL 3011 AB, DE 01067, BE 1000")
    city = serializers.CharField(max_length=100, required=False, allow_blank=True)
    sector = serializers.ChoiceField(choices=Sector.choices, required=False, allow_blank=True)
    contact_name = serializers.CharField(max_length=150, required=False, allow_blank=True)
    contact_email = serializers.EmailField(required=False, allow_blank=True)
    contact_phone = serializers.CharField(max_length=40, required=False, allow_blank=True)
    contact_role = serializers.CharField(max_length=100, required=False, allow_blank=True)
    message = serializers.CharField(required=False, allow_blank=True, max_length=5000)
    language = serializers.ChoiceField(choices=Language.choices, required=False)
    estimated_value = MoneyField(required=False, allow_null=True)
    temperature = serializers.ChoiceField(choices=Lead.Temperature.choices, required=False)
    interest = serializers.ChoiceField(
        choices=sorted(INTEREST_TEMPERATURE),
        required=False,
        help_text="demo/price/quote make a lead hot; content/webinar warm (if no temperature).",
    )
    qualification = QualificationSerializer(required=False)

    def request_schema_rules(self) -> dict:
        contact = [
            {"required": [name], "properties": {name: {"pattern": NOT_BLANK}}}
            for name in ("contact_email", "contact_phone")
        ]
        return {"allOf": [postcode_schema(), {"anyOf": contact}]}

    def validate(self, attrs):
        errors = postcode_errors(attrs)
        try:
            cleaned = clean_lead_fields({**attrs, "postcode": ""} if errors else attrs)
        except DjangoValidationError as error:
            errors = {**error.message_dict, **errors}
        if errors:
            raise serializers.ValidationError(errors)
        return cleaned


class OwnerSerializer(PrototypeFields, serializers.Serializer):
    kind = serializers.ChoiceField(choices=["dealer", "user", "queue"])
    id = serializers.CharField()
    name = serializers.CharField()


class LeadIntakeResponseSerializer(PrototypeFields, serializers.Serializer):
    id = serializers.IntegerField()
    status = serializers.CharField()
    owner = serializers.SerializerMethodField()
    rule = serializers.CharField(source="routing_rule")
    reason = serializers.SerializerMethodField()
    qualification = serializers.SerializerMethodField()
    deadlines = serializers.SerializerMethodField()
    duplicate = serializers.SerializerMethodField()

    @extend_schema_field(OwnerSerializer)
    def get_owner(self, lead) -> dict:
        if outcome := self.context.get("outcome"):  # just routed: no need to fetch the owner
            return {
                "kind": outcome.owner.kind,
                "id": str(outcome.owner.id),
                "name": outcome.owner.name,
            }
        return {"kind": lead.owner_kind, "id": str(lead.owner_id), "name": str(lead.owner)}

    def get_reason(self, lead) -> str:
        return render_message(lead.routing_reason)

    @extend_schema_field(
        {
            "type": "object",
            "properties": {
                "sales_ready": {"type": "boolean"},
                "answers": {"type": "object"},
                "missing": {"type": "array", "items": {"type": "string"}},
            },
        }
    )
    def get_qualification(self, lead) -> dict:
        from leads.services.routing import qualification_gaps

        return {
            "sales_ready": lead.sales_ready,
            "answers": lead.qualification,
            "missing": qualification_gaps(lead.qualification or {}),
        }

    @extend_schema_field(
        {
            "type": "object",
            "properties": {
                name: {"type": "string", "format": "date-time", "nullable": True}
                for name in (
                    "first_update_due_at",
                    "reminder_due_at",
                    "escalation_due_at",
                    "recycle_due_at",
                )
            },
        }
    )
    def get_deadlines(self, lead) -> dict:
        return {
            name: getattr(lead, name).isoformat() if getattr(lead, name) else None
            for name in (
                "first_update_due_at",
                "reminder_due_at",
                "escalation_due_at",
                "recycle_due_at",
            )
        }

    def get_duplicate(self, lead) -> bool:
        return bool(self.context.get("duplicate"))

    def to_representation(self, lead) -> dict:
        """The fields above, written directly (what DRF's field-by-field writing gives,
        which cost a batch of 500 answers a tenth of its time)."""
        return {
            "id": lead.id,
            "status": _text(lead.status),
            "owner": self.get_owner(lead),
            "rule": _text(lead.routing_rule),
            "reason": self.get_reason(lead),
            "qualification": self.get_qualification(lead),
            "deadlines": self.get_deadlines(lead),
            "duplicate": self.get_duplicate(lead),
        }


def _text(value) -> str | None:
    return None if value is None else str(value)


# --- the dealer API: a dealer's own systems read and update their leads -----------------


class DealerLeadSerializer(serializers.ModelSerializer):
    """A lead as its owner sees it (personal token or session)."""

    country = serializers.CharField(source="country.code")
    # blank when not known (the model's choices and e-mail format leave room for it)
    sector = serializers.ChoiceField(choices=Sector.choices, read_only=True, allow_blank=True)
    contact_email = serializers.EmailField(read_only=True, allow_blank=True)
    routing_reason = serializers.SerializerMethodField(
        help_text="Why the lead came to you, in your language."
    )
    handled_by = serializers.SerializerMethodField(
        help_text="The colleague your dealer admin handed the lead to, if any."
    )
    url = serializers.SerializerMethodField(help_text="The lead's page in the portal.")
    contact_hidden = serializers.SerializerMethodField(
        help_text=(
            "True while the contact person, role, e-mail, phone and message are left out "
            "(empty): the policy shows them to a dealer once it has accepted the lead."
        )
    )

    class Meta:
        model = Lead
        fields = [
            "id",
            "url",
            "contact_hidden",
            "status",
            "temperature",
            "company_name",
            "website",
            "vat_number",
            "coc_number",
            "country",
            "postcode",
            "city",
            "sector",
            "contact_name",
            "contact_role",
            "contact_email",
            "contact_phone",
            "message",
            "language",
            "estimated_value",
            "source",
            "routing_reason",
            "handled_by",
            "next_step",
            "next_step_on",
            "won_value",
            "close_reason",
            "close_note",
            "created_at",
            "assigned_at",
            "status_changed_at",
            "closed_at",
            "updated_at",
            "first_update_due_at",
            "recycle_due_at",
        ]
        read_only_fields = fields

    def get_routing_reason(self, lead) -> str:
        return render_message(lead.routing_reason)

    def get_handled_by(self, lead) -> str | None:
        return lead.dealer_assignee.name if lead.dealer_assignee_id else None

    def _hidden(self, lead: Lead) -> bool:
        if "hide_contact" in self.context:  # a webhook's body: its receiver decided it
            return self.context["hide_contact"](lead)
        request = self.context.get("request")
        if request is None:
            return False
        if "policy" not in self.context:
            self.context["policy"] = Policy.current()
        return access.contact_hidden(request.user, lead, policy=self.context["policy"])

    def get_contact_hidden(self, lead: Lead) -> bool:
        return self._hidden(lead)

    def to_representation(self, lead: Lead):
        data = super().to_representation(lead)
        if data.get("contact_hidden"):
            for name in access.CONTACT_FIELDS:
                data[name] = ""
        return data

    def get_url(self, lead) -> str:
        request = self.context.get("request")
        path = lead.get_absolute_url()
        if request:
            return request.build_absolute_uri(path)
        return f"{self.context['site_url']}{path}" if "site_url" in self.context else path


class StaffLeadSerializer(DealerLeadSerializer):
    """A lead as the manufacturer's own systems see it (a webhook to its CRM): what its
    dealer sees, always with the contact, plus who owns it and by which rule."""

    owner = serializers.SerializerMethodField(
        help_text='The owner: {"kind": "dealer" | "user" | "queue", "id": …, "name": …}.'
    )

    class Meta(DealerLeadSerializer.Meta):
        fields = [*DealerLeadSerializer.Meta.fields, "owner", "routing_rule"]
        read_only_fields = fields

    def get_owner(self, lead) -> dict | None:
        if "owner" in self.context:  # known to the caller (a hand-over): no query
            return self.context["owner"]
        for kind, name in (("dealer", "owner_dealer"), ("user", "owner_user")):
            if getattr(lead, f"{name}_id"):
                owner = getattr(lead, name)
                return {"kind": kind, "id": owner.pk, "name": owner.name}
        if lead.owner_queue_id:
            return {"kind": "queue", "id": lead.owner_queue_id, "name": lead.owner_queue.name}
        return None

    def _hidden(self, lead: Lead) -> bool:
        return False


class LeadStatusUpdateSerializer(StrictInputMixin, serializers.Serializer):
    """One pipeline step. ``accepted`` needs ``next_step`` and ``next_step_on``; ``won``
    needs ``won_value``; ``lost`` and ``rejected`` need a ``reason`` (``other`` also a
    ``note``). A rejected lead is routed to another owner and leaves your list."""

    STATUSES = ["accepted", "rejected", "contacted", "meeting", "proposal", "won", "lost"]

    status = serializers.ChoiceField(choices=STATUSES)
    next_step = serializers.CharField(max_length=200, required=False, allow_blank=True)
    next_step_on = serializers.DateField(required=False, allow_null=True)
    won_value = MoneyField(required=False, allow_null=True)
    reason = serializers.ChoiceField(choices=CloseReason.choices, required=False, allow_blank=True)
    note = serializers.CharField(max_length=2000, required=False, allow_blank=True)

    def request_schema_rules(self) -> dict:
        """What each status needs (``leads.services.pipeline`` checks it); a date of the
        next step must also not be in the past, which a schema cannot say."""
        closing = ["lost", "rejected"]
        reasons = [value for value in CloseReason.values if value != CloseReason.OTHER]
        a_cent = {
            "anyOf": [
                {"type": "number", "minimum": 0.005},  # rounds to 0.01
                {"type": "string", "pattern": "[1-9]"},
            ]
        }

        def needs(statuses: list[str], required=(), **properties) -> dict:
            return {
                "properties": {"status": {"enum": statuses}, **properties},
                "required": ["status", *required],
            }

        return {
            "anyOf": [
                needs(
                    ["accepted"],
                    ["next_step", "next_step_on"],
                    next_step={"pattern": NOT_BLANK},
                    next_step_on={"type": "string"},
                ),
                needs(["won"], ["won_value"], won_value=a_cent),
                needs(closing, ["reason"], reason={"enum": reasons}),
                needs(
                    closing,
                    ["reason", "note"],
                    reason={"enum": ["other"]},
                    note={"pattern": NOT_BLANK},
                ),
                needs(["contacted", "meeting", "proposal"]),
            ]
        }


class LeadRejectedSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    status = serializers.CharField(help_text='Always "rejected".')
    detail = serializers.CharField()


# --- the batch intake: many leads in one request -------------------------------------


class LeadBatchSerializer(StrictInputMixin, serializers.Serializer):
    """``{"leads": [...]}``: 1-500 objects. Each object is read like the body of
    ``POST /api/v1/leads/`` (its errors are that item's answer, not the batch's), so the
    schema states only that each is an object."""

    leads = serializers.ListField(
        child=JsonObjectField(),
        min_length=1,
        max_length=BATCH_MAX,
        help_text=(
            "The leads, each with the fields of `POST /api/v1/leads/` (LeadIntake) and an "
            "`external_id`, which makes sending a batch again safe."
        ),
    )


class LeadBatchItemSerializer(serializers.Serializer):
    index = serializers.IntegerField(help_text="The item's position in `leads`, from 0.")
    status = serializers.IntegerField(
        help_text="201 created and routed, 200 already known, 400 field errors, 409 refused."
    )
    lead = LeadIntakeResponseSerializer(
        required=False, help_text="As `POST /api/v1/leads/` answers it (201 and 200)."
    )
    errors = serializers.DictField(required=False, help_text="Field errors (400 and 409).")


class LeadBatchResponseSerializer(serializers.Serializer):
    created = serializers.IntegerField()
    existing = serializers.IntegerField(help_text="Already known, or attached to an open lead.")
    invalid = serializers.IntegerField(help_text="Items with field errors or refused.")
    results = LeadBatchItemSerializer(many=True)


# --- accounts and installed base from a CRM or ERP ------------------------------------


class InstalledProductSerializer(StrictInputMixin, serializers.Serializer):
    product = serializers.CharField(max_length=120)
    serial_number = serializers.CharField(max_length=60, required=False, allow_blank=True)
    installed_on = serializers.DateField(help_text="ISO date, e.g. 2024-03-18")


class AccountSyncSerializer(StrictInputMixin, serializers.Serializer):
    """An account as the CRM or ERP holds it. Every field is set from the body (a field
    left out is emptied); ``installed_base`` replaces the account's when it is sent and
    keeps it when it is not."""

    legal_name = serializers.CharField(max_length=200)
    domain = serializers.CharField(
        source="website_domain",
        max_length=120,
        required=False,
        allow_blank=True,
        help_text="The company's website or domain, e.g. vandijk-techniek.nl",
    )
    vat_number = serializers.CharField(max_length=30, required=False, allow_blank=True)
    coc_number = serializers.CharField(
        max_length=40,
        required=False,
        allow_blank=True,
        help_text="Chamber-of-commerce number (KvK, Handelsregister, KBO, …)",
    )
    country = CountryField()
    postcode = PostcodeField(help_text="As written in the country; NL 3011 AB, DE 01067")
    city = serializers.CharField(max_length=100, required=False, allow_blank=True)
    sector = serializers.ChoiceField(choices=Sector.choices, required=False, allow_blank=True)
    parent = serializers.CharField(
        max_length=100,
        required=False,
        allow_blank=True,
        allow_null=True,
        help_text="The parent company's external id (synced before or in the same batch).",
    )
    account_manager = serializers.EmailField(
        required=False,
        allow_blank=True,
        allow_null=True,
        help_text="The e-mail address of the account manager at the manufacturer.",
    )
    serving_dealer = serializers.CharField(
        max_length=100,
        required=False,
        allow_blank=True,
        allow_null=True,
        help_text="The external id of the dealer that serves this customer.",
    )
    installed_base = InstalledProductSerializer(many=True, required=False, max_length=500)

    def request_schema_rules(self) -> dict:
        return {"allOf": [postcode_schema()]}

    def validate(self, attrs):
        errors = postcode_errors(attrs)
        if errors:
            raise serializers.ValidationError(errors)
        return attrs


class AccountItemSerializer(AccountSyncSerializer):
    external_id = serializers.CharField(max_length=100, help_text="The account's id in your CRM.")


class AccountPathSerializer(StrictInputMixin, serializers.Serializer):
    """The ``external_id`` in ``PUT /api/v1/accounts/{external_id}/``, read by the rules of
    a batch item's ``external_id``: at most 100 characters as sent, no control
    characters, not only spaces (spaces around it are trimmed)."""

    EXTERNAL_ID_SCHEMA = {"type": "string", "maxLength": 100, "pattern": NOT_BLANK}

    external_id = serializers.CharField(max_length=100)


class AccountSyncResultSerializer(serializers.Serializer):
    external_id = serializers.CharField()
    id = serializers.IntegerField(help_text="The account's id in the portal.")
    created = serializers.BooleanField()


class AccountBatchSerializer(StrictInputMixin, serializers.Serializer):
    """``{"accounts": [...]}``: 1-1,000 objects, each read like the body of ``PUT
    /api/v1/accounts/{external_id}/`` with its ``external_id``."""

    accounts = serializers.ListField(child=JsonObjectField(), min_length=1, max_length=1000)


class AccountBatchItemSerializer(serializers.Serializer):
    index = serializers.IntegerField()
    external_id = serializers.CharField(allow_blank=True)
    status = serializers.IntegerField(help_text="201 created, 200 updated, 400 field errors.")
    id = serializers.IntegerField(required=False)
    errors = serializers.DictField(required=False)


class AccountBatchResponseSerializer(serializers.Serializer):
    created = serializers.IntegerField()
    updated = serializers.IntegerField()
    invalid = serializers.IntegerField()
    results = AccountBatchItemSerializer(many=True)

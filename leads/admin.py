"""Admin for internal staff. Owners are read-only here: a lead changes hands only
through the routing service (the "reassign" action), never by editing a field."""

from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _

from leads.models import (
    Account,
    ApiKey,
    Assignment,
    DuplicateSubmission,
    ImportJob,
    InstalledProduct,
    Integration,
    Lead,
    LeadEvent,
    Policy,
    Queue,
    ShareCounter,
    SweepRun,
    WebhookDelivery,
    WebhookEndpoint,
)
from leads.services.sla import timers_overview
from portal import l10n
from portal.admin import EventReason, ReadOnlyAdmin
from portal.audit.admin import ChangeHistoryInline, ValuesInChangeMessage
from portal.messages import render_message

OWNER_FIELDS = ["owner_dealer", "owner_user", "owner_queue"]


class InstalledProductInline(admin.TabularInline):
    model = InstalledProduct
    extra = 0


@admin.register(Account)
class AccountAdmin(admin.ModelAdmin):
    list_display = [
        "legal_name",
        "country",
        "postcode",
        "city",
        "sector",
        "account_manager",
        "serving_dealer",
        "parent",
    ]
    list_filter = ["country", "sector"]
    search_fields = [
        "legal_name",
        "normalized_name",
        "external_id",
        "website_domain",
        "vat_number",
        "coc_number",
    ]
    autocomplete_fields = ["parent", "account_manager", "serving_dealer"]
    list_select_related = ["account_manager", "serving_dealer", "parent"]
    inlines = [InstalledProductInline]
    show_full_result_count = False


class LeadEventInline(EventReason, admin.TabularInline):
    model = LeadEvent
    extra = 0
    can_delete = False
    fields = ["at", "kind", "actor", "from_owner", "to_owner", "reason_text"]
    readonly_fields = fields
    ordering = ["at", "id"]

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class AssignmentInline(admin.TabularInline):
    model = Assignment
    extra = 0
    can_delete = False
    fields = [
        "owner_dealer",
        "owner_user",
        "owner_queue",
        "rule",
        "started_at",
        "first_update_at",
        "ended_at",
        "end_reason",
    ]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Lead)
class LeadAdmin(admin.ModelAdmin):
    list_display = [
        "company_name",
        "country",
        "postcode",
        "sector",
        "temperature",
        "status",
        "owner",
        "routing_rule",
        "created_at",
    ]
    list_filter = ["status", "temperature", "source", "routing_rule", "country", "sector"]
    search_fields = ["company_name", "contact_email", "contact_name", "external_id", "vat_number"]
    list_select_related = ["owner_dealer", "owner_user", "owner_queue"]
    date_hierarchy = "created_at"
    show_full_result_count = False
    inlines = [AssignmentInline, LeadEventInline]
    autocomplete_fields = ["account"]
    readonly_fields = [
        *OWNER_FIELDS,
        "dealer_assignee",
        "status",
        "routing_rule",
        "reason_text",
        "assigned_at",
        "first_update_due_at",
        "reminder_due_at",
        "escalation_due_at",
        "recycle_due_at",
        "source",
        "external_id",
        "integration",
        "submitted_by",
        "submitted_by_dealer",
        "created_at",
        "erased_at",
    ]
    exclude = ["routing_reason", "routing_candidates"]

    @admin.display(description=_("owner"))
    def owner(self, lead):
        return lead.owner

    @admin.display(description=_("why this owner"))
    def reason_text(self, lead):
        return render_message(lead.routing_reason)


@admin.register(LeadEvent)
class LeadEventAdmin(EventReason, ReadOnlyAdmin, admin.ModelAdmin):
    list_display = ["at", "lead", "kind", "actor", "reason_text"]
    list_filter = ["kind"]
    search_fields = ["lead__company_name"]
    list_select_related = ["lead", "actor"]
    date_hierarchy = "at"
    show_full_result_count = False


@admin.register(Queue)
class QueueAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "responsible"]
    autocomplete_fields = ["responsible"]


class ApiKeyInline(admin.TabularInline):
    model = ApiKey
    extra = 0
    fields = ["name", "prefix", "scopes", "created_at", "last_used_at", "revoked_at"]
    readonly_fields = ["name", "prefix", "created_at", "last_used_at"]

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Integration)
class IntegrationAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "is_active", "created_at"]
    list_filter = ["kind", "is_active"]
    inlines = [ApiKeyInline]
    actions = ["create_api_key", "create_accounts_api_key"]

    @admin.action(description=_("Create an API key (shown once)"))
    def create_api_key(self, request, queryset):
        self._create_keys(request, queryset, [ApiKey.Scope.LEADS])

    @admin.action(description=_("Create an API key for account sync (shown once)"))
    def create_accounts_api_key(self, request, queryset):
        self._create_keys(request, queryset, [ApiKey.Scope.ACCOUNTS])

    def _create_keys(self, request, queryset, scopes):
        from django.contrib import messages

        from leads.services.api_keys import api_key_create

        for integration in queryset:
            _row, key = api_key_create(
                name=f"{integration.name} key", integration=integration, scopes=scopes
            )
            messages.success(
                request,
                _("API key for %(name)s (copy it now, it is not shown again): %(key)s")
                % {"name": integration.name, "key": key},
            )


@admin.register(ApiKey)
class ApiKeyAdmin(admin.ModelAdmin):
    list_display = [
        "name",
        "prefix",
        "integration",
        "user",
        "scopes",
        "created_at",
        "last_used_at",
        "revoked_at",
    ]
    list_filter = [("revoked_at", admin.EmptyFieldListFilter)]
    search_fields = ["name", "prefix", "user__email", "integration__name"]
    list_select_related = ["integration", "user"]
    readonly_fields = ["name", "prefix", "integration", "user", "created_at", "last_used_at"]
    actions = ["revoke"]

    def has_add_permission(self, request):
        return False  # keys are made by the integration's action or on Preferences

    @admin.action(description=_("Revoke the selected keys"))
    def revoke(self, request, queryset):
        from leads.services.api_keys import api_key_revoke

        for api_key in queryset:
            api_key_revoke(api_key=api_key)


@admin.register(ImportJob)
class ImportJobAdmin(ReadOnlyAdmin, admin.ModelAdmin):
    list_display = [
        "name",
        "kind",
        "status",
        "total_rows",
        "created_leads",
        "created_accounts",
        "error_rows",
        "created_by",
        "created_at",
    ]
    list_filter = ["kind", "status"]
    list_select_related = ["created_by"]
    date_hierarchy = "created_at"


@admin.register(DuplicateSubmission)
class DuplicateSubmissionAdmin(ReadOnlyAdmin, admin.ModelAdmin):
    list_display = ["received_at", "lead", "source", "contact_email", "erased_at"]
    list_filter = ["source"]
    search_fields = ["contact_email", "lead__company_name"]
    list_select_related = ["lead"]


@admin.register(Policy)
class PolicyAdmin(ValuesInChangeMessage, admin.ModelAdmin):
    """One row: the routing order and thresholds, SLA clocks and claim terms. Each save
    is recorded with the old and new value of every field it changed (immutable change
    history, at the foot of the page).

    The fields that move leads (``ROUTING_FIELDS``) are read-only here: they change on the
    routing policy page (``/manage/routing/``), which previews their effect first."""

    inlines = [ChangeHistoryInline]
    ROUTING_FIELDS = ("rule_order", "enterprise_threshold", "team_fallback")
    readonly_fields = ("rule_order_shown", "enterprise_threshold", "team_fallback")

    fieldsets = [
        (
            _("Routing"),
            {
                "fields": [
                    "rule_order_shown",
                    "enterprise_threshold",
                    "team_fallback",
                    "duplicate_window_days",
                ]
            },
        ),
        (
            _("SLA clocks"),
            {
                "fields": [
                    "dealer_first_update_days",
                    "dealer_recycle_days",
                    "hot_contact_hours",
                    "warm_contact_days",
                    "action_reminder_days",
                    "action_escalation_days",
                    ("workday_start", "workday_end"),
                ]
            },
        ),
        (_("Privacy"), {"fields": ["contact_after_accept"]}),
        (
            _("Claims"),
            {
                "fields": [
                    "claim_days",
                    "claim_renewals",
                    "claim_reminder_days",
                    "max_active_claims",
                    "auto_approve_clean_claims",
                ]
            },
        ),
    ]

    @admin.display(description=Policy._meta.get_field("rule_order").verbose_name)
    def rule_order_shown(self, obj) -> str:
        """The rules in order, by their names in the reader's language."""
        return " → ".join(l10n.rule_name(code) for code in obj.rule_order) if obj else ""

    def get_fieldsets(self, request, obj=None):
        """The routing section says where its read-only fields are changed, with a link."""
        fieldsets = [(name, dict(options)) for name, options in super().get_fieldsets(request, obj)]
        fieldsets[0][1]["description"] = format_html(
            '{} <a href="{}" id="routing-policy-link">{}</a>',
            _(
                "The rule order, the enterprise threshold and the team fallback move leads: "
                "they are changed on the routing policy page, which previews the effect first."
            ),
            reverse("manage:routing_policy"),
            _("Open the routing policy page"),
        )
        return fieldsets

    def has_add_permission(self, request):
        return not Policy.objects.exists()

    def has_delete_permission(self, request, obj=None):
        return False

    def changelist_view(self, request, extra_context=None):
        from django.shortcuts import redirect

        return redirect("admin:leads_policy_change", Policy.current().pk)


@admin.register(Assignment)
class AssignmentAdmin(ReadOnlyAdmin, admin.ModelAdmin):
    list_display = [
        "lead",
        "owner",
        "rule",
        "started_at",
        "first_update_at",
        "ended_at",
        "end_reason",
    ]
    list_filter = ["rule", "end_reason", "first_update_in_sla"]
    list_select_related = ["lead", "owner_dealer", "owner_user", "owner_queue"]
    date_hierarchy = "started_at"
    show_full_result_count = False
    search_fields = ["lead__company_name"]

    @admin.display(description=_("owner"))
    def owner(self, stint):
        return stint.owner


@admin.register(ShareCounter)
class ShareCounterAdmin(admin.ModelAdmin):
    list_display = ["scope", "owner", "count"]
    search_fields = ["scope", "owner"]
    readonly_fields = ["scope", "owner", "count"]

    def has_add_permission(self, request):
        return False


@admin.register(SweepRun)
class SweepRunAdmin(ReadOnlyAdmin, admin.ModelAdmin):
    """The "Timers" page: the last sweeps, what they did and what falls due next."""

    change_list_template = "admin/leads/sweeprun/change_list.html"
    list_display = [
        "started_at",
        "as_of",
        "duration",
        "reminders",
        "escalations",
        "recycles",
        "claim_reminders",
        "claim_expiries",
        "failures",
    ]
    date_hierarchy = "started_at"
    show_full_result_count = False
    fields = [
        "started_at",
        "finished_at",
        "as_of",
        "reminders",
        "escalations",
        "recycles",
        "claim_reminders",
        "claim_expiries",
        "recycled",
        "errors",
    ]
    readonly_fields = fields

    def has_view_permission(self, request, obj=None):
        # Whoever may read the SLA policy may see its timers run.
        return super().has_view_permission(request, obj) or request.user.has_perm(
            "leads.view_policy"
        )

    def changelist_view(self, request, extra_context=None):
        return super().changelist_view(
            request, {**(extra_context or {}), "title": _("Timers"), "timers": timers_overview()}
        )

    @admin.display(description=_("took"))
    def duration(self, run):
        ms = (run.details or {}).get("duration_ms")
        return "–" if ms is None else f"{ms / 1000:.2f} s"

    @admin.display(description=_("failures"))
    def failures(self, run):
        return len((run.details or {}).get("errors", [])) or ""

    @admin.display(description=_("recycled leads"))
    def recycled(self, run):
        items = (run.details or {}).get("recycled", [])
        return (
            format_html_join(
                "",
                '<div><a href="{}">{}</a> → {}</div>',
                (
                    (
                        reverse("admin:leads_lead_change", args=[i["lead"]]),
                        i["company"],
                        i["to_name"],
                    )
                    for i in items
                ),
            )
            or "–"
        )

    @admin.display(description=_("errors"))
    def errors(self, run):
        return "; ".join(e.get("error", "") for e in (run.details or {}).get("errors", [])) or "–"


@admin.register(WebhookEndpoint)
class WebhookEndpointAdmin(ReadOnlyAdmin, admin.ModelAdmin):
    """For looking only: endpoints are set up on their owners' pages, where the secret
    is shown once (it is not shown here)."""

    list_display = ["url", "dealer", "is_active", "failing_since", "created_by", "created_at"]
    list_filter = ["is_active"]
    search_fields = ["url", "dealer__name"]
    list_select_related = ["dealer", "created_by"]
    exclude = ["secret"]


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(ReadOnlyAdmin, admin.ModelAdmin):
    list_display = [
        "created_at",
        "endpoint",
        "event_type",
        "subject",
        "state",
        "attempts",
        "response_code",
        "duration_ms",
    ]
    list_filter = ["state", "event_type"]
    search_fields = ["subject", "event_id"]
    list_select_related = ["endpoint"]
    date_hierarchy = "created_at"

from django.contrib import admin
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from guardian.admin import GuardedModelAdminMixin

from dealers.models import Claim, ClaimEvent, Dealer, DealerMembership, WeightChange
from portal.admin import EventReason, ReadOnlyAdmin, RegionSelect
from portal.audit.admin import ChangeHistoryInline, ValuesInChangeMessage


class WeightChangeColumns:
    """The "reason" and "by" columns of a weight change, in the reader's language and
    with its author's name also after their account was deleted."""

    @admin.display(description=_("reason"))
    def reason_text(self, change):
        return gettext(change.reason) if change.reason else ""

    @admin.display(description=_("by"))
    def actor_name(self, change):
        return change.actor_label


class WeightChangeInline(WeightChangeColumns, ReadOnlyAdmin, admin.TabularInline):
    """The dealer's weight changes (immutable), next to its change history."""

    model = WeightChange
    fields = ["at", "kind", "old_weight", "new_weight", "reason_text", "until", "actor_name"]
    readonly_fields = fields
    ordering = ["-at", "-pk"]
    extra = 0
    max_num = 0


class DealerMembershipInline(admin.TabularInline):
    model = DealerMembership
    extra = 0
    autocomplete_fields = ["user"]


@admin.register(Dealer)
class DealerAdmin(ValuesInChangeMessage, RegionSelect, admin.ModelAdmin):
    list_display = [
        "name",
        "status",
        "country_list",
        "sector_list",
        "weekly_capacity",
        "performance_weight",
        "weight_override",
        "weight_override_until",
    ]
    list_filter = ["status", "language"]
    search_fields = ["name", "slug", "external_id", "contact_email", "city"]
    prepopulated_fields = {"slug": ["name"]}
    inlines = [DealerMembershipInline, ChangeHistoryInline, WeightChangeInline]
    fieldsets = [
        (
            None,
            {
                "fields": [
                    "name",
                    "slug",
                    "external_id",
                    "status",
                    "contact_email",
                    "phone",
                    "city",
                    "language",
                ]
            },
        ),
        (_("Coverage"), {"fields": ["countries", "sectors", "weekly_capacity"]}),
        (_("Working calendar"), {"fields": ["home_country", "region"]}),
        (
            _("Allocation"),
            {
                "fields": [
                    "performance_weight",
                    "weight_override",
                    "weight_override_reason",
                    "weight_override_until",
                ],
                "description": _(
                    "Weights change on the Allocation page only, so every change is previewed, "
                    "audited and resets the territories' shares."
                ),
            },
        ),
    ]
    readonly_fields = [
        "status",
        "performance_weight",
        "weight_override",
        "weight_override_reason",
        "weight_override_until",
    ]

    @admin.display(description=_("countries"))
    def country_list(self, dealer):
        return ", ".join(c.code for c in dealer.countries)

    @admin.display(description=_("sectors"))
    def sector_list(self, dealer):
        return ", ".join(Dealer._meta.get_field("sectors").labels(dealer.sectors)) or "—"


@admin.register(DealerMembership)
class DealerMembershipAdmin(admin.ModelAdmin):
    list_display = ["user", "dealer", "role", "joined_at"]
    list_filter = ["role"]
    search_fields = ["user__email", "user__name", "dealer__name"]
    autocomplete_fields = ["user", "dealer"]
    list_select_related = ["user", "dealer"]


class ClaimEventInline(EventReason, ReadOnlyAdmin, admin.TabularInline):
    """The claim's immutable history (written by the claim services and the sweep)."""

    model = ClaimEvent
    fields = ["at", "kind", "actor", "reason_text"]
    readonly_fields = fields
    extra = 0


@admin.register(Claim)
class ClaimAdmin(GuardedModelAdminMixin, admin.ModelAdmin):
    list_display = ["company_name", "dealer", "status", "approved_at", "expires_at", "renewals"]
    list_filter = ["status", "country"]
    search_fields = ["company_name", "vat_number", "website", "dealer__name"]
    autocomplete_fields = ["dealer", "account"]
    list_select_related = ["dealer"]
    date_hierarchy = "submitted_at"
    inlines = [ClaimEventInline]
    readonly_fields = [
        "status",
        "expires_at",
        "renewals",
        "conflicts",
        "submitted_by",
        "submitted_at",
        "decided_by",
        "decided_at",
        "approved_at",
    ]


@admin.register(WeightChange)
class WeightChangeAdmin(WeightChangeColumns, ReadOnlyAdmin, admin.ModelAdmin):
    """The audit of allocation weights (changes are made on the Allocation page)."""

    list_display = [
        "at",
        "dealer",
        "kind",
        "old_weight",
        "new_weight",
        "until",
        "actor_name",
        "reason_text",
    ]
    list_filter = ["kind"]
    search_fields = ["dealer__name", "reason"]
    list_select_related = ["dealer", "actor"]
    date_hierarchy = "at"


@admin.register(ClaimEvent)
class ClaimEventAdmin(EventReason, ReadOnlyAdmin, admin.ModelAdmin):
    """Every change of every claim, newest first (immutable)."""

    list_display = ["at", "claim", "kind", "actor", "reason_text"]
    list_filter = ["kind"]
    search_fields = ["claim__company_name", "claim__dealer__name"]
    list_select_related = ["claim__dealer", "actor"]
    date_hierarchy = "at"
    ordering = ["-at", "-pk"]

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from portal.admin import ReadOnlyAdmin
from portal.audit.admin import ChangeHistoryInline
from territories.models import PostcodeRange, Territory, TerritoryOwner


class PostcodeRangeInline(ReadOnlyAdmin, admin.TabularInline):
    model = PostcodeRange
    extra = 1


class TerritoryOwnerInline(ReadOnlyAdmin, admin.TabularInline):
    model = TerritoryOwner
    extra = 1
    autocomplete_fields = ["dealer", "user"]


@admin.register(Territory)
class TerritoryAdmin(ReadOnlyAdmin, admin.ModelAdmin):
    """Territories change on the Territories page, which audits each change and resets
    the share counters so the split follows the new owners and weights."""

    list_display = ["name", "country", "range_list", "sector_list", "owner_list", "is_active"]
    list_filter = ["country", "is_active"]
    search_fields = ["name", "owners__dealer__name", "owners__user__name"]
    inlines = [PostcodeRangeInline, TerritoryOwnerInline, ChangeHistoryInline]

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .prefetch_related("ranges", "owners__dealer", "owners__user")
        )

    @admin.display(description=_("postcodes"))
    def range_list(self, territory):
        return ", ".join(str(r) for r in territory.ranges.all()) or _("whole country")

    @admin.display(description=_("sectors"))
    def sector_list(self, territory):
        return ", ".join(Territory._meta.get_field("sectors").labels(territory.sectors)) or "—"

    @admin.display(description=_("owners"))
    def owner_list(self, territory):
        return ", ".join(str(o) for o in territory.owners.all())

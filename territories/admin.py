from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from territories.models import PostcodeRange, Territory, TerritoryOwner


class ViewOnly:
    """Territories change on the Territories page, which audits each change and resets
    the share counters so the split follows the new owners and weights."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class PostcodeRangeInline(ViewOnly, admin.TabularInline):
    model = PostcodeRange
    extra = 1


class TerritoryOwnerInline(ViewOnly, admin.TabularInline):
    model = TerritoryOwner
    extra = 1
    autocomplete_fields = ["dealer", "user"]


@admin.register(Territory)
class TerritoryAdmin(ViewOnly, admin.ModelAdmin):
    list_display = ["name", "country", "range_list", "sector_list", "owner_list", "is_active"]
    list_filter = ["country", "is_active"]
    search_fields = ["name", "owners__dealer__name", "owners__user__name"]
    inlines = [PostcodeRangeInline, TerritoryOwnerInline]

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

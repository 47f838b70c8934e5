from allauth.mfa.models import Authenticator
from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.utils.translation import gettext_lazy as _

from portal.admin import RegionSelect
from portal.users.models import Notification, StaffProfile, User


class StaffProfileInline(RegionSelect, admin.StackedInline):
    model = StaffProfile
    fk_name = "user"
    extra = 0
    autocomplete_fields = ["manager", "backup"]


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    ordering = ["name"]
    list_display = ["name", "email", "role", "dealer", "mfa", "is_active", "last_login"]
    list_filter = ["is_active", "is_staff", "groups", "language"]
    search_fields = ["name", "email"]
    readonly_fields = ["last_login", "date_joined"]
    inlines = [StaffProfileInline]
    fieldsets = [
        (None, {"fields": ["email", "name", "phone", "language", "email_frequency", "password"]}),
        (
            _("Access"),
            {"fields": ["is_active", "is_staff", "is_superuser", "groups", "user_permissions"]},
        ),
        (_("Dates"), {"fields": ["last_login", "date_joined"]}),
    ]
    add_fieldsets = [
        (None, {"classes": ["wide"], "fields": ["email", "name", "password1", "password2"]}),
    ]

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .select_related("staffprofile", "dealermembership__dealer")
            .prefetch_related("authenticator_set")
        )

    @admin.display(description=_("role"))
    def role(self, user):
        if membership := user.dealer_membership:
            return membership.get_role_display()
        if profile := user.staff_profile:
            return profile.get_role_display()
        return "—"

    @admin.display(description=_("dealer"))
    def dealer(self, user):
        membership = user.dealer_membership
        return membership.dealer if membership else "—"

    @admin.display(description=_("2FA"), boolean=True)
    def mfa(self, user):
        return any(a.type == Authenticator.Type.TOTP for a in user.authenticator_set.all())


@admin.register(StaffProfile)
class StaffProfileAdmin(RegionSelect, admin.ModelAdmin):
    list_display = [
        "user",
        "role",
        "is_account_manager",
        "out_of_office_from",
        "out_of_office_until",
        "backup",
    ]
    list_filter = ["role", "is_account_manager"]
    search_fields = ["user__name", "user__email"]
    autocomplete_fields = ["user", "manager", "backup"]
    list_select_related = ["user", "backup"]


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = ["created_at", "recipient", "kind", "read_at", "emailed_at"]
    list_filter = ["kind", ("emailed_at", admin.EmptyFieldListFilter)]
    search_fields = ["recipient__email", "recipient__name"]
    list_select_related = ["recipient"]
    date_hierarchy = "created_at"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

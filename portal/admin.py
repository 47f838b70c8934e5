"""The admin site: for internal staff only.

A dealer user never reaches it, even if someone ticked ``is_staff`` on them by
mistake. Signing in goes through the portal's own login (allauth, with TOTP), never
through the admin's password-only form.
"""

from functools import update_wrapper

from django.contrib import admin
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext_lazy as _

from portal.staff import may_open_admin


class ReadOnlyAdmin:
    """For a model (or inline) that the admin only shows: its rows are written by the
    portal's services (which audit them) or are immutable history."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class EventReason:
    """The ``reason_text`` column of an event admin: the stored message, translated."""

    @admin.display(description=_("reason"))
    def reason_text(self, event):
        from portal.messages import render_message

        return render_message(event.reason)


class PortalAdminSite(admin.AdminSite):
    site_header = _("Dealer Portal administration")
    site_title = _("Dealer Portal admin")
    index_title = _("Administration")

    def has_permission(self, request):
        return may_open_admin(request.user)

    def admin_view(self, view, cacheable=False):
        inner = super().admin_view(view, cacheable)

        def guarded(request, *args, **kwargs):
            if request.user.is_authenticated and not self.has_permission(request):
                raise PermissionDenied
            return inner(request, *args, **kwargs)

        return update_wrapper(guarded, inner)

    def login(self, request, extra_context=None):
        if request.user.is_authenticated:
            # Signed in but not allowed (a dealer user): a plain 403, not a login loop.
            raise PermissionDenied
        return redirect_to_login(request.get_full_path())

"""The admin site: for internal staff only.

A dealer user never reaches it, even if someone ticked ``is_staff`` on them by
mistake. Signing in goes through the portal's own login (allauth, with TOTP), never
through the admin's password-only form.
"""

from datetime import datetime
from functools import update_wrapper

from django import forms
from django.contrib import admin
from django.contrib.admin.options import IncorrectLookupParameters
from django.contrib.admin.views.main import ChangeList
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils.translation import gettext_lazy as _

from portal.forms import validate_storable_datetime
from portal.regions import region_choices
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


class PortalChangeList(ChangeList):
    """Django's change list, with what it lets through to a 500 made "incorrect
    parameters" (the admin starts the list over, ``?e=1``) like its other bad lookups: a
    filter value with a NUL character (PostgreSQL refuses it in text), and a date
    hierarchy year, month or day that no stored moment has (Django overflows on
    ``?at__year=99999999999``, adds a year to 9999, and the year 1 before UTC is year 0)."""

    def get_filters(self, request):
        for values in self.get_filters_params().values():
            if any("\x00" in value for value in values):
                raise IncorrectLookupParameters("NUL character in a filter value")
        try:
            filters = super().get_filters(request)
        except (ValueError, OverflowError) as error:
            raise IncorrectLookupParameters(error) from error
        _specs, _has_filters, lookup_params, *_rest = filters
        for values in lookup_params.values():
            for value in values:
                if isinstance(value, datetime):
                    try:
                        validate_storable_datetime(value)
                    except ValidationError as error:
                        raise IncorrectLookupParameters(error) from error
        return filters


class OneLogEntryPerDeletion:
    """Mixed into every model admin: Django logs a deletion of several objects with one
    ``bulk_create``, which sends no ``post_save``; one entry at a time, each is copied
    into the immutable change history (``portal.audit``)."""

    def log_deletions(self, request, queryset):
        log_one = super().log_deletions
        return [entry for obj in queryset for entry in log_one(request, [obj])]


class PortalChangeListAdmin:
    """Mixed into model admins that bring no change list of their own."""

    def get_changelist(self, request, **kwargs):
        return PortalChangeList


class PortalAdminSite(admin.AdminSite):
    site_header = _("Dealer Portal administration")
    site_title = _("Dealer Portal admin")
    index_title = _("Administration")

    def has_permission(self, request):
        return may_open_admin(request.user)

    def register(self, model_or_iterable, admin_class=None, **options):
        """Every model admin (ours and the libraries') logs one entry per deletion and
        lists through ``PortalChangeList``, unless it brings a change list of its own."""
        admin_class = admin_class or admin.ModelAdmin
        mixins: tuple = (OneLogEntryPerDeletion,)
        if admin_class.get_changelist is admin.ModelAdmin.get_changelist:
            mixins += (PortalChangeListAdmin,)
        admin_class = type(
            admin_class.__name__,
            (*mixins, admin_class),
            {"__module__": admin_class.__module__, "__doc__": admin_class.__doc__},
        )
        super().register(model_or_iterable, admin_class, **options)

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


class RegionSelect:
    """A model admin mixin: the ``region`` of a working calendar is chosen from the
    regions with holidays of their own, grouped by country, not typed."""

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        if db_field.name == "region":
            kwargs["widget"] = forms.Select(choices=region_choices())
        return super().formfield_for_dbfield(db_field, request, **kwargs)

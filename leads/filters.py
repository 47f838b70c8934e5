"""Filters for lead lists (the dealer inbox, "My leads" and the dealer API). They only
narrow the queryset a selector gave them; they run no queries of their own."""

import re
from datetime import timedelta

import django_filters
from django import forms
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from leads import access
from leads.models import Lead, Policy
from leads.selectors import DUE_SOON
from portal.choices import Sector
from portal.forms import validate_storable_datetime

S = Lead.Status
OPEN = "open"
CLOSED = "closed"
ALL = "all"

STATUS_CHOICES = [
    (OPEN, _("Open")),
    (S.NEW, S.NEW.label),
    (S.ACCEPTED, S.ACCEPTED.label),
    (S.CONTACTED, S.CONTACTED.label),
    (S.MEETING, S.MEETING.label),
    (S.PROPOSAL, S.PROPOSAL.label),
    (S.WON, S.WON.label),
    (S.LOST, S.LOST.label),
    (CLOSED, _("Closed (won or lost)")),
    (ALL, _("All")),
]
AGE_CHOICES = [
    ("1", _("Today")),
    ("7", _("Last 7 days")),
    ("30", _("Last 30 days")),
    ("90", _("Last 90 days")),
    ("older", _("Older than 90 days")),
]
SLA_CHOICES = [
    ("overdue", _("Overdue")),
    ("soon", _("Due within 8 hours")),
    ("running", _("Clock running, not urgent")),
    ("done", _("No clock running")),
]
# "#123" or "123" is a lead's id: ASCII digits only ("²".isdigit() is true, int() refuses it).
LEAD_ID = re.compile(r"#?([0-9]{1,11})")
SEARCH_MAX_LENGTH = 200

TEMPERATURE_CHOICES = [
    (Lead.Temperature.HOT, _("Hot")),
    (Lead.Temperature.WARM, _("Warm")),
    (Lead.Temperature.COLD, _("Cold")),
]


class LeadFilter(django_filters.FilterSet):
    """Status (default: open), temperature, sector, age, SLA state and free text."""

    q = django_filters.CharFilter(
        method="filter_text",
        label=_("Search"),
        max_length=SEARCH_MAX_LENGTH,
        widget=forms.TextInput(
            attrs={"placeholder": _("Company, contact, e-mail, city, postcode or #id")}
        ),
    )
    status = django_filters.ChoiceFilter(
        choices=STATUS_CHOICES, method="filter_status", label=_("Status"), empty_label=None
    )
    temperature = django_filters.ChoiceFilter(
        choices=TEMPERATURE_CHOICES, label=_("Temperature"), empty_label=_("Any temperature")
    )
    sector = django_filters.ChoiceFilter(
        choices=Sector.choices, label=_("Sector"), empty_label=_("Any sector")
    )
    age = django_filters.ChoiceFilter(
        choices=AGE_CHOICES, method="filter_age", label=_("Received"), empty_label=_("Any time")
    )
    sla = django_filters.ChoiceFilter(
        choices=SLA_CHOICES, method="filter_sla", label=_("SLA"), empty_label=_("Any SLA state")
    )

    class Meta:
        model = Lead
        fields = ["q", "status", "temperature", "sector", "age", "sla"]

    def __init__(self, data=None, *args, now=None, **kwargs):
        data = data.copy() if data is not None else {}
        if not data.get("status"):
            data["status"] = OPEN
        super().__init__(data, *args, **kwargs)
        self.now = now or timezone.now()

    def filter_text(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        if lead_id := LEAD_ID.fullmatch(value):
            return queryset.filter(pk=int(lead_id[1]))
        contact = Q(contact_name__icontains=value) | Q(contact_email__icontains=value)
        if (dealer_id := self._dealer_with_contact_hidden()) is not None:
            contact &= access.contact_visible_q(dealer_id)  # not find what is hidden
        return queryset.filter(
            Q(company_name__icontains=value)
            | contact
            | Q(city__icontains=value)
            | Q(postcode__istartswith=value)
        )

    def _dealer_with_contact_hidden(self) -> int | None:
        """The searching dealer's id while the policy hides contacts from dealers
        (``leads.access.contact_hidden``); None for staff or with the policy off."""
        user = getattr(self.request, "user", None)
        if user is None or not user.is_authenticated or user.dealer_membership is None:
            return None
        if not Policy.current().contact_after_accept:
            return None
        return user.dealer_membership.dealer_id

    def filter_status(self, queryset, name, value):
        if value == OPEN:
            return queryset.filter(status__in=Lead.OPEN_STATUSES)
        if value == CLOSED:
            return queryset.filter(status__in=(S.WON, S.LOST))
        if value == ALL:
            return queryset
        return queryset.filter(status=value)

    def filter_age(self, queryset, name, value):
        if value == "older":
            return queryset.filter(created_at__lt=self.now - timedelta(days=90))
        if value == "1":
            start = timezone.localtime(self.now).replace(hour=0, minute=0, second=0, microsecond=0)
            return queryset.filter(created_at__gte=start)
        return queryset.filter(created_at__gte=self.now - timedelta(days=int(value)))

    def filter_sla(self, queryset, name, value):
        soon = self.now + DUE_SOON
        if value == "overdue":
            return queryset.filter(first_update_due_at__lte=self.now)
        if value == "soon":
            return queryset.filter(first_update_due_at__gt=self.now, first_update_due_at__lte=soon)
        if value == "running":
            return queryset.filter(first_update_due_at__gt=soon)
        return queryset.filter(first_update_due_at__isnull=True)


class ApiLeadFilter(LeadFilter):
    """The same filters for the dealer API, plus a change cursor for syncing."""

    updated_after = django_filters.IsoDateTimeFilter(
        field_name="updated_at",
        lookup_expr="gt",
        label=_("Changed after (ISO 8601)"),
        validators=[validate_storable_datetime],
        # shown as it is read: ISO 8601, not in the reader's date format
        widget=forms.DateTimeInput(format="%Y-%m-%dT%H:%M:%S"),
    )
    status = django_filters.ChoiceFilter(
        choices=STATUS_CHOICES, method="filter_status", label=_("Status")
    )

    class Meta(LeadFilter.Meta):
        fields = [*LeadFilter.Meta.fields, "updated_after"]

    def __init__(self, data=None, *args, **kwargs):
        data = data.copy() if data is not None else {}
        data.setdefault("status", ALL)
        if not data.get("status"):
            data["status"] = ALL
        super().__init__(data, *args, **kwargs)

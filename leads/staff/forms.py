"""Forms of the staff pages of the leads app: reassigning, company lookup, privacy
requests, out of office and the rejection report's filter."""

from django import forms
from django.utils.translation import gettext_lazy as _
from django_countries import countries as all_countries

from dealers.models import Dealer
from leads.models import Lead, Queue
from portal.choices import ROUTED_COUNTRIES
from portal.forms import DateTimeInput, validate_storable_datetime
from portal.staff import dealers_managed_by
from portal.users.models import User

ROUTE_AGAIN = "route"


def reassign_choices(user) -> list:
    """The rules, the pool, the active dealers this manager manages, active staff."""
    dealers = [
        (f"dealer:{pk}", name)
        for pk, name in dealers_managed_by(user)
        .filter(status=Dealer.Status.ACTIVE)
        .order_by("name")
        .values_list("pk", "name")
    ]
    staff = [
        (f"user:{pk}", name)
        for pk, name in User.objects.filter(staffprofile__isnull=False, is_active=True)
        .order_by("name")
        .values_list("pk", "name")
    ]
    queues = [
        (f"queue:{queue.slug}", str(queue))  # translated (Queue.__str__)
        for queue in Queue.objects.order_by("name")
    ]
    return [
        ("", "—"),
        (ROUTE_AGAIN, _("Let the routing rules decide again")),
        (_("Queues"), queues),
        (_("Dealers"), dealers),
        (_("Internal staff"), staff),
    ]


class ReassignForm(forms.Form):
    owner = forms.ChoiceField(label=_("New owner"))
    reason = forms.CharField(
        label=_("Reason"),
        max_length=300,
        help_text=_("Shown on the lead's history and to the previous and the new owner."),
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner"].choices = reassign_choices(user)

    def clean_owner(self):
        value = self.cleaned_data["owner"]
        if value == ROUTE_AGAIN:
            return None
        kind, _sep, pk = value.partition(":")
        try:
            if kind == "dealer":
                return Dealer.objects.get(pk=int(pk))
            if kind == "user":
                return User.objects.get(pk=int(pk))
            if kind == "queue":
                return Queue.objects.get(pk=pk)
        except (ValueError, Dealer.DoesNotExist, User.DoesNotExist, Queue.DoesNotExist):
            pass
        raise forms.ValidationError(_("Choose an owner from the list."))


class BulkReassignForm(ReassignForm):
    """The same, for the leads ticked in a list (``lead`` checkboxes)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        raw = self.data.getlist("lead") if hasattr(self.data, "getlist") else []
        self.lead_ids: list[int] = []
        self.bad_ids = False
        for value in raw:
            try:
                self.lead_ids.append(int(value))
            except ValueError:
                self.bad_ids = True

    def clean(self):
        cleaned = super().clean()
        if self.bad_ids:
            raise forms.ValidationError(_("The selection is invalid; reload the page."))
        if not self.lead_ids:
            raise forms.ValidationError(_("Tick the leads to reassign first."))
        return cleaned


class LeadFilterForm(forms.Form):
    """Which open leads to list on the reassign page."""

    owner = forms.ChoiceField(label=_("Owner"), required=False)
    q = forms.CharField(label=_("Company"), required=False, max_length=100)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        choices = reassign_choices(user)
        self.fields["owner"].choices = [("", _("Any owner"))] + [
            c for c in choices if c[0] not in ("", ROUTE_AGAIN)
        ]


class LookupForm(forms.Form):
    q = forms.CharField(
        label=_("Company, website, VAT number or postcode"),
        max_length=200,
        required=False,
        widget=forms.TextInput(
            attrs={
                "type": "search",
                "autocomplete": "off",
                "autofocus": True,
                "placeholder": _("e.g. Bakker Logistiek, bakker.nl, NL004495445B01, 3011"),
            }
        ),
    )
    country = forms.ChoiceField(label=_("Country"), required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["country"].choices = [("", _("All countries"))] + [
            (code, all_countries.name(code)) for code in ROUTED_COUNTRIES
        ]


class EraseForm(forms.Form):
    confirm = forms.BooleanField(
        label=_("I checked the request: erase the personal data now (this cannot be undone)."),
    )
    note = forms.CharField(
        label=_("Request reference (optional)"),
        max_length=200,
        required=False,
        help_text=_("For example the ticket number of the request. Do not type personal data."),
    )


class OutOfOfficeForm(forms.Form):
    out_of_office_from = forms.DateTimeField(
        validators=[validate_storable_datetime],
        label=_("Away from"),
        required=False,
        widget=DateTimeInput,
    )
    out_of_office_until = forms.DateTimeField(
        validators=[validate_storable_datetime],
        label=_("Back on"),
        required=False,
        widget=DateTimeInput,
        help_text=_("Leave both dates empty to be in the office."),
    )
    backup = forms.ModelChoiceField(
        label=_("Backup while away"),
        queryset=User.objects.none(),
        required=False,
        help_text=_("Gets the new leads that would have gone to this rep."),
    )

    def __init__(self, *args, person: User, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["backup"].queryset = (
            User.objects.filter(staffprofile__isnull=False, is_active=True)
            .exclude(pk=person.pk)
            .order_by("name")
        )


class RejectionFilterForm(forms.Form):
    months = forms.TypedChoiceField(
        label=_("Period"),
        coerce=int,
        choices=[(3, _("3 months")), (6, _("6 months")), (12, _("12 months"))],
        initial=6,
        required=False,
    )
    source = forms.ChoiceField(
        label=_("Source"), choices=[("", _("All sources")), *Lead.Source.choices], required=False
    )

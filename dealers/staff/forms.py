"""Forms of the channel manager's dealer pages."""

from django import forms
from django.utils.translation import gettext_lazy as _
from django_countries import countries as all_countries

from dealers.models import Dealer
from portal.choices import ROUTED_COUNTRIES, Language, Sector
from portal.regions import region_choices, validate_region


def country_choices(extra=()) -> list[tuple[str, str]]:
    codes = list(ROUTED_COUNTRIES) + [c for c in extra if c not in ROUTED_COUNTRIES]
    return [(code, all_countries.name(code)) for code in codes]


class DealerForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=200)
    contact_email = forms.EmailField(label=_("Contact e-mail"))
    phone = forms.CharField(label=_("Phone"), max_length=40, required=False)
    city = forms.CharField(label=_("City"), max_length=100, required=False)
    language = forms.ChoiceField(label=_("Preferred language"), choices=Language.choices)
    countries = forms.MultipleChoiceField(
        label=_("Countries served"), widget=forms.CheckboxSelectMultiple
    )
    sectors = forms.MultipleChoiceField(
        label=_("Sector specialisations"),
        choices=Sector.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Leads in these sectors prefer this dealer within its territories."),
    )
    home_country = forms.ChoiceField(
        label=_("Home country"),
        required=False,
        help_text=_(
            "Its working days and public holidays count on the dealer's clocks; "
            "empty: the lead's country."
        ),
    )
    region = forms.ChoiceField(
        label=_("Region"),
        required=False,
        help_text=_("A Land, canton or community whose own public holidays count too."),
    )

    def __init__(self, *args, current_countries=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["countries"].choices = country_choices(current_countries)
        self.fields["home_country"].choices = [("", _("The lead's country"))] + country_choices(
            current_countries
        )
        self.fields["region"].choices = region_choices()

    def clean(self):
        cleaned = super().clean()
        try:
            validate_region(cleaned.get("region", ""), cleaned.get("home_country", ""))
        except forms.ValidationError as error:
            self.add_error(None, error)
        return cleaned

    @classmethod
    def initial_for(cls, dealer: Dealer) -> dict:
        return {
            "name": dealer.name,
            "contact_email": dealer.contact_email,
            "phone": dealer.phone,
            "city": dealer.city,
            "language": dealer.language,
            "countries": [c.code for c in dealer.countries],
            "sectors": list(dealer.sectors or []),
            "home_country": dealer.home_country.code or "",
            "region": dealer.region,
        }


class DealerCreateForm(DealerForm):
    weekly_capacity = forms.IntegerField(
        label=_("Weekly capacity"),
        min_value=0,
        required=False,
        help_text=_("New leads per 7 days this dealer can handle; empty means no limit."),
    )
    admin_name = forms.CharField(label=_("Admin's name"), max_length=150, required=False)
    admin_email = forms.EmailField(
        label=_("Admin's e-mail"),
        required=False,
        help_text=_("We e-mail an invitation to set a password. You can also invite later."),
    )

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("admin_name") and not cleaned.get("admin_email"):
            self.add_error("admin_email", _("Give the admin's e-mail address to invite them."))
        return cleaned


class StatusForm(forms.Form):
    status = forms.ChoiceField(label=_("New status"), choices=Dealer.Status.choices)
    reason = forms.CharField(
        label=_("Reason"),
        max_length=300,
        help_text=_("Shown on every open lead that is routed to another owner."),
    )


class CapacityForm(forms.Form):
    weekly_capacity = forms.IntegerField(
        label=_("New leads per 7 days"),
        min_value=0,
        max_value=10000,
        required=False,
        help_text=_("Empty: no limit. 0: no new leads for now (the dealer keeps its open leads)."),
    )


class InviteForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=150)
    email = forms.EmailField(label=_("E-mail"))

"""Forms of the dealer pages. Validation rules live in the services
(``leads.services.cleaning.clean_claim_fields``), shared with the claims API."""

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from leads.services.cleaning import clean_claim_fields
from portal.choices import Language
from portal.forms import country_choices
from portal.users.models import Role

# Fields whose change re-runs the live conflict check.
CHECKED_FIELDS = ("company_name", "country", "website", "vat_number", "contact_email")


class ClaimForm(forms.Form):
    company_name = forms.CharField(label=_("Company name"), max_length=200)
    country = forms.ChoiceField(label=_("Country"), choices=country_choices)
    postcode = forms.CharField(label=_("Postcode"), max_length=12, required=False)
    website = forms.CharField(
        label=_("Website"),
        max_length=200,
        required=False,
        widget=forms.TextInput(attrs={"placeholder": "www.example.com", "inputmode": "url"}),
    )
    vat_number = forms.CharField(
        label=_("VAT number"),
        max_length=30,
        required=False,
        help_text=_("The surest way to recognise the company."),
    )
    contact_name = forms.CharField(label=_("Contact person"), max_length=150, required=False)
    contact_email = forms.EmailField(label=_("Contact e-mail"), required=False)
    expected_value = forms.DecimalField(
        label=_("Expected value (EUR)"),
        max_digits=12,
        decimal_places=2,
        min_value=0,
        required=False,
    )
    notes = forms.CharField(
        label=_("Notes"),
        required=False,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("What you are working on with this company (for your channel manager)."),
    )

    def __init__(self, *args, check_url: str = "", **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["company_name"].widget.attrs["autocomplete"] = "organization"
        if check_url:
            for name in CHECKED_FIELDS:
                self.fields[name].widget.attrs.update(
                    {
                        "hx-post": check_url,
                        "hx-trigger": (
                            "change" if name == "country" else "keyup changed delay:400ms, change"
                        ),
                        "hx-target": "#claim-check",
                        "hx-sync": "closest form:replace",
                    }
                )

    def clean(self):
        cleaned = super().clean()
        try:
            return clean_claim_fields(cleaned)
        except ValidationError as error:
            for field, messages in error.message_dict.items():
                if field not in self.fields:
                    self.add_error(None, messages)
                elif field not in self.errors:
                    self.add_error(field, messages)
        return cleaned


class WithdrawForm(forms.Form):
    reason = forms.CharField(
        label=_("Why (optional)"),
        max_length=500,
        required=False,
        widget=forms.TextInput(attrs={"placeholder": _("Why (optional)")}),
    )


class InviteForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=150)
    email = forms.EmailField(label=_("E-mail address"))
    role = forms.ChoiceField(
        label=_("Role"),
        choices=[(r.value, r.label) for r in Role.dealer_roles()],
        initial=Role.DEALER_USER,
        help_text=_("Dealer admins also manage the team and hand leads to colleagues."),
    )
    language = forms.ChoiceField(label=_("Language"), choices=Language.choices)

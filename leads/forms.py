"""Forms of the lead pages. They collect input; the rules live in the services
(``leads.services.pipeline``, ``leads.services.intake``), whose ``ValidationError``
messages the views put back on these forms."""

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from leads.selectors import colleagues_for_hand_over
from leads.services.cleaning import clean_lead_fields
from leads.services.pipeline import CloseReason, ContactChannel, ContactOutcome
from portal.choices import Sector
from portal.forms import DateInput, add_service_error, country_choices
from portal.users.models import User


class ServiceErrorsMixin:
    """Put a service's ``ValidationError`` on the form: per field where the field is
    on the form, otherwise as a form-wide error."""

    def add_service_error(self, error: ValidationError) -> None:
        add_service_error(self, error)


class AcceptForm(ServiceErrorsMixin, forms.Form):
    next_step = forms.CharField(
        label=_("Next step"),
        max_length=200,
        widget=forms.TextInput(attrs={"placeholder": _("e.g. Call to plan a demo")}),
    )
    next_step_on = forms.DateField(label=_("On"), widget=DateInput)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["next_step_on"].initial = timezone.localdate()


class RejectForm(ServiceErrorsMixin, forms.Form):
    reason = forms.ChoiceField(
        label=_("Reason"), choices=[("", _("Choose a reason…")), *CloseReason.choices]
    )
    note = forms.CharField(
        label=_("Explanation"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Required for “Other”. Marketing reads these to improve the lead definition."),
    )


class ContactForm(ServiceErrorsMixin, forms.Form):
    channel = forms.ChoiceField(
        label=_("How"),
        choices=ContactChannel.choices,
        initial=ContactChannel.PHONE,
        widget=forms.RadioSelect(attrs={"class": "form-check-input"}),
    )
    outcome = forms.ChoiceField(
        label=_("Result"),
        choices=ContactOutcome.choices,
        initial=ContactOutcome.REACHED,
        widget=forms.RadioSelect(attrs={"class": "form-check-input"}),
    )
    note = forms.CharField(
        label=_("Note"), required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )


class StatusForm(ServiceErrorsMixin, forms.Form):
    """One form for every pipeline move; ``status`` comes from the button pressed."""

    status = forms.CharField(widget=forms.HiddenInput)
    won_value = forms.DecimalField(
        label=_("Value of the deal (EUR)"),
        required=False,
        min_value=0,
        max_digits=12,
        decimal_places=2,
    )
    reason = forms.ChoiceField(
        label=_("Reason"),
        required=False,
        choices=[("", _("Choose a reason…")), *CloseReason.choices],
    )
    note = forms.CharField(
        label=_("Note"), required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )
    next_step = forms.CharField(label=_("Next step"), required=False, max_length=200)
    next_step_on = forms.DateField(label=_("On"), required=False, widget=DateInput)


class NoteForm(ServiceErrorsMixin, forms.Form):
    note = forms.CharField(
        label=_("Note"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3, "placeholder": _("Only your team and we see it.")}),
    )


class HandOverForm(ServiceErrorsMixin, forms.Form):
    colleague = forms.ModelChoiceField(
        label=_("Colleague"),
        queryset=User.objects.none(),
        required=False,
        empty_label=_("The whole team"),
    )

    def __init__(self, *args, dealer_id=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["colleague"].queryset = colleagues_for_hand_over(dealer_id)


INTEREST_CHOICES = [
    ("demo", _("A demo")),
    ("price", _("A price or quote")),
    ("content", _("Information (brochure, webinar)")),
    ("other", _("Something else")),
]


class SubmitLeadForm(ServiceErrorsMixin, forms.Form):
    """A lead a dealer found and passes on; checked by the same rules as every intake."""

    company_name = forms.CharField(label=_("Company"), max_length=200)
    website = forms.CharField(label=_("Website"), max_length=200, required=False)
    vat_number = forms.CharField(label=_("VAT number"), max_length=30, required=False)
    country = forms.ChoiceField(label=_("Country"), choices=country_choices)
    postcode = forms.CharField(label=_("Postcode"), max_length=12, required=False)
    city = forms.CharField(label=_("City"), max_length=100, required=False)
    sector = forms.ChoiceField(
        label=_("Sector"), required=False, choices=[("", "—"), *Sector.choices]
    )
    contact_name = forms.CharField(label=_("Contact person"), max_length=150)
    contact_role = forms.CharField(label=_("Job title"), max_length=100, required=False)
    contact_email = forms.EmailField(
        label=_("E-mail"), required=False, help_text=_("An e-mail address or a phone number.")
    )
    contact_phone = forms.CharField(label=_("Phone"), max_length=40, required=False)
    interest = forms.ChoiceField(
        label=_("They asked for"), choices=INTEREST_CHOICES, initial="demo"
    )
    estimated_value = forms.DecimalField(
        label=_("Estimated value (EUR)"),
        required=False,
        min_value=0,
        max_digits=12,
        decimal_places=2,
    )
    message = forms.CharField(
        label=_("What do they need?"),
        required=False,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def clean(self):
        data = super().clean()
        if self.errors:
            return data
        try:
            return clean_lead_fields(data)
        except ValidationError as error:
            self.add_service_error(error)
            return data

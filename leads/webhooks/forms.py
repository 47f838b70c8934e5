from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from leads.models import WebhookEvent
from leads.services.webhooks import address_problem


class EndpointForm(forms.Form):
    url = forms.URLField(
        label=_("Address"),
        max_length=500,
        assume_scheme="https",
        help_text=_("The https:// address of your system that receives the events."),
        widget=forms.URLInput(attrs={"placeholder": "https://", "autocomplete": "off"}),
    )
    description = forms.CharField(
        label=_("Description"),
        max_length=200,
        required=False,
        help_text=_("For you: which system this is, e.g. “CRM” or “ERP in the workshop”."),
    )
    events = forms.MultipleChoiceField(
        label=_("Events"),
        choices=WebhookEvent.choices,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": _("Choose at least one event.")},
    )
    language = forms.ChoiceField(
        label=_("Language of the texts"),
        choices=settings.LANGUAGES,
        help_text=_("Texts in the events, such as why a lead was routed, are in this language."),
    )

    def clean_url(self):
        url = self.cleaned_data["url"]
        if problem := address_problem(url):
            raise forms.ValidationError(problem)
        return url

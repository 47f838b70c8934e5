"""The public inquiry form at /inbound/: no login, CSRF, a honeypot field and a rate
limit per address; the lead goes through the same intake as the API."""

from allauth.account.adapter import get_adapter as get_account_adapter
from django import forms
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_http_methods

from leads.models import Lead, Policy
from leads.services.cleaning import clean_lead_fields
from leads.services.intake import lead_intake
from leads.sla import deadlines
from portal.choices import Sector
from portal.forms import country_choices

RATE_LIMIT = 5  # submissions
RATE_WINDOW = 600  # seconds, per client address
SESSION_KEY = "inbound_lead"


class InquiryForm(forms.Form):
    INTEREST = [
        ("demo", _("A demonstration")),
        ("price", _("A price or quote")),
        ("content", _("Information / brochure")),
        ("other", _("Something else")),
    ]
    TIMELINE = [
        ("3m", _("Within 3 months")),
        ("6m", _("Within 6 months")),
        ("later", _("Later than 6 months")),
        ("unknown", _("Not decided yet")),
    ]

    company_name = forms.CharField(label=_("Company"), max_length=200)
    contact_name = forms.CharField(label=_("Your name"), max_length=150)
    contact_email = forms.EmailField(label=_("E-mail"))
    contact_phone = forms.CharField(label=_("Phone"), max_length=40, required=False)
    contact_role = forms.CharField(label=_("Job title"), max_length=100, required=False)
    country = forms.ChoiceField(label=_("Country"), choices=country_choices)
    postcode = forms.CharField(label=_("Postcode"), max_length=12, required=False)
    city = forms.CharField(label=_("City"), max_length=100, required=False)
    sector = forms.ChoiceField(
        label=_("Industry"), choices=[("", "—"), *Sector.choices], required=False
    )
    interest = forms.ChoiceField(label=_("I would like"), choices=INTEREST, initial="demo")
    timeline = forms.ChoiceField(label=_("When do you plan to invest?"), choices=TIMELINE)
    decision_maker = forms.BooleanField(
        label=_("I am involved in the purchase decision"), required=False
    )
    message = forms.CharField(
        label=_("Your question"), widget=forms.Textarea(attrs={"rows": 4}), required=False
    )
    consent = forms.BooleanField(
        label=_("You may contact me about this inquiry (we use your data only for that).")
    )
    # Honeypot: invisible to people, irresistible to bots.
    # The honeypot: hidden from people (and from the keyboard), filled in by bots.
    website_url = forms.CharField(
        required=False,
        label=_("Leave this field empty"),
        widget=forms.TextInput(attrs={"tabindex": "-1", "autocomplete": "off"}),
    )

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("website_url"):
            raise ValidationError(_("Your message could not be sent."), code="spam")
        timeline = cleaned.get("timeline")
        data = {
            "company_name": cleaned.get("company_name", ""),
            "contact_name": cleaned.get("contact_name", ""),
            "contact_email": cleaned.get("contact_email") or self.data.get("contact_email", ""),
            "contact_phone": cleaned.get("contact_phone", ""),
            "contact_role": cleaned.get("contact_role", ""),
            "country": cleaned.get("country", ""),
            "postcode": cleaned.get("postcode", ""),
            "city": cleaned.get("city", ""),
            "sector": cleaned.get("sector", ""),
            "interest": cleaned.get("interest", "other"),
            "message": cleaned.get("message", ""),
            "language": translation.get_language(),
            "qualification": {
                "decision_level": bool(cleaned.get("decision_maker")),
                "evaluation_3m": timeline == "3m" if timeline != "unknown" else None,
                "purchase_6m": timeline in ("3m", "6m") if timeline != "unknown" else None,
            },
        }
        data["qualification"] = {k: v for k, v in data["qualification"].items() if v is not None}
        try:
            self.lead_data = clean_lead_fields(data)
        except ValidationError as error:
            for field, messages in error.message_dict.items():
                if field not in self.errors:  # one message per field is enough
                    self.add_error(field if field in self.fields else None, messages)
        return cleaned


def _client_address(request) -> str:
    """The visitor's address as the login's rate limit sees it: allauth's, which reads
    X-Forwarded-For behind ``TRUSTED_PROXY_COUNT`` proxies of our own."""
    return get_account_adapter(request).get_client_ip(request)


def _rate_limited(request) -> bool:
    key = f"inbound:{_client_address(request)}"
    cache.add(key, 0, timeout=RATE_WINDOW)
    try:
        return cache.incr(key) > RATE_LIMIT
    except ValueError:
        return False


@require_http_methods(["GET", "POST"])
def inquiry(request):
    form = InquiryForm(request.POST or None)
    if request.method == "POST":
        if _rate_limited(request):
            form.is_valid()
            form.add_error(
                None, _("Too many inquiries from your network. Please try again in a few minutes.")
            )
            return render(request, "inbound/form.html", {"form": form}, status=429)
        if form.is_valid():
            result = lead_intake(data=form.lead_data, source=Lead.Source.WEB_FORM)
            request.session[SESSION_KEY] = result.lead.pk
            return redirect(reverse("inbound-thanks"))
    return render(request, "inbound/form.html", {"form": form}, status=400 if form.errors else 200)


def thanks(request):
    lead_pk = request.session.get(SESSION_KEY)
    lead = (
        Lead.objects.filter(pk=lead_pk)
        .only("country", "temperature", "created_at", "language")
        .first()
    )
    context = {"lead": lead}
    if lead is not None:
        terms = deadlines.SlaTerms.from_policy(Policy.current())
        now = timezone.now()
        context["after_hours"] = deadlines.after_hours(now, lead.country, terms)
        contact_from = deadlines.next_working_start(now, lead.country, terms)
        context["contact_from"] = contact_from
    return render(request, "inbound/thanks.html", context)

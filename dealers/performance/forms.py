"""Forms of the channel manager's performance pages: the scorecard filters, weight
overrides, the what-if preview and applying the computed weights, and claim decisions."""

import json
from decimal import Decimal, InvalidOperation

from django import forms
from django.utils.translation import gettext_lazy as _
from django_countries import countries as all_countries

from dealers import allocation
from portal.choices import ROUTED_COUNTRIES, Sector
from portal.forms import DateInput

PERIODS = (
    ("30", _("Last 30 days")),
    ("90", _("Last 90 days")),
    ("180", _("Last 6 months")),
    ("365", _("Last 12 months")),
)


def country_choices(codes=None) -> list[tuple[str, str]]:
    codes = sorted(codes) if codes else ROUTED_COUNTRIES
    return [("", _("All countries")), *((code, all_countries.name(code)) for code in codes)]


class ScorecardFilterForm(forms.Form):
    period = forms.ChoiceField(label=_("Period"), choices=PERIODS, required=False)
    country = forms.ChoiceField(label=_("Country"), required=False)
    sector = forms.ChoiceField(
        label=_("Sector"), choices=[("", _("All sectors")), *Sector.choices], required=False
    )

    def __init__(self, *args, countries=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["country"].choices = country_choices(countries)

    @property
    def days(self) -> int:
        value = self.cleaned_data.get("period") if self.is_valid() else ""
        return int(value or 90)


class RepFilterForm(forms.Form):
    """The rep scorecards' filters: the window, and (for a reader who sees several
    teams) one team, by its manager."""

    period = forms.ChoiceField(label=_("Period"), choices=PERIODS, required=False)
    team = forms.TypedChoiceField(label=_("Team"), coerce=int, required=False, empty_value=None)

    def __init__(self, *args, teams=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["team"].choices = [("", _("All teams")), *teams]

    @property
    def days(self) -> int:
        value = self.cleaned_data.get("period") if self.is_valid() else ""
        return int(value or 90)


class OverrideForm(forms.Form):
    weight = forms.DecimalField(
        label=_("Weight"),
        min_value=Decimal("0"),
        max_value=allocation.OVERRIDE_MAX,
        decimal_places=2,
        max_digits=5,
        help_text=_("1.00 is an equal share, 2.00 double, 0 no new leads."),
    )
    until = forms.DateField(
        label=_("Until"),
        widget=DateInput,
        help_text=_("The override ends after this day; the performance weight applies again."),
    )
    reason = forms.CharField(
        label=_("Reason"),
        max_length=300,
        help_text=_("Shown in the audit and to other managers."),
    )


class OverrideEndForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), max_length=300, required=False)


class PreviewForm(forms.Form):
    leads = forms.IntegerField(
        label=_("Replay the last"),
        min_value=10,
        max_value=allocation.PREVIEW_MAX,
        initial=allocation.PREVIEW_DEFAULT,
        required=False,
        help_text=_("leads"),
    )

    def clean_leads(self) -> int:
        return self.cleaned_data["leads"] or allocation.PREVIEW_DEFAULT


class ApplyForm(forms.Form):
    """The weights the preview showed (dealer id → weight, JSON), so applying refuses
    when the scorecards changed in between."""

    expected = forms.CharField(widget=forms.HiddenInput)

    def clean_expected(self) -> dict[int, Decimal]:
        try:
            raw = json.loads(self.cleaned_data["expected"])
            return {int(pk): Decimal(str(weight)) for pk, weight in raw.items()}
        except (ValueError, TypeError, AttributeError, InvalidOperation) as error:
            raise forms.ValidationError(_("Preview the weights again before applying.")) from error


def expected_json(weights) -> str:
    return json.dumps({str(pk): str(weight) for pk, weight in sorted(weights.items())})


class ClaimDecisionForm(forms.Form):
    APPROVE = "approve"
    REJECT = "reject"

    decision = forms.ChoiceField(
        label=_("Decision"),
        choices=((APPROVE, _("Approve")), (REJECT, _("Reject"))),
        widget=forms.RadioSelect,
    )
    reason = forms.CharField(
        label=_("Reason"),
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Both dealers are told the decision; the claimant reads the reason."),
    )

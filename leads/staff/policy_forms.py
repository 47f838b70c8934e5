"""The routing policy form of the channel manager's routing page: a position per rule
(blank: the rule is off), the enterprise threshold and the team fallback."""

from decimal import Decimal

from django import forms
from django.utils.translation import gettext_lazy as _

from leads.models import Policy, default_rule_order
from portal.choices import RULE_LABELS

RULES = tuple(default_rule_order())


def position_field(rule: str) -> str:
    return f"position_{rule}"


def _whole(value: Decimal) -> Decimal:
    """250000 rather than 250000.00 in the field, when there are no cents."""
    return value.quantize(Decimal(1)) if value == value.to_integral_value() else value


class RoutingPolicyForm(forms.Form):
    enterprise_threshold = forms.DecimalField(
        label=_("Enterprise threshold (EUR)"),
        min_value=Decimal("0"),
        max_digits=12,
        decimal_places=2,
        help_text=_("Leads worth more than this go to a senior rep (the deal size rule)."),
    )
    team_fallback = forms.BooleanField(
        label=_("Round robin in the internal sales team before the pool"), required=False
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for rule in RULES:
            self.fields[position_field(rule)] = forms.IntegerField(
                label=RULE_LABELS[rule],
                min_value=1,
                max_value=len(RULES),
                required=False,
            )

    @property
    def position_fields(self):
        return [self[position_field(rule)] for rule in RULES]

    @classmethod
    def initial_for(cls, policy: Policy) -> dict:
        order = list(policy.rule_order or [])
        initial = {
            "enterprise_threshold": _whole(policy.enterprise_threshold),
            "team_fallback": policy.team_fallback,
        }
        for rule in RULES:
            initial[position_field(rule)] = order.index(rule) + 1 if rule in order else None
        return initial

    def clean(self):
        data = super().clean()
        taken: dict[int, list[str]] = {}
        for rule in RULES:
            position = data.get(position_field(rule))
            if position is not None:
                taken.setdefault(position, []).append(rule)
        for position, rules in taken.items():
            if len(rules) > 1:
                for rule in rules:
                    self.add_error(
                        position_field(rule),
                        _("Position %(position)s is given to more than one rule.")
                        % {"position": position},
                    )
        if not taken and not self.errors:
            raise forms.ValidationError(_("Give at least one rule a position."))
        return data

    def changes(self) -> dict:
        """The policy fields as ``policy_update`` takes them."""
        data = self.cleaned_data
        positioned = [(data[position_field(r)], r) for r in RULES if data[position_field(r)]]
        return {
            "rule_order": [rule for _position, rule in sorted(positioned)],
            "enterprise_threshold": data["enterprise_threshold"],
            "team_fallback": data["team_fallback"],
        }

"""Template helpers available in every template (registered as builtins in settings).

- ``{{ field|bs }}`` renders a form field's widget with Bootstrap classes;
  ``{{ choice|bs_choice:field }}`` one checkbox or radio of a multiple-choice field.
- ``{% include "includes/field.html" with field=form.x %}`` renders label, widget,
  errors and help text.
- ``{{ message|render_message }}`` renders a stored translatable message.
- ``{% blocktranslate with company=name|before_full_stop %}… {{ company }}.`` keeps one
  full stop after a name that ends with one ("Holding B.V.").

- ``{{ value|amount }}``, ``{{ value|percent }}`` (``percent:0``), ``{{ value|number:2 }}``,
  ``{{ value|hours }}``, ``{{ code|sector }}``, ``{{ codes|sectors }}``,
  ``{{ code|rule }}``, ``{{ name|term }}``: numbers and names in the reader's language (``portal.l10n``).
"""

from django import forms, template
from django.forms.boundfield import BoundWidget

from portal import l10n
from portal.messages import render_message as _render_message
from portal.messages import without_full_stop

register = template.Library()


def _widget_class(widget) -> str:
    if isinstance(widget, forms.CheckboxInput):
        return "form-check-input"
    if isinstance(widget, (forms.CheckboxSelectMultiple, forms.RadioSelect)):
        return ""
    if isinstance(widget, (forms.Select, forms.SelectMultiple)):
        return "form-select"
    return "form-control"


@register.filter
def bs(bound_field, extra: str = ""):
    widget = bound_field.field.widget
    classes = [_widget_class(widget), widget.attrs.get("class", ""), extra]
    if bound_field.errors:
        classes.append("is-invalid")
    return bound_field.as_widget(attrs={"class": " ".join(c for c in classes if c)})


@register.filter
def bs_choice(choice, bound_field=None):
    """One checkbox or radio of a multiple-choice field (``{% for choice in field %}``)
    with Bootstrap's ``form-check-input`` class, and ``is-invalid`` when the field has
    errors."""
    attrs = dict(choice.data["attrs"])
    classes = [attrs.get("class", ""), "form-check-input"]
    if bound_field is not None and bound_field.errors:
        classes.append("is-invalid")
    attrs["class"] = " ".join(c for c in classes if c)
    return BoundWidget(choice.parent_widget, {**choice.data, "attrs": attrs}, choice.renderer).tag()


@register.filter
def widget_type(bound_field) -> str:
    return bound_field.widget_type


@register.filter
def render_message(value) -> str:
    return _render_message(value)


@register.filter
def before_full_stop(value) -> str:
    """A value placed right before a sentence's full stop in every language: its own
    final full stop is dropped ("Holding B.V." + "." → "Holding B.V.")."""
    return without_full_stop(value)


def _blank(value) -> bool:
    return value is None or value == ""


@register.filter
def amount(value, places=None) -> str:
    if _blank(value):
        return "—"
    return l10n.amount(value, None if places is None else int(places))


@register.filter
def percent(value, places=1) -> str:
    return "—" if _blank(value) else l10n.percent(value, int(places))


@register.filter
def number(value, places=None) -> str:
    if _blank(value):
        return "—"
    return l10n.number(value, None if places is None else int(places))


@register.filter
def hours(value, places=1) -> str:
    return "—" if _blank(value) else l10n.hours(value, int(places))


@register.filter
def sector(code) -> str:
    return l10n.sector_name(code) if code else "—"


@register.filter
def sectors(codes) -> str:
    return l10n.sector_names(codes or ())


@register.filter
def weekday_and_moment(value) -> str:
    """ "Monday, 7 December 2026, 08:30" in the reader's language (``portal.l10n``)."""
    return l10n.weekday_and_moment(value) if value else ""


@register.filter
def rule(code) -> str:
    return l10n.rule_name(code)


@register.filter
def term(name) -> str:
    return l10n.term(name)


class Countdown:
    """SLA countdowns as of ``now`` in the active language: "due in 5 h" (green), "due in
    40 min" (amber), "overdue 2 d" (red). The texts are translated once, so a list of
    dozens of leads builds each cell with string formatting alone."""

    def __init__(self, now=None):
        from django.utils import formats, timezone
        from django.utils.translation import gettext as _

        self.now = now or timezone.now()
        self.overdue, self.due_in = _("overdue %(span)s"), _("due in %(span)s")
        self.minutes, self.hours, self.days = _("%(n)d min"), _("%(n)d h"), _("%(n)d d")
        self.title_format = formats.get_format("SHORT_DATETIME_FORMAT")

    def span(self, seconds: float) -> str:
        minutes = int(abs(seconds) // 60)
        if minutes < 60:
            return self.minutes % {"n": max(minutes, 1)}
        hours = minutes // 60
        if hours < 48:
            return self.hours % {"n": hours}
        return self.days % {"n": hours // 24}

    def __call__(self, deadline) -> str:
        from django.utils import dateformat, timezone
        from django.utils.html import escape
        from django.utils.safestring import mark_safe

        if deadline is None:
            return ""
        seconds = (deadline - self.now).total_seconds()
        # (the exact moment for the tooltip, in the reader's format)
        title = dateformat.format(timezone.localtime(deadline), self.title_format)
        if seconds <= 0:
            css, icon, text = "sla-overdue", "exclamation-octagon", self.overdue
        else:
            css = "sla-soon" if seconds <= 8 * 3600 else "sla-ok"
            icon, text = "clock", self.due_in
        text = escape(text % {"span": self.span(seconds)})
        return mark_safe(  # the only variable part, the text, is escaped
            f'<span class="{css}" title="{title}"><i class="bi bi-{icon}"></i> {text}</span>'
        )


@register.simple_tag
def due(deadline, now=None):
    """An SLA countdown (see ``Countdown``); lists build one ``Countdown`` per page."""
    return Countdown(now)(deadline)


@register.simple_tag(takes_context=True)
def owner_label(context, owner):
    """An owner snapshot ``{"kind", "id", "name"}`` as this viewer may see it: dealers
    are competitors, so a dealer user sees its own dealer's name and "another dealer"
    for the rest, never their names."""
    from django.utils.translation import gettext as _

    if not owner:
        return "—"
    request = context.get("request")
    user = getattr(request, "user", None)
    membership = user.dealer_membership if user is not None and user.is_authenticated else None
    if (
        membership is not None
        and owner.get("kind") == "dealer"
        and owner.get("id") != membership.dealer_id
    ):
        return _("another dealer")
    if membership is not None and owner.get("kind") == "user":
        return _("the manufacturer's sales team")
    if owner.get("kind") == "queue":
        return l10n.term(owner.get("name")) or "—"
    return owner.get("name") or "—"

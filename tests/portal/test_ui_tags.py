"""The small template helpers lists lean on: the SLA countdown and the filter selects,
whose texts are translated once and reused (per language)."""

from datetime import UTC, datetime, timedelta

from django import forms
from django.utils import translation

from leads.templatetags.lead_filters import filter_select
from portal.templatetags.ui import Countdown, due

NOW = datetime(2026, 11, 24, 10, 0, tzinfo=UTC)


def test_countdown_shows_time_left_and_its_urgency():
    with translation.override("en"):
        countdown = Countdown(NOW)
    assert "sla-ok" in countdown(NOW + timedelta(hours=30)) and "due in 30 h" in countdown(
        NOW + timedelta(hours=30)
    )
    soon = countdown(NOW + timedelta(minutes=40))
    assert "sla-soon" in soon and "due in 40 min" in soon
    late = countdown(NOW - timedelta(days=3))
    assert "sla-overdue" in late and "overdue 3 d" in late
    assert countdown(None) == ""
    with translation.override("en"):
        assert due(NOW + timedelta(minutes=40), NOW) == soon


def test_countdown_speaks_the_language_active_when_it_was_made():
    with translation.override("de"):
        german = Countdown(NOW)
    with translation.override("nl"):
        dutch = Countdown(NOW)
    assert "überfällig" in german(NOW - timedelta(hours=5)).lower()
    assert "te laat" in dutch(NOW - timedelta(hours=5)).lower()


class ColourForm(forms.Form):
    colour = forms.ChoiceField(choices=[("", "Any colour"), ("red", "Red"), ("blue", "Blue")])


def test_filter_select_marks_the_chosen_option_and_escapes_odd_input():
    html = filter_select(ColourForm({"colour": "blue"})["colour"])
    assert '<option value="blue" selected>Blue</option>' in html
    assert '<option value="red">Red</option>' in html
    again = filter_select(ColourForm({"colour": "red"})["colour"])  # a cached set per value
    assert '<option value="red" selected>' in again and 'blue" selected' not in again
    odd = filter_select(ColourForm({"colour": '"><script>'})["colour"])
    assert "<script>" not in odd and " selected" not in odd


def test_filter_select_options_follow_the_language():
    from leads.filters import LeadFilter

    with translation.override("en"):
        english = filter_select(LeadFilter({}).form["temperature"])
    with translation.override("de"):
        german = filter_select(LeadFilter({}).form["temperature"])
    assert "Any temperature" in english
    assert "Any temperature" not in german


class ChoicesForm(forms.Form):
    countries = forms.MultipleChoiceField(
        choices=[("NL", "Netherlands"), ("BE", "Belgium")], widget=forms.CheckboxSelectMultiple
    )
    frequency = forms.ChoiceField(
        choices=[("now", "Immediately"), ("daily", "Daily")], widget=forms.RadioSelect
    )
    agree = forms.BooleanField()


def test_every_checkbox_and_radio_of_a_field_is_a_bootstrap_form_check():
    """The New dealer page showed its country and sector checkboxes unstyled: the
    choices of a multiple checkbox or radio field had no form-check-input class."""
    import re

    from django.template.loader import render_to_string

    for form in (ChoicesForm(), ChoicesForm({"frequency": "never"})):
        html = "".join(
            render_to_string("includes/field.html", {"field": form[name]})
            for name in ("countries", "frequency", "agree")
        )
        inputs = re.findall(r"<input[^>]*>", html)
        assert len(inputs) == 5
        for tag in inputs:
            assert 'class="form-check-input' in tag, tag
        if form.is_bound:
            assert html.count("is-invalid") >= 3  # frequency's choices show the error

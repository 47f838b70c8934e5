"""Regions with public holidays of their own, for the working calendar of an owner.

A dealer or a rep works in a home country and, optionally, a region of it: a German or
Austrian Land, a Swiss canton or a Belgian community. Their SLA clocks skip that
region's holidays too (Corpus Christi in Bavaria, not in Hamburg). A region is stored
with its country's code in front (``"DE-BY"``), since the bare codes of the
``holidays`` library repeat across countries (``BE`` is Berlin and Bern).
"""

import functools

import holidays
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _
from django_countries import countries
from django_countries.fields import CountryField

# The countries whose regions keep holidays of their own that a clock must know about.
REGIONAL_COUNTRIES = ("DE", "AT", "CH", "BE")

# The holidays library names Belgium's communities in English only.
_BELGIAN = {
    "Flemish": _("Flemish Community"),
    "French": _("French Community"),
    "German": _("German-speaking Community"),
}


@functools.cache
def _regions(country: str) -> tuple[tuple[str, str], ...]:
    try:
        calendar = holidays.country_holidays(country)
    except NotImplementedError:
        return ()
    names: dict[str, str] = {}
    for alias, code in getattr(calendar, "subdivisions_aliases", {}).items():
        names.setdefault(code, alias)  # the first alias is the region's own name
    if not names:
        return tuple((f"{country}-{code}", code) for code in calendar.subdivisions)
    # Codes without a name are cities (Augsburg, Stadt Zürich), not regions.
    return tuple((f"{country}-{c}", names[c]) for c in calendar.subdivisions if c in names)


def regions_of(country: str) -> list[tuple[str, str]]:
    """``[("DE-BY", "Bayern"), …]`` for a country of REGIONAL_COUNTRIES, else ``[]``."""
    if country not in REGIONAL_COUNTRIES:
        return []
    return [(code, _BELGIAN.get(name, name)) for code, name in _regions(country)]


def region_choices() -> list:
    """Grouped choices for a select: no region, then each country's regions."""
    return [("", _("No region"))] + [
        (countries.name(country), regions_of(country)) for country in REGIONAL_COUNTRIES
    ]


def validate_region(region: str, country: str) -> None:
    """A region belongs to the home country: raises ValidationError({"region": …})."""
    if not region:
        return
    if region not in dict(regions_of(str(country or ""))):
        raise ValidationError({"region": _("Choose a region of the home country, or no region.")})


def calendar_label(country, region: str) -> str:
    """How an owner's working calendar reads: "Germany · Bayern", or "the lead's country"."""
    code = str(getattr(country, "code", country) or "")
    if not code:
        return str(_("the lead's country"))
    name = dict(regions_of(code)).get(region)
    return f"{countries.name(code)} · {name}" if name else str(countries.name(code))


class WorkingCalendar(models.Model):
    """Where an owner works, for its clocks: a home country and, optionally, a region of
    it (``Dealer`` and ``StaffProfile``). Empty: the lead's country counts."""

    home_country = CountryField(
        _("home country"),
        blank=True,
        help_text=_(
            "This country's working days and public holidays count on the owner's clocks; "
            "empty: the lead's country."
        ),
    )
    region = models.CharField(
        _("region"),
        max_length=24,
        blank=True,
        help_text=_("A Land, canton or community whose own public holidays count too."),
    )

    class Meta:
        abstract = True

    def clean(self):
        super().clean()
        validate_region(self.region, self.home_country)

    def working_calendar(self) -> str:
        """Whose working days count on this owner's clocks, in words."""
        return calendar_label(self.home_country, self.region)

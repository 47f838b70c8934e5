"""Numbers, amounts, percentages and names in the reader's language, for the Python
side of pages, messages and e-mails. Templates use the same through the ``ui`` tags
(``|amount``, ``|percent``, ``|number``, ``|sector``); everything goes through Django's
own localisation (``number_format`` with the active language's separators), so one
language has one format everywhere: "€ 12,000", "50.2 %" in English, "€ 12.000",
"50,2 %" in Dutch and German."""

from decimal import Decimal

from django.utils import formats
from django.utils.translation import gettext
from django_countries import countries

from portal.choices import RULE_LABELS, Sector


def weekday_and_moment(value) -> str:
    """When we call back: "Monday, 7 December 2026, 08:30", "maandag, 7 december 2026
    08:30", "Montag, 7. Dezember 2026 08:30" (in the time zone ``value`` has)."""
    return ", ".join(formats.date_format(value, part) for part in ("l", "DATETIME_FORMAT"))


def number(value, places: int | None = None) -> str:
    """``value`` with the language's thousands and decimal separators ("2.924",
    "1,00"); ``places`` decimals, or as many as ``value`` has."""
    return formats.number_format(value, decimal_pos=places, use_l10n=True, force_grouping=True)


def amount(value, places: int | None = None) -> str:
    """Euros: whole euros without decimals ("€ 12.000"), cents when there are some;
    ``places=0`` rounds to whole euros."""
    value = Decimal(str(value))
    if places is None:
        places = 0 if value == value.to_integral_value() else 2
    return f"€\N{NO-BREAK SPACE}{number(value, places)}"


def percent(value, places: int = 1) -> str:
    """A percentage (50.2 for 50.2 %) with a space before the sign, as Dutch and German
    write it (and our English pages too, for one look)."""
    return f"{number(value, places)}\N{NO-BREAK SPACE}%"


def hours(value, places: int = 1) -> str:
    """A duration in hours ("9.4 h", "9,4 u", "9,4 Std.")."""
    return gettext("%(hours)s h") % {"hours": number(value, places)}


def sector_name(code: str) -> str:
    """A sector's name in the active language ("Automobilindustrie" for automotive);
    an unknown code as it is."""
    try:
        return str(Sector(code).label)
    except ValueError:
        return code


def sector_names(codes) -> str:
    return ", ".join(sector_name(code) for code in codes)


def rule_name(code: str) -> str:
    """A routing rule as people read it ("Territory", "Gebiet"); "—" for none."""
    return str(RULE_LABELS.get(code, code)) if code else "—"


def country_name(code: str) -> str:
    """A country's name in the active language ("Deutschland", "Duitsland")."""
    return str(countries.name(code)) or code


def term(name: str) -> str:
    """A name of the portal's own vocabulary stored in English (a queue's name),
    translated."""
    return gettext(name) if name else ""

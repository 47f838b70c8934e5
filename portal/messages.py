"""Translatable messages stored as data.

Routing reasons, event reasons and notifications are stored as
``{"msgid": "...", "params": {...}}`` so each reader sees them in their own language:
the msgid is marked with ``gettext_noop`` where it is written and translated when it
is shown. Free text (a dealer's note) is stored as ``{"text": "..."}``; a text that
code wrote in every language at once as ``texts({"en": ..., "nl": ..., "de": ...})``.

A value that each reader sees in their own format or language is stored typed, as a
one-key dict, and formatted when the message is shown (``portal.l10n``):

- ``moment(value)``: a deadline or a date ("26/11/2026 08:53", "26-11-2026 08:53",
  "26.11.2026 08:53");
- ``amount(value)``: euros ("€ 12,000", "€ 12.000");
- ``number(value)``: a decimal with its places ("2.00", "2,00");
- ``percent(value)``: a percentage ("50.2 %", "50,2 %");
- ``sector(code)``, ``sectors(codes)``, ``country(code)``: the name in the reader's
  language ("Automobilindustrie", "Deutschland");
- ``term(name)``: a name of the portal's own vocabulary, translated (queue names).

Whole numbers (counts) get the reader's thousands separator ("2,924", "2.924"). The
routing engine writes the same dicts without Django (``leads.routing``).

Every sentence gets its values through ``interpolate``: a name that ends with a full
stop ("Jansen Holding B.V.") at the end of a sentence takes the sentence's full stop
("You rejected Jansen Holding B.V. It has gone…", not "B.V.. It has gone…"). Code that
composes a sentence itself (a page's message) calls it too; templates mark such a value
with the ``before_full_stop`` filter.
"""

import re
from collections.abc import Mapping
from datetime import date, datetime
from decimal import Decimal, InvalidOperation

from django.utils import formats, timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.translation import get_language, gettext

from portal import l10n

TYPED = ("at", "date", "amount", "number", "percent", "sector", "sectors", "country", "term")

_VALUE_BEFORE_FULL_STOP = re.compile(r"(?<!%)%\((\w+)\)s\.")


def interpolate(template: str, params: Mapping) -> str:
    """``template % params``, with one full stop where a value that ends with one comes
    right before the sentence's own ("… Holding B.V.. It …" → "… Holding B.V. It …")."""

    def one_stop(match: re.Match) -> str:
        value = params.get(match.group(1))
        if value is not None and str(value).endswith("."):
            return match.group(0)[:-1]
        return match.group(0)

    return _VALUE_BEFORE_FULL_STOP.sub(one_stop, template) % params


def without_full_stop(value) -> str:
    """``value`` without its final full stop, for a template that puts it right before
    the sentence's own (the ``before_full_stop`` filter)."""
    text = "" if value is None else str(value)
    return text[:-1] if text.endswith(".") else text


def message(msgid: str, **params) -> dict:
    return {"msgid": msgid, "params": {k: _plain(v) for k, v in params.items()}}


def text(value: str) -> dict:
    return {"text": value}


def texts(by_language: dict[str, str]) -> dict:
    """One text written in each language (by code that translates as it writes, such
    as the field cleaner's errors), shown in the reader's language or English."""
    return {"texts": dict(by_language)}


def parts(*messages: dict) -> dict:
    """Several messages shown as one paragraph (a reason and the expected action)."""
    return {"parts": list(messages)}


def moment(value: datetime | date | None) -> dict | str:
    """A date or a point in time as a message parameter (see the module docstring)."""
    if not value:
        return ""
    if isinstance(value, datetime):
        return {"at": value.isoformat()}
    return {"date": value.isoformat()}


def amount(value: Decimal | int | None) -> dict | str:
    """Euros as a message parameter (see the module docstring)."""
    return {"amount": str(value)} if value is not None else ""


def number(value: Decimal | float | int) -> dict:
    """A decimal number as a message parameter, shown with the places it has."""
    return {"number": str(value)}


def percent(value: Decimal | float, places: int = 1) -> dict:
    """A percentage (50.2 for 50.2 %) as a message parameter."""
    return {"percent": f"{value:.{places}f}"}


def sector(code: str) -> dict:
    return {"sector": code}


def sectors(codes) -> dict:
    return {"sectors": sorted(codes)}


def country(code: str) -> dict:
    return {"country": str(code)}


def term(name: str) -> dict:
    """A name of the portal's own vocabulary (a queue's), translated when shown."""
    return {"term": name}


def _plain(value):
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    if isinstance(value, dict) and len(value) == 1 and next(iter(value)) in TYPED:
        return value
    return str(value)


def _decimal(value) -> Decimal | None:
    try:
        return Decimal(str(value))
    except (InvalidOperation, ValueError):
        return None


def _shown(value):
    """A parameter as the reader sees it (see the module docstring): moments in their
    language's short format, in the portal's time zone; numbers, amounts and
    percentages in their format; sectors, countries and terms in their language."""
    if isinstance(value, bool) or not isinstance(value, (Mapping, int)):
        return value
    if isinstance(value, int):
        return l10n.number(value)
    if len(value) != 1 or (kind := next(iter(value))) not in TYPED:
        return str(value)
    raw = value[kind]
    if kind == "at" and (at := parse_datetime(str(raw))):
        return formats.date_format(timezone.localtime(at), "SHORT_DATETIME_FORMAT")
    if kind == "date" and (day := parse_date(str(raw))):
        return formats.date_format(day, "SHORT_DATE_FORMAT")
    if kind in ("amount", "number", "percent") and (figure := _decimal(raw)) is not None:
        places = max(-figure.as_tuple().exponent, 0)
        if kind == "amount":
            return l10n.amount(figure)
        if kind == "percent":
            return l10n.percent(figure, places)
        return l10n.number(figure, places)
    if kind == "sector":
        return l10n.sector_name(str(raw))
    if kind == "sectors" and isinstance(raw, list):
        return l10n.sector_names(raw)
    if kind == "country":
        return l10n.country_name(str(raw))
    if kind == "term":
        return l10n.term(str(raw))
    return str(raw)


def render_message(value) -> str:
    """Render a stored message in the active language; tolerant of old or odd data."""
    if not value:
        return ""
    if isinstance(value, str):
        return value
    if not isinstance(value, Mapping):
        return str(value)
    if "text" in value:
        return str(value["text"])
    if isinstance(value.get("texts"), Mapping):
        by_language = value["texts"]
        shown = by_language.get(get_language()) or by_language.get("en")
        return str(shown or next(iter(by_language.values()), ""))
    if "parts" in value:
        return " ".join(filter(None, (render_message(part) for part in value["parts"])))
    msgid = value.get("msgid", "")
    translated = gettext(msgid) if msgid else ""
    params = {
        # a %(n)d placeholder takes the number itself
        key: param if f"%({key})d" in translated else _shown(param)
        for key, param in (value.get("params") or {}).items()
    }
    try:
        return interpolate(translated, params) if params else translated
    except (KeyError, TypeError, ValueError):
        try:
            return interpolate(msgid, params)
        except (KeyError, TypeError, ValueError):
            return msgid

"""Translatable messages stored as data.

Routing reasons, event reasons and notifications are stored as
``{"msgid": "...", "params": {...}}`` so each reader sees them in their own language:
the msgid is marked with ``gettext_noop`` where it is written and translated when it
is shown. Free text (a dealer's note) is stored as ``{"text": "..."}``. A moment in a
message (a deadline, an expiry date) is stored as ``moment(value)`` and shown in the
reader's date format ("26/11/2026 08:53", "26-11-2026 08:53", "26.11.2026 08:53").

Every sentence gets its values through ``interpolate``: a name that ends with a full
stop ("Jansen Holding B.V.") at the end of a sentence takes the sentence's full stop
("You rejected Jansen Holding B.V. It has gone…", not "B.V.. It has gone…"). Code that
composes a sentence itself (a page's message) calls it too; templates mark such a value
with the ``before_full_stop`` filter.
"""

import re
from collections.abc import Mapping
from datetime import date, datetime

from django.utils import formats, timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.translation import gettext

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


def _plain(value):
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    if isinstance(value, dict) and value.keys() in ({"at"}, {"date"}):
        return value
    return str(value)


def _shown(value):
    """A parameter as the reader sees it: moments in their language's short format, in
    the portal's time zone; anything else as it is."""
    if not isinstance(value, Mapping):
        return value
    if at := parse_datetime(str(value.get("at", ""))):
        return formats.date_format(timezone.localtime(at), "SHORT_DATETIME_FORMAT")
    if day := parse_date(str(value.get("date", ""))):
        return formats.date_format(day, "SHORT_DATE_FORMAT")
    return str(value)


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
    if "parts" in value:
        return " ".join(filter(None, (render_message(part) for part in value["parts"])))
    msgid = value.get("msgid", "")
    params = {key: _shown(param) for key, param in (value.get("params") or {}).items()}
    translated = gettext(msgid) if msgid else ""
    try:
        return interpolate(translated, params) if params else translated
    except (KeyError, TypeError, ValueError):
        try:
            return interpolate(msgid, params)
        except (KeyError, TypeError, ValueError):
            return msgid

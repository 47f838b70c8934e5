"""Translatable messages stored as data.

Routing reasons, event reasons and notifications are stored as
``{"msgid": "...", "params": {...}}`` so each reader sees them in their own language:
the msgid is marked with ``gettext_noop`` where it is written and translated when it
is shown. Free text (a dealer's note) is stored as ``{"text": "..."}``.
"""

from collections.abc import Mapping

from django.utils.translation import gettext


def message(msgid: str, **params) -> dict:
    return {"msgid": msgid, "params": {k: _plain(v) for k, v in params.items()}}


def text(value: str) -> dict:
    return {"text": value}


def parts(*messages: dict) -> dict:
    """Several messages shown as one paragraph (a reason and the expected action)."""
    return {"parts": list(messages)}


def _plain(value):
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
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
    params = value.get("params") or {}
    translated = gettext(msgid) if msgid else ""
    try:
        return translated % params if params else translated
    except (KeyError, TypeError, ValueError):
        try:
            return msgid % params
        except (KeyError, TypeError, ValueError):
            return msgid

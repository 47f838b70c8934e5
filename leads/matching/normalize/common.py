"""What every identifier shares: the errors (English for a person, ``text(gettext)``
in the active language) and the Unicode folding of raw input."""

from __future__ import annotations

import unicodedata

from cleanco.non_nfkd_map import NON_NFKD_MAP
from stdnum import exceptions as stdnum_exceptions


def gettext_noop(message: str) -> str:
    """Marks a message for translation (``makemessages`` finds these calls) while this
    module stays free of Django; the Django layer translates with ``error.text(gettext)``."""
    return message


def _same(message: str) -> str:
    return message


class NormalizationError(ValueError):
    """Input that cannot be normalised. ``str(error)`` is an English message for a
    person; ``error.text(gettext)`` the same in the active language. ``reason`` is the
    English reason alone ("wrong check digit")."""

    template = gettext_noop("%(value)s is not valid: %(reason)s")

    def __init__(self, value: str, reason: str, **params) -> None:
        self.value = value
        self.reason_msgid, self.params = reason, params
        self.reason = reason % params if params else reason
        super().__init__(self.text())

    def text(self, translate=_same) -> str:
        return translate(self.template) % {"value": self.value, "reason": self._reason(translate)}

    def _reason(self, translate) -> str:
        reason = translate(self.reason_msgid)
        return reason % self.params if self.params else reason


class InvalidVat(NormalizationError):
    template = gettext_noop("%(value)s is not a valid VAT number: %(reason)s")


class InvalidCoc(NormalizationError):
    template = gettext_noop("%(value)s is not a valid chamber of commerce number: %(reason)s")


# The error names the country ("not a valid German postcode", not "DE postcode"); the
# adjective is part of each sentence, so every language can inflect it.
_POSTCODE_ERRORS = {
    "NL": gettext_noop("'%(value)s' is not a valid Dutch postcode: %(reason)s"),
    "BE": gettext_noop("'%(value)s' is not a valid Belgian postcode: %(reason)s"),
    "DE": gettext_noop("'%(value)s' is not a valid German postcode: %(reason)s"),
    "AT": gettext_noop("'%(value)s' is not a valid Austrian postcode: %(reason)s"),
    "CH": gettext_noop("'%(value)s' is not a valid Swiss postcode: %(reason)s"),
    "LU": gettext_noop("'%(value)s' is not a valid Luxembourg postcode: %(reason)s"),
}


class InvalidPostcode(NormalizationError):
    def __init__(self, value: str, country: str, reason: str, **params) -> None:
        self.country = country
        super().__init__(value, reason, **params)

    def text(self, translate=_same) -> str:
        reason = self._reason(translate)
        country = self.country
        if country in _POSTCODE_ERRORS:
            template = _POSTCODE_ERRORS[country]
        elif country:
            template = gettext_noop(
                "'%(value)s' is not a valid postcode in %(country)s: %(reason)s"
            )
            country = country_name(country)
        else:
            template = gettext_noop("'%(value)s' is not a valid postcode: %(reason)s")
        return translate(template) % {"value": self.value, "country": country, "reason": reason}


def country_name(code: str) -> str:
    """The country's name in the active language when Django runs (django-countries'
    names are lazy translations), else its code."""
    try:
        from django_countries.data import COUNTRIES

        return str(COUNTRIES.get(code, code))
    except Exception:  # no configured Django: the code is still a name of sorts
        return code


def nfkc(text: str | None) -> str:
    return unicodedata.normalize("NFKC", text or "").strip()


def fold(text: str) -> str:
    """Casefold and strip accents (NFKD without combining marks, plus cleanco's map)."""
    if text.isascii():  # most names: nothing to decompose or map
        return text.lower()
    decomposed = unicodedata.normalize("NFKD", unicodedata.normalize("NFKC", text).casefold())
    return "".join(
        NON_NFKD_MAP.get(char, char) for char in decomposed if unicodedata.category(char) != "Mn"
    ).casefold()


def stdnum_reason(error: stdnum_exceptions.ValidationError) -> str:
    if isinstance(error, stdnum_exceptions.InvalidLength):
        return gettext_noop("wrong length")
    if isinstance(error, stdnum_exceptions.InvalidChecksum):
        return gettext_noop("wrong check digit")
    if isinstance(error, stdnum_exceptions.InvalidComponent):
        return gettext_noop("contains a part that does not exist")
    return gettext_noop("wrong format")

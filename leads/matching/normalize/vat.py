"""VAT numbers: compact, with their country prefix, checked by python-stdnum; a Swiss
number becomes its UID."""

from __future__ import annotations

import re

from stdnum import exceptions as stdnum_exceptions
from stdnum.ch import uid as ch_uid
from stdnum.ch import vat as ch_vat
from stdnum.eu import vat as eu_vat
from stdnum.gb import vat as gb_vat

from leads.matching.normalize.common import InvalidVat, gettext_noop, nfkc, stdnum_reason

# VAT prefix per ISO country; Greece uses EL, Switzerland CHE (not an EU member).
_VAT_PREFIXES: dict[str, str] = {cc.upper(): cc.upper() for cc in eu_vat.MEMBER_STATES}
_VAT_PREFIXES.update({"GR": "EL", "XI": "XI", "GB": "GB", "CH": "CHE"})
_KNOWN_VAT_PREFIXES = frozenset(_VAT_PREFIXES.values()) - {"CHE"}
_SWISS_VAT_SUFFIXES = ("MWST", "TVA", "IVA", "TPV")
# Length of the part after the prefix, to report "wrong length" instead of "wrong format".
_VAT_BODY_LENGTHS = {
    "NL": {12},
    "BE": {9, 10},
    "DE": {9},
    "AT": {9},
    "LU": {8},
    "FR": {11},
}
_VAT_SEPARATORS = re.compile(r"[\s.\-/,:()]+")


def normalize_vat(vat: str | None, country: str | None = None) -> str:
    """Validated compact VAT number with its country prefix.

    >>> normalize_vat("NL 0044.95.445.B01")
    'NL004495445B01'
    >>> normalize_vat("004495445B01", country="NL")
    'NL004495445B01'

    `country` (ISO alpha-2) supplies the prefix when the number has none. A number
    that carries another country's prefix keeps it. Returns "" for empty input and
    raises `InvalidVat` for anything else that is not a valid EU, Swiss or UK VAT
    number. Swiss numbers are returned as the UID ("CHE107787577").
    """
    raw = nfkc(vat)
    if not raw:
        return ""
    number = _VAT_SEPARATORS.sub("", raw).upper()
    if not number.isalnum() or not number.isascii():
        raise InvalidVat(raw, gettext_noop("contains characters that are not allowed"))
    expected = _VAT_PREFIXES.get((country or "").strip().upper())
    if number.startswith("CHE"):
        prefix = "CHE"
    elif number[:2] in _KNOWN_VAT_PREFIXES:
        prefix = number[:2]
    elif number[:2].isalpha() and expected != "FR":  # only French numbers start with 2 letters
        raise InvalidVat(
            raw, gettext_noop("%(prefix)s is not a VAT country prefix"), prefix=number[:2]
        )
    elif expected:
        prefix = expected
        number = expected + number
    elif country and country.strip():
        raise InvalidVat(
            raw,
            gettext_noop("no country prefix, and no VAT format is known for %(country)s"),
            country=country,
        )
    else:
        raise InvalidVat(raw, gettext_noop("the country prefix is missing (for example NL or DE)"))
    try:
        if prefix == "CHE":
            suffix = number[12:]
            if suffix.isalpha() and suffix not in _SWISS_VAT_SUFFIXES:
                raise InvalidVat(
                    number,
                    gettext_noop("ends in %(suffix)s instead of MWST, TVA or IVA"),
                    suffix=suffix,
                )
            if suffix:
                return ch_vat.validate(number)[:12]
            return ch_uid.validate(number)
        if prefix == "GB":
            return "GB" + gb_vat.validate(number)
        return eu_vat.validate(number)
    except stdnum_exceptions.ValidationError as error:
        reason = stdnum_reason(error)
        lengths = _VAT_BODY_LENGTHS.get(prefix)
        if reason == "wrong format" and lengths and len(number) - len(prefix) not in lengths:
            reason = gettext_noop("wrong length")
        raise InvalidVat(number, reason) from error

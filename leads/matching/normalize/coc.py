"""Chamber of commerce / company register numbers, per country."""

from __future__ import annotations

import re

from stdnum import exceptions as stdnum_exceptions
from stdnum.be import vat as be_vat
from stdnum.ch import uid as ch_uid
from stdnum.de import handelsregisternummer

from leads.matching.normalize.common import InvalidCoc, fold, gettext_noop, nfkc, stdnum_reason

_COC_SEPARATORS = re.compile(r"[\s.\-/,:_()]+")
_NL_KVK_LABEL = re.compile(r"^(?:KVK|NL)(?:-?(?:NR|NUMMER|NUMBER|NO))?", re.IGNORECASE)
_DE_COURT_LABEL = re.compile(r"^(?:Amtsgericht|Registergericht|AG)\b\.?\s*", re.IGNORECASE)
_AT_FIRMENBUCH = re.compile(r"(?:FN)?(?P<number>[0-9]{1,6}[A-Z])")
_LU_RCS_LABEL = re.compile(r"^R\.?\s*C\.?\s*S\.?(?:\s*Luxembourg)?[\s,:]*", re.IGNORECASE)


def _generic_coc(raw: str) -> str:
    return _COC_SEPARATORS.sub("", fold(raw)).upper()


# What Lead.coc_number holds; a longer compact number is refused, not cut.
COC_MAX_LENGTH = 30


def normalize_coc(number: str | None, country: str) -> str:
    """Compact chamber-of-commerce / company register number for `country`, at most
    `COC_MAX_LENGTH` characters (see `_normalize_coc`)."""
    compact = _normalize_coc(number, country)
    if len(compact) > COC_MAX_LENGTH:
        raise InvalidCoc(
            nfkc(number),
            gettext_noop("longer than %(max)s characters"),
            max=COC_MAX_LENGTH,
        )
    return compact


def _normalize_coc(number: str | None, country: str) -> str:
    """Compact chamber-of-commerce / company register number for `country`.

    * NL: KvK number, exactly 8 digits ("KvK 1234 5678" -> "12345678"); anything else
      raises `InvalidCoc`.
    * BE: enterprise number (KBO/BCE), validated with stdnum's be.vat, returned as 10
      digits ("0403.019.261" -> "0403019261"); invalid -> `InvalidCoc`.
    * CH: a UID ("CHE-...") is validated and returned as "CHE123456789".
    * DE: Handelsregister text; when stdnum recognises the court the canonical
      "<court> <register> <number>" is used, so "HRB 86786, Amtsgericht München" ==
      "München HRB 86786". The result is folded, uppercase, without spaces
      ("MUNCHENHRB86786").
    * AT: Firmenbuchnummer with "FN" prefix ("123456 a" -> "FN123456A").
    * LU: RCS number without the "RCS Luxembourg" label ("RCS Luxembourg B 123456"
      -> "B123456").
    * Others (and DE text stdnum cannot parse): accents stripped, uppercase, spaces,
      dots, dashes, slashes and commas removed ("FN 123456 a" -> "FN123456A").

    Returns "" for empty input.
    """
    raw = nfkc(number)
    if not raw:
        return ""
    cc = (country or "").strip().upper()
    if cc == "NL":
        digits = _NL_KVK_LABEL.sub("", _COC_SEPARATORS.sub("", raw))
        if not digits.isdigit() or not digits.isascii():
            raise InvalidCoc(raw, gettext_noop("a KvK number has only digits"))
        if len(digits) != 8:
            raise InvalidCoc(
                raw,
                gettext_noop("a KvK number has 8 digits, this one has %(count)s"),
                count=len(digits),
            )
        if int(digits) == 0:
            raise InvalidCoc(raw, gettext_noop("a KvK number cannot be all zeros"))
        return digits
    if cc == "BE":
        try:
            return be_vat.validate(raw)
        except stdnum_exceptions.ValidationError as error:
            raise InvalidCoc(raw, stdnum_reason(error)) from error
    if cc == "CH" and _generic_coc(raw).startswith("CHE"):
        try:
            return ch_uid.validate(raw)
        except stdnum_exceptions.ValidationError as error:
            raise InvalidCoc(raw, stdnum_reason(error)) from error
    if cc == "AT":
        compact = _generic_coc(raw)
        match = _AT_FIRMENBUCH.fullmatch(compact)
        return "FN" + match.group("number") if match else compact
    if cc == "LU":
        return _generic_coc(_LU_RCS_LABEL.sub("", raw))
    if cc == "DE":
        text = raw
        if "," in text:  # "HRB 86786, Amtsgericht München"
            head, _, tail = text.partition(",")
            text = f"{head.strip()} {_DE_COURT_LABEL.sub('', tail.strip())}"
        text = _DE_COURT_LABEL.sub("", text)
        try:
            return _generic_coc(handelsregisternummer.validate(text))
        except stdnum_exceptions.ValidationError:
            pass
    return _generic_coc(raw)

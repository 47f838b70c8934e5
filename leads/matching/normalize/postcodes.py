"""Postcodes of the countries we route: their display form and the number used for
range lookups."""

from __future__ import annotations

import re

from leads.matching.normalize.common import InvalidPostcode, gettext_noop, nfkc

POSTCODE_DIGITS: dict[str, int] = {"NL": 4, "BE": 4, "AT": 4, "CH": 4, "LU": 4, "DE": 5}

# Country prefixes people write in front of a postcode ("B-1000", "D-01067", "L-1234").
_POSTCODE_PREFIXES = {
    "NL": ("NL",),
    "BE": ("BE", "B"),
    "AT": ("AT", "A"),
    "CH": ("CH",),
    "LU": ("LU", "L"),
    "DE": ("DE", "D"),
}
_POSTCODE_EXAMPLES = {
    "NL": "3011 AB",
    "BE": "1000",
    "AT": "1010",
    "CH": "8001",
    "LU": "1234",
    "DE": "01067",
}
_NL_POSTCODE = re.compile(r"(?P<digits>[0-9]{4}) ?(?P<letters>[A-Z]{2})?")
_NL_FORBIDDEN_LETTERS = frozenset({"SA", "SD", "SS"})
_OTHER_POSTCODE = re.compile(r"[^\W_](?:[^\W_]| |-)*")
_LEADING_DIGITS = re.compile(r"[0-9]+")


def normalize_postcode(country: str, postcode: str | None) -> tuple[str, int | None]:
    """(display form, routing number) of a postcode; raises `InvalidPostcode`.

    * NL: 4 digits (first 1-9), optionally 2 letters (not SA, SD, SS):
      "3011ab" -> ("3011 AB", 3011); "3011" -> ("3011", 3011).
    * BE, AT, CH, LU: 4 digits 1000-9999: "B-1000" -> ("1000", 1000),
      "L-1234" -> ("1234", 1234).
    * DE: exactly 5 digits, leading zero kept: "D-01067" -> ("01067", 1067).
    * other countries: up to 12 letters, digits, spaces or dashes, uppercased; the
      number is the leading run of digits or None: "SW1A 1AA" -> ("SW1A 1AA", None).

    For the countries in `POSTCODE_DIGITS` the number is always an int.
    """
    cc = (country or "").strip().upper()
    raw = nfkc(postcode)
    text = " ".join(raw.upper().split())
    if not text:
        raise InvalidPostcode(raw, cc, gettext_noop("the postcode is empty"))
    if cc not in POSTCODE_DIGITS:
        if len(text) > 12 or not _OTHER_POSTCODE.fullmatch(text):
            raise InvalidPostcode(
                raw, cc, gettext_noop("use at most 12 letters, digits, spaces or dashes")
            )
        leading = _LEADING_DIGITS.match(text)
        return text, int(leading.group()) if leading else None

    prefixes = "|".join(_POSTCODE_PREFIXES[cc])
    text = re.sub(rf"^(?:{prefixes})[ -]?(?=[0-9])", "", text)
    digits = POSTCODE_DIGITS[cc]
    example = _POSTCODE_EXAMPLES[cc]
    if cc == "NL":
        match = _NL_POSTCODE.fullmatch(text)
        if not match:
            raise InvalidPostcode(
                raw,
                cc,
                gettext_noop(
                    "expected 4 digits, optionally followed by 2 letters, like %(example)s"
                ),
                example=example,
            )
        number, letters = match.group("digits"), match.group("letters")
        if number[0] == "0":
            raise InvalidPostcode(raw, cc, gettext_noop("a Dutch postcode does not start with 0"))
        if letters in _NL_FORBIDDEN_LETTERS:
            raise InvalidPostcode(
                raw,
                cc,
                gettext_noop("the letters %(letters)s are not used in postcodes"),
                letters=letters,
            )
        display = f"{number} {letters}" if letters else number
        return display, int(number)
    if not (text.isdigit() and text.isascii() and len(text) == digits):
        raise InvalidPostcode(
            raw,
            cc,
            gettext_noop("expected exactly %(digits)s digits, like %(example)s"),
            digits=digits,
            example=example,
        )
    if cc == "DE":
        if text.startswith("00"):
            raise InvalidPostcode(raw, cc, gettext_noop("German postcodes do not start with 00"))
    elif text[0] == "0":
        raise InvalidPostcode(
            raw,
            cc,
            gettext_noop("expected a number from 1000 to 9999, like %(example)s"),
            example=example,
        )
    return text, int(text)


def _any_case(text: str) -> str:
    return "".join(f"[{char}{char.lower()}]" if char.isalpha() else char for char in text)


def postcode_pattern(country: str) -> str:
    """The postcode syntax for ``country`` as a regular expression that reads the same in
    Python and in JSON Schema (JavaScript): every string it matches is accepted by
    `normalize_postcode`, which also takes more (other spacing, Unicode digits). The API
    holds clients to this syntax and publishes it in its schema: letters in either
    case, the country prefix ("D-") and the space of a Dutch postcode optional, spaces
    around it allowed.
    """
    cc = (country or "").strip().upper()
    if cc not in POSTCODE_DIGITS:
        return r"^ *[A-Za-z0-9][A-Za-z0-9 -]{0,11} *$"
    prefixes = "|".join(_any_case(prefix) for prefix in _POSTCODE_PREFIXES[cc])
    prefix = rf"(?:(?:{prefixes})[ -]?)?"
    if cc == "NL":
        letters = r"(?: ?(?:[A-RT-Za-rt-z][A-Za-z]|[Ss][BCE-RT-Zbce-rt-z]))?"
        return rf"^ *{prefix}[1-9][0-9]{{3}}{letters} *$"
    if cc == "DE":
        return rf"^ *{prefix}(?:0[1-9]|[1-9][0-9])[0-9]{{3}} *$"
    return rf"^ *{prefix}[1-9][0-9]{{3}} *$"

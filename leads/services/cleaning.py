"""The one field cleaner: every way a lead or a claim arrives is checked by these rules.

A lead arrives through the API, the inquiry form, a CSV import or a dealer's send-in; a
claim through the claim form or the claims API. They share their fields about a company
and a contact, and each field has one rule and one message, whichever way it came:

- text is stripped, may not hold control characters (PostgreSQL cannot store a NUL) and
  may be as long as its column (the model's ``max_length``; long texts 5,000 characters);
- the company name and the country are required; a lead also needs an e-mail address or
  a phone number to reach the contact;
- the country is an ISO code we know; the postcode is normalised for that country; VAT
  and chamber-of-commerce numbers are validated and compacted (python-stdnum);
- an e-mail address is a valid address, kept in lower case;
- a phone number is one the ``phonenumbers`` library (Google's libphonenumber data)
  knows as valid, read with the lead's country as the default ("010 123 4567" in NL),
  and kept in international form ("+31 10 123 4567");
- an amount is a finite, non-negative number below ten billion, kept to the cent (NaN,
  Infinity and 1e20 are refused, not stored);
- choices (sector, temperature, language) are codes we know; a lead's interest decides
  its temperature when none was given.

``clean_lead_fields`` and ``clean_claim_fields`` raise ``ValidationError`` with the
messages per field, in the active language. Both take the model's field names.
"""

import functools
import re
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

import phonenumbers
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import models
from django.utils.formats import number_format
from django.utils.translation import gettext
from django.utils.translation import gettext as _

from dealers.models import Claim
from leads.matching.normalize import (
    InvalidCoc,
    InvalidPostcode,
    InvalidVat,
    is_known_country,
    normalize_coc,
    normalize_postcode,
    normalize_vat,
)
from leads.models import Lead
from portal.api import CONTROL as CONTROL_CHARACTERS
from portal.choices import Language, Sector

# Interest → temperature (DESIGN.md: hot = demo or price requested; warm = content
# download, webinar).
INTEREST_TEMPERATURE = {
    "demo": Lead.Temperature.HOT,
    "price": Lead.Temperature.HOT,
    "quote": Lead.Temperature.HOT,
    "content": Lead.Temperature.WARM,
    "webinar": Lead.Temperature.WARM,
    "newsletter": Lead.Temperature.COLD,
    "other": Lead.Temperature.WARM,
}
# (``TextChoices.values`` builds a new list on every call; these run per imported row)
SECTORS = frozenset(Sector.values)
TEMPERATURES = frozenset(Lead.Temperature.values)
LANGUAGES = frozenset(Language.values)

# Free texts without a column limit (a lead's message, a claim's notes).
LONG_TEXT = 5000
# The largest amount we keep: the columns hold 12 digits, two of them cents.
MAX_AMOUNT = Decimal("1e10")
CENT = Decimal("0.01")
# C0 control characters other than tab, line feed and carriage return, and DEL (the API
# refuses them with the same message before it trims the text).
CONTROL = re.compile(f"[{CONTROL_CHARACTERS}]")

# The text fields each model takes from a submission; identifiers and choices have
# rules of their own below.
LEAD_TEXT = ("company_name", "website", "city", "contact_name", "contact_role", "contact_phone")
LEAD_TEXT += ("external_id", "message")
CLAIM_TEXT = ("company_name", "website", "contact_name", "notes")
CLAIM_FIELDS = (*CLAIM_TEXT, "vat_number", "country", "postcode", "contact_email", "expected_value")


def clean_lead_fields(data: Mapping[str, Any]) -> dict:
    """A lead's fields, validated and normalised (see the module's rules)."""
    fields = _Fields(data, model=Lead)
    for name in LEAD_TEXT:
        fields.text(name)
    fields.require_company()
    fields.identifiers(coc=True)
    fields.email()
    fields.phone("contact_phone")
    if not (fields.cleaned["contact_email"] or fields.cleaned["contact_phone"]):
        fields.error("contact_email", _("Give the contact's e-mail address or phone number."))
    fields.amount("estimated_value")
    fields.lead_choices()
    return fields.result()


def clean_claim_fields(data: Mapping[str, Any]) -> dict:
    """A claim's company fields, validated and normalised (see the module's rules)."""
    fields = _Fields({name: data.get(name) for name in CLAIM_FIELDS}, model=Claim)
    for name in CLAIM_TEXT:
        fields.text(name)
    fields.require_company()
    fields.identifiers(coc=False)
    fields.email()
    fields.amount("expected_value")
    return fields.result()


class _Fields:
    """The cleaning of one submission: what was cleaned and what was wrong."""

    def __init__(self, data: Mapping[str, Any], *, model: type[models.Model]):
        self.data = data
        self.model = model
        self.cleaned: dict[str, Any] = dict(data)
        self.errors: dict[str, list[str]] = {}

    def error(self, name: str, text: str) -> None:
        self.errors.setdefault(name, []).append(text)

    def result(self) -> dict:
        if self.errors:
            raise ValidationError(self.errors)
        return self.cleaned

    def raw(self, name: str) -> str:
        value = self.data.get(name)
        return "" if value is None else str(value).strip()

    def text(self, name: str) -> str:
        value = self.raw(name)
        limit = self.model._meta.get_field(name).max_length or LONG_TEXT
        if CONTROL.search(value):
            self.error(name, _("Remove the control characters (such as a NUL byte) from the text."))
        elif len(value) > limit:
            self.error(
                name,
                _("Use at most %(limit)s characters (this has %(length)s).")
                % {"limit": _count(limit), "length": _count(len(value))},
            )
        self.cleaned[name] = value
        return value

    def require_company(self) -> None:
        if not self.cleaned["company_name"] and "company_name" not in self.errors:
            self.error("company_name", _("The company name is required."))
        country = str(getattr(self.data.get("country"), "code", None) or self.raw("country"))
        country = country.upper()
        if not country:
            self.error("country", _("Choose the company's country (an ISO code such as NL or DE)."))
        elif not is_known_country(country):
            self.error(
                "country",
                _("Unknown country code %(code)s: use an ISO 3166 code such as NL, BE or DE.")
                % {"code": country[:20]},
            )
        self.cleaned["country"] = country

    def identifiers(self, *, coc: bool) -> None:
        """Postcode (for the country), VAT and chamber-of-commerce numbers."""
        country = self.cleaned["country"] if "country" not in self.errors else ""
        postcode = self.raw("postcode")
        self.cleaned["postcode"], self.cleaned["postcode_number"] = "", None
        if postcode and country:
            try:
                self.cleaned["postcode"], self.cleaned["postcode_number"] = normalize_postcode(
                    country, postcode
                )
            except InvalidPostcode as error:
                self.error("postcode", error.text(gettext))
        vat = self.raw("vat_number")
        self.cleaned["vat_number"] = ""
        if vat:
            try:
                self.cleaned["vat_number"] = normalize_vat(vat, country or None)
            except InvalidVat as error:
                self.error("vat_number", error.text(gettext))
        if not coc:
            return
        number = self.raw("coc_number")
        self.cleaned["coc_number"] = ""
        if number and country:
            try:
                self.cleaned["coc_number"] = normalize_coc(number, country)
            except InvalidCoc as error:
                self.error("coc_number", error.text(gettext))

    def email(self) -> None:
        email = self.raw("contact_email").lower()
        if email:
            try:
                validate_email(email)
            except ValidationError:
                self.error("contact_email", _("Enter a valid e-mail address."))
        self.cleaned["contact_email"] = email

    def phone(self, name: str) -> None:
        """A number someone can call, read with the company's country as the default
        region, kept in international form."""
        value = self.cleaned.get(name, "")
        if not value or name in self.errors:
            return
        country = self.cleaned.get("country") if "country" not in self.errors else None
        region = country if country in phonenumbers.SUPPORTED_REGIONS else None
        international = _phone_international(value, region)
        if international is None:
            self.error(
                name,
                _("Enter a phone number we can call, such as %(example)s.")
                % {"example": _phone_example(region or "NL")},
            )
            return
        self.cleaned[name] = international

    def amount(self, name: str) -> None:
        value = self.data.get(name)
        self.cleaned[name] = None
        if value is None or (isinstance(value, str) and not value.strip()):
            return
        try:
            amount = Decimal(str(value).strip())
        except (InvalidOperation, ValueError):
            amount = None
        if amount is None or not amount.is_finite():
            self.error(name, _("Give the value as a number, such as 45000."))
        elif amount < 0:
            self.error(name, _("The value cannot be negative."))
        elif amount >= MAX_AMOUNT:
            self.error(
                name,
                _("The value is too large: at most %(max)s.")
                % {"max": number_format(MAX_AMOUNT - CENT, 2, force_grouping=True)},
            )
        else:
            self.cleaned[name] = amount.quantize(CENT)

    def lead_choices(self) -> None:
        """Sector, temperature (from the interest when none was given) and language."""
        sector = self.data.get("sector") or ""
        if sector and sector not in SECTORS:
            self.error(
                "sector",
                _("Unknown sector %(sector)s; use one of: %(choices)s")
                % {"sector": str(sector)[:50], "choices": ", ".join(Sector.values)},
            )
        self.cleaned["sector"] = sector
        interest = self.cleaned.pop("interest", None)
        if not self.data.get("temperature") and interest:
            self.cleaned["temperature"] = INTEREST_TEMPERATURE.get(interest, Lead.Temperature.WARM)
        if self.cleaned.get("temperature") not in TEMPERATURES:
            self.cleaned["temperature"] = Lead.Temperature.WARM
        if self.cleaned.get("language") not in LANGUAGES:
            self.cleaned["language"] = Language.EN


# libphonenumber looks up its metadata patterns with ``re.compile`` on every use (15
# lookups per number: 300,000 in an import of 20,000 rows), through the ``re`` module's
# cache and its type and flag checks; the library's documented switch keeps them in a
# plain dict instead (the same compiled patterns, so the same answers).
phonenumbers.enable_pattern_cache()


# Parsing, validating and formatting a number is the cleaner's biggest cost (13 % of a
# CSV import, where a file often repeats a company's switchboard number): the answer
# depends only on the text and the region (libphonenumber's data does not change while
# the process runs), so it is kept for the last few thousand numbers.
@functools.lru_cache(maxsize=8192)
def _phone_international(value: str, region: str | None) -> str | None:
    """``value`` read with ``region`` as the default, in international form; None when
    ``phonenumbers`` cannot read it or does not know it as a valid number."""
    try:
        number = phonenumbers.parse(value, region)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number):
        return None
    return _international(number)


@functools.cache
def _phone_example(region: str) -> str:
    """A fixed-line example number of ``region``, in international form."""
    example = phonenumbers.example_number_for_type(region, phonenumbers.PhoneNumberType.FIXED_LINE)
    return _international(example)


def _international(number: phonenumbers.PhoneNumber) -> str:
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)


def _count(number: int) -> str:
    return number_format(number, force_grouping=True)

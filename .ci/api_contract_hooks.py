"""Schemathesis hooks for the API contract check (``.ci/api_contract.py``).

The schema states everything about a request that JSON Schema can: types, lengths,
enums, the postcode's syntax per country, what each status needs. A few rules it cannot
state: check digits and the compacted length of VAT and chamber-of-commerce numbers
(the project's normalisers decide), phone numbers that exist in the country's numbering
plan (the ``phonenumbers`` library decides, as the field cleaner does) and "not in the
past" (the date of an accepted lead's next step), and the portal's own records an account
names (its parent, account manager and serving dealer, which must exist). For cases meant to be valid, this hook puts a value that keeps those
rules where the generated one would break them, so "a valid request is accepted" is
checked on the whole request instead of failing on a checksum. Cases meant to be
invalid are left as they are.
"""

import zlib
from datetime import date, timedelta

import phonenumbers
import schemathesis

# Django-free: the project's own rules decide what to replace
from leads.matching.normalize import InvalidCoc, InvalidVat, normalize_coc, normalize_vat

# Real, valid numbers (from python-stdnum's documentation and public registers).
VAT_NUMBERS = (
    "NL004495445B01",
    "DE136695976",
    "BE0403019261",
    "ATU13585627",
    "LU15027442",
    "FR40303265045",
    "GB980780684",
    "CHE-107.787.577 MWST",
)
# Register numbers for the countries whose numbers have a syntax or check digits.
COC_NUMBERS = {"NL": "12345678", "BE": "0403019261", "CH": "CHE-107.787.577"}


def _pick(options, value: str) -> str:
    return options[zlib.crc32(value.encode()) % len(options)]


def _keep_rules(body: dict) -> dict:
    body = dict(body)
    country = body.get("country") if isinstance(body.get("country"), str) else ""
    vat = body.get("vat_number")
    if isinstance(vat, str) and vat.strip():
        try:
            normalize_vat(vat, country or None)
        except InvalidVat:
            body["vat_number"] = _pick(VAT_NUMBERS, vat)
    coc = body.get("coc_number")
    if isinstance(coc, str) and coc.strip() and country:
        try:
            normalize_coc(coc, country)
        except InvalidCoc:
            body["coc_number"] = COC_NUMBERS.get(country, "12345678")
    phone = body.get("contact_phone")
    if isinstance(phone, str) and phone.strip() and not _valid_phone(phone, country):
        region = country if country in phonenumbers.SUPPORTED_REGIONS else "NL"
        body["contact_phone"] = phonenumbers.format_number(
            phonenumbers.example_number(region), phonenumbers.PhoneNumberFormat.INTERNATIONAL
        )
    for reference in ("parent", "account_manager", "serving_dealer"):
        if body.get(reference):  # made-up records: a real sync names existing ones
            body[reference] = ""
    day = body.get("next_step_on")
    if body.get("status") == "accepted" and isinstance(day, str):
        # two days ahead: "today" is the portal's (Europe/Amsterdam), not this machine's
        soon = date.today() + timedelta(days=2)
        if day < soon.isoformat():
            body["next_step_on"] = soon.isoformat()
    return body


def _valid_phone(text: str, country: str) -> bool:
    region = country if country in phonenumbers.SUPPORTED_REGIONS else None
    try:
        return phonenumbers.is_valid_number(phonenumbers.parse(text, region))
    except phonenumbers.NumberParseException:
        return False


@schemathesis.hook
def map_case(ctx, case):
    meta = case.meta
    if meta is None or not meta.generation.mode.is_positive or not isinstance(case.body, dict):
        return case
    case.body = _keep_rules(case.body)
    return case

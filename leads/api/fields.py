"""What lead intake and claim registration read alike over the API: the country as an
ISO code and the postcode in its country's syntax, both published in the schema so that
what the schema allows is what the API takes."""

import re

from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from leads.matching.normalize import (
    POSTCODE_DIGITS,
    InvalidPostcode,
    iso_country_codes,
    normalize_postcode,
    postcode_pattern,
)
from portal.messages import interpolate

COUNTRY_CODES = iso_country_codes()
# Countries whose postcodes have a syntax of their own; the others share one.
POSTCODE_COUNTRIES = sorted(POSTCODE_DIGITS)
OTHER_COUNTRIES = [code for code in COUNTRY_CODES if code not in POSTCODE_DIGITS]


class CountryField(serializers.ChoiceField):
    """An ISO 3166-1 alpha-2 code in capitals (the schema lists them)."""

    default_error_messages = {
        "invalid_choice": _("Use an ISO 3166 country code in capitals, such as NL, BE or DE.")
    }

    def __init__(self, **kwargs):
        kwargs.setdefault("help_text", "ISO 3166-1 alpha-2, in capitals, e.g. NL")
        super().__init__(choices=COUNTRY_CODES, **kwargs)


class PostcodeField(serializers.CharField):
    """A postcode as sent (spaces around it are the syntax's business, not trimmed here);
    ``postcode_errors`` checks it against its country."""

    def __init__(self, **kwargs):
        kwargs.setdefault("max_length", 12)
        super().__init__(trim_whitespace=False, required=False, allow_blank=True, **kwargs)


def postcode_errors(attrs: dict) -> dict:
    """``{"postcode": [message]}`` when the postcode does not follow its country's
    syntax (`postcode_pattern`), else ``{}``. An empty postcode is no postcode."""
    postcode, country = attrs.get("postcode") or "", attrs.get("country") or ""
    if not postcode or re.search(postcode_pattern(country), postcode):
        return {}
    try:
        normalize_postcode(country, postcode)
    except InvalidPostcode as error:
        return {"postcode": [error.text(gettext)]}
    return {
        "postcode": [
            interpolate(
                gettext(
                    "Write the postcode in plain letters and digits, as it is written in %(c)s."
                ),
                {"c": country},
            )
        ]
    }


def postcode_schema() -> dict:
    """The postcode's syntax by country, as JSON Schema for the request body."""

    def branch(countries: list[str], pattern: str) -> dict:
        return {
            "properties": {
                "country": {"enum": countries},
                "postcode": {"anyOf": [{"maxLength": 0}, {"pattern": pattern}]},
            }
        }

    return {
        "anyOf": [
            *(branch([code], postcode_pattern(code)) for code in POSTCODE_COUNTRIES),
            branch(OTHER_COUNTRIES, postcode_pattern("")),
        ]
    }

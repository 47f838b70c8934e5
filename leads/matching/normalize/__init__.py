"""Normalisation of the identifiers that match a lead to accounts and claims.

DESIGN.md ("The routing decision"): a lead is matched to an account and to claims by
normalised company name, e-mail domain (not for free-mail domains), VAT /
chamber-of-commerce number and parent company. The functions here compute the values
stored in the indexed lookup columns and validate user input. Every function is
idempotent: applying it to its own output returns the same output, so a stored value
can be normalised again without changing.

One module per identifier: ``names``, ``domains``, ``vat``, ``coc`` (register numbers),
``postcodes``, ``countries``; ``common`` holds the errors. Import the functions from
here: ``from leads.matching.normalize import normalize_vat``.

This package is pure Python: it imports no Django, so it needs no settings or app
registry. (`is_known_country` reads django-countries' ISO data lazily; that import
works without configured settings. A postcode error for a country outside the six we
route names it by django-countries' name when Django runs, else by its code.)

Decisions worth knowing:

* Company names: legal forms are removed using cleanco's term list (the data behind
  ``cleanco.basename``) plus a few forms cleanco misses (e.K., UG
  (haftungsbeschränkt), mbH, GesmbH, S.à r.l., BV i.o., spelled-out Dutch/German/French
  forms). ``basename`` itself is not used directly because it strips only one pass of
  suffixes ("Foo AG & Co. KG" -> "Foo AG & Co."), trips over brackets ("Foo BV (NL)"
  -> "Foo BV (NL") and hyphens ("Foo-B.V."), and is therefore not idempotent. Legal
  forms are stripped repeatedly from the end, and NV/BV/Fa./Firma from the start,
  but a name is never stripped to nothing ("B.V." -> "bv"). "&", "+", "and", "en",
  "und" and "et" are dropped, so "Jansen & Zn" == "Jansen en Zn". Dots and
  apostrophes are removed without a gap ("B.V." -> "bv", "McDonald's" ->
  "mcdonalds"); other punctuation separates words. Accents are stripped, so "Müller"
  becomes "muller" (not "mueller").
* Domains are returned lowercase ASCII; non-ASCII labels become punycode ("xn--").
  Only a leading "www." is removed; other subdomains are kept.
* Swiss VAT numbers are returned as the UID without the language suffix
  ("CHE-107.787.577 MWST" -> "CHE107787577"): MWST, TVA and IVA name the same
  number, and a company without VAT registration still has the UID.
* Luxembourg postcodes are displayed without the "L-" prefix ("L-1234" -> "1234"),
  like the other countries (the country is stored separately).
* Empty VAT / chamber-of-commerce input returns "" (the field is optional); an empty
  postcode is an error.
"""

from leads.matching.normalize.coc import normalize_coc
from leads.matching.normalize.common import (
    InvalidCoc,
    InvalidPostcode,
    InvalidVat,
    NormalizationError,
)
from leads.matching.normalize.countries import is_known_country, iso_country_codes
from leads.matching.normalize.domains import (
    FREE_MAIL_DOMAINS,
    domain_from_email,
    domain_from_url,
    is_free_mail_domain,
)
from leads.matching.normalize.lookup import LookupColumns, lookup_columns
from leads.matching.normalize.names import normalize_company_name
from leads.matching.normalize.postcodes import POSTCODE_DIGITS, normalize_postcode, postcode_pattern
from leads.matching.normalize.vat import normalize_vat

__all__ = [
    "LookupColumns",
    "lookup_columns",
    "FREE_MAIL_DOMAINS",
    "POSTCODE_DIGITS",
    "InvalidCoc",
    "InvalidPostcode",
    "InvalidVat",
    "NormalizationError",
    "domain_from_email",
    "domain_from_url",
    "is_free_mail_domain",
    "is_known_country",
    "iso_country_codes",
    "normalize_coc",
    "normalize_company_name",
    "normalize_postcode",
    "normalize_vat",
    "postcode_pattern",
]

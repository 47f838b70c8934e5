"""Normalisation of the identifiers that match a lead to accounts and claims.

DESIGN.md ("The routing decision"): a lead is matched to an account and to claims by
normalised company name, e-mail domain (not for free-mail domains), VAT /
chamber-of-commerce number and parent company. The functions here compute the values
stored in the indexed lookup columns and validate user input. Every function is
idempotent: applying it to its own output returns the same output, so a stored value
can be normalised again without changing.

This module is pure Python: it imports no Django, so it needs no settings or app
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

from __future__ import annotations

import functools
import re
import unicodedata
from urllib.parse import urlsplit

from cleanco.clean import get_unique_terms
from cleanco.non_nfkd_map import NON_NFKD_MAP
from stdnum import exceptions as stdnum_exceptions
from stdnum.be import vat as be_vat
from stdnum.ch import uid as ch_uid
from stdnum.ch import vat as ch_vat
from stdnum.de import handelsregisternummer
from stdnum.eu import vat as eu_vat
from stdnum.gb import vat as gb_vat

__all__ = [
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
            country = _country_name(country)
        else:
            template = gettext_noop("'%(value)s' is not a valid postcode: %(reason)s")
        return translate(template) % {"value": self.value, "country": country, "reason": reason}


def _country_name(code: str) -> str:
    """The country's name in the active language when Django runs (django-countries'
    names are lazy translations), else its code."""
    try:
        from django_countries.data import COUNTRIES

        return str(COUNTRIES.get(code, code))
    except Exception:  # no configured Django: the code is still a name of sorts
        return code


def _nfkc(text: str | None) -> str:
    return unicodedata.normalize("NFKC", text or "").strip()


# ---------------------------------------------------------------------------
# Company names
# ---------------------------------------------------------------------------

_CONJUNCTIONS = frozenset({"&", "and", "en", "und", "et"})

# Legal forms cleanco does not know (or only knows in a spelling our tokeniser changes).
_EXTRA_LEGAL_FORMS = (
    # Germany / Austria
    "e.K.",
    "e.Kfm.",
    "e.Kfr.",
    "UG",
    "UG (haftungsbeschränkt)",
    "haftungsbeschränkt",
    "mbH",
    "GesmbH",
    "Ges.m.b.H.",
    "Ges. m. b. H.",
    "G. m. b. H.",
    "PartG mbB",
    "PartGmbB",
    "mbB",
    "Aktiengesellschaft",
    "Gesellschaft mit beschränkter Haftung",
    "Kommanditgesellschaft",
    "Offene Handelsgesellschaft",
    "eingetragene Genossenschaft",
    "eingetragener Kaufmann",
    "eingetragene Kauffrau",
    "eingetragener Verein",
    # Netherlands / Flanders
    "B. V.",
    "N. V.",
    "BV i.o.",
    "NV i.o.",
    "CommV",
    "Besloten Vennootschap",
    "Naamloze Vennootschap",
    "Commanditaire Vennootschap",
    "Vennootschap onder Firma",
    "Besloten Vennootschap met Beperkte Aansprakelijkheid",
    # France / Wallonia / Luxembourg / Switzerland
    "S.à r.l.",
    "S. à r.l.",
    "S. à r. l.",
    "S. A.",
    "SComm",
    "SCRI",
    "SPRLU",
    "SRLU",
    "ASBL",
    "Société Anonyme",
    "Société à Responsabilité Limitée",
    "Société Privée à Responsabilité Limitée",
    "Société Coopérative",
    # English
    "Limited Liability Company",
)
# Legal forms written in front of the name ("N.V. Nederlandsche Spoorwegen", "Fa. Jansen").
_LEGAL_FORM_PREFIXES = ("N.V.", "B.V.", "Fa.", "Firma")

_JOINING_PUNCTUATION = re.compile(r"[.'’`´ʼ]")
_SEPARATORS = re.compile(r"[^\w&]+|_")


def _fold(text: str) -> str:
    """Casefold and strip accents (NFKD without combining marks, plus cleanco's map)."""
    if text.isascii():  # most names: nothing to decompose or map
        return text.lower()
    decomposed = unicodedata.normalize("NFKD", unicodedata.normalize("NFKC", text).casefold())
    return "".join(
        NON_NFKD_MAP.get(char, char) for char in decomposed if unicodedata.category(char) != "Mn"
    ).casefold()


def _tokens(text: str) -> list[str]:
    """Folded words; "." and "'" join, "&"/"+" become a word of their own."""
    text = _JOINING_PUNCTUATION.sub("", _fold(text))
    text = text.replace("&", " & ").replace("+", " & ")
    return _SEPARATORS.sub(" ", text).split()


def _without_conjunctions(tokens: list[str]) -> list[str]:
    kept = [token for token in tokens if token not in _CONJUNCTIONS]
    return kept or tokens


def _term_table(terms) -> tuple[tuple[str, ...], ...]:
    table = {tuple(_without_conjunctions(_tokens(term))) for term in terms}
    table.discard(())
    # longest first so "gmbh co kg" wins over "kg"; then alphabetical for determinism
    return tuple(sorted(table, key=lambda parts: (-len(parts), parts)))


_SUFFIX_TERMS = _term_table([*get_unique_terms(), *_EXTRA_LEGAL_FORMS])
_PREFIX_TERMS = _term_table(_LEGAL_FORM_PREFIXES)


def _index_by(terms, position: int) -> dict[str, tuple[tuple[str, ...], ...]]:
    """Terms grouped by their last (-1) or first (0) word, keeping the global order, so a
    lookup only tries terms that can match."""
    index: dict[str, list[tuple[str, ...]]] = {}
    for parts in terms:
        index.setdefault(parts[position], []).append(parts)
    return {word: tuple(group) for word, group in index.items()}


_SUFFIXES_BY_LAST = _index_by(_SUFFIX_TERMS, -1)
_PREFIXES_BY_FIRST = _index_by(_PREFIX_TERMS, 0)


def _strip_legal_forms(tokens: list[str]) -> list[str]:
    changed = True
    while changed and tokens:
        changed = False
        for parts in _SUFFIXES_BY_LAST.get(tokens[-1], ()):
            size = len(parts)
            if len(tokens) > size and tuple(tokens[-size:]) == parts:
                tokens = tokens[:-size]
                changed = True
                break
        if not tokens:
            break
        for parts in _PREFIXES_BY_FIRST.get(tokens[0], ()):
            size = len(parts)
            if len(tokens) > size and tuple(tokens[:size]) == parts:
                tokens = tokens[size:]
                changed = True
                break
    return tokens


@functools.lru_cache(maxsize=65536)  # pure: the same input is seen many times
def normalize_company_name(name: str | None) -> str:
    """Company name for equality lookups.

    >>> normalize_company_name("Van der Berg B.V.")
    'van der berg'
    >>> normalize_company_name("Müller GmbH & Co. KG")
    'muller'

    Lowercase ASCII-ish words separated by single spaces, legal forms removed; "" when
    the name has no letters or digits.
    """
    tokens = _without_conjunctions(_tokens(name or ""))
    return " ".join(_strip_legal_forms(tokens))


# ---------------------------------------------------------------------------
# Domains and e-mail
# ---------------------------------------------------------------------------

FREE_MAIL_DOMAINS: frozenset[str] = frozenset(
    {
        # international
        "gmail.com",
        "googlemail.com",
        "outlook.com",
        "outlook.nl",
        "outlook.be",
        "outlook.de",
        "outlook.at",
        "outlook.fr",
        "outlook.it",
        "outlook.es",
        "hotmail.com",
        "hotmail.nl",
        "hotmail.be",
        "hotmail.de",
        "hotmail.fr",
        "hotmail.ch",
        "hotmail.it",
        "hotmail.es",
        "hotmail.co.uk",
        "live.com",
        "live.nl",
        "live.be",
        "live.de",
        "live.at",
        "live.fr",
        "live.it",
        "live.co.uk",
        "msn.com",
        "passport.com",
        "windowslive.com",
        "yahoo.com",
        "yahoo.nl",
        "yahoo.de",
        "yahoo.fr",
        "yahoo.it",
        "yahoo.es",
        "yahoo.co.uk",
        "ymail.com",
        "rocketmail.com",
        "icloud.com",
        "me.com",
        "mac.com",
        "aol.com",
        "aol.de",
        "aim.com",
        "mail.com",
        "email.com",
        "protonmail.com",
        "protonmail.ch",
        "proton.me",
        "pm.me",
        "tutanota.com",
        "tutanota.de",
        "tutamail.com",
        "tuta.io",
        "tuta.com",
        "zoho.com",
        "zohomail.eu",
        "fastmail.com",
        "yandex.com",
        "yandex.ru",
        "mail.ru",
        "hushmail.com",
        # Germany
        "gmx.de",
        "gmx.net",
        "gmx.at",
        "gmx.ch",
        "gmx.com",
        "gmx.eu",
        "gmx.fr",
        "web.de",
        "email.de",
        "t-online.de",
        "magenta.de",
        "freenet.de",
        "posteo.de",
        "posteo.net",
        "mailbox.org",
        "arcor.de",
        "online.de",
        "vodafonemail.de",
        "kabelmail.de",
        "1und1.de",
        # Netherlands
        "ziggo.nl",
        "kpnmail.nl",
        "kpnplanet.nl",
        "planet.nl",
        "home.nl",
        "xs4all.nl",
        "hetnet.nl",
        "casema.nl",
        "chello.nl",
        "upcmail.nl",
        "zonnet.nl",
        "quicknet.nl",
        "hccnet.nl",
        "kabelfoon.nl",
        "tele2.nl",
        "versatel.nl",
        "online.nl",
        "telfort.nl",
        "freeler.nl",
        "wxs.nl",
        "solcon.nl",
        "caiway.nl",
        "zeelandnet.nl",
        "tiscali.nl",
        # Belgium
        "telenet.be",
        "skynet.be",
        "proximus.be",
        "scarlet.be",
        "belgacom.net",
        "pandora.be",
        "voo.be",
        # Switzerland
        "bluewin.ch",
        "bluemail.ch",
        "hispeed.ch",
        "sunrise.ch",
        "swissonline.ch",
        # Austria
        "a1.net",
        "aon.at",
        "chello.at",
        "inode.at",
        "utanet.at",
        "liwest.at",
        # Luxembourg
        "pt.lu",
        "internet.lu",
        "vo.lu",
        "tango.lu",
        # France
        "orange.fr",
        "wanadoo.fr",
        "free.fr",
        "laposte.net",
        "sfr.fr",
        "neuf.fr",
        "bbox.fr",
        "numericable.fr",
        # Italy / United Kingdom
        "libero.it",
        "virgilio.it",
        "alice.it",
        "tiscali.it",
        "btinternet.com",
    }
)

_ASCII_LABEL = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?")
_TOP_LEVEL_LABEL = re.compile(r"[a-z]{2,63}|xn--[a-z0-9-]{1,59}")
_WWW_PREFIX = re.compile(r"^www\d{0,2}\.")


def _clean_domain(host: str | None) -> str | None:
    """Lowercase ASCII host name with at least two labels, or None."""
    host = _nfkc(host).rstrip(".").lower()
    if not host or len(host) > 253:
        return None
    labels = []
    for label in host.split("."):
        if not label.isascii():
            if not all(char.isalnum() or char == "-" for char in label):
                return None
            try:
                label = "xn--" + label.encode("punycode").decode("ascii")
            except UnicodeError:
                return None
        if not _ASCII_LABEL.fullmatch(label):
            return None
        labels.append(label)
    if len(labels) < 2 or not _TOP_LEVEL_LABEL.fullmatch(labels[-1]):
        return None  # single label, IP address, numeric TLD
    return ".".join(labels)


def is_free_mail_domain(domain: str | None) -> bool:
    """True for a free-mail / consumer ISP domain (or a subdomain of one)."""
    cleaned = _clean_domain(domain)
    if cleaned is None:
        return False
    labels = cleaned.split(".")
    return any(".".join(labels[i:]) in FREE_MAIL_DOMAINS for i in range(len(labels) - 1))


@functools.lru_cache(maxsize=65536)  # pure: the same input is seen many times
def domain_from_url(url_or_domain: str | None) -> str | None:
    """Host of a web address without "www.", port, path or credentials.

    >>> domain_from_url("https://www.Example.nl/contact")
    'example.nl'

    None for empty or invalid input. Free-mail domains are returned as they are (a
    website is not an e-mail address); call `is_free_mail_domain` where it matters.
    """
    text = _nfkc(url_or_domain)
    if not text:
        return None
    if "://" not in text:
        text = "//" + text.lstrip("/")
    try:
        host = urlsplit(text).hostname
    except ValueError:
        return None
    if not host:
        return None
    host = host.rstrip(".")
    stripped = _WWW_PREFIX.sub("", host)
    if "." in stripped:
        host = stripped
    return _clean_domain(host)


@functools.lru_cache(maxsize=65536)  # pure: the same input is seen many times
def domain_from_email(email: str | None) -> str | None:
    """Lowercase domain of an e-mail address; None when invalid or free-mail.

    Accepts "jan@example.nl", "mailto:jan@example.nl" and "Jan <jan@example.nl>".
    """
    text = _nfkc(email)
    if text.endswith(">") and "<" in text:
        text = text[text.rindex("<") + 1 : -1].strip()
    if text.lower().startswith("mailto:"):
        text = text[len("mailto:") :]
    local, at, domain = text.rpartition("@")
    if not at or not local or any(char.isspace() for char in local):
        return None
    cleaned = _clean_domain(domain)
    if cleaned is None or is_free_mail_domain(cleaned):
        return None
    return cleaned


# ---------------------------------------------------------------------------
# VAT numbers
# ---------------------------------------------------------------------------

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


def _stdnum_reason(error: stdnum_exceptions.ValidationError) -> str:
    if isinstance(error, stdnum_exceptions.InvalidLength):
        return gettext_noop("wrong length")
    if isinstance(error, stdnum_exceptions.InvalidChecksum):
        return gettext_noop("wrong check digit")
    if isinstance(error, stdnum_exceptions.InvalidComponent):
        return gettext_noop("contains a part that does not exist")
    return gettext_noop("wrong format")


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
    raw = _nfkc(vat)
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
        reason = _stdnum_reason(error)
        lengths = _VAT_BODY_LENGTHS.get(prefix)
        if reason == "wrong format" and lengths and len(number) - len(prefix) not in lengths:
            reason = gettext_noop("wrong length")
        raise InvalidVat(number, reason) from error


# ---------------------------------------------------------------------------
# Chamber of commerce / company register numbers
# ---------------------------------------------------------------------------

_COC_SEPARATORS = re.compile(r"[\s.\-/,:_()]+")
_NL_KVK_LABEL = re.compile(r"^(?:KVK|NL)(?:-?(?:NR|NUMMER|NUMBER|NO))?", re.IGNORECASE)
_DE_COURT_LABEL = re.compile(r"^(?:Amtsgericht|Registergericht|AG)\b\.?\s*", re.IGNORECASE)
_AT_FIRMENBUCH = re.compile(r"(?:FN)?(?P<number>[0-9]{1,6}[A-Z])")
_LU_RCS_LABEL = re.compile(r"^R\.?\s*C\.?\s*S\.?(?:\s*Luxembourg)?[\s,:]*", re.IGNORECASE)


def _generic_coc(raw: str) -> str:
    return _COC_SEPARATORS.sub("", _fold(raw)).upper()


# What Lead.coc_number holds; a longer compact number is refused, not cut.
COC_MAX_LENGTH = 30


def normalize_coc(number: str | None, country: str) -> str:
    """Compact chamber-of-commerce / company register number for `country`, at most
    `COC_MAX_LENGTH` characters (see `_normalize_coc`)."""
    compact = _normalize_coc(number, country)
    if len(compact) > COC_MAX_LENGTH:
        raise InvalidCoc(
            _nfkc(number),
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
    raw = _nfkc(number)
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
            raise InvalidCoc(raw, _stdnum_reason(error)) from error
    if cc == "CH" and _generic_coc(raw).startswith("CHE"):
        try:
            return ch_uid.validate(raw)
        except stdnum_exceptions.ValidationError as error:
            raise InvalidCoc(raw, _stdnum_reason(error)) from error
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


# ---------------------------------------------------------------------------
# Postcodes
# ---------------------------------------------------------------------------

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
    raw = _nfkc(postcode)
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


# ---------------------------------------------------------------------------
# Countries
# ---------------------------------------------------------------------------


@functools.cache
def _iso_country_codes() -> frozenset[str]:
    # django_countries.data imports django.utils.translation but reads no settings,
    # so this works in plain Python; imported lazily to keep module import Django-free.
    from django_countries.data import COUNTRIES

    return frozenset(COUNTRIES)


def is_known_country(code: str | None) -> bool:
    """True for an ISO 3166-1 alpha-2 code ("nl" and " NL " count; "EL", "UK" do not).

    Uses django-countries' ISO list, not the project's COUNTRIES_* settings.
    """
    return (code or "").strip().upper() in _iso_country_codes()


def iso_country_codes() -> list[str]:
    """The ISO 3166-1 alpha-2 codes `is_known_country` accepts, in upper case, sorted."""
    return sorted(_iso_country_codes())

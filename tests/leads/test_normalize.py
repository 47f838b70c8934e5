"""Table-driven tests for leads.matching.normalize (pure Python: no Django, no database).

Run: .venv/bin/python -m pytest -p no:django -q tests/leads/test_normalize.py

The valid VAT / enterprise / UID numbers are the examples from python-stdnum's own
doctests (stdnum/nl/btw.py, be/vat.py, de/vat.py, at/uid.py, lu/tva.py, ch/vat.py,
ch/uid.py, eu/vat.py, gb/vat.py).
"""

import subprocess
import sys
from pathlib import Path

import pytest

from leads.matching.normalize import (
    FREE_MAIL_DOMAINS,
    POSTCODE_DIGITS,
    InvalidCoc,
    InvalidPostcode,
    InvalidVat,
    domain_from_email,
    domain_from_url,
    is_free_mail_domain,
    is_known_country,
    normalize_coc,
    normalize_company_name,
    normalize_postcode,
    normalize_vat,
)

# ---------------------------------------------------------------------------
# company names
# ---------------------------------------------------------------------------

COMPANY_NAMES = [
    ("Van der Berg B.V.", "van der berg"),
    ("van der berg bv", "van der berg"),
    ("Van der Berg", "van der berg"),
    ("VAN DER BERG B.V", "van der berg"),
    ("Van der Berg-B.V.", "van der berg"),
    ("Van der Berg BV (NL)", "van der berg"),
    ("Acme N.V.", "acme"),
    ("N.V. Nederlandsche Spoorwegen", "nederlandsche spoorwegen"),
    ("Fa. Jansen", "jansen"),
    ("Jansen Holding B.V. i.o.", "jansen holding"),
    ("Besloten Vennootschap Jansen", "besloten vennootschap jansen"),
    ("Jansen Besloten Vennootschap", "jansen"),
    ("Müller GmbH", "muller"),
    ("Müller GmbH & Co. KG", "muller"),
    ("Müller GmbH & Co KG", "muller"),
    ("Müller AG & Co. KG", "muller"),
    ("Müller e.K.", "muller"),
    ("Müller e.Kfm.", "muller"),
    ("Müller UG (haftungsbeschränkt)", "muller"),
    ("Müller UG", "muller"),
    ("Müller mbH", "muller"),
    ("Müller Ges.m.b.H.", "muller"),
    ("Müller GesmbH", "muller"),
    ("Müller OG", "muller"),
    ("Müller KGaA", "muller"),
    ("Müller eG", "muller"),
    ("Müller e.V.", "muller"),
    ("Müller SE", "muller"),
    ("Siemens AG", "siemens"),
    ("Ag Bank AG", "ag bank"),
    ("Straße Logistik GmbH", "strasse logistik"),
    ("Solvay S.A.", "solvay"),
    ("Solvay SA", "solvay"),
    ("Solvay SA/NV", "solvay"),
    ("Dupont BVBA", "dupont"),
    ("Dupont B.V.B.A.", "dupont"),
    ("Dupont SRL", "dupont"),
    ("Dupont SPRL", "dupont"),
    ("Dupont CommV", "dupont"),
    ("Dupont VZW", "dupont"),
    ("Dupont ASBL", "dupont"),
    ("Dupont Sàrl", "dupont"),
    ("Dupont S.à r.l.", "dupont"),
    ("Dupont S.A.R.L.", "dupont"),
    ("Société Générale S.A.", "societe generale"),
    ("Acme Ltd", "acme"),
    ("Acme Ltd.", "acme"),
    ("Acme Limited", "acme"),
    ("Acme Inc.", "acme"),
    ("Ørsted A/S", "orsted"),
    ("Jansen & Zn.", "jansen zn"),
    ("Jansen en Zn", "jansen zn"),
    ("Jansen and Zn", "jansen zn"),
    ("Jansen + Zn", "jansen zn"),
    ("Jansen & Co", "jansen"),
    ("AT&T Inc.", "at t"),
    ("McDonald's Nederland B.V.", "mcdonalds nederland"),
    ("Bol.com B.V.", "bolcom"),
    ("3M Company", "3m"),
    ("  Van   der\tBerg  ", "van der berg"),
    ("Foo_Bar GmbH", "foo bar"),
    ("ＦＯＯ ＢＶ", "foo"),  # full-width letters (NFKC)
    ("Citroën Nederland", "citroen nederland"),
    # a name that is only a legal form is kept, never stripped to nothing
    ("B.V.", "bv"),
    ("GmbH", "gmbh"),
    ("En", "en"),
    ("", ""),
    ("   ", ""),
    ("---", ""),
]


@pytest.mark.parametrize(("name", "expected"), COMPANY_NAMES)
def test_normalize_company_name(name, expected):
    assert normalize_company_name(name) == expected


@pytest.mark.parametrize(("name", "expected"), COMPANY_NAMES)
def test_normalize_company_name_is_stable(name, expected):
    once = normalize_company_name(name)
    assert normalize_company_name(once) == once


@pytest.mark.parametrize(
    "variants",
    [
        ("Van der Berg B.V.", "van der berg bv", "Van der Berg", "VAN DER BERG BV."),
        ("Müller GmbH & Co. KG", "Müller GmbH", "MÜLLER", "Muller"),
        ("Dupont SA/NV", "Dupont NV", "Dupont S.A.", "dupont"),
    ],
)
def test_company_name_variants_match(variants):
    assert len({normalize_company_name(v) for v in variants}) == 1


def test_normalize_company_name_none_is_empty():
    assert normalize_company_name(None) == ""


# ---------------------------------------------------------------------------
# domains and e-mail
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("https://www.Example.nl/contact", "example.nl"),
        ("http://example.nl", "example.nl"),
        ("www.example.nl", "example.nl"),
        ("Example.NL", "example.nl"),
        ("example.nl.", "example.nl"),
        ("example.nl:8080/path?q=1#x", "example.nl"),
        ("https://WWW.EXAMPLE.CH/fr/", "example.ch"),
        ("http://user:secret@Shop.Example.de:443/", "shop.example.de"),
        ("//www.example.be", "example.be"),
        ("https://www2.example.at", "example.at"),
        ("ftp://files.example.lu", "files.example.lu"),
        ("https://www.müller.de/", "xn--mller-kva.de"),
        ("http://xn--mller-kva.de", "xn--mller-kva.de"),
        ("straße.de", "xn--strae-oqa.de"),
        ("  https://www.example.co.uk  ", "example.co.uk"),
        ("https://www.gmail.com", "gmail.com"),  # websites are not filtered
        ("", None),
        ("   ", None),
        (None, None),
        ("not a url", None),
        ("http://", None),
        ("localhost", None),
        ("example", None),
        ("192.168.1.1", None),
        ("http://[::1]/", None),
        ("example..nl", None),
        ("-bad.nl", None),
        ("exa_mple.nl", None),
        ("example.123", None),
        ("http://[broken", None),
    ],
)
def test_domain_from_url(value, expected):
    assert domain_from_url(value) == expected
    if expected is not None:
        assert domain_from_url(expected) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("jan@Example.NL", "example.nl"),
        ("  jan@example.nl  ", "example.nl"),
        ("Jan Jansen <jan@example.nl>", "example.nl"),
        ("mailto:jan@example.nl", "example.nl"),
        ("jan@example.nl.", "example.nl"),
        ("jan@sales.example.de", "sales.example.de"),
        ("jan@müller.de", "xn--mller-kva.de"),
        ("jan@gmail.com", None),
        ("JAN@GMAIL.COM", None),
        ("jan@googlemail.com", None),
        ("jan@hotmail.nl", None),
        ("jan@kpnmail.nl", None),
        ("jan@ziggo.nl", None),
        ("jan@mail.ziggo.nl", None),  # subdomain of a free-mail domain
        ("jan@telenet.be", None),
        ("jan@gmx.de", None),
        ("jan@web.de", None),
        ("jan@t-online.de", None),
        ("jan@bluewin.ch", None),
        ("jan@aon.at", None),
        ("jan@pt.lu", None),
        ("jan@", None),
        ("@example.nl", None),
        ("example.nl", None),
        ("jan@localhost", None),
        ("j an@example.nl", None),
        ("", None),
        (None, None),
    ],
)
def test_domain_from_email(value, expected):
    assert domain_from_email(value) == expected


@pytest.mark.parametrize(
    ("domain", "expected"),
    [
        ("gmail.com", True),
        ("GMAIL.COM", True),
        (" gmail.com. ", True),
        ("mail.ziggo.nl", True),
        ("example.nl", False),
        ("notgmail.com", False),
        ("com", False),
        ("", False),
        (None, False),
    ],
)
def test_is_free_mail_domain(domain, expected):
    assert is_free_mail_domain(domain) is expected


@pytest.mark.parametrize(
    "domain",
    [
        "gmail.com",
        "googlemail.com",
        "outlook.com",
        "hotmail.com",
        "hotmail.nl",
        "hotmail.de",
        "hotmail.be",
        "hotmail.fr",
        "live.com",
        "live.nl",
        "live.be",
        "live.de",
        "msn.com",
        "yahoo.com",
        "yahoo.de",
        "yahoo.fr",
        "yahoo.co.uk",
        "ymail.com",
        "icloud.com",
        "me.com",
        "mac.com",
        "aol.com",
        "aol.de",
        "gmx.de",
        "gmx.net",
        "gmx.at",
        "gmx.ch",
        "gmx.com",
        "web.de",
        "t-online.de",
        "freenet.de",
        "posteo.de",
        "mailbox.org",
        "protonmail.com",
        "proton.me",
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
        "telenet.be",
        "skynet.be",
        "proximus.be",
        "scarlet.be",
        "bluewin.ch",
        "hispeed.ch",
        "sunrise.ch",
        "a1.net",
        "aon.at",
        "chello.at",
        "pt.lu",
        "internet.lu",
        "orange.fr",
        "free.fr",
        "laposte.net",
        "wanadoo.fr",
        "zonnet.nl",
        "quicknet.nl",
        "libero.it",
    ],
)
def test_free_mail_list_contains(domain):
    assert domain in FREE_MAIL_DOMAINS


def test_free_mail_list_is_clean():
    assert len(FREE_MAIL_DOMAINS) >= 80
    for domain in FREE_MAIL_DOMAINS:
        assert domain_from_url(domain) == domain, domain


# ---------------------------------------------------------------------------
# VAT numbers
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("vat", "country", "expected"),
    [
        ("NL004495445B01", None, "NL004495445B01"),
        ("NL 0044.95.445.B01", None, "NL004495445B01"),
        ("nl004495445b01", None, "NL004495445B01"),
        ("NL4495445B01", None, "NL004495445B01"),  # stdnum pads the RSIN to 9 digits
        ("004495445B01", "NL", "NL004495445B01"),
        ("004495445B01", "nl", "NL004495445B01"),
        ("NL002455799B11", None, "NL002455799B11"),
        ("BE0403019261", None, "BE0403019261"),
        ("BE 428759497", None, "BE0428759497"),  # old 9-digit form gets its 0
        ("BE697449992", None, "BE0697449992"),
        ("0428759497", "BE", "BE0428759497"),
        ("BE0411905847", None, "BE0411905847"),
        ("DE136695976", None, "DE136695976"),
        ("DE 136,695 976", None, "DE136695976"),
        ("136695976", "DE", "DE136695976"),
        ("ATU13585627", None, "ATU13585627"),
        ("AT U 13585627", None, "ATU13585627"),
        ("ATU 57194903", None, "ATU57194903"),
        ("U13585627", "AT", "ATU13585627"),
        ("LU15027442", None, "LU15027442"),
        ("LU 150 274 42", None, "LU15027442"),
        ("15027442", "LU", "LU15027442"),
        ("FR 61 954 506 077", None, "FR61954506077"),
        ("EL094259216", None, "EL094259216"),
        ("094259216", "GR", "EL094259216"),  # Greece uses EL
        ("GB 980 7806 84", None, "GB980780684"),
        ("980780684", "GB", "GB980780684"),
        # Switzerland: the UID without the MWST/TVA/IVA suffix
        ("CHE-107.787.577 MWST", None, "CHE107787577"),
        ("CHE-107.787.577 TVA", None, "CHE107787577"),
        ("CHE-107.787.577 IVA", None, "CHE107787577"),
        ("CHE-100.155.212", None, "CHE100155212"),
        ("100.155.212", "CH", "CHE100155212"),
        # a number with its own prefix keeps it, whatever the address country
        ("BE0403019261", "NL", "BE0403019261"),
        ("", None, ""),
        ("   ", "NL", ""),
        (None, "NL", ""),
    ],
)
def test_normalize_vat(vat, country, expected):
    assert normalize_vat(vat, country) == expected
    if expected:
        assert normalize_vat(expected) == expected


@pytest.mark.parametrize(
    ("vat", "country", "message"),
    [
        ("NL123", None, "NL123 is not a valid VAT number: wrong length"),
        ("123", "NL", "NL123 is not a valid VAT number: wrong length"),
        ("NL123456789B90", None, "NL123456789B90 is not a valid VAT number: wrong check digit"),
        ("BE431150351", None, "BE431150351 is not a valid VAT number: wrong check digit"),
        ("DE136695978", None, "DE136695978 is not a valid VAT number: wrong check digit"),
        ("DE12345", None, "DE12345 is not a valid VAT number: wrong length"),
        ("ATU13585626", None, "ATU13585626 is not a valid VAT number: wrong check digit"),
        ("LU15027443", None, "LU15027443 is not a valid VAT number: wrong check digit"),
        (
            "CHE-107.787.578 MWST",
            None,
            "CHE107787578MWST is not a valid VAT number: wrong check digit",
        ),
        (
            "CHE-107.787.577 XYZ",
            None,
            "CHE107787577XYZ is not a valid VAT number: ends in XYZ instead of MWST, TVA or IVA",
        ),
        (
            "004495445B01",
            None,
            "004495445B01 is not a valid VAT number: the country prefix is missing"
            " (for example NL or DE)",
        ),
        ("XX123", None, "XX123 is not a valid VAT number: XX is not a VAT country prefix"),
        ("US123", "NL", "US123 is not a valid VAT number: US is not a VAT country prefix"),
        (
            "12345",
            "US",
            "12345 is not a valid VAT number: no country prefix, and no VAT format is known for US",
        ),
        (
            "NL0044954€45B01",
            None,
            "NL0044954€45B01 is not a valid VAT number: contains characters that are not allowed",
        ),
    ],
)
def test_normalize_vat_rejects(vat, country, message):
    with pytest.raises(InvalidVat) as excinfo:
        normalize_vat(vat, country)
    assert str(excinfo.value) == message
    assert isinstance(excinfo.value, ValueError)
    assert excinfo.value.reason in message


def test_errors_are_translated_as_a_whole_and_in_their_reason():
    """``text(gettext)`` translates the sentence and the reason separately, and fills
    both in (a catalogue that knows them here; Django's in the portal)."""
    catalogue = {
        "%(value)s is not a valid VAT number: %(reason)s": "%(value)s: ungültige USt-IdNr. (%(reason)s)",
        "wrong check digit": "falsche Prüfziffer",
        "'%(value)s' is not a valid German postcode: %(reason)s": "DE %(value)s: %(reason)s",
        "expected exactly %(digits)s digits, like %(example)s": "%(digits)s Ziffern, z. B. %(example)s",
    }
    with pytest.raises(InvalidVat) as vat:
        normalize_vat("DE123456789")
    assert vat.value.text(catalogue.get) == "DE123456789: ungültige USt-IdNr. (falsche Prüfziffer)"
    with pytest.raises(InvalidPostcode) as postcode:
        normalize_postcode("DE", "8033")
    assert postcode.value.text(catalogue.get) == "DE 8033: 5 Ziffern, z. B. 01067"
    assert (
        str(postcode.value)
        == "'8033' is not a valid German postcode: expected exactly 5 digits, like 01067"
    )


# ---------------------------------------------------------------------------
# chamber of commerce numbers
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("number", "country", "expected"),
    [
        ("12345678", "NL", "12345678"),
        ("1234 5678", "NL", "12345678"),
        ("KvK 1234.5678", "NL", "12345678"),
        ("KVK-nummer: 12345678", "NL", "12345678"),
        ("01234567", "NL", "01234567"),
        ("12345678", "nl", "12345678"),
        ("0403.019.261", "BE", "0403019261"),
        ("BE 0403 019 261", "BE", "0403019261"),
        ("403019261", "BE", "0403019261"),
        ("HRB 86786, Amtsgericht München", "DE", "MUNCHENHRB86786"),
        ("Amtsgericht München HRB 86786", "DE", "MUNCHENHRB86786"),
        ("München HRB 86786", "DE", "MUNCHENHRB86786"),
        ("AG München, HRB 86786", "DE", "MUNCHENHRB86786"),
        ("Aachen HRA 11223", "DE", "AACHENHRA11223"),
        ("Charlottenburg HRB 1234 B", "DE", "BERLINCHARLOTTENBURGHRB1234B"),
        ("HRB 86786", "DE", "HRB86786"),  # no court: compacted only
        ("Nirgendwo HRB 1", "DE", "NIRGENDWOHRB1"),  # unknown court: compacted only
        ("FN 123456 a", "AT", "FN123456A"),
        ("123456a", "AT", "FN123456A"),
        ("CHE-107.787.577", "CH", "CHE107787577"),
        ("CH-020.3.012.345-6", "CH", "CH02030123456"),
        ("RCS Luxembourg B 123456", "LU", "B123456"),
        ("R.C.S. Luxembourg: B123456", "LU", "B123456"),
        ("b-123456", "LU", "B123456"),
        ("123 456 789", "FR", "123456789"),
        ("", "NL", ""),
        (None, "DE", ""),
    ],
)
def test_normalize_coc(number, country, expected):
    assert normalize_coc(number, country) == expected
    assert normalize_coc(expected, country) == expected


@pytest.mark.parametrize(
    ("number", "country", "message"),
    [
        (
            "1234567",
            "NL",
            "1234567 is not a valid chamber of commerce number:"
            " a KvK number has 8 digits, this one has 7",
        ),
        (
            "123456789",
            "NL",
            "123456789 is not a valid chamber of commerce number:"
            " a KvK number has 8 digits, this one has 9",
        ),
        (
            "1234567x",
            "NL",
            "1234567x is not a valid chamber of commerce number: a KvK number has only digits",
        ),
        (
            "00000000",
            "NL",
            "00000000 is not a valid chamber of commerce number: a KvK number cannot be all zeros",
        ),
        (
            "0403019262",
            "BE",
            "0403019262 is not a valid chamber of commerce number: wrong check digit",
        ),
        (
            "CHE-107.787.578",
            "CH",
            "CHE-107.787.578 is not a valid chamber of commerce number: wrong check digit",
        ),
    ],
)
def test_normalize_coc_rejects(number, country, message):
    with pytest.raises(InvalidCoc) as excinfo:
        normalize_coc(number, country)
    assert str(excinfo.value) == message
    assert isinstance(excinfo.value, ValueError)


# ---------------------------------------------------------------------------
# postcodes
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("country", "postcode", "expected"),
    [
        ("NL", "3011 AB", ("3011 AB", 3011)),
        ("NL", "3011ab", ("3011 AB", 3011)),
        ("nl", " 3011\u00a0ab ", ("3011 AB", 3011)),
        ("NL", "NL-3011 AB", ("3011 AB", 3011)),
        ("NL", "3011", ("3011", 3011)),
        ("NL", "9999 ZZ", ("9999 ZZ", 9999)),
        ("BE", "1000", ("1000", 1000)),
        ("BE", "B-1000", ("1000", 1000)),
        ("BE", "BE 9000", ("9000", 9000)),
        ("AT", "1010", ("1010", 1010)),
        ("AT", "A-1010", ("1010", 1010)),
        ("CH", "8001", ("8001", 8001)),
        ("CH", "CH-8001", ("8001", 8001)),
        ("LU", "1234", ("1234", 1234)),
        ("LU", "L-1234", ("1234", 1234)),
        ("LU", "L1234", ("1234", 1234)),
        ("LU", "LU-1234", ("1234", 1234)),
        ("DE", "01067", ("01067", 1067)),
        ("DE", "D-01067", ("01067", 1067)),
        ("DE", "DE10115", ("10115", 10115)),
        ("DE", "99998", ("99998", 99998)),
        ("FR", "75001", ("75001", 75001)),
        ("IT", "00100", ("00100", 100)),
        ("GB", "sw1a  1aa", ("SW1A 1AA", None)),
        ("PT", "1234-567", ("1234-567", 1234)),
        ("US", "123456789012", ("123456789012", 123456789012)),
        ("", "1234", ("1234", 1234)),
    ],
)
def test_normalize_postcode(country, postcode, expected):
    assert normalize_postcode(country, postcode) == expected
    assert normalize_postcode(country, expected[0]) == expected


@pytest.mark.parametrize(
    ("country", "postcode", "message"),
    [
        (
            "NL",
            "0123 AB",
            "'0123 AB' is not a valid Dutch postcode: a Dutch postcode does not start with 0",
        ),
        (
            "NL",
            "3011 SS",
            "'3011 SS' is not a valid Dutch postcode: the letters SS are not used in postcodes",
        ),
        ("NL", "3011 SA", None),
        ("NL", "3011 SD", None),
        (
            "NL",
            "3011 A",
            "'3011 A' is not a valid Dutch postcode:"
            " expected 4 digits, optionally followed by 2 letters, like 3011 AB",
        ),
        ("NL", "30111", None),
        ("NL", "3011 ABC", None),
        ("NL", "AB 3011", None),
        (
            "BE",
            "0999",
            "'0999' is not a valid Belgian postcode: expected a number from 1000 to 9999, like 1000",
        ),
        (
            "BE",
            "100",
            "'100' is not a valid Belgian postcode: expected exactly 4 digits, like 1000",
        ),
        ("BE", "12 34", None),
        ("BE", "F-1000", None),
        ("AT", "10100", None),
        ("CH", "800", None),
        ("LU", "L-12345", None),
        (
            "DE",
            "1067",
            "'1067' is not a valid German postcode: expected exactly 5 digits, like 01067",
        ),
        (
            "DE",
            "00123",
            "'00123' is not a valid German postcode: German postcodes do not start with 00",
        ),
        ("DE", "0106A", None),
        ("DE", "٠١٠٦٧", None),  # Arabic-Indic digits are not postcode digits
        ("DE", "", "'' is not a valid German postcode: the postcode is empty"),
        ("NL", None, None),
        ("FR", "   ", None),
        (
            "US",
            "1234567890123",
            "'1234567890123' is not a valid postcode in United States of America:"
            " use at most 12 letters, digits, spaces or dashes",
        ),
        ("US", "12#4", None),
        ("GB", "-SW1", None),
    ],
)
def test_normalize_postcode_rejects(country, postcode, message):
    with pytest.raises(InvalidPostcode) as excinfo:
        normalize_postcode(country, postcode)
    assert isinstance(excinfo.value, ValueError)
    if message is not None:
        assert str(excinfo.value) == message


def test_postcode_digits():
    assert POSTCODE_DIGITS == {"NL": 4, "BE": 4, "AT": 4, "CH": 4, "LU": 4, "DE": 5}


# ---------------------------------------------------------------------------
# countries
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        ("NL", True),
        ("BE", True),
        ("DE", True),
        ("AT", True),
        ("CH", True),
        ("LU", True),
        ("GB", True),
        ("nl", True),
        (" de ", True),
        ("EL", False),  # Greece's VAT prefix, not an ISO code
        ("UK", False),
        ("XX", False),
        ("NLD", False),
        ("", False),
        (None, False),
    ],
)
def test_is_known_country(code, expected):
    assert is_known_country(code) is expected


def test_module_imports_without_django():
    code = (
        "import sys; import leads.matching.normalize as n; "
        "assert not any(m == 'django' or m.startswith('django.') for m in sys.modules); "
        "n.normalize_company_name('Foo B.V.'); n.normalize_vat('NL004495445B01'); "
        "assert not any(m == 'django' for m in sys.modules)"
    )
    root = Path(__file__).resolve().parents[2]
    subprocess.run([sys.executable, "-c", code], check=True, cwd=root)


@pytest.mark.parametrize(
    ("number", "country"),
    [("A" * 31, "FR"), ("HRB " + "1" * 40, "DE"), ("FN " + "1" * 29 + "a", "AT"), ("ß" * 16, "US")],
)
def test_a_register_number_longer_than_its_column_is_refused(number, country):
    """Lead.coc_number holds 30 characters; a longer compact number was a database error
    (PostgreSQL) once the lead was stored."""
    with pytest.raises(InvalidCoc, match="longer than 30 characters"):
        normalize_coc(number, country)
    assert normalize_coc("A" * 30, "FR") == "A" * 30

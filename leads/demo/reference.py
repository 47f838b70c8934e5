"""Dealers in NL, BE, DE, AT, CH and LU with real postcode-range territories and
sectors, and the internal team: a channel manager, a sales manager, a senior rep,
account managers and internal sales (one out of office with a backup)."""

import functools
import random
from dataclasses import dataclass, field
from datetime import timedelta

from django.contrib.auth.hashers import get_hasher, make_password
from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify

from dealers.models import Dealer, DealerMembership
from leads.demo import companies
from leads.models import Queue
from portal.users.models import Role, StaffProfile, User
from territories.models import PostcodeRange, Territory, TerritoryOwner

DEMO_PASSWORD = "demo-portal-2026"
DEMO_DOMAIN = "demo.dealerportal.eu"


@dataclass(frozen=True)
class DealerSpec:
    name: str
    country: str
    city: str
    language: str
    sectors: tuple[str, ...] = ()
    capacity: int | None = None
    status: str = "active"


@dataclass(frozen=True)
class TerritorySpec:
    name: str
    country: str
    ranges: tuple[tuple[int, int], ...]
    owners: tuple[tuple[str, float], ...]  # (dealer name or staff e-mail, weight)
    sectors: tuple[str, ...] = field(default=())


DEALERS = [
    # Netherlands
    DealerSpec("Van Dijk Techniek B.V.", "NL", "Amsterdam", "nl", ("machinery",)),
    DealerSpec("Noord-Holland Machinehandel B.V.", "NL", "Alkmaar", "nl", ("food",)),
    DealerSpec(
        "Rijnmond Industrie Service B.V.", "NL", "Rotterdam", "nl", ("logistics", "machinery")
    ),
    DealerSpec("Haaglanden Techniek B.V.", "NL", "Den Haag", "nl"),
    DealerSpec("Utrecht Interieur Machines B.V.", "NL", "Utrecht", "nl", ("furniture",)),
    DealerSpec("Brabant Machinehandel B.V.", "NL", "Tilburg", "nl", ("packaging", "food")),
    DealerSpec("Eindhoven Automotive Solutions B.V.", "NL", "Eindhoven", "nl", ("automotive",)),
    DealerSpec("Limburg Industrie B.V.", "NL", "Maastricht", "nl", ("plastics",)),
    DealerSpec("Gelderse Agri Techniek B.V.", "NL", "Arnhem", "nl", ("agriculture",)),
    DealerSpec("Twente Industrial B.V.", "NL", "Enschede", "nl", ("metalworking",), capacity=40),
    DealerSpec("Noord Automotive Groningen B.V.", "NL", "Groningen", "nl", ("automotive",)),
    DealerSpec(
        "Friesland Agro Service B.V.",
        "NL",
        "Leeuwarden",
        "nl",
        ("agriculture", "food"),
        status="paused",
    ),
    # Belgium
    DealerSpec("Antwerp Industrial NV", "BE", "Antwerpen", "nl", ("logistics",)),
    DealerSpec("Gent Machinebouw BV", "BE", "Gent", "nl", ("machinery",)),
    DealerSpec("Brugge Food Equipment BV", "BE", "Brugge", "nl", ("food",)),
    DealerSpec("Brussels Tech Services SA", "BE", "Bruxelles", "en"),
    DealerSpec("Liège Industrie SA", "BE", "Liège", "en", ("metalworking",)),
    DealerSpec("Hasselt Automotive Solutions NV", "BE", "Hasselt", "nl", ("automotive",)),
    DealerSpec("Namur Agri SA", "BE", "Namur", "en", ("agriculture",)),
    # Germany
    DealerSpec("Müller Maschinenbau GmbH", "DE", "München", "de", ("machinery",)),
    DealerSpec("Bayern Automotive Systeme GmbH", "DE", "Ingolstadt", "de", ("automotive",)),
    DealerSpec("Schwaben Holztechnik GmbH", "DE", "Stuttgart", "de", ("furniture",)),
    DealerSpec(
        "Stuttgarter Industrietechnik GmbH", "DE", "Stuttgart", "de", ("automotive", "metalworking")
    ),
    DealerSpec("Rhein-Ruhr Anlagen GmbH", "DE", "Essen", "de", ("metalworking", "energy")),
    DealerSpec("Kölner Lebensmitteltechnik GmbH", "DE", "Köln", "de", ("food",)),
    DealerSpec("Hamburger Logistiktechnik GmbH", "DE", "Hamburg", "de", ("logistics",)),
    DealerSpec("Niedersachsen Agrartechnik GmbH", "DE", "Hannover", "de", ("agriculture",)),
    DealerSpec(
        "Hessen Fördertechnik GmbH", "DE", "Frankfurt am Main", "de", ("logistics", "packaging")
    ),
    DealerSpec("Berliner Industrieservice GmbH", "DE", "Berlin", "de"),
    DealerSpec("Sachsen Maschinen GmbH", "DE", "Leipzig", "de", ("machinery", "plastics")),
    DealerSpec(
        "Frankenland Technik GmbH", "DE", "Nürnberg", "de", ("plastics",), status="terminated"
    ),
    # Austria
    DealerSpec("Wiener Industrietechnik GmbH", "AT", "Wien", "de"),
    DealerSpec("Alpen Maschinen GmbH", "AT", "Innsbruck", "de", ("machinery",)),
    DealerSpec("Steirische Anlagenbau GmbH", "AT", "Graz", "de", ("automotive", "metalworking")),
    DealerSpec("Oberösterreich Automotive GmbH", "AT", "Linz", "de", ("automotive",)),
    # Switzerland
    DealerSpec("Zürcher Maschinen AG", "CH", "Zürich", "de", ("machinery",)),
    DealerSpec("Romandie Industrie SA", "CH", "Lausanne", "en"),
    DealerSpec("Basler Technik AG", "CH", "Basel", "de", ("pharma",)),
    DealerSpec("Innerschweiz Anlagen AG", "CH", "Luzern", "de", ("food",)),
    # Luxembourg
    DealerSpec("Luxembourg Industrial Services S.à r.l.", "LU", "Luxembourg", "en"),
]

# The region of a dealer's city whose own public holidays count on its clocks.
CITY_REGIONS = {
    "München": "DE-BY",
    "Ingolstadt": "DE-BY",
    "Nürnberg": "DE-BY",
    "Stuttgart": "DE-BW",
    "Essen": "DE-NW",
    "Köln": "DE-NW",
    "Hamburg": "DE-HH",
    "Hannover": "DE-NI",
    "Frankfurt am Main": "DE-HE",
    "Berlin": "DE-BE",
    "Leipzig": "DE-SN",
    "Wien": "AT-9",
    "Innsbruck": "AT-7",
    "Graz": "AT-6",
    "Linz": "AT-4",
    "Zürich": "CH-ZH",
    "Lausanne": "CH-VD",
    "Basel": "CH-BS",
    "Luzern": "CH-LU",
    "Antwerpen": "BE-Flemish",
    "Gent": "BE-Flemish",
    "Brugge": "BE-Flemish",
    "Hasselt": "BE-Flemish",
    "Liège": "BE-French",
    "Namur": "BE-French",
}

STAFF = [
    # (e-mail local part, name, role, account manager, countries, sectors, language)
    ("claudia.jansen", "Claudia Jansen", Role.CHANNEL_MANAGER, False, (), (), "en"),
    ("mark.deboer", "Mark de Boer", Role.SALES_MANAGER, False, (), (), "en"),
    (
        "sophie.wagner",
        "Sophie Wagner",
        Role.SENIOR_REP,
        False,
        (),
        ("automotive", "machinery"),
        "de",
    ),
    ("eva.visser", "Eva Visser", Role.INTERNAL_SALES, True, ("NL", "BE", "LU"), (), "en"),
    ("thomas.becker", "Thomas Becker", Role.INTERNAL_SALES, True, ("DE", "AT", "CH"), (), "de"),
    ("lars.peeters", "Lars Peeters", Role.INTERNAL_SALES, False, ("NL", "BE", "LU"), (), "nl"),
    ("anna.schmidt", "Anna Schmidt", Role.INTERNAL_SALES, False, ("DE", "AT", "CH"), (), "de"),
]

TERRITORIES = [
    # Netherlands (4-digit postcodes)
    TerritorySpec(
        "NL Amsterdam & Noord-Holland Zuid",
        "NL",
        ((1000, 1199), (1300, 1499)),
        (("Van Dijk Techniek B.V.", 1),),
    ),
    TerritorySpec(
        "NL Noord-Holland Noord", "NL", ((1500, 1999),), (("Noord-Holland Machinehandel B.V.", 1),)
    ),
    TerritorySpec(
        "NL Haaglanden & Leiden",
        "NL",
        ((2000, 2799),),
        (("Haaglanden Techniek B.V.", 1), ("Rijnmond Industrie Service B.V.", 1)),
    ),
    TerritorySpec(
        "NL Rijnmond",
        "NL",
        ((2800, 3399),),
        (("Rijnmond Industrie Service B.V.", 2), ("Haaglanden Techniek B.V.", 1)),
    ),
    TerritorySpec(
        "NL Utrecht & Gooi",
        "NL",
        ((1200, 1299), (3400, 3999)),
        (("Utrecht Interieur Machines B.V.", 1), ("Van Dijk Techniek B.V.", 1)),
    ),
    TerritorySpec(
        "NL Zeeland & West-Brabant", "NL", ((4000, 4999),), (("Brabant Machinehandel B.V.", 1),)
    ),
    TerritorySpec(
        "NL Brabant",
        "NL",
        ((5000, 5499), (5700, 5999)),
        (("Brabant Machinehandel B.V.", 1), ("Eindhoven Automotive Solutions B.V.", 1)),
    ),
    TerritorySpec(
        "NL Eindhoven", "NL", ((5500, 5699),), (("Eindhoven Automotive Solutions B.V.", 1),)
    ),
    TerritorySpec("NL Limburg", "NL", ((6000, 6499),), (("Limburg Industrie B.V.", 1),)),
    TerritorySpec("NL Gelderland", "NL", ((6500, 7399),), (("Gelderse Agri Techniek B.V.", 1),)),
    TerritorySpec(
        "NL Overijssel & Drenthe",
        "NL",
        ((7400, 7999),),
        (("Twente Industrial B.V.", 1), ("Noord Automotive Groningen B.V.", 1)),
    ),
    TerritorySpec("NL Flevoland & Zwolle", "NL", ((8000, 8499),), (("Twente Industrial B.V.", 1),)),
    TerritorySpec(
        "NL Friesland",
        "NL",
        ((8500, 9299),),
        (("Friesland Agro Service B.V.", 1), ("Noord Automotive Groningen B.V.", 1)),
    ),
    TerritorySpec("NL Groningen", "NL", ((9300, 9999),), (("Noord Automotive Groningen B.V.", 1),)),
    TerritorySpec(
        "NL Automotive specialists",
        "NL",
        ((5000, 5999), (9000, 9999)),
        (("Eindhoven Automotive Solutions B.V.", 1), ("Noord Automotive Groningen B.V.", 1)),
        ("automotive",),
    ),
    # Belgium
    TerritorySpec(
        "BE Brussel / Bruxelles", "BE", ((1000, 1299),), (("Brussels Tech Services SA", 1),)
    ),
    TerritorySpec("BE Antwerpen", "BE", ((2000, 2999),), (("Antwerp Industrial NV", 1),)),
    TerritorySpec(
        "BE Vlaams-Brabant & Limburg",
        "BE",
        ((1500, 1999), (3000, 3999)),
        (("Hasselt Automotive Solutions NV", 1), ("Antwerp Industrial NV", 1)),
    ),
    TerritorySpec(
        "BE Wallonie",
        "BE",
        ((1300, 1499), (4000, 7999)),
        (("Liège Industrie SA", 1), ("Namur Agri SA", 1)),
    ),
    TerritorySpec("BE West-Vlaanderen", "BE", ((8000, 8999),), (("Brugge Food Equipment BV", 1),)),
    TerritorySpec("BE Oost-Vlaanderen", "BE", ((9000, 9999),), (("Gent Machinebouw BV", 1),)),
    # Germany (5-digit postcodes)
    TerritorySpec(
        "DE Sachsen & Thüringen",
        "DE",
        ((1000, 9999), (98000, 99999)),
        (("Sachsen Maschinen GmbH", 1),),
    ),
    TerritorySpec(
        "DE Berlin & Brandenburg", "DE", ((10000, 19999),), (("Berliner Industrieservice GmbH", 1),)
    ),
    TerritorySpec(
        "DE Hamburg & Schleswig-Holstein",
        "DE",
        ((20000, 25999),),
        (("Hamburger Logistiktechnik GmbH", 1),),
    ),
    TerritorySpec(
        "DE Niedersachsen & Bremen",
        "DE",
        ((26000, 31999), (37000, 38999), (49000, 49999)),
        (("Niedersachsen Agrartechnik GmbH", 1),),
    ),
    TerritorySpec(
        "DE Nordrhein-Westfalen Ruhr",
        "DE",
        ((32000, 33999), (40000, 48999), (57000, 59999)),
        (("Rhein-Ruhr Anlagen GmbH", 1),),
    ),
    TerritorySpec(
        "DE Köln & Bonn",
        "DE",
        ((50000, 53999),),
        (("Kölner Lebensmitteltechnik GmbH", 1), ("Rhein-Ruhr Anlagen GmbH", 1)),
    ),
    TerritorySpec(
        "DE Hessen", "DE", ((34000, 36999), (60000, 65999)), (("Hessen Fördertechnik GmbH", 1),)
    ),
    TerritorySpec(
        "DE Rheinland-Pfalz & Saarland",
        "DE",
        ((54000, 56999), (66000, 67999)),
        (("Hessen Fördertechnik GmbH", 1), ("Kölner Lebensmitteltechnik GmbH", 1)),
    ),
    TerritorySpec(
        "DE Baden-Württemberg",
        "DE",
        ((68000, 79999), (88000, 89999)),
        (("Stuttgarter Industrietechnik GmbH", 2), ("Schwaben Holztechnik GmbH", 1)),
    ),
    TerritorySpec(
        "DE Bayern Süd",
        "DE",
        ((80000, 87999),),
        (("Müller Maschinenbau GmbH", 1), ("Bayern Automotive Systeme GmbH", 1)),
    ),
    TerritorySpec(
        "DE Franken",
        "DE",
        ((90000, 97999),),
        (("Frankenland Technik GmbH", 1), ("Müller Maschinenbau GmbH", 1)),
    ),
    TerritorySpec(
        "DE Süd Automotive",
        "DE",
        ((70000, 74999), (80000, 86999)),
        (("Bayern Automotive Systeme GmbH", 1), ("Stuttgarter Industrietechnik GmbH", 1)),
        ("automotive",),
    ),
    TerritorySpec(
        "DE Möbelindustrie Süd",
        "DE",
        ((70000, 79999), (90000, 97999)),
        (("Schwaben Holztechnik GmbH", 1),),
        ("furniture",),
    ),
    # Austria
    TerritorySpec(
        "AT Wien & Niederösterreich", "AT", ((1000, 3999),), (("Wiener Industrietechnik GmbH", 1),)
    ),
    TerritorySpec(
        "AT Oberösterreich & Salzburg",
        "AT",
        ((4000, 5999),),
        (("Oberösterreich Automotive GmbH", 1), ("Wiener Industrietechnik GmbH", 1)),
    ),
    TerritorySpec("AT Tirol & Vorarlberg", "AT", ((6000, 6999),), (("Alpen Maschinen GmbH", 1),)),
    TerritorySpec(
        "AT Steiermark, Kärnten & Burgenland",
        "AT",
        ((7000, 9999),),
        (("Steirische Anlagenbau GmbH", 1),),
    ),
    # Switzerland
    TerritorySpec("CH Romandie", "CH", ((1000, 2999),), (("Romandie Industrie SA", 1),)),
    TerritorySpec(
        "CH Bern & Wallis",
        "CH",
        ((3000, 3999),),
        (("Romandie Industrie SA", 1), ("Zürcher Maschinen AG", 1)),
    ),
    TerritorySpec("CH Nordwestschweiz", "CH", ((4000, 5999),), (("Basler Technik AG", 1),)),
    TerritorySpec(
        "CH Zentralschweiz & Tessin", "CH", ((6000, 6999),), (("Innerschweiz Anlagen AG", 1),)
    ),
    TerritorySpec("CH Zürich & Ostschweiz", "CH", ((7000, 9999),), (("Zürcher Maschinen AG", 1),)),
    # Luxembourg: the whole country
    TerritorySpec("LU Luxembourg", "LU", (), (("Luxembourg Industrial Services S.à r.l.", 1),)),
]

DEALER_FIRST_NAMES = {
    "nl": ["Jeroen", "Sanne", "Pieter", "Lotte", "Bram", "Femke", "Ruben", "Iris"],
    "de": ["Jonas", "Lena", "Felix", "Miriam", "Lukas", "Katrin", "Stefan", "Julia"],
    "en": ["Julien", "Camille", "Luc", "Manon", "Olivier", "Chloé", "Marc", "Sophie"],
}
DEALER_LAST_NAMES = {
    "nl": ["de Jong", "Bakker", "Smit", "Meijer", "Mulder", "de Graaf", "Bos", "Vos"],
    "de": ["Fischer", "Weber", "Hoffmann", "Koch", "Richter", "Klein", "Wolf", "Neumann"],
    "en": ["Dubois", "Lambert", "Martin", "Simon", "Laurent", "Leroy", "Moreau", "Renard"],
}


@dataclass
class DemoLogin:
    role: str
    email: str
    name: str
    note: str = ""


def demo_email(local: str) -> str:
    return f"{local}@{DEMO_DOMAIN}"


def _demo_password_hash() -> str:
    """Hashed once per hasher: PBKDF2 per user would take seconds."""
    return _password_hash(get_hasher().algorithm)


@functools.cache
def _password_hash(algorithm: str) -> str:
    return make_password(DEMO_PASSWORD, hasher=algorithm)


def _user(email: str, name: str, language: str, phone: str = "") -> User:
    user, _created = User.objects.get_or_create(
        email=email,
        defaults={
            "name": name,
            "language": language,
            "password": _demo_password_hash(),
            "phone": phone,
        },
    )
    return user


STAFF_OFFICES = {"NL": "Utrecht", "DE": "Düsseldorf"}  # where the internal team sits


def _phone(key: str, country: str, city: str, mobile: float) -> str:
    """A stable phone number in ``country``'s numbering plan (see ``companies``)."""
    return companies.phone_number(random.Random(f"phone-{key}"), country, city, mobile=mobile)


@transaction.atomic
def build_reference(*, now=None) -> dict:
    """People, dealers and territories; returns lookups for the history builder."""
    now = now or timezone.now()
    staff = {}
    for local, name, role, is_am, countries, sectors, language in STAFF:
        office = countries[0] if countries else ("DE" if language == "de" else "NL")
        phone = _phone(local, office, STAFF_OFFICES.get(office, ""), mobile=0.5)
        user = _user(demo_email(local), name, language, phone)
        profile, _ = StaffProfile.objects.get_or_create(
            user=user,
            defaults={
                "role": role,
                "is_account_manager": is_am,
                "countries": list(countries),
                "sectors": list(sectors),
                "home_country": office,
            },
        )
        staff[local] = user
    for local, user in staff.items():
        profile = user.staffprofile
        if local != "mark.deboer" and profile.manager_id is None:
            profile.manager = staff["mark.deboer"]
            profile.save(update_fields=["manager"])
    # Anna is on holiday; Thomas covers for her.
    anna = staff["anna.schmidt"].staffprofile
    if anna.backup_id is None:
        anna.backup = staff["thomas.becker"]
        anna.out_of_office_from = now - timedelta(days=3)
        anna.out_of_office_until = now + timedelta(days=11)
        anna.save()
    superuser = _user(demo_email("admin"), "Portal Administrator", "en")
    if not superuser.is_superuser:
        superuser.is_superuser = superuser.is_staff = True
        superuser.save(update_fields=["is_superuser", "is_staff"])

    for queue in Queue.objects.all():
        if queue.responsible_id is None:
            queue.responsible = staff["claudia.jansen"]
            queue.save(update_fields=["responsible"])

    dealers = {}
    for index, spec in enumerate(DEALERS):
        slug = slugify(spec.name.replace("ü", "ue").replace("ö", "oe").replace("ä", "ae"))
        dealer, _ = Dealer.objects.get_or_create(
            slug=slug,
            defaults={
                "name": spec.name,
                "status": spec.status,
                "countries": [spec.country],
                "sectors": list(spec.sectors),
                "weekly_capacity": spec.capacity,
                "contact_email": f"sales@{slug}.example",
                "phone": _phone(slug, spec.country, spec.city, mobile=0.0),
                "city": spec.city,
                "language": spec.language,
                "home_country": spec.country,
                "region": CITY_REGIONS.get(spec.city, ""),
            },
        )
        dealers[spec.name] = dealer
        firsts, lasts = DEALER_FIRST_NAMES[spec.language], DEALER_LAST_NAMES[spec.language]
        for seat in range(2 if index % 3 else 3):
            name = (
                f"{firsts[(index + seat) % len(firsts)]} {lasts[(index * 3 + seat) % len(lasts)]}"
            )
            role = Role.DEALER_ADMIN if seat == 0 else Role.DEALER_USER
            short = "-".join(slug.split("-")[:2])
            local = f"{'admin' if seat == 0 else f'user{seat}'}.{short}"
            # admins read English in the demo; colleagues their dealer's language
            phone = _phone(local, spec.country, spec.city, mobile=0.6)
            user = _user(demo_email(local), name, "en" if seat == 0 else spec.language, phone)
            if user.dealer_membership is None:
                DealerMembership.objects.create(user=user, dealer=dealer, role=role)

    for spec in TERRITORIES:
        territory, created = Territory.objects.get_or_create(
            name=spec.name, defaults={"country": spec.country, "sectors": list(spec.sectors)}
        )
        if not created:
            continue
        PostcodeRange.objects.bulk_create(
            PostcodeRange(territory=territory, start=lo, end=hi) for lo, hi in spec.ranges
        )
        for owner, weight in spec.owners:
            TerritoryOwner.objects.create(territory=territory, dealer=dealers[owner], weight=weight)
    return {"staff": staff, "dealers": dealers}


def demo_logins(staff: dict, dealers: dict) -> list[DemoLogin]:
    first = dealers["Rijnmond Industrie Service B.V."]
    other = dealers["Eindhoven Automotive Solutions B.V."]
    logins = [
        DemoLogin("Channel manager", staff["claudia.jansen"].email, "Claudia Jansen"),
        DemoLogin("Sales manager", staff["mark.deboer"].email, "Mark de Boer"),
        DemoLogin("Senior rep", staff["sophie.wagner"].email, "Sophie Wagner", "enterprise deals"),
        DemoLogin("Account manager", staff["eva.visser"].email, "Eva Visser", "NL/BE/LU customers"),
        DemoLogin(
            "Internal sales",
            staff["anna.schmidt"].email,
            "Anna Schmidt",
            "out of office; backup Thomas Becker",
        ),
    ]
    for dealer in (first, other):
        for membership in dealer.memberships.select_related("user").order_by("role", "user__email")[
            :2
        ]:
            logins.append(
                DemoLogin(
                    f"{membership.get_role_display()} · {dealer.name}",
                    membership.user.email,
                    membership.user.name,
                )
            )
    logins.append(
        DemoLogin("Administrator", demo_email("admin"), "Portal Administrator", "Django admin")
    )
    return logins

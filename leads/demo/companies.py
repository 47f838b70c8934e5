"""Plausible companies for the demo: names, places with real postcodes, valid VAT
numbers (check digits computed with python-stdnum), sectors and products."""

import random

from stdnum.at import uid as at_uid
from stdnum.ch import uid as ch_uid
from stdnum.iso7064 import mod_11_10
from stdnum.lu import tva as lu_tva
from stdnum.nl import bsn

from leads.matching.normalize import InvalidVat, normalize_vat

# (city, postcode prefix range) per country; postcodes are generated inside the range.
PLACES = {
    "NL": [
        ("Amsterdam", 1011, 1109),
        ("Haarlem", 2011, 2037),
        ("Alkmaar", 1811, 1829),
        ("Den Haag", 2491, 2597),
        ("Leiden", 2311, 2334),
        ("Rotterdam", 3011, 3089),
        ("Dordrecht", 3311, 3329),
        ("Utrecht", 3511, 3585),
        ("Amersfoort", 3811, 3829),
        ("Breda", 4811, 4839),
        ("Middelburg", 4331, 4338),
        ("Tilburg", 5011, 5049),
        ("'s-Hertogenbosch", 5211, 5249),
        ("Eindhoven", 5611, 5658),
        ("Helmond", 5701, 5709),
        ("Venlo", 5911, 5929),
        ("Maastricht", 6211, 6229),
        ("Heerlen", 6411, 6419),
        ("Nijmegen", 6511, 6546),
        ("Arnhem", 6811, 6846),
        ("Apeldoorn", 7311, 7339),
        ("Enschede", 7511, 7548),
        ("Zwolle", 8011, 8046),
        ("Almere", 1311, 1358),
        ("Leeuwarden", 8911, 8939),
        ("Groningen", 9711, 9747),
        ("Emmen", 7811, 7828),
    ],
    "BE": [
        ("Bruxelles", 1000, 1210),
        ("Antwerpen", 2000, 2660),
        ("Mechelen", 2800, 2812),
        ("Leuven", 3000, 3018),
        ("Hasselt", 3500, 3512),
        ("Genk", 3600, 3600),
        ("Liège", 4000, 4032),
        ("Namur", 5000, 5101),
        ("Charleroi", 6000, 6061),
        ("Mons", 7000, 7034),
        ("Brugge", 8000, 8380),
        ("Kortrijk", 8500, 8511),
        ("Gent", 9000, 9052),
        ("Aalst", 9300, 9320),
        ("Wavre", 1300, 1301),
    ],
    "DE": [
        ("Dresden", 1067, 1328),
        ("Leipzig", 4103, 4357),
        ("Berlin", 10115, 14199),
        ("Hamburg", 20095, 22769),
        ("Kiel", 24103, 24159),
        ("Bremen", 28195, 28779),
        ("Hannover", 30159, 30669),
        ("Bielefeld", 33602, 33739),
        ("Düsseldorf", 40210, 40629),
        ("Essen", 45127, 45359),
        ("Dortmund", 44135, 44388),
        ("Münster", 48143, 48167),
        ("Köln", 50667, 51149),
        ("Bonn", 53111, 53229),
        ("Frankfurt am Main", 60306, 60599),
        ("Wiesbaden", 65183, 65207),
        ("Saarbrücken", 66111, 66133),
        ("Mannheim", 68159, 68309),
        ("Stuttgart", 70173, 70619),
        ("Karlsruhe", 76131, 76229),
        ("Freiburg im Breisgau", 79098, 79117),
        ("Ulm", 89073, 89081),
        ("München", 80331, 81929),
        ("Augsburg", 86150, 86199),
        ("Ingolstadt", 85049, 85057),
        ("Nürnberg", 90402, 90491),
        ("Würzburg", 97070, 97084),
        ("Erfurt", 99084, 99099),
    ],
    "AT": [
        ("Wien", 1010, 1230),
        ("St. Pölten", 3100, 3109),
        ("Linz", 4020, 4040),
        ("Salzburg", 5020, 5026),
        ("Innsbruck", 6020, 6080),
        ("Bregenz", 6900, 6900),
        ("Graz", 8010, 8055),
        ("Klagenfurt", 9020, 9073),
    ],
    "CH": [
        ("Genève", 1201, 1209),
        ("Lausanne", 1003, 1018),
        ("Bern", 3001, 3027),
        ("Basel", 4001, 4059),
        ("Aarau", 5000, 5004),
        ("Luzern", 6003, 6015),
        ("Lugano", 6900, 6912),
        ("Zürich", 8001, 8064),
        ("Winterthur", 8400, 8411),
        ("St. Gallen", 9000, 9016),
    ],
    "LU": [
        ("Luxembourg", 1009, 2999),
        ("Esch-sur-Alzette", 4001, 4398),
        ("Differdange", 4501, 4698),
    ],
}

COUNTRY_WEIGHTS = [("NL", 32), ("DE", 34), ("BE", 14), ("AT", 8), ("CH", 9), ("LU", 3)]

NAME_PARTS = {
    "NL": (
        [
            "Van den Berg",
            "De Vries",
            "Hollandse",
            "Noordelijke",
            "Delta",
            "Polder",
            "Kempen",
            "Rivierenland",
            "Westland",
            "Veluwe",
            "Zuidas",
            "IJssel",
            "Maas",
            "Dijkstra",
            "Visser",
            "Koninklijke",
            "Brabantse",
            "Twentse",
            "Fries",
            "Limburgse",
        ],
        [
            "Metaal",
            "Verpakkingen",
            "Kunststoffen",
            "Meubelfabriek",
            "Voedingsmiddelen",
            "Transport",
            "Machinebouw",
            "Agri",
            "Techniek",
            "Bouwgroep",
            "Logistiek",
            "Zuivel",
            "Bakkerij",
            "Staalbouw",
            "Interieurbouw",
            "Auto Onderdelen",
        ],
        ["B.V.", "B.V.", "B.V.", "N.V.", "Holding B.V."],
    ),
    "BE": (
        [
            "Vlaamse",
            "Ardense",
            "Schelde",
            "Kempische",
            "Brabo",
            "Mosan",
            "Haven",
            "Leie",
            "Meuse",
            "Gantoise",
            "Peeters",
            "Janssens",
            "Dubois",
            "Lambert",
            "Wouters",
        ],
        [
            "Metaalbewerking",
            "Voeding",
            "Logistics",
            "Industrie",
            "Plastics",
            "Agro",
            "Meubelen",
            "Emballage",
            "Constructions",
            "Chocolaterie",
            "Automotive Parts",
            "Machines",
        ],
        ["NV", "BV", "SA", "SRL", "NV"],
    ),
    "DE": (
        [
            "Schmidt",
            "Müller",
            "Rheinische",
            "Bayerische",
            "Schwäbische",
            "Hanseatische",
            "Sächsische",
            "Westfälische",
            "Fränkische",
            "Becker",
            "Wagner",
            "Hoffmann",
            "Nord",
            "Alpen",
            "Main",
            "Elbe",
            "Harz",
            "Ruhr",
            "Weser",
            "Donau",
        ],
        [
            "Maschinenbau",
            "Metallwerke",
            "Kunststofftechnik",
            "Möbelwerke",
            "Lebensmittel",
            "Logistik",
            "Fahrzeugteile",
            "Agrar",
            "Verpackung",
            "Stahlbau",
            "Brauerei",
            "Antriebstechnik",
            "Feinmechanik",
            "Automotive",
            "Energietechnik",
            "Pharma",
        ],
        ["GmbH", "GmbH", "GmbH & Co. KG", "AG", "KG"],
    ),
    "AT": (
        [
            "Tiroler",
            "Steirische",
            "Wiener",
            "Alpen",
            "Donau",
            "Kärntner",
            "Salzburger",
            "Gruber",
            "Huber",
            "Pichler",
        ],
        [
            "Maschinenbau",
            "Holzindustrie",
            "Metallbau",
            "Lebensmittel",
            "Logistik",
            "Kunststoff",
            "Fahrzeugtechnik",
            "Agrar",
        ],
        ["GmbH", "GmbH", "AG", "KG"],
    ),
    "CH": (
        [
            "Zürcher",
            "Basler",
            "Berner",
            "Helvetia",
            "Alpina",
            "Léman",
            "Jura",
            "Rhein",
            "Gotthard",
            "Suter",
        ],
        [
            "Präzisionstechnik",
            "Maschinen",
            "Pharma",
            "Lebensmittel",
            "Logistik",
            "Uhrenteile",
            "Kunststoffe",
            "Anlagenbau",
        ],
        ["AG", "AG", "SA", "GmbH"],
    ),
    "LU": (
        ["Luxembourg", "Moselle", "Ardennes", "Grand-Ducal", "Alzette"],
        ["Industries", "Logistics", "Steel", "Food", "Plastics"],
        ["S.A.", "S.à r.l.", "S.A."],
    ),
}

SECTOR_HINTS = {
    "Metaal": "metalworking",
    "Metall": "metalworking",
    "Staal": "metalworking",
    "Stahl": "metalworking",
    "Steel": "metalworking",
    "Verpak": "packaging",
    "Emballage": "packaging",
    "Verpackung": "packaging",
    "Kunststof": "plastics",
    "Plastic": "plastics",
    "Kunststoff": "plastics",
    "Meubel": "furniture",
    "Möbel": "furniture",
    "Interieur": "furniture",
    "Holz": "furniture",
    "Voeding": "food",
    "Lebensmittel": "food",
    "Food": "food",
    "Zuivel": "food",
    "Bakkerij": "food",
    "Brauerei": "food",
    "Chocolaterie": "food",
    "Transport": "logistics",
    "Logist": "logistics",
    "Machine": "machinery",
    "Maschinen": "machinery",
    "Antrieb": "machinery",
    "Präzision": "machinery",
    "Feinmechanik": "machinery",
    "Anlagen": "machinery",
    "Agr": "agriculture",
    "Auto": "automotive",
    "Fahrzeug": "automotive",
    "Bouw": "construction",
    "Constructions": "construction",
    "Energie": "energy",
    "Pharma": "pharma",
    "Industrie": "machinery",
    "Industries": "machinery",
    "Techniek": "machinery",
    "Uhren": "machinery",
}

PRODUCTS = [
    "CNC machining centre MX-500",
    "CNC machining centre MX-800",
    "Laser cutter LC-3015",
    "Press brake PB-220",
    "Packaging line PL-40",
    "Palletising robot PR-6",
    "Conveyor system CS-12",
    "Industrial oven IO-900",
    "Injection moulding IM-250",
    "Edge bander EB-7",
]

FIRST_NAMES = {
    "NL": [
        "Daan",
        "Emma",
        "Sem",
        "Julia",
        "Lucas",
        "Mila",
        "Finn",
        "Tess",
        "Jesse",
        "Sara",
        "Thijs",
        "Noor",
    ],
    "BE": [
        "Arthur",
        "Louise",
        "Noah",
        "Marie",
        "Jules",
        "Elise",
        "Victor",
        "Lotte",
        "Lucas",
        "Nina",
    ],
    "DE": [
        "Leon",
        "Hannah",
        "Paul",
        "Sophie",
        "Ben",
        "Marie",
        "Elias",
        "Lea",
        "Jonas",
        "Anna",
        "Max",
        "Laura",
    ],
    "AT": ["Tobias", "Lena", "Florian", "Katharina", "Matthias", "Sarah", "David", "Julia"],
    "CH": ["Luca", "Mia", "Noah", "Lara", "Nico", "Elena", "Jan", "Chiara"],
    "LU": ["Gilles", "Léa", "Tom", "Emma", "Luc", "Sophie"],
}
LAST_NAMES = {
    "NL": [
        "de Jong",
        "Jansen",
        "de Vries",
        "van den Berg",
        "Bakker",
        "Visser",
        "Smit",
        "Meijer",
        "de Boer",
        "Mulder",
    ],
    "BE": [
        "Peeters",
        "Janssens",
        "Maes",
        "Jacobs",
        "Mertens",
        "Willems",
        "Claes",
        "Goossens",
        "Dubois",
        "Lambert",
    ],
    "DE": [
        "Müller",
        "Schmidt",
        "Schneider",
        "Fischer",
        "Weber",
        "Meyer",
        "Wagner",
        "Becker",
        "Schulz",
        "Hoffmann",
    ],
    "AT": ["Gruber", "Huber", "Bauer", "Wagner", "Pichler", "Steiner", "Moser", "Mayer"],
    "CH": ["Müller", "Meier", "Schmid", "Keller", "Weber", "Huber", "Schneider", "Meyer"],
    "LU": ["Schmit", "Muller", "Weber", "Hoffmann", "Wagner", "Thill"],
}
ROLES = [
    "Operations Manager",
    "Plant Manager",
    "Purchasing Manager",
    "Managing Director",
    "Technical Director",
    "Production Manager",
    "Head of Engineering",
    "CFO",
    "Maintenance Lead",
]
LANGUAGE = {"NL": "nl", "BE": "nl", "DE": "de", "AT": "de", "CH": "de", "LU": "en"}


def pick_country(rng: random.Random) -> str:
    countries, weights = zip(*COUNTRY_WEIGHTS, strict=True)
    return rng.choices(countries, weights)[0]


def postcode(rng: random.Random, country: str) -> tuple[str, int, str]:
    city, lo, hi = rng.choice(PLACES[country])
    number = rng.randint(lo, hi)
    if country == "NL":
        letters = "ABCDEGHJKLMNPRTVWXZ"
        return f"{number} {rng.choice(letters)}{rng.choice(letters)}", number, city
    if country == "DE":
        return f"{number:05d}", number, city
    return f"{number}", number, city


def company_name(rng: random.Random, country: str) -> tuple[str, str]:
    first, second, forms = NAME_PARTS[country]
    a, b = rng.choice(first), rng.choice(second)
    name = f"{a} {b} {rng.choice(forms)}"
    sector = next((s for hint, s in SECTOR_HINTS.items() if hint in b), "other")
    return name, sector


def vat_number(rng: random.Random, country: str) -> str:
    """A VAT number with correct check digits, or "" when none could be made."""
    for _attempt in range(20):
        candidate = _vat_candidate(rng, country)
        if not candidate:
            return ""
        try:
            return normalize_vat(candidate)
        except InvalidVat:
            continue
    return ""


def _vat_candidate(rng: random.Random, country: str) -> str:
    if country == "NL":
        base = f"{rng.randint(10_000_000, 99_999_999)}"
        for digit in "0123456789":
            if bsn.checksum(base + digit) == 0:
                return f"NL{base}{digit}B01"
        return "NL000000000B00"  # retried
    if country == "BE":
        base = rng.randint(2_000_000, 19_999_999)
        return f"BE{base:08d}{97 - base % 97:02d}"
    if country == "DE":
        base = f"{rng.randint(10_000_000, 99_999_999)}"
        return f"DE{base}{mod_11_10.calc_check_digit(base)}"
    if country == "AT":
        base = f"{rng.randint(1_000_000, 9_999_999)}"
        return f"ATU{base}{at_uid.calc_check_digit(base)}"
    if country == "CH":
        base = f"{rng.randint(10_000_000, 99_999_999)}"
        check = ch_uid.calc_check_digit(base)
        return f"CHE{base}{check}" if check != "10" else "CHE000"
    if country == "LU":
        base = f"{rng.randint(100_000, 999_999)}"
        return f"LU{base}{lu_tva.calc_check_digits(base)}"
    return ""


def domain(name: str, country: str) -> str:
    import unicodedata

    plain = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode().lower()
    words = [
        w
        for w in plain.replace("&", " ").replace(".", " ").split()
        if w
        not in {
            "bv",
            "nv",
            "gmbh",
            "ag",
            "kg",
            "sa",
            "srl",
            "co",
            "holding",
            "sarl",
            "s",
            "a",
            "r",
            "l",
            "a r l",
        }
    ]
    tld = {"NL": "nl", "BE": "be", "DE": "de", "AT": "at", "CH": "ch", "LU": "lu"}[country]
    return f"{'-'.join(words[:2])}.{tld}"


def person(rng: random.Random, country: str) -> tuple[str, str]:
    return f"{rng.choice(FIRST_NAMES[country])} {rng.choice(LAST_NAMES[country])}", rng.choice(
        ROLES
    )

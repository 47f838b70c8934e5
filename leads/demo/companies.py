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
# What a prospect writes in the inquiry form, in the language of the country.
MESSAGES = {
    "nl": [
        "",
        "We willen volgend jaar onze productielijn uitbreiden.",
        "Graag een offerte.",
        "Interesse in een demonstratie bij ons in de fabriek.",
        "Kunt u mij bellen over de prijzen?",
    ],
    "de": [
        "",
        "Wir möchten nächstes Jahr unsere Produktionslinie erweitern.",
        "Bitte senden Sie uns ein Angebot.",
        "Interesse an einer Vorführung in unserem Werk.",
        "Können Sie mich wegen der Preise anrufen?",
    ],
    "en": [
        "",
        "We are looking to expand our production line next year.",
        "Please send a quote.",
        "Interested in a demo at our plant.",
        "Can you call me about pricing?",
    ],
}

# Telephone numbers in each country's national numbering plan, written in international
# format: "+31 10 …" for a company in Rotterdam, "+49 89 …" in München. A "#" is any
# digit, an "X" a digit 2-9 (no subscriber number starts with 0 or 1), a "Y" 2 or 3 (as
# after Belgium's one-digit area codes: +32 4 4… would be a mobile number).
DIGITS = {"#": "0123456789", "X": "23456789", "Y": "23"}
CALLING_CODES = {"NL": "31", "BE": "32", "DE": "49", "AT": "43", "CH": "41", "LU": "352"}
AREA_CODES = {
    # Netherlands: nine digits after +31
    "Amsterdam": "20",
    "Haarlem": "23",
    "Alkmaar": "72",
    "Den Haag": "70",
    "Leiden": "71",
    "Rotterdam": "10",
    "Dordrecht": "78",
    "Utrecht": "30",
    "Amersfoort": "33",
    "Breda": "76",
    "Middelburg": "118",
    "Tilburg": "13",
    "'s-Hertogenbosch": "73",
    "Eindhoven": "40",
    "Helmond": "492",
    "Venlo": "77",
    "Maastricht": "43",
    "Heerlen": "45",
    "Nijmegen": "24",
    "Arnhem": "26",
    "Apeldoorn": "55",
    "Enschede": "53",
    "Zwolle": "38",
    "Almere": "36",
    "Leeuwarden": "58",
    "Groningen": "50",
    "Emmen": "591",
    # Belgium: eight digits after +32
    "Bruxelles": "2",
    "Antwerpen": "3",
    "Mechelen": "15",
    "Leuven": "16",
    "Hasselt": "11",
    "Genk": "89",
    "Liège": "4",
    "Namur": "81",
    "Charleroi": "71",
    "Mons": "65",
    "Brugge": "50",
    "Kortrijk": "56",
    "Gent": "9",
    "Aalst": "53",
    "Wavre": "10",
    # Germany
    "Dresden": "351",
    "Leipzig": "341",
    "Berlin": "30",
    "Hamburg": "40",
    "Kiel": "431",
    "Bremen": "421",
    "Hannover": "511",
    "Bielefeld": "521",
    "Düsseldorf": "211",
    "Essen": "201",
    "Dortmund": "231",
    "Münster": "251",
    "Köln": "221",
    "Bonn": "228",
    "Frankfurt am Main": "69",
    "Wiesbaden": "611",
    "Saarbrücken": "681",
    "Mannheim": "621",
    "Stuttgart": "711",
    "Karlsruhe": "721",
    "Freiburg im Breisgau": "761",
    "Ulm": "731",
    "München": "89",
    "Augsburg": "821",
    "Ingolstadt": "841",
    "Nürnberg": "911",
    "Würzburg": "931",
    "Erfurt": "361",
    # Austria
    "Wien": "1",
    "St. Pölten": "2742",
    "Linz": "732",
    "Salzburg": "662",
    "Innsbruck": "512",
    "Bregenz": "5574",
    "Graz": "316",
    "Klagenfurt": "463",
    # Switzerland: nine digits after +41
    "Genève": "22",
    "Lausanne": "21",
    "Bern": "31",
    "Basel": "61",
    "Aarau": "62",
    "Luzern": "41",
    "Lugano": "91",
    "Zürich": "44",
    "Winterthur": "52",
    "St. Gallen": "71",
    # Luxembourg has no area codes: eight-digit company numbers start with 2
    "Luxembourg": "2X",
    "Esch-sur-Alzette": "2X",
    "Differdange": "2X",
}
# The subscriber part after an area code, by country and length of the area code.
SUBSCRIBER = {
    "NL": {2: "X## ####", 3: "X## ###"},
    "BE": {1: "Y## ## ##", 2: "X# ## ##"},
    "DE": {2: "X#######", 3: "X######"},
    "AT": {1: "X######", 3: "X#####", 4: "X####"},
    "CH": {2: "X## ## ##"},
    "LU": {2: "## ## ##"},
}
MOBILES = {
    "NL": ["6 1#######", "6 2#######", "6 3#######", "6 4#######", "6 5#######"],
    "BE": ["47# ## ## ##", "48# ## ## ##", "49# ## ## ##"],
    "DE": ["151 ########", "160 #######", "170 #######", "172 #######", "176 ########"],
    "AT": ["664 #######", "676 #######", "650 #######", "699 ########"],
    "CH": ["76 ### ## ##", "78 ### ## ##", "79 ### ## ##"],
    "LU": ["621 ### ###", "661 ### ###", "691 ### ###"],
}


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


def phone_number(rng: random.Random, country: str, city: str = "", mobile: float = 0.4) -> str:
    """A telephone number of ``country`` in international format: the city's landline
    (its area code) or, with probability ``mobile`` or for an unknown city, a mobile."""
    area = AREA_CODES.get(city)
    if area is None or rng.random() < mobile:
        national = rng.choice(MOBILES[country])
    else:
        national = f"{area} {SUBSCRIBER[country][len(area)]}"
    return f"+{CALLING_CODES[country]} {_digits(rng, national)}"


def _digits(rng: random.Random, template: str) -> str:
    """``template`` with each "#", "X" and "Y" replaced by one of its digits."""
    slots = sum(template.count(char) for char in DIGITS)
    drawn = iter(f"{rng.randrange(10**slots):0{slots}d}")
    out = []
    for char in template:
        choices = DIGITS.get(char)
        out.append(choices[int(next(drawn)) % len(choices)] if choices else char)
    return "".join(out)

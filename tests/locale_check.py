"""What a Dutch or German reader sees that is not in their language.

``visible_text(html)`` collects what a user reads on a page: text outside ``<script>``
and ``<style>``, and the attributes a user reads (``title``, ``aria-label``,
``placeholder``, ``alt``, the label of a submit button). ``findings(chunks, language)``
names what is wrong in that text for a reader of ``language``:

- an English word: a word the portal, Django or a library we use writes in English
  (their msgids) or a common English word (Faker's list), that the reader's language
  does not use itself (the translations of those msgids, Faker's list of the language),
  outside ``ALLOWED``;
- an ISO date (``2026-12-04``): people read dates in their own format;
- an English number: ``12,000`` (thousands with a comma), ``2.00`` or ``50.2`` (a
  decimal point), ``50%`` (Dutch and German put a space before the sign);
- a Dutch month name with a capital letter (``4 December``, ``Sep 2026``: Dutch writes
  ``december``, ``sep``).

Text that comes from the data (company and people's names, a prospect's message, a
dealer's note) is what users typed, in whatever language; pass it as ``data`` and it
is taken out before the words are looked at.
"""

import gettext
import re
from functools import cache
from html.parser import HTMLParser
from pathlib import Path

import django
import django_countries
import django_filters
import django_tables2
from django.conf import settings
from faker.providers.lorem.de_DE import Provider as GermanWords
from faker.providers.lorem.en_US import Provider as EnglishWords
from faker.providers.lorem.nl_NL import Provider as DutchWords

# Words an English msgid has that the reader meets untranslated on purpose. Keep this
# short; each entry says why it is right in Dutch and German text.
ALLOWED = {
    # Technical names a user meets in any language.
    "api",  # the API, its tokens
    "csv",
    "xlsx",
    # Dutch words that are English words too (Faker's Dutch list is short).
    "feedback",
    "managers",
    "plan",
    "spreadsheet",
    "urgent",
    # The lookup's example, a Dutch company: "e.g. Bakker Logistiek, bakker.nl".
    "bakker",
    "logistiek",
    # German (and Dutch) words that are English words too.
    "details",
    "export",
    "min",  # "Min.", the German abbreviation of Minuten
    "pharma",
    "senior",
    # The language switcher names each language in itself: "English", "Nederlands".
    "english",
}

WORD = re.compile(r"[^\W\d_]+(?:[-'’][^\W\d_]+)*", re.UNICODE)
ISO_DATE = re.compile(r"(?<![\d-])\d{4}-\d{2}-\d{2}(?![\d-])")
# 12,000 or 1,234,567: thousands with a comma (in Dutch and German a comma is decimal,
# and an amount with three decimals is not something the portal shows).
COMMA_THOUSANDS = re.compile(r"(?<![\d,.])\d{1,3}(?:,\d{3})+(?![\d,])")
# 2.00, 50.2, 0.5: a decimal point. 12.000 (thousands) and 04.12.2026 (a date) are fine.
DECIMAL_POINT = re.compile(r"(?<![\d.])\d+\.\d{1,2}(?![\d.])")
# 50% instead of 50 %
PERCENT = re.compile(r"\d%")
DUTCH_MONTHS = (
    "Januari|Februari|Maart|April|Mei|Juni|Juli|Augustus|September|Oktober|November|December"
    "|Jan|Feb|Mrt|Apr|Jun|Jul|Aug|Sep|Sept|Okt|Nov|Dec"
)
DUTCH_MONTH = re.compile(rf"(?<=\d )(?:{DUTCH_MONTHS})\b|\b(?:{DUTCH_MONTHS})(?= \d)")

READ_ATTRIBUTES = {"title", "aria-label", "placeholder", "alt"}
# Not read as text: scripts and styles, and code the reader types as it is
# ("Authorization: Api-Key …").
SKIPPED = {"script", "style", "template", "code", "kbd", "samp"}


class _VisibleText(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.chunks: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag, attrs):
        if tag in SKIPPED:
            self._skip += 1
        values = dict(attrs)
        for name in READ_ATTRIBUTES & values.keys():
            if values[name]:
                self.chunks.append(values[name])
        if tag == "input" and values.get("type") in ("submit", "button") and values.get("value"):
            self.chunks.append(values["value"])

    def handle_endtag(self, tag):
        if tag in SKIPPED and self._skip:
            self._skip -= 1

    def handle_data(self, data):
        if not self._skip and data.strip():
            self.chunks.append(" ".join(data.split()))


# Attributes a machine reads back: a number in them must not be grouped ("1.234").
MACHINE_ATTRIBUTES = {"href", "action", "src", "id", "for", "name", "aria-controls"}
MACHINE_VALUE_TAGS = {"option", "button"}
GROUPED = re.compile(r"(?<![\w.,])\d{1,3}(?:[.,\u00a0]\d{3})+(?![\d])")


class _MachineValues(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.found: list[str] = []

    def handle_starttag(self, tag, attrs):
        values = dict(attrs)
        for name, value in attrs:
            if not value:
                continue
            read_back = (
                name in MACHINE_ATTRIBUTES
                or name.startswith(("data-", "hx-"))
                or name == "value"
                and (
                    tag in MACHINE_VALUE_TAGS
                    or values.get("type") in ("checkbox", "radio", "hidden")
                )
            )
            if read_back and GROUPED.search(value):
                self.found.append(f"<{tag} {name}={value!r}>")


def grouped_numbers_in_attributes(html: str) -> list[str]:
    """Ids and other numbers a machine reads back (links, form values, element ids)
    written with a thousands separator: ``USE_THOUSAND_SEPARATOR`` groups every number
    a template writes, so such a number needs ``|unlocalize``."""
    parser = _MachineValues()
    parser.feed(html)
    parser.close()
    return parser.found


def visible_text(html: str) -> list[str]:
    parser = _VisibleText()
    parser.feed(html)
    parser.close()
    return parser.chunks


def _catalogs(language: str) -> list[tuple[Path, dict]]:
    """The message catalogues (msgid → translation) of the project and the libraries
    whose text reaches our pages, each with the folder it comes from."""
    roots = [
        *[Path(path) for path in settings.LOCALE_PATHS],
        Path(django.__file__).parent / "conf" / "locale",
        Path(django.__file__).parent / "contrib" / "auth" / "locale",
        Path(django.__file__).parent / "contrib" / "admin" / "locale",
        Path(django_tables2.__file__).parent / "locale",
        Path(django_filters.__file__).parent / "locale",
        Path(django_countries.__file__).parent / "locale",
    ]
    try:
        import allauth

        roots.append(Path(allauth.__file__).parent / "locale")
    except ImportError:  # pragma: no cover
        pass
    catalogs = []
    for root in roots:
        path = root / language / "LC_MESSAGES" / "django.mo"
        if path.exists():
            with path.open("rb") as mo:
                catalogs.append((root, gettext.GNUTranslations(mo)._catalog))
    return catalogs


def _words(text: str) -> set[str]:
    return {word.lower() for word in WORD.findall(re.sub(r"%\(\w+\)\w|%\w|\{\w*\}", " ", text))}


# "company, contact, email, phone": three or more identifiers in a row, or one with an
# underscore ("job_title").
IDENTIFIERS = re.compile(r"(?:\b[a-z][a-z0-9_]*, ){2,}[a-z][a-z0-9_]*\b|\b\w+_\w+\b")


@cache
def english_words(language: str) -> frozenset[str]:
    """Words that are English and not also words of ``language``.

    A translation that keeps its msgid as it is ("Dashboard", a country's name) was a
    translator's choice: its words are the language's too. A word that a translation
    keeps inside other words ("Claim genehmigt") counts as borrowed once two
    translations keep it. A list of identifiers in a translation (the column names of
    an import file, rule names) borrows nothing."""
    english: set[str] = set(EnglishWords.word_list)
    native: set[str] = set(DutchWords.word_list if language == "nl" else GermanWords.word_list)
    kept: dict[str, int] = {}
    countries = Path(django_countries.__file__).parent / "locale"
    for root, catalog in _catalogs(language):
        for msgid, translated in catalog.items():
            if isinstance(msgid, tuple):  # plural forms: (msgid, n)
                msgid = msgid[0]
            msgid = msgid.split("\x04")[-1]  # without a context
            if not msgid:
                continue
            source, target = _words(msgid), _words(IDENTIFIERS.sub(" ", translated))
            english |= source
            if (
                translated.lower() == msgid.lower() or root == countries
            ):  # names of places are names
                native |= target
                continue
            native |= target - source
            for word in target & source:
                kept[word] = kept.get(word, 0) + 1
    native |= {word for word, times in kept.items() if times >= 2}
    return frozenset(english - native - ALLOWED)


# A word cut short ("CNC mac…") is the end of a longer text, usually data.
TRUNCATED = re.compile(r"\w+…")
# Links, e-mail addresses, domains and file names are data in any language.
ADDRESS = re.compile(r"https?://\S+|[\w.+-]+@[\w.-]+|\b[\w-]+(?:\.[\w-]+)*\.[a-z]{2,7}\b")


def _read(text: str) -> list[str]:
    """The words of ``text`` in lower case, without codes (``AT``, ``B.V.``: upper case,
    three letters at most)."""
    return [
        word.lower()
        for word in WORD.findall(text)
        if not (word.isupper() and len(word.replace("-", "")) <= 3)
    ]


def _words_read(text: str, data: "DataPhrases | None") -> list[str]:
    """The words of ``text`` (see ``_read``) without the phrases of the data."""
    words = _read(text)
    return data.strip(words) if data is not None else words


# What people typed or the data set named: (model, fields). Free text such as a
# prospect's message or a dealer's note is in whatever language its writer chose.
DATA_FIELDS = (
    ("dealers.Dealer", ("name", "city", "weight_override_reason")),
    ("dealers.Claim", ("company_name", "contact_name", "notes", "decision_reason")),
    ("dealers.WeightChange", ("reason",)),
    ("territories.Territory", ("name", "notes")),
    ("leads.Account", ("legal_name", "city")),
    ("leads.InstalledProduct", ("product",)),
    ("leads.ApiKey", ("name",)),
    ("leads.Integration", ("name",)),
    (
        "leads.Lead",
        (
            "company_name",
            "city",
            "contact_name",
            "contact_role",
            "message",
            "next_step",
            "close_note",
        ),
    ),
    ("users.User", ("name",)),
)


def data_phrases() -> "DataPhrases":
    """Every text of the data that a page may show (see ``DATA_FIELDS``), and the free
    text of events (stored as ``{"text": ...}``)."""
    from django.apps import apps

    phrases = []
    for label, fields in DATA_FIELDS:
        for row in apps.get_model(label).objects.values_list(*fields):
            phrases.extend(value for value in row if value)
    # People are greeted by their first name.
    phrases.extend(
        name.split()[0]
        for name in apps.get_model("users.User")
        .objects.exclude(name="")
        .values_list("name", flat=True)
    )
    for label in ("leads.LeadEvent", "dealers.ClaimEvent"):
        for reason in apps.get_model(label).objects.values_list("reason", flat=True):
            phrases.extend(_free_texts(reason))
    return DataPhrases(phrases)


def _free_texts(value):
    if isinstance(value, dict):
        if isinstance(value.get("text"), str):
            yield value["text"]
        for part in value.get("parts", ()):
            yield from _free_texts(part)


class DataPhrases:
    """Texts of the data (names, messages, notes). Their words are taken out of the page
    text before it is looked at; matching whole phrases (not single words) keeps an
    English word of the interface from hiding behind a company name."""

    def __init__(self, phrases):
        self.by_first: dict[str, list[list[str]]] = {}
        for phrase in {p for p in phrases if p}:
            if words := _read(phrase):
                self.by_first.setdefault(words[0], []).append(words)
        for candidates in self.by_first.values():
            candidates.sort(key=len, reverse=True)

    def strip(self, words: list[str]) -> list[str]:
        """``words`` (lower case) without the phrases of the data."""
        kept, i = [], 0
        while i < len(words):
            for candidate in self.by_first.get(words[i], ()):
                if words[i : i + len(candidate)] == candidate:
                    i += len(candidate)
                    break
            else:
                kept.append(words[i])
                i += 1
        return kept


def findings(chunks: list[str], language: str, data: DataPhrases | None = None) -> list[str]:
    english = english_words(language)
    found = []
    for chunk in chunks:
        text = TRUNCATED.sub(" ", ADDRESS.sub(" ", chunk))
        problems = []
        words = sorted({w for w in _words_read(IDENTIFIERS.sub(" ", text), data) if w in english})
        if words:
            problems.append("English " + ", ".join(words))
        for name, pattern in (
            ("ISO date", ISO_DATE),
            ("thousands comma", COMMA_THOUSANDS),
            ("decimal point", DECIMAL_POINT),
            ("percent without space", PERCENT),
        ):
            if hits := pattern.findall(text):
                problems.append(f"{name} {' '.join(hits)}")
        if language == "nl" and (hits := DUTCH_MONTH.findall(text)):
            problems.append("capital month " + " ".join(hits))
        if problems:
            found.append(f"{'; '.join(problems)}: {chunk[:160]!r}")
    return found

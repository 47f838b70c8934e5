"""Company names: legal forms, conjunctions, accents and punctuation removed (see the
package docstring for the decisions)."""

from __future__ import annotations

import functools
import re

from cleanco.clean import get_unique_terms

from leads.matching.normalize.common import fold

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


def _tokens(text: str) -> list[str]:
    """Folded words; "." and "'" join, "&"/"+" become a word of their own."""
    text = _JOINING_PUNCTUATION.sub("", fold(text))
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

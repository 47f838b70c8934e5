"""ISO country codes (django-countries' data, read lazily, so Django need not run)."""

from __future__ import annotations

import functools


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

"""The one duplicate finder: is a submission a repeat of an open lead?

DESIGN.md's rule: a submission repeats an open lead from the duplicate window
(``Policy.duplicate_window_days``, 30 days by default) when it shares one identifier
with it: the contact's e-mail address, the VAT number, a website or e-mail domain (never
a free-mail domain: ``fill_lookup_columns`` leaves those out) or the normalised company
name in the same country. The oldest such lead is the original; the submission is
recorded on it instead of being routed a second time.

Every way a lead arrives uses it: ``lead_intake`` (API, inquiry form, a dealer's
send-in) asks for one lead, folded into its "seen before?" query; the CSV import asks
for a batch at once, and also holds back a second row of a batch that shares an
identifier with an earlier row (``identity``), so it is attached, not routed twice.
"""

import functools
import operator
from collections.abc import Iterable
from datetime import datetime, timedelta

from django.db.models import Q

from leads.models import Lead, Policy

Key = tuple  # ("email", address) | ("vat", number) | ("domain", name) | ("name", name, country)

# What an original needs to be attached to (``intake.attach_duplicates``) and ranked.
ORIGINAL_COLUMNS = (
    "pk",
    "company_name",
    "company_normalized",
    "country",
    "contact_email",
    "vat_number",
    "website_domain",
    "email_domain",
    "created_at",
)


def identity(lead: Lead) -> frozenset[Key]:
    """The identifiers a lead is recognised by, from its lookup columns (a new lead's are
    filled by ``Lead.fill_lookup_columns``)."""
    return keys_of(
        lead.website_domain,
        lead.email_domain,
        lead.contact_email,
        lead.vat_number,
        lead.company_normalized,
        lead.country_code,
    )


def keys_of(
    website_domain: str,
    email_domain: str,
    contact_email: str,
    vat_number: str,
    company_normalized: str,
    country: str,
) -> frozenset[Key]:
    """``identity`` of a lead with these lookup columns (``normalize.lookup_columns``)."""
    keys: set[Key] = {("domain", d) for d in (website_domain, email_domain) if d}
    if contact_email:
        keys.add(("email", contact_email))
    if vat_number:
        keys.add(("vat", vat_number))
    if company_normalized:
        keys.add(("name", company_normalized, country))
    return frozenset(keys)


def sharing(keys: Iterable[Key]) -> list[Q]:
    """Conditions for leads sharing one of ``keys``, one per kind of identifier so each
    can use its own index. For several names the country is checked by the caller."""
    by_kind: dict[str, set] = {}
    for key in keys:
        by_kind.setdefault(key[0], set()).add(key[1:] if key[0] == "name" else key[1])
    found = []
    # "<> ''" repeats the partial indexes' predicate: PostgreSQL cannot prove it from an
    # IN list of more than 100 values, and would not use those indexes otherwise.
    if emails := by_kind.get("email"):
        found.append(Q(contact_email__any=emails))
    if vats := by_kind.get("vat"):
        found.append(Q(vat_number__any=vats) & ~Q(vat_number=""))
    if domains := by_kind.get("domain"):
        found.append(Q(website_domain__any=domains) & ~Q(website_domain=""))
        found.append(Q(email_domain__any=domains) & ~Q(email_domain=""))
    if names := by_kind.get("name"):
        if len(names) == 1:
            ((name, country),) = names
            found.append(Q(company_normalized=name, country=country))
        else:
            found.append(Q(company_normalized__any={name for name, _country in names}))
    return found


def window_start(*, now: datetime) -> datetime | None:
    """Since when an open lead can be repeated (None: the window is off)."""
    window = Policy.current().duplicate_window_days
    return now - timedelta(days=window) if window else None


def open_since(since: datetime) -> Q:
    """Open, not erased, and created since ``since``."""
    return Q(status__in=Lead.OPEN_STATUSES) & Q(created_at__gte=since) & Q(erased_at__isnull=True)


def open_in_window(*, now: datetime) -> Q | None:
    """Open, not erased, and from the duplicate window (None: the window is off)."""
    since = window_start(now=now)
    return None if since is None else open_since(since)


def repeating(keys: Iterable[Key], since: datetime) -> Q | None:
    """The condition for the open leads since ``since`` that share one of ``keys``
    (``lead_intake`` folds it into its "seen before?" query and takes the oldest)."""
    conditions = sharing(keys)
    if not conditions:
        return None
    return functools.reduce(operator.or_, conditions) & open_since(since)


def originals_of(leads: list[Lead], *, now: datetime) -> list[Lead | None]:
    """For each of ``leads`` the open lead it repeats (the oldest), or None: one query
    per kind of identifier, however many leads."""
    scope = open_in_window(now=now)
    keys = [identity(lead) for lead in leads]
    conditions = sharing(set().union(*keys))
    if scope is None or not conditions:
        return [None] * len(leads)
    oldest: dict[Key, Lead] = {}
    for condition in conditions:
        for found in Lead.objects.filter(condition & scope).only(*ORIGINAL_COLUMNS):
            for key in identity(found):
                known = oldest.get(key)
                if known is None or (found.created_at, found.pk) < (known.created_at, known.pk):
                    oldest[key] = found
    originals = []
    for lead_keys in keys:
        candidates = [oldest[key] for key in lead_keys if key in oldest]
        originals.append(min(candidates, key=lambda x: (x.created_at, x.pk), default=None))
    return originals

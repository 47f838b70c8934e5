"""Company lookup for internal sales: before calling a company, is it a customer, does
a dealer hold a claim on it, and is somebody already working an open lead?

One search box takes a company name (or its beginning), a website or e-mail domain, a
VAT or chamber-of-commerce number, or a postcode. Every question is answered from
indexed columns, with a fixed number of queries however many rows match:

- accounts by ``vat_number`` / ``coc_number`` / ``website_domain`` (partial indexes),
  ``normalized_name`` equality or prefix, or ``(country, postcode_number)``;
- their approved, unexpired claims (the unique partial index per account);
- open leads of those accounts (``lead_account_status``), and open leads matched
  directly by VAT, domain, name prefix (``lead_open_company``) or postcode
  (``lead_open_postcode``), the last two partial indexes over open leads only.

A name prefix is searched as a range (``name >= "van den" AND name < "van deo"``) plus
``LIKE 'van den%'``: the range lets the database walk the ordinary b-tree index in
order and stop at the limit, whatever the collation; ``LIKE`` keeps the answer exact.
A prefix that matches tens of thousands of leads costs no more than a rare one.

The verdict per company is the first that applies: existing customer (call the
account manager), claimed by a dealer (do not call), open lead (talk to its owner),
free to call.
"""

import re
from dataclasses import dataclass, field
from datetime import datetime

from django.db.models import Q
from django.utils import timezone

from dealers.models import Claim
from leads.matching.matcher import accounts_query
from leads.matching.normalize import (
    InvalidCoc,
    InvalidPostcode,
    InvalidVat,
    domain_from_email,
    domain_from_url,
    is_free_mail_domain,
    normalize_coc,
    normalize_company_name,
    normalize_postcode,
    normalize_vat,
)
from leads.models import Account, Lead
from portal.choices import ROUTED_COUNTRIES

MAX_ACCOUNTS = 20
MAX_LEADS = 50
MIN_PREFIX = 2

_POSTCODE = re.compile(r"^(?:[A-Za-z]{1,2}[- ]?)?\d{4,5}(?:\s?[A-Za-z]{2})?$")
_VAT_LIKE = re.compile(r"^(?:[A-Za-z]{2,3}[\s.\-]?)?[0-9][0-9A-Za-z\s.\-]{6,}$")
_DOMAIN_LIKE = re.compile(r"^[^\s@]+\.[A-Za-z]{2,}(?:/\S*)?$")


class Verdict:
    CUSTOMER = "customer"
    CLAIMED = "claimed"
    OPEN_LEAD = "open_lead"
    FREE = "free"


@dataclass
class CompanyHit:
    """One company found: a known account, or a prospect known only from open leads."""

    name: str
    country: str
    city: str = ""
    postcode: str = ""
    account: Account | None = None
    customer_via: Account | None = None  # the account (or parent) with installed base
    claims: list[Claim] = field(default_factory=list)
    open_leads: list[Lead] = field(default_factory=list)
    exact: bool = False

    @property
    def is_customer(self) -> bool:
        return self.customer_via is not None

    @property
    def installed(self) -> list:
        return list(self.customer_via.installed_base.all()) if self.customer_via else []

    @property
    def account_manager(self):
        return self._inherited("account_manager")

    @property
    def serving_dealer(self):
        return self._inherited("serving_dealer")

    def _inherited(self, name: str):
        """The account's ``name`` if it has one, else its nearest parent's."""
        account = self.account
        while account is not None:
            if getattr(account, f"{name}_id"):
                return getattr(account, name)
            account = account.parent
        return None

    @property
    def verdict(self) -> str:
        if self.is_customer:
            return Verdict.CUSTOMER
        if self.claims:
            return Verdict.CLAIMED
        if self.open_leads:
            return Verdict.OPEN_LEAD
        return Verdict.FREE


@dataclass
class LookupResult:
    query: str
    mode: str = ""  # name, domain, vat, coc, postcode; "" when nothing to search
    term: str = ""  # the normalised value searched
    hits: list[CompanyHit] = field(default_factory=list)
    truncated: bool = False
    problem: str = ""  # why nothing was searched: "free_mail", "too_short", "empty"

    @property
    def typed(self) -> str:
        """What the user typed (spaces collapsed), to echo back: "Müller", not the
        matching key "muller"."""
        return " ".join(self.query.split())


@dataclass(frozen=True)
class _Search:
    mode: str
    term: str
    accounts: Q | None
    leads: Q | None
    problem: str = ""


def parse_query(query: str, *, country: str = "") -> _Search:
    """Decide what the user typed: e-mail, domain, VAT or CoC number, postcode, name."""
    text = " ".join((query or "").split())
    country = (country or "").upper()
    if not text:
        return _Search("", "", None, None, "empty")
    if "@" in text:
        domain = domain_from_email(text)
        if domain is None:
            return _Search("domain", text, None, None, "free_mail")
        return _domain(domain)
    if _POSTCODE.match(text):
        pairs = []
        for code in [country] if country else ROUTED_COUNTRIES:
            try:
                display, number = normalize_postcode(code, text)
            except InvalidPostcode:
                continue
            if number is not None:
                pairs.append((code, number, display))
        if pairs:
            q = Q()
            for code, number, _display in pairs:
                q |= Q(country=code, postcode_number=number)
            term = ", ".join(f"{code} {display}" for code, _n, display in pairs)
            return _Search("postcode", term, q, q)
    if _VAT_LIKE.match(text) and sum(c.isdigit() for c in text) >= 6:
        try:
            vat = normalize_vat(text, country or None)
        except InvalidVat:
            vat = ""
        if vat:
            return _Search("vat", vat, Q(vat_number=vat), Q(vat_number=vat))
        if country:
            try:
                coc = normalize_coc(text, country)
            except InvalidCoc:
                coc = ""
            if coc:
                return _Search("coc", coc, Q(coc_number=coc), None)
    if _DOMAIN_LIKE.match(text) and " " not in text:
        domain = domain_from_url(text)
        if domain:
            if is_free_mail_domain(domain):
                return _Search("domain", domain, None, None, "free_mail")
            return _domain(domain)
    name = normalize_company_name(text)
    if not name:
        return _Search("name", text, None, None, "empty")
    if len(name) >= MIN_PREFIX:
        accounts = starts_with("normalized_name", name)
        leads = starts_with("company_normalized", name)
    else:
        accounts, leads = Q(normalized_name=name), Q(company_normalized=name)
    if country:
        accounts &= Q(country=country)
        leads &= Q(country=country)
    return _Search("name", name, accounts, leads)


def _upper_bound(prefix: str) -> str | None:
    """The smallest string after every string that starts with ``prefix``, for the
    characters normalised names use (a-z, 0-9, space); None when there is no safe one."""
    stem = prefix.rstrip("z")
    if not stem:
        return None
    last = stem[-1]
    if "a" <= last < "z" or "0" <= last < "9":
        return stem[:-1] + chr(ord(last) + 1)
    if last == "9":
        return stem[:-1] + "a"
    return None


def starts_with(field_name: str, prefix: str) -> Q:
    """``field`` starts with ``prefix``, written so a b-tree index serves it in order."""
    condition = Q(**{f"{field_name}__gte": prefix, f"{field_name}__startswith": prefix})
    if upper := _upper_bound(prefix):
        condition &= Q(**{f"{field_name}__lt": upper})
    return condition


def _domain(domain: str) -> _Search:
    return _Search(
        "domain",
        domain,
        Q(website_domain=domain),
        Q(website_domain=domain) | Q(email_domain=domain),
    )


def company_lookup(query: str, *, country: str = "", now: datetime | None = None) -> LookupResult:
    """Search and answer "may I call them?" per company found (at most 7 queries)."""
    now = now or timezone.now()
    search = parse_query(query, country=country)
    result = LookupResult(query=query, mode=search.mode, term=search.term, problem=search.problem)
    if search.accounts is None and search.leads is None:
        return result
    accounts: list[Account] = []
    if search.accounts is not None:
        accounts = list(
            accounts_query().filter(search.accounts).order_by("normalized_name")[: MAX_ACCOUNTS + 1]
        )
        if len(accounts) > MAX_ACCOUNTS:
            accounts, result.truncated = accounts[:MAX_ACCOUNTS], True
    chains = {a.pk: account_chain(a) for a in accounts}
    related_ids = {pk for chain in chains.values() for pk in (a.pk for a in chain)}
    claims_by_account: dict[int, list[Claim]] = {}
    if related_ids:
        claims = (
            Claim.objects.filter(
                account_id__in=sorted(related_ids),
                status=Claim.Status.APPROVED,
                expires_at__gt=now,
            )
            .select_related("dealer")
            .order_by("expires_at")
        )
        for claim in claims:
            claims_by_account.setdefault(claim.account_id, []).append(claim)
    # Two queries, not one with OR: each can then walk its own index in order.
    open_leads = Lead.objects.filter(
        status__in=Lead.OPEN_STATUSES, erased_at__isnull=True
    ).select_related("owner_dealer", "owner_user", "owner_queue")
    found: dict[int, Lead] = {}
    if accounts:
        rows = open_leads.filter(account_id__in=[a.pk for a in accounts]).order_by("account_id")
        found |= {lead.pk: lead for lead in rows[: MAX_LEADS + 1]}
    if search.leads is not None:
        rows = open_leads.filter(search.leads).order_by("company_normalized")
        found |= {lead.pk: lead for lead in rows[: MAX_LEADS + 1]}
    leads = sorted(found.values(), key=lambda lead: (lead.company_normalized, lead.created_at))
    if len(leads) > MAX_LEADS:
        leads, result.truncated = leads[:MAX_LEADS], True
    hits: dict = {}
    for account in accounts:
        chain = chains[account.pk]
        hits[("account", account.pk)] = CompanyHit(
            name=account.legal_name,
            country=account.country_code,
            city=account.city,
            postcode=account.postcode,
            account=account,
            customer_via=next((a for a in chain if a.installed_base.all()), None),
            claims=[c for a in chain for c in claims_by_account.get(a.pk, [])],
            exact=account.normalized_name == search.term,
        )
    for lead in leads:
        key = (
            ("account", lead.account_id)
            if ("account", lead.account_id) in hits
            else ("prospect", lead.company_normalized, lead.country_code)
        )
        hit = hits.get(key)
        if hit is None:
            hit = hits[key] = CompanyHit(
                name=lead.company_name,
                country=lead.country_code,
                city=lead.city,
                postcode=lead.postcode,
                exact=lead.company_normalized == search.term,
            )
        hit.open_leads.append(lead)
    order = {Verdict.CUSTOMER: 0, Verdict.CLAIMED: 1, Verdict.OPEN_LEAD: 2, Verdict.FREE: 3}
    result.hits = sorted(
        hits.values(), key=lambda h: (not h.exact, order[h.verdict], h.name.lower())
    )
    return result


def account_chain(account: Account) -> list[Account]:
    """The account and its parents (prefetched by ``accounts_query``: two levels)."""
    chain, seen = [], set()
    while account is not None and account.pk not in seen and len(chain) < 3:
        chain.append(account)
        seen.add(account.pk)
        account = account.parent
    return chain

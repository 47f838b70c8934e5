"""Which known company is this? Matches leads and claims to accounts, to claims and to
open leads, from indexed columns only (no scans).

Strength order: VAT number, chamber-of-commerce number, website or e-mail domain (never
a free-mail domain), normalised name within the country. A subsidiary routes like its
parent: the account comes with its parent chain and installed base prefetched.

The same matcher serves routing (``leads.services.routing``), claims' conflict checks
and the company lookup.
"""

from dataclasses import dataclass, field

from django.db.models import Prefetch, Q

from dealers.models import Claim
from leads.matching.normalize import (
    InvalidCoc,
    InvalidVat,
    domain_from_email,
    domain_from_url,
    normalize_coc,
    normalize_company_name,
    normalize_vat,
)
from leads.models import Account, InstalledProduct, Lead


@dataclass(frozen=True)
class CompanyKeys:
    """The normalised identifiers of one company, as far as they are known."""

    name: str = ""
    country: str = ""
    vat: str = ""
    coc: str = ""
    domains: tuple[str, ...] = ()
    email: str = ""

    @classmethod
    def of(cls, *, name="", country="", vat="", coc="", website="", email="") -> "CompanyKeys":
        country = getattr(country, "code", country) or ""
        try:
            vat = normalize_vat(vat, country or None) if vat else ""
        except InvalidVat:
            vat = ""
        try:
            coc = normalize_coc(coc, country) if coc and country else ""
        except InvalidCoc:
            coc = ""
        domains = tuple(d for d in {domain_from_url(website), domain_from_email(email)} if d)
        return cls(
            name=normalize_company_name(name),
            country=country.upper(),
            vat=vat,
            coc=coc,
            domains=tuple(sorted(domains)),
            email=(email or "").strip().lower(),
        )

    @classmethod
    def of_lead(cls, lead: Lead) -> "CompanyKeys":
        return cls.of(
            name=lead.company_name,
            country=lead.country,
            vat=lead.vat_number,
            coc=lead.coc_number,
            website=lead.website,
            email=lead.contact_email,
        )

    def account_filter(self) -> Q | None:
        q = Q()
        if self.vat:
            q |= Q(vat_number=self.vat)
        if self.coc:
            q |= Q(coc_number=self.coc)
        if self.domains:
            q |= Q(website_domain__in=self.domains)
        if self.name and self.country:
            q |= Q(normalized_name=self.name, country=self.country)
        return q or None

    def lead_filter(self) -> Q | None:
        """Leads of the same company (not the same person: see ``duplicate_filter``)."""
        q = Q()
        if self.vat:
            q |= Q(vat_number=self.vat)
        if self.domains:
            q |= Q(website_domain__in=self.domains) | Q(email_domain__in=self.domains)
        if self.name and self.country:
            q |= Q(company_normalized=self.name, country=self.country)
        return q or None


@dataclass
class Match:
    """What we know about the company: the account, its active claims, its open leads."""

    account: Account | None = None
    matched_by: str = ""
    claims: list[Claim] = field(default_factory=list)
    open_leads: list[Lead] = field(default_factory=list)

    @property
    def is_customer(self) -> bool:
        account = self.account
        while account is not None:
            if account.installed_base.all():
                return True
            account = account.parent
        return False


def _rank(account: Account, keys: CompanyKeys) -> int:
    if keys.vat and account.vat_number == keys.vat:
        return 0
    if keys.coc and account.coc_number == keys.coc:
        return 1
    if account.website_domain and account.website_domain in keys.domains:
        return 2
    return 3


def _matched_by(rank: int) -> str:
    return ["vat", "coc", "domain", "name"][rank]


def accounts_query():
    installed = InstalledProduct.objects.order_by("-installed_on")
    return Account.objects.select_related(
        "parent__parent", "account_manager", "serving_dealer"
    ).prefetch_related(
        Prefetch("installed_base", queryset=installed),
        Prefetch("parent__installed_base", queryset=installed),
        Prefetch("parent__parent__installed_base", queryset=installed),
    )


def find_account(keys: CompanyKeys) -> tuple[Account | None, str]:
    condition = keys.account_filter()
    if condition is None:
        return None, ""
    candidates = list(accounts_query().filter(condition)[:10])
    if not candidates:
        return None, ""
    best = min(candidates, key=lambda a: (_rank(a, keys), a.pk))
    return best, _matched_by(_rank(best, keys))


def active_claims(account: Account | None, *, now) -> list[Claim]:
    if account is None:
        return []
    return list(
        Claim.objects.filter(
            account=account, status=Claim.Status.APPROVED, expires_at__gt=now
        ).select_related("dealer")
    )


def open_leads(keys: CompanyKeys, account: Account | None, *, exclude_pk=None) -> list[Lead]:
    condition = keys.lead_filter()
    if account is not None:
        condition = Q(account=account) if condition is None else condition | Q(account=account)
    if condition is None:
        return []
    leads = (
        Lead.objects.filter(condition, status__in=Lead.OPEN_STATUSES, erased_at__isnull=True)
        .select_related("owner_dealer", "owner_user", "owner_queue")
        .order_by("created_at")
    )
    if exclude_pk is not None:
        leads = leads.exclude(pk=exclude_pk)
    return list(leads[:20])


def match_company(keys: CompanyKeys, *, now, exclude_lead=None) -> Match:
    account, matched_by = find_account(keys)
    return Match(
        account=account,
        matched_by=matched_by,
        claims=active_claims(account, now=now),
        open_leads=open_leads(keys, account, exclude_pk=exclude_lead),
    )

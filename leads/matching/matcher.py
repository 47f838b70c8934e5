"""Which known company is this? Matches leads and claims to accounts, to claims and to
open leads, from indexed columns only (no scans).

Strength order: VAT number, chamber-of-commerce number within the country (a register
number means nothing abroad), website or e-mail domain (never a free-mail domain, not
even one typed as the website), normalised name within the country. A subsidiary
routes like its parent: the account comes with its parent chain and installed base
prefetched.

The same matcher serves routing (``leads.services.routing``), claims' conflict checks
and the company lookup.
"""

import dataclasses
import functools
import operator
from dataclasses import dataclass, field

from django.db import connection
from django.db.models import Prefetch, Q

from dealers.models import Claim
from leads.matching.normalize import (
    InvalidCoc,
    InvalidVat,
    domain_from_email,
    domain_from_url,
    is_free_mail_domain,
    normalize_coc,
    normalize_company_name,
    normalize_vat,
)
from leads.models import Account, InstalledProduct, Lead
from portal.prepared import rows_of


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
        website_domain = domain_from_url(website)
        if website_domain and is_free_mail_domain(website_domain):
            website_domain = None  # "gmail.com" or an address typed as the website
        domains = tuple(d for d in {website_domain, domain_from_email(email)} if d)
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
            country=lead.country_code,
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
            q |= Q(coc_number=self.coc, country=self.country)
        if self.domains:
            q |= Q(website_domain__any=self.domains)
        if self.name and self.country:
            q |= Q(normalized_name=self.name, country=self.country)
        return q or None

    def lead_filter(self) -> Q | None:
        """Leads of the same company (not the same person: see ``duplicate_filter``)."""
        q = Q()
        if self.vat:
            q |= Q(vat_number=self.vat)
        if self.domains:
            q |= Q(website_domain__any=self.domains) | Q(email_domain__any=self.domains)
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
    if keys.coc and (account.coc_number, account.country_code) == (keys.coc, keys.country):
        return 1
    if account.website_domain and account.website_domain in keys.domains:
        return 2
    return 3


def _matched_by(rank: int) -> str:
    return ["vat", "coc", "domain", "name"][rank]


def matching_accounts():
    """Accounts with what matching needs of them: the parent chain and the installed base
    (newest first). Unordered: callers rank the candidates. Routing and claims read the
    account manager and serving dealer by id (the routing world knows them)."""
    installed = InstalledProduct.objects.order_by("-installed_on")
    return (
        Account.objects.order_by()
        .select_related("parent__parent")
        .prefetch_related(
            Prefetch("installed_base", queryset=installed),
            Prefetch("parent__installed_base", queryset=installed),
            Prefetch("parent__parent__installed_base", queryset=installed),
        )
    )


def accounts_query():
    """``matching_accounts`` with the account manager and serving dealer, for pages."""
    return matching_accounts().select_related("account_manager", "serving_dealer")


# What routing and the company lookup need of an open lead (no personal data, no JSON).
OPEN_LEAD_COLUMNS = (
    "company_name",
    "company_normalized",
    "country",
    "vat_number",
    "website_domain",
    "email_domain",
    "account_id",
    "status",
    "created_at",
    "owner_dealer__name",
    "owner_user__name",
    "owner_queue__name",
)


def match_companies(
    all_keys: list[CompanyKeys],
    *,
    now,
    exclude_pks: list | None = None,
    with_open_leads: bool = True,
) -> list[Match]:
    """Match many companies at once: three queries whatever their number (accounts with
    installed base and parents, their active claims, the companies' open leads; the
    last left out with ``with_open_leads=False``)."""
    vats = {k.vat for k in all_keys if k.vat}
    cocs = {k.coc for k in all_keys if k.coc}
    domains = {d for k in all_keys for d in k.domains}
    names = {k.name for k in all_keys if k.name and k.country}
    one = len(all_keys) == 1
    sets = [sorted(vats), sorted(cocs), sorted(domains), sorted(names)]
    if not any(sets):
        accounts = []
    elif one:  # the ids first, by SQL compiled once (portal.prepared.rows_of); most find none
        shape = ("match-accounts", *map(len, sets))
        ids = [pk for (pk,) in rows_of(shape, functools.partial(_account_ids, shape), _flat(sets))]
        accounts = _matching_accounts_by_pk(ids) if ids else []
    else:
        accounts = list(matching_accounts().filter(_account_condition(*sets)))
    by_vat, by_coc, by_domain, by_name = {}, {}, {}, {}
    for account in sorted(accounts, key=lambda a: a.pk):
        if account.vat_number:
            by_vat.setdefault(account.vat_number, account)
        if account.coc_number:
            by_coc.setdefault((account.coc_number, account.country_code), account)
        if account.website_domain:
            by_domain.setdefault(account.website_domain, account)
        by_name.setdefault((account.normalized_name, account.country_code), account)
    matches = []
    for keys in all_keys:
        found, how = None, ""
        if keys.vat and keys.vat in by_vat:
            found, how = by_vat[keys.vat], "vat"
        elif keys.coc and (keys.coc, keys.country) in by_coc:
            found, how = by_coc[(keys.coc, keys.country)], "coc"
        elif any(d in by_domain for d in keys.domains):
            found, how = next(by_domain[d] for d in keys.domains if d in by_domain), "domain"
        elif (keys.name, keys.country) in by_name:
            found, how = by_name[(keys.name, keys.country)], "name"
        matches.append(Match(account=found, matched_by=how))

    account_ids = {m.account.pk for m in matches if m.account is not None}
    claims_by_account: dict[int, list[Claim]] = {}
    if account_ids:
        if one:  # by SQL compiled once
            claims = _instances(Claim, "match-claims", _active_claims, (*sorted(account_ids), now))
        else:
            claims = _active_claims(*account_ids, now)
        for claim in claims:
            claims_by_account.setdefault(claim.account_id, []).append(claim)

    open_leads = []
    lead_sets = [sorted(vats), sorted(domains), sorted(names), sorted(account_ids)]
    if any(lead_sets) and with_open_leads:
        excluded = sorted(pk for pk in exclude_pks or () if pk is not None)
        found: dict[int, Lead] = {}
        if one:  # one query with OR, the ids first by SQL compiled once
            shape = ("match-open-leads", *map(len, lead_sets), len(excluded))
            build = functools.partial(_open_lead_ids, shape)
            ids = [pk for (pk,) in rows_of(shape, build, _flat([*lead_sets, excluded]))]
            queries = [_open_leads().filter(pk__any=ids)] if ids else []
        else:  # one query per identifier, so each uses its own index (an OR over five
            # long IN lists tempts the planner into a scan)
            queries = [
                _open_leads(condition, excluded)[: 50 * len(all_keys) + 50]
                for condition in _open_lead_conditions(*lead_sets)
            ]
        for query in queries:
            for lead in query:
                found.setdefault(lead.pk, lead)
        open_leads = sorted(found.values(), key=lambda x: (x.created_at, x.pk))
    by_key: dict[tuple, list[Lead]] = {}
    for lead in open_leads:  # in created order, so each list is oldest first
        for key in _lead_keys(lead):
            by_key.setdefault(key, []).append(lead)
    for keys, match in zip(all_keys, matches, strict=True):
        if match.account is not None:
            match.claims = claims_by_account.get(match.account.pk, [])
        found: dict[int, Lead] = {}
        for key in _company_keys(keys, match.account):
            for lead in by_key.get(key, ()):
                found.setdefault(lead.pk, lead)
        match.open_leads = sorted(found.values(), key=lambda x: (x.created_at, x.pk))[:20]
    return matches


def _active_claims(*values):
    *account_ids, now = values
    return Claim.objects.filter(
        account_id__any=account_ids, status=Claim.Status.APPROVED, expires_at__gt=now
    )


def _instances(model, name: str, build, values: tuple) -> list:
    """The instances ``build(*values)`` (a queryset of ``model``) finds, by SQL compiled
    once per shape (``portal.prepared.rows_of``; the shape is ``name`` and how many values)."""
    names = [f.attname for f in model._meta.concrete_fields]
    rows = rows_of((name, len(values)), lambda *v: build(*v).values_list(*names), values)
    return [model.from_db(connection.alias, names, row) for row in rows]


def _matching_accounts_by_pk(ids: list[int]) -> list[Account]:
    """``matching_accounts().filter(pk__any=ids)`` for a lead's way in, by SQL compiled
    once per shape: compiling that queryset (its join to two levels of parents, its
    three prefetches) cost more than running it. The parents and the installed base
    (newest first) are cached on the instances as ``select_related`` and
    ``prefetch_related`` cache them, so reading them queries nothing."""
    accounts = _instances(Account, "match-account", _accounts_by_pk, tuple(ids))
    chain, level = list(accounts), accounts
    for _depth in range(2):  # select_related("parent__parent")
        parent_ids = tuple(sorted({a.parent_id for a in level if a.parent_id}))
        found = (
            _instances(Account, "match-account", _accounts_by_pk, parent_ids) if parent_ids else []
        )
        parents = {parent.pk: parent for parent in found}
        for account in level:
            Account.parent.field.set_cached_value(account, parents.get(account.parent_id))
        level = list(parents.values())
        chain += level
    products: dict[int, list] = {account.pk: [] for account in chain}
    pks = tuple(sorted(products))
    for product in _instances(InstalledProduct, "match-installed", _installed_base, pks):
        products[product.account_id].append(product)
    by_pk = {account.pk: account for account in chain}
    for account in chain:  # as prefetch_related("installed_base") leaves them
        for product in products[account.pk]:
            InstalledProduct.account.field.set_cached_value(product, by_pk[account.pk])
        cached = account.installed_base.all()
        cached._result_cache, cached._prefetch_done = products[account.pk], True
        account._prefetched_objects_cache = getattr(account, "_prefetched_objects_cache", {})
        account._prefetched_objects_cache["installed_base"] = cached
    return accounts


def _find_account_ids(shape: tuple, *values):
    """At most ten accounts with any of the identifiers ``find_account`` was given."""
    _name, has_vat, has_coc, domains, has_name = shape
    values = list(values)
    keys = CompanyKeys(
        vat=values.pop(0) if has_vat else "",
        coc=values.pop(0) if has_coc else "",
        country=values.pop(0) if has_coc else "",
        domains=tuple(values.pop(0) for _ in range(domains)),
    )
    if has_name:
        keys = dataclasses.replace(keys, name=values.pop(0), country=values.pop(0))
    return Account.objects.filter(keys.account_filter()).order_by().values_list("pk")[:10]


def _accounts_by_pk(*pks):
    return Account.objects.filter(pk__any=list(pks)).order_by()


def _installed_base(*account_ids):
    return InstalledProduct.objects.filter(account_id__any=list(account_ids)).order_by(
        "-installed_on"
    )


def _flat(lists) -> tuple:
    return tuple(value for values in lists for value in values)


def _split(values: tuple, sizes: tuple) -> list[list]:
    parts, start = [], 0
    for size in sizes:
        parts.append(list(values[start : start + size]))
        start += size
    return parts


def _account_condition(vats, cocs, domains, names) -> Q:
    condition = Q()
    if vats:
        condition |= Q(vat_number__any=vats) & ~Q(vat_number="")
    if cocs:
        condition |= Q(coc_number__any=cocs) & ~Q(coc_number="")
    if domains:
        condition |= Q(website_domain__any=domains) & ~Q(website_domain="")
    if names:
        condition |= Q(normalized_name__any=names)
    return condition


def _account_ids(shape: tuple, *values):
    sets = _split(values, shape[1:])
    return Account.objects.filter(_account_condition(*sets)).order_by().values_list("pk")


def _open_lead_conditions(vats, domains, names, account_ids) -> list[Q]:
    # "<> ''" repeats the partial indexes' predicate: PostgreSQL cannot prove it from an
    # IN list of more than 100 values, and would not use those indexes otherwise.
    conditions = []
    if vats:
        conditions.append(Q(vat_number__any=vats) & ~Q(vat_number=""))
    if domains:
        conditions += [
            Q(website_domain__any=domains) & ~Q(website_domain=""),
            Q(email_domain__any=domains) & ~Q(email_domain=""),
        ]
    if names:
        conditions.append(Q(company_normalized__any=names))
    if account_ids:
        conditions.append(Q(account_id__any=account_ids))
    return conditions


def _open_leads(condition: Q | None = None, excluded=()):
    query = Lead.objects.filter(status__in=Lead.OPEN_STATUSES, erased_at__isnull=True)
    if condition is not None:
        query = query.filter(condition)
    if excluded:
        query = query.exclude(pk__any=list(excluded))
    return (
        query.select_related("owner_dealer", "owner_user", "owner_queue")
        .only(*OPEN_LEAD_COLUMNS)
        .order_by("created_at")
    )


def _open_lead_ids(shape: tuple, *values):
    *sets, excluded = _split(values, shape[1:])
    condition = functools.reduce(operator.or_, _open_lead_conditions(*sets))
    query = Lead.objects.filter(condition, status__in=Lead.OPEN_STATUSES, erased_at__isnull=True)
    if excluded:
        query = query.exclude(pk__any=excluded)
    return query.order_by("created_at").values_list("pk")[:100]


def _lead_keys(lead: Lead) -> list[tuple]:
    """The identifiers an open lead can be found by (see ``_company_keys``)."""
    keys = [("name", lead.company_normalized, lead.country_code)]
    if lead.account_id:
        keys.append(("account", lead.account_id))
    if lead.vat_number:
        keys.append(("vat", lead.vat_number))
    keys += [("domain", d) for d in {lead.website_domain, lead.email_domain} if d]
    return keys


def _company_keys(keys: CompanyKeys, account: Account | None) -> list[tuple]:
    found = [("domain", d) for d in keys.domains]
    if keys.name and keys.country:
        found.append(("name", keys.name, keys.country))
    if keys.vat:
        found.append(("vat", keys.vat))
    if account is not None:
        found.append(("account", account.pk))
    return found


def find_account(keys: CompanyKeys) -> tuple[Account | None, str]:
    """The best matching account for one company (see ``match_companies``)."""
    if keys.account_filter() is None:
        return None, ""
    has_coc, has_name = bool(keys.coc), bool(keys.name and keys.country)
    shape = ("find-account", bool(keys.vat), has_coc, len(keys.domains), has_name)
    values = (
        *([keys.vat] if keys.vat else []),
        *([keys.coc, keys.country] if has_coc else []),
        *keys.domains,
        *([keys.name, keys.country] if has_name else []),
    )
    ids = [pk for (pk,) in rows_of(shape, functools.partial(_find_account_ids, shape), values)]
    candidates = _matching_accounts_by_pk(ids) if ids else []
    if not candidates:
        return None, ""
    best = min(candidates, key=lambda a: (_rank(a, keys), a.pk))
    return best, _matched_by(_rank(best, keys))


def match_company(keys: CompanyKeys, *, now, exclude_lead=None) -> Match:
    return match_companies([keys], now=now, exclude_pks=[exclude_lead])[0]

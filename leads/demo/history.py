"""Accounts, claims and months of lead history, written with bulk inserts.

Every historical lead is routed by the real engine (``leads.routing``) with the
real deadlines (``leads.services.deadlines``), then its owners' behaviour is simulated:
dealers differ in how fast they follow up and how often they win (seed 002: "Dealer A:
90% picked up within 48 h, conversion 25%; Dealer B: 40%, 8%"), leads nobody touches
are recycled after 5 working days, some are rejected with a reason. The result has
stints, events and object permissions exactly like leads the services create, so
scorecards and charts have real data. Leads are generated in chunks so a million
take minutes and flat memory.
"""

import dataclasses
import functools
import itertools
import math
import random
import time
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from datetime import time as dt_time
from decimal import Decimal

from django.contrib.auth.models import Permission
from django.db import connection, transaction
from django.utils.translation import gettext_noop

from dealers.models import Claim, Dealer
from leads import routing
from leads.demo import companies
from leads.matching.normalize import normalize_company_name
from leads.models import (
    Account,
    Assignment,
    InstalledProduct,
    Lead,
    LeadEvent,
    LeadGroupObjectPermission,
    LeadUserObjectPermission,
    Policy,
    Queue,
    ShareCounter,
)
from leads.routing.messages import R_FALLBACK_POOL
from leads.services import calendars, deadlines, facts
from leads.services.pipeline import REASON_SENTENCES, CloseReason
from leads.sla import businesstime
from portal.messages import message, term, text
from portal.users.models import Role, User

DEMO_PREFIX = "demo-"
HISTORY_DAYS = 182
CHUNK = 5000

REJECT_REASONS = [
    CloseReason.NOT_OUR_PRODUCT_LINE,
    CloseReason.NO_BUDGET,
    CloseReason.NO_CONTACT,
    CloseReason.COMPETITOR_CUSTOMER,
    CloseReason.DUPLICATE,
    CloseReason.NOT_A_LEAD,
]
# The next step a dealer types when accepting a lead, in the dealer's language.
NEXT_STEPS = {
    "nl": ["Deze week bellen", "Demo op locatie plannen", "Offerte sturen"],
    "de": ["Diese Woche anrufen", "Vorführung vor Ort planen", "Angebot schicken"],
    "en": ["Call this week", "Plan a demo on site", "Send a quote"],
}
LOST_REASONS = ["no_budget", "competitor_customer", "no_contact", "not_our_product", "other"]
SOURCES = [
    (Lead.Source.WEB_FORM, 45),
    (Lead.Source.MARKETING, 20),
    (Lead.Source.API, 10),
    (Lead.Source.CSV, 8),
    (Lead.Source.EVENT, 8),
    (Lead.Source.DEALER, 5),
    (Lead.Source.PHONE, 4),
]
ENTERED_BY_PEOPLE = {Lead.Source.DEALER, Lead.Source.PHONE}


@dataclass(frozen=True)
class Behaviour:
    """How an owner acts in the simulation."""

    median_hours: float  # typical office hours from receiving a lead to its first update
    spread: float  # how much that varies from lead to lead (sigma of a log-normal)
    ignore: float  # share of leads never touched (recycled after 5 working days)
    conversion: float  # won / (won + lost)
    reject: float


FASTEST_MEDIAN, SLOWEST_MEDIAN = 0.8, 40.0  # office hours to a first update


def behaviours(dealers: list[Dealer]) -> dict[int, Behaviour]:
    """Stable per-dealer performance, spread as in a real channel.

    The dealers' typical time to a first update runs from within the hour to about
    four working days (evenly on a log scale, in a shuffled order, so no two dealers
    share it); the slower a dealer, the more leads it ignores and the fewer it wins,
    with some luck either way (seed 002: "Dealer A: 90% picked up within 48 h,
    conversion 25%; Dealer B: 40%, 8%").
    """
    ordered = sorted(dealers, key=lambda d: random.Random(f"rank-{d.slug}").random())
    result = {}
    for rank, dealer in enumerate(ordered):
        rng = random.Random(f"behaviour-{dealer.slug}")
        slowness = (rank + rng.uniform(0.2, 0.8)) / len(ordered)  # 0 fastest, 1 slowest
        result[dealer.pk] = Behaviour(
            median_hours=FASTEST_MEDIAN * (SLOWEST_MEDIAN / FASTEST_MEDIAN) ** slowness,
            spread=rng.uniform(0.5, 0.9),
            ignore=0.02 + 0.22 * slowness * rng.uniform(0.6, 1.4),
            conversion=max(0.05, 0.30 - 0.2 * slowness + rng.uniform(-0.04, 0.04)),
            reject=rng.uniform(0.03, 0.14),
        )
    return result


REP_BEHAVIOUR = Behaviour(median_hours=3.0, spread=0.8, ignore=0.0, conversion=0.3, reject=0.04)

# People act in office hours: 08:00-18:00 local time on their country's working days
# (the SLA clocks run 08:30-17:30 by default, ``Policy.workday_start/end``), more in the
# morning and mid-afternoon than at lunch or just before closing. Leads themselves
# arrive at any time: web forms at night are real.
OFFICE_START, OFFICE_END = dt_time(8), dt_time(18)
OFFICE_HOURS = list(range(OFFICE_START.hour, OFFICE_END.hour))
OFFICE_HOUR_WEIGHTS = list(itertools.accumulate([4, 9, 10, 10, 6, 8, 10, 9, 7, 3]))


@functools.cache
def office(country: str) -> businesstime.WorkingCalendar:
    """When a person in ``country`` acts: its working days (no weekends, no public
    holidays), 08:00-18:00 local time."""
    return businesstime.WorkingCalendar.for_country(
        country, day_start=OFFICE_START, day_end=OFFICE_END
    )


def office_moment(
    day: date, cal: businesstime.WorkingCalendar, rng: random.Random, *, forward: bool = True
) -> datetime:
    """A time people work on ``day``, or on the nearest working day after it (before it
    when not ``forward``)."""
    step = timedelta(days=1 if forward else -1)
    while not businesstime.is_working_day(day, cal):
        day += step
    hour = rng.choices(OFFICE_HOURS, cum_weights=OFFICE_HOUR_WEIGHTS)[0]
    seconds = rng.randrange(3600)
    wall = dt_time(hour, seconds // 60, seconds % 60)
    return datetime.combine(day, wall, tzinfo=cal.tz)


def office_day_after(moment: datetime, days: float, cal, rng: random.Random) -> datetime:
    """An office moment on the working day ``days`` (at least 1) after ``moment``, or the
    first working day after that: always later than ``moment``."""
    return office_moment((moment + timedelta(days=days)).astimezone(cal.tz).date(), cal, rng)


def office_hours_after(start: datetime, hours: float, cal) -> datetime:
    """``hours`` of office time after ``start`` (a lead that arrives at night waits for
    the morning): always inside office hours."""
    moment = businesstime.add_working_hours(start, hours, cal)
    if moment.time() == cal.day_end:  # used up a day exactly: the window is [start, end)
        moment -= timedelta(minutes=1)
    return moment


# --- accounts and claims ----------------------------------------------------------


@transaction.atomic
def build_accounts(*, count: int, staff: dict, dealers: dict, now) -> int:
    """About ``count`` accounts: a third customers with installed base, some with a parent."""
    existing = Account.objects.filter(website_domain__endswith=".demo").count()
    if existing >= count:
        return 0
    rng = random.Random(f"accounts-{existing}")
    managers = dict.fromkeys(("NL", "BE", "LU"), staff["eva.visser"]) | dict.fromkeys(
        ("DE", "AT", "CH"), staff["thomas.becker"]
    )
    by_country = defaultdict(list)
    for dealer in dealers.values():
        if dealer.status == Dealer.Status.ACTIVE:
            by_country[dealer.countries[0].code].append(dealer)
    created = []
    used_names = set(Account.objects.values_list("normalized_name", flat=True))
    for index in range(existing, count):
        country = companies.pick_country(rng)
        name, sector = companies.company_name(rng, country)
        while normalize_company_name(name) in used_names:
            name, sector = companies.company_name(rng, country)
            name = f"{name.rsplit(' ', 1)[0]} {rng.choice(['Nord', 'Zuid', 'Süd', 'West', 'Oost', 'Ost', 'Centrum', 'International'])} {name.rsplit(' ', 1)[1]}"
        used_names.add(normalize_company_name(name))
        code, number, city = companies.postcode(rng, country)
        customer = rng.random() < 0.34
        account = Account(
            legal_name=name,
            normalized_name=normalize_company_name(name),
            website_domain=companies.domain(name, country).rsplit(".", 1)[0] + f"-{index}.demo",
            vat_number=companies.vat_number(rng, country) if rng.random() < 0.7 else "",
            country=country,
            postcode=code,
            postcode_number=number,
            city=city,
            sector=sector if sector != "other" else rng.choice(["machinery", "food", "logistics"]),
            account_manager=managers[country] if customer else None,
            serving_dealer=(
                rng.choice(by_country[country])
                if customer and by_country[country] and rng.random() < 0.5
                else None
            ),
            created_at=now - timedelta(days=rng.randint(200, 2000)),
        )
        account._customer = customer
        created.append(account)
    Account.objects.bulk_create(created, batch_size=1000)
    products = []
    for account in created:
        if account._customer:
            for _ in range(rng.choice([1, 1, 2, 3])):
                products.append(
                    InstalledProduct(
                        account=account,
                        product=rng.choice(companies.PRODUCTS),
                        serial_number=f"SN-{rng.randint(100000, 999999)}",
                        installed_on=(now - timedelta(days=rng.randint(60, 3000))).date(),
                    )
                )
    InstalledProduct.objects.bulk_create(products, batch_size=2000)
    # About 5% are subsidiaries of a group company in the same country.
    parents = [a for a in created if a._customer]
    subsidiaries = []
    for account in rng.sample(created, k=len(created) // 20):
        options = [p for p in parents if p.country == account.country and p.pk != account.pk]
        if options:
            account.parent = rng.choice(options)
            subsidiaries.append(account)
    Account.objects.bulk_update(subsidiaries, ["parent"], batch_size=1000)
    return len(created)


CLAIM_NOTE = "[demo] Met at the trade fair; preparing a quote."
# The one claim the demo shows a conflict with on purpose (README, "Demo data").
CONFLICT_DEALER = "Rijnmond Industrie Service B.V."
CONFLICT_NOTE = "[demo] Their plant manager asked us for a quote for a second line."


@transaction.atomic
def build_claims(*, count: int, staff: dict, dealers: dict, now) -> int:
    """About ``count`` claims by dealers on prospects in their own countries.

    Each was clean when it was registered: the claim check that the claim form and
    ``claim_submit`` run (``claim_check``) finds no conflict for it, so no claim is on
    an existing customer (or a subsidiary of one) or on a company another dealer
    holds. One claim shows such a conflict on purpose (``_build_conflict_claim``).
    Every dealer or staff action falls in that person's office hours."""
    from dealers.services.checks import claim_check

    existing = Claim.objects.filter(notes__startswith="[demo]").count()
    if existing >= count:
        return 0
    rng = random.Random(f"claims-{existing}")
    policy = Policy.current()
    conflict_missing = not Claim.objects.filter(notes=CONFLICT_NOTE).exists()
    prospects = list(
        Account.objects.filter(
            website_domain__endswith=".demo", installed_base__isnull=True, claims__isnull=True
        )
        .order_by("pk")
        .only("pk", "legal_name", "country", "postcode", "vat_number", "website_domain")
    )
    rng.shuffle(prospects)
    active = [d for d in dealers.values() if d.status == Dealer.Status.ACTIVE]
    admins = _dealer_admins(active)
    statuses = (
        [Claim.Status.APPROVED] * 60
        + [Claim.Status.PENDING] * 14
        + [Claim.Status.EXPIRED] * 14
        + [Claim.Status.REJECTED] * 6
        + [Claim.Status.WITHDRAWN] * 6
    )
    random.Random("claim-statuses").shuffle(statuses)  # a mix however few claims
    # How long ago each kind was registered: a pending claim waits days for review, an
    # expired one ran its whole period.
    approved_days = max(1, policy.claim_days - 7)
    days_back = {
        Claim.Status.PENDING: lambda: rng.randint(1, 12),
        Claim.Status.APPROVED: lambda: rng.randint(1, approved_days),
        Claim.Status.EXPIRED: lambda: policy.claim_days + rng.randint(1, 60),
        Claim.Status.REJECTED: lambda: rng.randint(10, 170),
        Claim.Status.WITHDRAWN: lambda: rng.randint(10, 170),
    }
    manager = staff["claudia.jansen"]
    claims = []
    for index in range(existing, count - (1 if conflict_missing else 0)):
        account = dealer = None
        while prospects:
            account = prospects.pop()
            candidates = [
                d for d in active if d.countries and d.countries[0].code == account.country.code
            ] or active
            dealer = rng.choice(candidates)
            if claim_check(dealer=dealer, data=_claim_fields(account), now=now).clean:
                break
            account = None  # e.g. a subsidiary of a customer: not a clean claim
        if account is None:
            break
        status = statuses[index % len(statuses)]
        cal = office(dealer.countries[0].code)
        day = (now - timedelta(days=days_back[status]())).astimezone(cal.tz).date()
        submitted = office_moment(day, cal, rng, forward=False)
        approved = expires = decided = None
        if status in (Claim.Status.APPROVED, Claim.Status.EXPIRED):
            approved = decided = submitted  # clean claims are approved automatically
            expires = approved + timedelta(days=policy.claim_days)
            if status == Claim.Status.APPROVED and expires <= now:
                expires = now + timedelta(days=rng.randint(5, 80))
        elif status == Claim.Status.REJECTED:
            decided = office_day_after(submitted, rng.uniform(1, 5), office("NL"), rng)
        elif status == Claim.Status.WITHDRAWN:
            decided = office_day_after(submitted, rng.uniform(1, 5), cal, rng)
        claims.append(
            Claim(
                dealer=dealer,
                account=account,
                **_claim_fields(account),
                contact_name=" ".join(companies.person(rng, account.country.code)[0:1]),
                expected_value=Decimal(rng.choice([15, 25, 40, 60, 90, 150])) * 1000,
                notes=CLAIM_NOTE,
                status=status,
                submitted_by=admins.get(dealer.pk),
                submitted_at=submitted,
                decided_by=manager if status == Claim.Status.REJECTED else None,
                decided_at=decided,
                decision_reason="Existing negotiations by direct sales"
                if status == Claim.Status.REJECTED
                else "",
                approved_at=approved,
                expires_at=expires,
                reminder_due_at=(
                    expires - timedelta(days=policy.claim_reminder_days)
                    if status == Claim.Status.APPROVED
                    and expires - timedelta(days=policy.claim_reminder_days) > now
                    else None
                ),
            )
        )
    Claim.objects.bulk_create(claims)
    _grant_claim_permissions(claims)
    _claim_history(claims)
    added = len(claims)
    if conflict_missing and _build_conflict_claim(dealers=dealers, admins=admins, now=now):
        added += 1
    return added


def _claim_fields(account: Account) -> dict:
    """The company fields of a claim on ``account``, as the claim form sends them."""
    return {
        "company_name": account.legal_name,
        "website": account.website_domain,
        "vat_number": account.vat_number,
        "country": account.country.code,
        "postcode": account.postcode,
    }


def _dealer_admins(dealers: list[Dealer]) -> dict[int, User]:
    return {
        m.dealer_id: m.user
        for d in dealers
        for m in d.memberships.select_related("user").filter(role=Role.DEALER_ADMIN)[:1]
    }


def _build_conflict_claim(*, dealers: dict, admins: dict, now) -> Claim | None:
    """The demo's one deliberate conflict: a dealer registered a company that is
    already a customer (installed base, served directly or by another dealer). The
    claim check flags it, so the claim waits in the channel manager's review queue.
    Made by the real ``claim_submit``, registered on the last working day."""
    from dealers.services.claims import claim_submit

    dealer = dealers.get(CONFLICT_DEALER)
    if dealer is None or dealer.status != Dealer.Status.ACTIVE:
        return None
    country = dealer.countries[0].code
    customer = (
        Account.objects.filter(
            website_domain__endswith=".demo",
            country=country,
            parent__isnull=True,
            installed_base__isnull=False,
            claims__isnull=True,
        )
        .exclude(serving_dealer=dealer)
        .order_by("pk")
        .first()
    )
    if customer is None:
        return None
    rng = random.Random("conflict-claim")
    cal = office(country)
    day = (now - timedelta(days=1)).astimezone(cal.tz).date()
    return claim_submit(
        dealer=dealer,
        submitted_by=admins.get(dealer.pk),
        data={
            **_claim_fields(customer),
            "contact_name": companies.person(rng, country)[0],
            "expected_value": Decimal(60000),
            "notes": CONFLICT_NOTE,
        },
        now=office_moment(day, cal, rng, forward=False),
    )


def _claim_history(claims: list[Claim]) -> None:
    """The events the services would have written for each demo claim's life."""
    from dealers.models import ClaimEvent
    from dealers.services.claims import EXPIRED_REASON

    Kind, Status = ClaimEvent.Kind, Claim.Status
    events = []
    for claim in claims:
        events.append(
            ClaimEvent(
                claim=claim,
                kind=Kind.SUBMITTED,
                actor=claim.submitted_by,
                at=claim.submitted_at,
                reason=message(gettext_noop("Registered; no conflicts found.")),
            )
        )
        if claim.approved_at:
            events.append(
                ClaimEvent(
                    claim=claim,
                    kind=Kind.APPROVED,
                    at=claim.approved_at,
                    reason=message(gettext_noop("Approved automatically: no conflicts found.")),
                    data={"expires_at": claim.expires_at.isoformat()},
                )
            )
        if claim.status == Status.EXPIRED:
            events.append(
                ClaimEvent(
                    claim=claim, kind=Kind.EXPIRED, at=claim.expires_at, reason=EXPIRED_REASON
                )
            )
        elif claim.status == Status.REJECTED:
            events.append(
                ClaimEvent(
                    claim=claim,
                    kind=Kind.REJECTED,
                    actor=claim.decided_by,
                    at=claim.decided_at,
                    reason=text(claim.decision_reason),
                )
            )
        elif claim.status == Status.WITHDRAWN:
            events.append(
                ClaimEvent(
                    claim=claim,
                    kind=Kind.WITHDRAWN,
                    actor=claim.submitted_by,
                    at=claim.decided_at,
                    reason=message(gettext_noop("Withdrawn by the dealer.")),
                )
            )
    ClaimEvent.objects.bulk_create(events, batch_size=2000)


def _grant_claim_permissions(claims: list[Claim]) -> None:
    from dealers.models import ClaimGroupObjectPermission

    perms = Permission.objects.filter(
        content_type__app_label="dealers", codename__in=["view_claim", "change_claim"]
    )
    groups = {d.pk: d.group_id for d in Dealer.objects.all()}
    ClaimGroupObjectPermission.objects.bulk_create(
        [
            ClaimGroupObjectPermission(group_id=groups[c.dealer_id], permission=p, content_object=c)
            for c in claims
            for p in perms
        ],
        batch_size=2000,
    )


# --- leads ------------------------------------------------------------------------


@dataclass
class World:
    """What the lead simulation needs, loaded once."""

    now: object
    context: routing.RoutingContext
    terms: deadlines.SlaTerms
    accounts: list[Account]
    account_facts: dict[int, routing.AccountFacts]
    claims: dict[int, list[routing.ClaimFacts]]
    behaviour: dict[int, Behaviour]
    counts: dict = field(default_factory=lambda: defaultdict(int))
    open_by_company: dict = field(default_factory=dict)
    channel_manager: User | None = None
    perms: dict = field(default_factory=dict)
    dealer_groups: dict = field(default_factory=dict)
    dealer_countries: dict = field(default_factory=dict)
    places: dict = field(default_factory=dict)  # (kind, id) -> the owner's calendar
    dealer_languages: dict = field(default_factory=dict)
    users: dict = field(default_factory=dict)


def load_world(*, now, staff: dict) -> World:
    context = facts.build_context(on=now.date())
    accounts = list(
        Account.objects.filter(website_domain__endswith=".demo")
        .select_related("parent")
        .prefetch_related("installed_base", "parent__installed_base")
        .order_by("pk")
    )
    account_facts = {a.pk: facts.account_facts(a) for a in accounts}
    claims = defaultdict(list)
    for claim in Claim.objects.filter(
        status__in=[Claim.Status.APPROVED, Claim.Status.EXPIRED]
    ).order_by("pk"):
        claims[claim.account_id].extend(facts.claim_facts([claim]))
    world = World(
        now=now,
        context=context,
        terms=deadlines.SlaTerms.from_policy(Policy.current()),
        accounts=accounts,
        account_facts=account_facts,
        claims=claims,
        behaviour=behaviours(list(Dealer.objects.all())),
        channel_manager=staff["claudia.jansen"],
    )
    for counter in ShareCounter.objects.all():
        world.counts[(_parse_scope(counter.scope), _parse_owner(counter.owner))] = counter.count
    world.perms = {
        p.codename: p.pk
        for p in Permission.objects.filter(
            content_type__app_label="leads", codename__in=["view_lead", "act_on_lead"]
        )
    }
    world.dealer_groups = dict(Dealer.objects.values_list("pk", "group_id"))
    world.dealer_countries = {
        dealer.pk: dealer.countries[0].code for dealer in Dealer.objects.all() if dealer.countries
    }
    world.dealer_languages = dict(Dealer.objects.values_list("pk", "language"))
    world.users = {u.pk: u for u in User.objects.filter(staffprofile__isnull=False)}
    world.places = calendars.owner_places(
        [("dealer", pk) for pk in world.dealer_groups] + [("user", pk) for pk in world.users]
    )
    return world


def _parse_owner(text: str) -> tuple:
    kind, _sep, pk = text.partition(":")
    return (kind, pk if kind == "queue" else int(pk))


def _parse_scope(text: str) -> tuple:
    return tuple(int(part) if part.isdigit() else part for part in text.split(":"))


def scope_text(scope: tuple) -> str:
    return ":".join(str(part) for part in scope)


def owner_text(key: tuple) -> str:
    return f"{key[0]}:{key[1]}"


def owner_json(ref: routing.OwnerRef) -> dict:
    return {"kind": ref.kind, "id": ref.id, "name": ref.name}


def reason_json(msg: routing.Message) -> dict:
    return {"msgid": msg.msgid, "params": dict(msg.params)}


def candidates_json(decision: routing.Decision) -> list[dict]:
    return [
        {
            "owner": owner_json(c.owner),
            "rule": c.rule,
            "chosen": c.chosen,
            "note": reason_json(c.note),
        }
        for c in decision.candidates
    ]


def owner_fields(ref: routing.OwnerRef) -> dict:
    if ref.kind == "dealer":
        return {"owner_dealer_id": ref.id}
    if ref.kind == "user":
        return {"owner_user_id": ref.id}
    return {"owner_queue_id": ref.id}


class LeadSimulation:
    """Creates one lead's life from arrival to today."""

    def __init__(self, world: World, rng: random.Random):
        self.world = world
        self.rng = rng

    def arrival(self) -> object:
        rng, now = self.rng, self.world.now
        # More leads recently (marketing grows), on weekdays and in office hours.
        days_ago = int(HISTORY_DAYS * (rng.random() ** 1.3))
        moment = now - timedelta(days=days_ago)
        moment = moment.replace(
            hour=rng.choice([7, 8, 9, 9, 10, 10, 11, 11, 13, 14, 14, 15, 16, 17, 19, 21]),
            minute=rng.randint(0, 59),
        )
        if moment.weekday() >= 5 and rng.random() < 0.7:
            moment -= timedelta(days=moment.weekday() - 4)
        return min(moment, now - timedelta(minutes=rng.randint(5, 600)))

    def entered_by_hand(self, created: datetime, country: str) -> datetime:
        """A lead someone typed in (a dealer's registration, a phone call) arrives in
        that person's office hours, on or before the day drawn."""
        cal, now = office(country), self.world.now
        moment = office_moment(created.astimezone(cal.tz).date(), cal, self.rng, forward=False)
        while moment >= now:
            day = moment.date() - timedelta(days=1)
            moment = office_moment(day, cal, self.rng, forward=False)
        return moment

    def company(self):
        rng = self.rng
        if self.world.accounts and rng.random() < 0.55:
            account = rng.choice(self.world.accounts)
            return (
                account,
                account.legal_name,
                account.country.code,
                account.postcode,
                account.postcode_number,
                account.city,
                account.sector,
                account.vat_number,
                account.website_domain,
            )
        country = companies.pick_country(rng)
        name, sector = companies.company_name(rng, country)
        code, number, city = companies.postcode(rng, country)
        vat = companies.vat_number(rng, country) if rng.random() < 0.3 else ""
        return None, name, country, code, number, city, sector, vat, companies.domain(name, country)

    def build(self, index: int):
        rng = self.rng
        created = self.arrival()
        account, name, country, code, number, city, sector, vat, web = self.company()
        contact, role = companies.person(rng, country)
        temperature = rng.choices(["hot", "warm", "cold"], [25, 55, 20])[0]
        sales_ready = rng.random() > 0.08
        value = Decimal(rng.choice([8, 12, 20, 35, 50, 75, 120, 180, 260, 400])) * 1000
        if rng.random() < 0.04:
            code, number = "", None  # no postcode given
        source = rng.choices([s for s, _w in SOURCES], [w for _s, w in SOURCES])[0]
        if source in ENTERED_BY_PEOPLE:
            created = self.entered_by_hand(created, country)
        lead = Lead(
            company_name=name,
            company_normalized=normalize_company_name(name),
            website=web if rng.random() < 0.6 else "",
            website_domain="",
            vat_number=vat,
            country=country,
            postcode=code,
            postcode_number=number,
            city=city,
            sector=sector if sector != "other" else "",
            account_id=account.pk if account else None,
            contact_name=contact,
            contact_email=f"{contact.split()[0].lower()}.{index}@{web.split('.')[0] if '.' in web else 'example'}.example",
            contact_phone=companies.phone_number(rng, country, city),
            contact_role=role,
            message=rng.choice(companies.MESSAGES[companies.LANGUAGE[country]]),
            language=companies.LANGUAGE[country],
            estimated_value=value,
            temperature=temperature,
            sales_ready=sales_ready,
            qualification={
                "fits_profile": True,
                "decision_level": sales_ready,
                "need": True,
                "evaluation_3m": sales_ready,
                "purchase_6m": sales_ready,
                "talk_2w": True,
            },
            source=source,
            external_id=f"{DEMO_PREFIX}{index:07d}",
            created_at=created,
        )
        lead.fill_lookup_columns()
        lead.contact_email = lead.contact_email.lower()
        facts_ = routing.LeadFacts(
            company_name=name,
            country=country,
            postcode=code or None,
            postcode_number=number,
            sector=lead.sector or None,
            estimated_value=value,
            temperature=temperature,
            sales_ready=sales_ready,
            missing_qualification=()
            if sales_ready
            else ("decision-level contact", "purchase within 6 months"),
        )
        company_key = account.pk if account else lead.company_normalized
        return lead, facts_, account, company_key

    def route(self, facts_: routing.LeadFacts, account, company_key, at, excluded=frozenset()):
        world = self.world
        if excluded:
            facts_ = dataclasses.replace(facts_, excluded_owners=frozenset(excluded))
        open_lead = world.open_by_company.get(company_key)
        decision = routing.route(
            facts_,
            context=world.context,
            account=world.account_facts.get(account.pk) if account else None,
            claims=world.claims.get(account.pk, ()) if account else (),
            open_leads=[open_lead] if open_lead else [],
            counts=world.counts,
            now=at,
        )
        if decision.share_key is not None:
            world.counts[decision.share_key] += 1
        return decision


def simulate(sim: LeadSimulation, index: int, out: dict) -> None:
    """Route and live through one lead; append rows to ``out``."""
    world, rng = sim.world, sim.rng
    now, terms = world.now, world.terms
    lead, facts_, account, company_key = sim.build(index)
    lead_events, lead_stints = [], []
    country = lead.country
    country_code = getattr(country, "code", country)
    at = lead.created_at
    decision = sim.route(facts_, account, company_key, at)
    excluded: set = set()
    previous = None
    status = "new"
    final_deadlines = deadlines.NONE
    while True:
        owner = decision.owner
        # like the routing door: a new lead's first event is "created", with its owner
        first = not lead_events
        lead_events.append(
            LeadEvent(
                kind="created" if first else "routed",
                at=at,
                from_owner=owner_json(previous) if previous else None,
                to_owner=owner_json(owner),
                reason=reason_json(decision.reason),
                data={"rule": decision.rule, **({"source": lead.source} if first else {})},
            )
        )
        stint = Assignment(
            rule=decision.rule,
            started_at=at,
            estimated_value=lead.estimated_value,
            **owner_fields(owner),
        )
        lead_stints.append(stint)
        lead.routing_rule = decision.rule
        lead.routing_reason = reason_json(decision.reason)
        lead.routing_candidates = candidates_json(decision)
        lead.assigned_at = at
        lead.owner_dealer_id = lead.owner_user_id = lead.owner_queue_id = None
        for key, value in owner_fields(owner).items():
            setattr(lead, key, value)
        if owner.kind == "queue":
            status = "nurture" if owner.id == Queue.NURTURE else "new"
            if owner.id == Queue.NURTURE:
                stint.ended_at, stint.end_reason = at, Assignment.EndReason.NURTURE
            break
        clock_country, clock_region = calendars.place_of(
            world.places, owner.kind, owner.id, country
        )
        stint_deadlines = deadlines.stint_deadlines(
            owner_kind=owner.kind,
            temperature=lead.temperature,
            country=clock_country,
            region=clock_region,
            start=at,
            terms=terms,
        )
        stint.sla_due_at = stint_deadlines.first_update_due_at
        if owner.kind == "dealer":
            behaviour = world.behaviour.get(owner.id, REP_BEHAVIOUR)
            cal = office(world.dealer_countries.get(owner.id, country_code))
        else:
            behaviour, cal = REP_BEHAVIOUR, office(country_code)
        due = stint_deadlines.first_update_due_at
        first = None
        if rng.random() >= behaviour.ignore:
            hours = rng.lognormvariate(math.log(behaviour.median_hours), behaviour.spread)
            first = office_hours_after(at, min(hours, 80.0), cal)
            if owner.kind == "dealer" and first >= stint_deadlines.recycle_due_at:
                first = None  # too late: the lead was recycled before
        if first is None or first > now:
            # Still waiting for a first update, or it never came.
            if owner.kind == "dealer" and stint_deadlines.reminder_due_at <= now:
                lead_events.append(
                    LeadEvent(
                        kind="reminder",
                        at=stint_deadlines.reminder_due_at,
                        to_owner=owner_json(owner),
                        reason=message(
                            "No status update within %(days)s working days.",
                            days=terms.dealer_first_update_days,
                        ),
                    )
                )
            if owner.kind == "dealer" and stint_deadlines.recycle_due_at <= now:
                at = stint_deadlines.recycle_due_at
                stint.ended_at, stint.end_reason = at, Assignment.EndReason.RECYCLED
                lead_events.append(
                    LeadEvent(
                        kind="recycled",
                        at=at,
                        from_owner=owner_json(owner),
                        reason=message(
                            "No update within %(days)s working days: the lead goes to the next eligible dealer",
                            days=terms.dealer_recycle_days,
                        ),
                    )
                )
                excluded.add(owner.key)
                previous = owner
                if len(lead_stints) >= 3:
                    decision = routing.Decision(
                        world.context.policy.pool_queue,
                        "fallback",
                        routing.Message(
                            R_FALLBACK_POOL,
                            {"queue": term(world.context.policy.pool_queue.name)},
                        ),
                    )
                else:
                    decision = sim.route(facts_, account, company_key, at, excluded)
                continue
            # Clocks still running (reminder already fired if its time passed).
            final_deadlines = deadlines.Deadlines(
                first_update_due_at=due,
                reminder_due_at=stint_deadlines.reminder_due_at
                if stint_deadlines.reminder_due_at and stint_deadlines.reminder_due_at > now
                else None,
                escalation_due_at=stint_deadlines.escalation_due_at
                if stint_deadlines.escalation_due_at and stint_deadlines.escalation_due_at > now
                else None,
                recycle_due_at=stint_deadlines.recycle_due_at,
            )
            if owner.kind == "user" and due <= now:
                final_deadlines = deadlines.Deadlines(
                    first_update_due_at=due, escalation_due_at=None
                )
            break
        stint.first_update_at = first
        stint.first_update_hours = round(
            deadlines.working_hours(at, first, clock_country, terms, clock_region), 2
        )
        stint.first_update_in_sla = first <= due
        actor = _actor(world, owner, rng)
        if owner.kind == "dealer" and rng.random() < behaviour.reject:
            code = rng.choice(REJECT_REASONS)
            lead_events.append(
                LeadEvent(
                    kind="rejected",
                    at=first,
                    actor_id=actor,
                    from_owner=owner_json(owner),
                    reason=message(REASON_SENTENCES[code]),  # as lead_reject writes it
                    data={"reason": str(code), "note": ""},
                )
            )
            stint.ended_at, stint.end_reason = first, Assignment.EndReason.REJECTED
            excluded.add(owner.key)
            previous, at = owner, first
            if len(lead_stints) >= 3:
                decision = routing.Decision(
                    world.context.policy.pool_queue,
                    "fallback",
                    routing.Message(
                        R_FALLBACK_POOL,
                        {"queue": term(world.context.policy.pool_queue.name)},
                    ),
                )
            else:
                decision = sim.route(facts_, account, company_key, at, excluded)
            continue
        language = (
            world.dealer_languages.get(owner.id, lead.language)
            if owner.kind == "dealer"
            else lead.language
        )
        step = rng.choice(NEXT_STEPS.get(language, NEXT_STEPS["en"]))
        status = _pipeline(lead, stint, first, behaviour, actor, lead_events, rng, now, cal, step)
        break
    lead.status = status
    lead.status_changed_at = max(e.at for e in lead_events)
    for key, value in final_deadlines.as_fields().items():
        setattr(lead, key, value if status == "new" else None)
    if lead.is_open and lead.owner_queue_id != Queue.NURTURE:
        world.open_by_company[company_key] = routing.OpenLeadFacts(
            index, _ref(world, lead), lead.created_at
        )
    elif world.open_by_company.get(company_key) and world.open_by_company[company_key].id == index:
        del world.open_by_company[company_key]
    out["leads"].append(lead)
    out["events"].append(lead_events)
    out["stints"].append(lead_stints)


def _ref(world: World, lead: Lead) -> routing.OwnerRef:
    if lead.owner_dealer_id:
        return world.context.dealer_refs[lead.owner_dealer_id]
    if lead.owner_user_id:
        return world.context.rep_refs[lead.owner_user_id]
    return world.context.policy.pool_queue


def _actor(world: World, owner: routing.OwnerRef, rng: random.Random) -> int | None:
    if owner.kind == "user":
        return owner.id
    members = _dealer_members(owner.id)
    return rng.choice(members) if members else None


_members_cache: dict[int, list[int]] = {}


def _dealer_members(dealer_id: int) -> list[int]:
    if dealer_id not in _members_cache:
        from dealers.models import DealerMembership

        _members_cache[dealer_id] = list(
            DealerMembership.objects.filter(dealer_id=dealer_id).values_list("user_id", flat=True)
        )
    return _members_cache[dealer_id]


def _pipeline(lead, stint, first, behaviour, actor, events, rng, now, cal, step) -> str:
    """Accept with the next ``step``, then move through the pipeline as far as time
    allows, each step in the actor's office hours (``cal``)."""
    events.append(
        LeadEvent(
            kind="accepted",
            at=first,
            actor_id=actor,
            reason=text(step),
            data={"next_step": step},
        )
    )
    status, moment = "accepted", first
    steps = [("contacted", (1, 6)), ("meeting", (3, 15)), ("proposal", (5, 20))]
    reach = 0.8
    for step, (lo, hi) in steps:
        nxt = office_day_after(moment, rng.uniform(lo, hi), cal, rng)
        if nxt > now:
            return status
        if rng.random() > reach:
            moment = nxt
            break  # lost along the way
        kind = "contact" if step == "contacted" else "status"
        events.append(
            LeadEvent(kind=kind, at=nxt, actor_id=actor, data={"from": status, "to": step})
        )
        status, moment = step, nxt
    else:
        closing = office_day_after(moment, rng.uniform(5, 30), cal, rng)
        if closing > now:
            return status
        if rng.random() < behaviour.conversion / reach**3:
            lead.won_value = (lead.estimated_value or Decimal(0)) * Decimal(
                rng.choice(["0.8", "0.9", "1.0", "1.1"])
            )
            stint.won_value = lead.won_value
            stint.ended_at, stint.end_reason = closing, Assignment.EndReason.WON
            events.append(
                LeadEvent(
                    kind="status",
                    at=closing,
                    actor_id=actor,
                    data={"from": status, "to": "won", "value": str(lead.won_value)},
                )
            )
            lead.closed_at = closing
            return "won"
        moment = closing
    closing = moment
    lead.close_reason = rng.choice(LOST_REASONS)
    stint.ended_at, stint.end_reason = closing, Assignment.EndReason.LOST
    events.append(
        LeadEvent(
            kind="status",
            at=closing,
            actor_id=actor,
            data={"from": status, "to": "lost", "reason": lead.close_reason},
        )
    )
    lead.closed_at = closing
    return "lost"


def build_leads(*, count: int, staff: dict, now, stdout=None) -> int:
    """Bring the number of demo leads up to ``count``; returns how many were added."""
    existing = Lead.objects.filter(external_id__startswith=DEMO_PREFIX).count()
    if existing >= count:
        return 0
    world = load_world(now=now, staff=staff)
    started = time.monotonic()
    added = 0
    for chunk_start in range(existing, count, CHUNK):
        chunk_end = min(count, chunk_start + CHUNK)
        out = {"leads": [], "events": [], "stints": []}
        for index in range(chunk_start, chunk_end):
            simulate(LeadSimulation(world, random.Random(f"lead-{index}")), index, out)
        _write(world, out)
        added += chunk_end - chunk_start
        if stdout is not None and (chunk_end - existing) % 50000 < CHUNK:
            rate = added / max(time.monotonic() - started, 0.001)
            stdout.write(f"  {chunk_end:,} leads ({rate:,.0f}/s)")
    _save_counts(world)
    return added


@transaction.atomic
def _write(world: World, out: dict) -> None:
    leads = out["leads"]
    Lead.objects.bulk_create(leads, batch_size=2000)
    events, stints, group_perms, user_perms = [], [], [], []
    view, act = world.perms["view_lead"], world.perms["act_on_lead"]
    for lead, lead_events, lead_stints in zip(leads, out["events"], out["stints"], strict=True):
        for event in lead_events:
            event.lead_id = lead.pk
            events.append(event)
        for stint in lead_stints:
            stint.lead_id = lead.pk
            stints.append(stint)
        if lead.owner_dealer_id:
            group = world.dealer_groups[lead.owner_dealer_id]
            group_perms += [
                LeadGroupObjectPermission(
                    group_id=group, permission_id=view, content_object_id=lead.pk
                ),
                LeadGroupObjectPermission(
                    group_id=group, permission_id=act, content_object_id=lead.pk
                ),
            ]
        elif lead.owner_user_id:
            user_perms += [
                LeadUserObjectPermission(
                    user_id=lead.owner_user_id, permission_id=view, content_object_id=lead.pk
                ),
                LeadUserObjectPermission(
                    user_id=lead.owner_user_id, permission_id=act, content_object_id=lead.pk
                ),
            ]
    Assignment.objects.bulk_create(stints, batch_size=5000)
    LeadEvent.objects.bulk_create(events, batch_size=5000)
    LeadGroupObjectPermission.objects.bulk_create(group_perms, batch_size=5000)
    LeadUserObjectPermission.objects.bulk_create(user_perms, batch_size=5000)


def _save_counts(world: World) -> None:
    rows = [
        ShareCounter(scope=scope_text(scope), owner=owner_text(owner), count=n)
        for (scope, owner), n in world.counts.items()
    ]
    with transaction.atomic():
        ShareCounter.objects.bulk_create(
            rows,
            batch_size=2000,
            update_conflicts=True,
            unique_fields=["scope", "owner"],
            update_fields=["count"],
        )
    if connection.vendor == "postgresql":
        # Fresh statistics, and (outside a transaction) the visibility map, so the
        # inbox's index-only scans need no heap visits, as after autovacuum in a live
        # database.
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE" if connection.in_atomic_block else "VACUUM ANALYZE")


def make_timers_due(*, now, count: int = 6) -> int:
    """Put a few open dealer leads just past their reminder or recycle moment, so the
    timer loop visibly acts in the first minute of the demo."""
    leads = list(
        Lead.objects.filter(
            external_id__startswith=DEMO_PREFIX,
            status="new",
            owner_dealer__isnull=False,
            recycle_due_at__gt=now,
        ).order_by("created_at")[:count]
    )
    for position, lead in enumerate(leads):
        if position % 2 == 0:
            lead.reminder_due_at = now - timedelta(minutes=1)
            Lead.objects.filter(pk=lead.pk).update(reminder_due_at=lead.reminder_due_at)
        else:
            Lead.objects.filter(pk=lead.pk).update(recycle_due_at=now - timedelta(minutes=1))
    return len(leads)


def since(start_time: float) -> str:
    return f"{time.monotonic() - start_time:.1f} s"

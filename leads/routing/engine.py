"""The lead routing engine: who gets a new lead, and why.

Pure Python, like healthchecks' ``hc/lib/cronsim.py``: no Django, no ORM, no
settings, no clock read and no randomness. The Django service (``lead_route``)
loads rows, turns them into the frozen *facts* below, calls :func:`route` and
writes the :class:`Decision` it gets back. The same facts always give the same
decision, so every rule is tested table-driven without a database.

Shape of one call::

    context = RoutingContext.build(dealers=..., reps=..., territories=..., policy=...)
    decision = route(lead, context=context, account=account, claims=claims,
                     open_leads=open_leads, counts=counts, now=now)
    counts[decision.share_key] += 1          # when decision.share_key is not None

The context is built once (it indexes territories by country and postcode) and
reused for many decisions; ``counts`` is the only input the caller feeds back
after each decision.

Precedence
----------
0. ``nurture`` (always first): a lead that is not sales-ready goes to the
   marketing nurture queue.
Then the rules of :attr:`RoutingPolicy.rule_order`, by default:

1. ``installed_base``: the account (or the parent it belongs to) owns installed
   products -> its account manager (or their backup while out of office), else
   the dealer that serves the account.
2. ``claim``: a dealer holds an approved, unexpired claim on the company -> that
   dealer. A claim beats direct sales and the territory dealer.
3. ``open_work``: the company already has an open lead -> the same owner. A
   queue is not an owner to follow.
4. ``deal_size``: estimated value above the enterprise threshold -> the senior
   reps, any region, by equal share.
5. ``sector``: within the territories covering the lead, the owners that
   specialise in the lead's sector (or all owners of a territory reserved for
   that sector), most specific territory first, by weighted share.
6. ``territory``: the most specific covering territory open to the lead's
   sector, its owners by weighted share; a territory without an eligible owner
   hands over to the next less specific one. Without a postcode only
   whole-country territories apply.
7. ``fallback``: round robin within the internal sales team covering the
   country, else the pool queue.

A lead is never ownerless: when no rule decides, the pool queue takes it under
the rule ``fallback`` even if ``fallback`` was left out of the rule order
(leaving it out, or setting ``team_fallback=False``, only skips the team round
robin).

Eligibility (every step)
------------------------
* Dealers: status ``active`` (paused and terminated are skipped), fewer leads in
  the last 7 days than ``weekly_capacity`` (``None`` = no limit), not in the
  lead's ``excluded_owners``; for share-based choices also a weight above 0.
* Reps: ``is_active``, not in ``excluded_owners``. A rep who is out of office at
  ``now`` is replaced by their backup when the backup is eligible (active, not
  excluded, not out of office themselves); one level only, no chains. Whichever rule
  chose the rep, the reason then names both ("… belongs to Lukas Gruber, who is out
  of office, so their backup Anna Huber takes it").

Weighted share
--------------
Among the eligible owners of one *scope* (for example the owners of one
territory) with weights ``w_i`` and lead counts ``c_i`` so far, the lead goes to
the owner with the largest deficit ``w_i / Σw × (Σc + 1) − c_i``; ties go to the
higher weight, then the lower owner key (``("dealer", 3)`` before
``("dealer", 7)``, dealers before users). Feeding each decision back into the
counts makes the split converge to the weights: equal weights take turns, and
2:1 gives two leads to one for every lead to the other. An owner that is out of
office lends its slot (and weight) to its backup; the backup's own count is what
is read, so an owner coming back catches up on the leads it missed.

Only a choice is counted: when just one owner of the scope can take the lead (the
others rejected or lost it, are paused, at capacity, at weight 0, or it is the
scope's only owner) it goes to that owner and ``share_scope`` stays ``None``.
Counting it would make that owner's next leads pay for the others' absence: a
dealer that rejects half its leads would push its partner's count up with the
leads routed again, and the split of the leads left to choose could not make up
for it.

Scopes (the first half of a counts key, see :attr:`Decision.share_scope`):

* ``("territory", territory_id)`` for the territory rule,
* ``("sector", territory_id, sector)`` for the sector rule,
* ``("team", "senior")`` for the deal-size rule,
* ``("team", "internal_sales")`` for the fallback round robin.

A dealer's weight inside a territory is ``TerritoryOwnerFacts.weight ×
DealerFacts.weight`` (its share of that territory times its performance weight);
a rep's is the territory owner weight alone.

Explanations
------------
Every reason and candidate note is a :class:`Message`: a msgid wrapped in
``gettext_noop`` (so ``makemessages`` extracts it) with ``%(name)s`` params.
Params are JSON values: names as strings, counts as numbers, and values each reader
sees in their own format or language as one-key dicts: ``{"amount": "300000"}``,
``{"percent": "24.8"}``, ``{"date": "2025-03-31"}``, ``{"at": "2025-03-31T09:00"}``,
``{"sector": "food"}``, ``{"sectors": ["food", "retail"]}``, ``{"country": "DE"}`` and
``{"term": "Channel pool"}`` (a name of the portal's own vocabulary). A message can be
stored as JSON and shown later in the reader's language (``portal.messages``);
``message.render()`` writes it in plain English (``€300,000``, ``24.8%``).
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Callable, Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Literal, TypeVar


def gettext_noop(s: str) -> str:
    """Mark ``s`` for translation without translating it (Django's convention)."""
    return s


OwnerKind = Literal["dealer", "user", "queue"]
OwnerKey = tuple[str, int | str]
ShareScope = tuple[Hashable, ...]
CountKey = tuple[ShareScope, OwnerKey]

DEALER_ACTIVE = "active"
DEALER_PAUSED = "paused"
DEALER_TERMINATED = "terminated"

ROLE_ACCOUNT_MANAGER = "account_manager"
ROLE_INTERNAL_SALES = "internal_sales"
ROLE_SENIOR = "senior"
ROLE_SALES_MANAGER = "sales_manager"
ROLE_CHANNEL_MANAGER = "channel_manager"

SCOPE_SENIOR: ShareScope = ("team", "senior")
SCOPE_INTERNAL_SALES: ShareScope = ("team", "internal_sales")


class Rule(StrEnum):
    """The rule that decided; stored on the assignment and reported per rule."""

    NURTURE = "nurture"
    INSTALLED_BASE = "installed_base"
    CLAIM = "claim"
    OPEN_WORK = "open_work"
    DEAL_SIZE = "deal_size"
    SECTOR = "sector"
    TERRITORY = "territory"
    FALLBACK = "fallback"


DEFAULT_RULE_ORDER: tuple[Rule, ...] = (
    Rule.INSTALLED_BASE,
    Rule.CLAIM,
    Rule.OPEN_WORK,
    Rule.DEAL_SIZE,
    Rule.SECTOR,
    Rule.TERRITORY,
    Rule.FALLBACK,
)

# --- Messages --------------------------------------------------------------------
# Reasons: one sentence a salesperson would say about the decision.
R_NURTURE = gettext_noop("Not sales-ready yet (%(missing)s): marketing nurture queue")
R_NURTURE_UNSPECIFIED = gettext_noop("Not sales-ready yet: marketing nurture queue")
R_CUSTOMER_MANAGER = gettext_noop(
    "%(company)s is an existing customer (%(products)s); account manager: %(owner)s"
)
R_CUSTOMER_BACKUP = gettext_noop(
    "%(company)s is an existing customer (%(products)s); account manager %(manager)s is "
    "out of office, so their backup %(owner)s takes it"
)
R_CUSTOMER_DEALER = gettext_noop(
    "%(company)s is an existing customer (%(products)s) served by dealer %(owner)s"
)
R_PARENT_MANAGER = gettext_noop(
    "%(company)s is part of %(parent)s, an existing customer (%(products)s); "
    "account manager: %(owner)s"
)
R_PARENT_BACKUP = gettext_noop(
    "%(company)s is part of %(parent)s, an existing customer (%(products)s); account "
    "manager %(manager)s is out of office, so their backup %(owner)s takes it"
)
R_PARENT_DEALER = gettext_noop(
    "%(company)s is part of %(parent)s, an existing customer (%(products)s) served by "
    "dealer %(owner)s"
)
R_CLAIM = gettext_noop("%(dealer)s holds an approved claim on %(company)s until %(until)s")
R_OPEN_WORK = gettext_noop("%(company)s already has an open lead owned by %(owner)s")
R_OPEN_WORK_BACKUP = gettext_noop(
    "%(company)s already has an open lead owned by %(previous)s, who is out of office; "
    "their backup %(owner)s takes it"
)
R_DEAL_SIZE = gettext_noop(
    "Estimated value %(value)s is above the enterprise threshold of %(threshold)s; "
    "senior rep %(owner)s"
)
R_SECTOR_OWNER = gettext_noop("%(owner)s specialises in %(sector)s in territory %(territory)s")
R_SECTOR_TERRITORY = gettext_noop(
    "Territory %(territory)s is reserved for %(sector)s leads and belongs to %(owner)s"
)
R_TERRITORY = gettext_noop("Territory %(territory)s (postcode %(postcode)s) belongs to %(owner)s")
R_TERRITORY_COUNTRY = gettext_noop(
    "Territory %(territory)s covers all of %(country)s (postcode %(postcode)s) and "
    "belongs to %(owner)s"
)
R_TERRITORY_NO_POSTCODE = gettext_noop(
    "No postcode given: routed by country %(country)s to %(owner)s"
)
R_TERRITORY_BAD_POSTCODE = gettext_noop(
    "Postcode %(postcode)s not recognised: routed by country %(country)s to %(owner)s"
)
R_FALLBACK_TEAM = gettext_noop(
    "No rule matched; round robin in the internal sales team gives it to %(owner)s"
)
# The same reasons when the rep the rule chose is out of office and their backup
# (%(owner)s) takes the lead for them (%(absent)s).
R_DEAL_SIZE_BACKUP = gettext_noop(
    "Estimated value %(value)s is above the enterprise threshold of %(threshold)s; "
    "senior rep %(absent)s is out of office, so their backup %(owner)s takes it"
)
R_SECTOR_OWNER_BACKUP = gettext_noop(
    "%(absent)s specialises in %(sector)s in territory %(territory)s and is out of office, "
    "so their backup %(owner)s takes it"
)
R_SECTOR_TERRITORY_BACKUP = gettext_noop(
    "Territory %(territory)s is reserved for %(sector)s leads and belongs to %(absent)s, "
    "who is out of office, so their backup %(owner)s takes it"
)
R_TERRITORY_BACKUP = gettext_noop(
    "Territory %(territory)s (postcode %(postcode)s) belongs to %(absent)s, who is out of "
    "office, so their backup %(owner)s takes it"
)
R_TERRITORY_COUNTRY_BACKUP = gettext_noop(
    "Territory %(territory)s covers all of %(country)s (postcode %(postcode)s) and "
    "belongs to %(absent)s, who is out of office, so their backup %(owner)s takes it"
)
R_TERRITORY_NO_POSTCODE_BACKUP = gettext_noop(
    "No postcode given: routed by country %(country)s to %(absent)s, who is out of "
    "office, so their backup %(owner)s takes it"
)
R_TERRITORY_BAD_POSTCODE_BACKUP = gettext_noop(
    "Postcode %(postcode)s not recognised: routed by country %(country)s to %(absent)s, "
    "who is out of office, so their backup %(owner)s takes it"
)
R_FALLBACK_TEAM_BACKUP = gettext_noop(
    "No rule matched; round robin in the internal sales team gives it to %(absent)s, who "
    "is out of office, so their backup %(owner)s takes it"
)
BACKUP_REASONS = {
    R_DEAL_SIZE: R_DEAL_SIZE_BACKUP,
    R_SECTOR_OWNER: R_SECTOR_OWNER_BACKUP,
    R_SECTOR_TERRITORY: R_SECTOR_TERRITORY_BACKUP,
    R_TERRITORY: R_TERRITORY_BACKUP,
    R_TERRITORY_COUNTRY: R_TERRITORY_COUNTRY_BACKUP,
    R_TERRITORY_NO_POSTCODE: R_TERRITORY_NO_POSTCODE_BACKUP,
    R_TERRITORY_BAD_POSTCODE: R_TERRITORY_BAD_POSTCODE_BACKUP,
    R_FALLBACK_TEAM: R_FALLBACK_TEAM_BACKUP,
}
R_FALLBACK_POOL = gettext_noop("No rule matched; sent to the %(queue)s queue")

# Candidate notes: why one owner was or wasn't chosen.
N_PAUSED = gettext_noop("%(owner)s is paused")
N_TERMINATED = gettext_noop("The dealer agreement with %(owner)s is terminated")
N_NOT_ACTIVE = gettext_noop("%(owner)s is not active (%(status)s)")
N_DEACTIVATED = gettext_noop("%(owner)s is deactivated")
N_UNKNOWN = gettext_noop("%(owner)s is not available for routing")
N_EXCLUDED = gettext_noop("%(owner)s rejected or lost this lead before")
N_MOVED_FROM = gettext_noop("%(owner)s had this lead until a manager moved it")
N_CAPACITY = gettext_noop("%(owner)s is at capacity: %(load)s of %(capacity)s leads this week")
N_WEIGHT_ZERO = gettext_noop("%(owner)s has weight 0 and receives no new leads")
N_OOO_BACKUP = gettext_noop(
    "%(owner)s is out of office until %(until)s; backup %(backup)s takes over"
)
N_OOO_BACKUP_OPEN = gettext_noop("%(owner)s is out of office; backup %(backup)s takes over")
N_OOO_NO_BACKUP = gettext_noop("%(owner)s is out of office and has no backup")
N_OOO_BACKUP_UNAVAILABLE = gettext_noop(
    "%(owner)s is out of office and backup %(backup)s is not available"
)
N_BACKUP_OOO = gettext_noop("%(owner)s is out of office too")
N_CLAIM_EXPIRED = gettext_noop("The claim of %(owner)s on %(company)s expired on %(until)s")
N_CLAIM_NOT_YET = gettext_noop(
    "The claim of %(owner)s on %(company)s is not approved until %(since)s"
)
N_QUEUE_NOT_FOLLOWED = gettext_noop(
    "The open lead waits in the %(owner)s queue; a queue is not an owner to follow"
)
N_NOT_SPECIALISED = gettext_noop("%(owner)s does not specialise in %(sector)s")
N_TERRITORY_SECTOR_MISMATCH = gettext_noop(
    "Sector mismatch: territory %(territory)s of %(owner)s takes only %(sectors)s leads, "
    "not %(sector)s"
)
N_TERRITORY_NEEDS_SECTOR = gettext_noop(
    "Sector mismatch: territory %(territory)s of %(owner)s takes only %(sectors)s leads "
    "and this lead has no sector"
)
N_OUTSIDE_COUNTRY = gettext_noop("%(owner)s does not cover %(country)s")
N_ONLY_OWNER = gettext_noop("%(owner)s is the only eligible owner")
N_SHARE_CHOSEN = gettext_noop(
    "%(owner)s is furthest below their weighted share: share %(share)s of target "
    "%(target)s (%(count)s of %(total)s leads)"
)
N_SHARE_BEHIND = gettext_noop(
    "%(owner)s has share %(share)s of target %(target)s (%(count)s of %(total)s leads); "
    "%(chosen)s is further below theirs"
)
N_SHARE_TIED = gettext_noop(
    "%(owner)s has share %(share)s of target %(target)s (%(count)s of %(total)s leads); "
    "tied with %(chosen)s, who goes first by weight and id"
)


# --- Values ----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class OwnerRef:
    """Who owns a lead: a dealer, an internal user (rep) or a named queue.

    Dealers and users have integer ids (their primary keys); queues have string
    ids such as ``"pool"`` and ``"nurture"``. ``name`` is for explanations only;
    identity is :attr:`key`.
    """

    kind: OwnerKind
    id: int | str
    name: str

    @property
    def key(self) -> OwnerKey:
        """A hashable identity, e.g. ``("dealer", 3)``, used in counts and exclusions."""
        return (self.kind, self.id)


@dataclass(frozen=True, slots=True)
class Message:
    """A translatable sentence: a gettext msgid and the values for its ``%(name)s``.

    Params are JSON values (see the module docstring), so a message survives a JSON
    round trip (store ``msgid`` and ``params``). When ``params`` is empty the msgid is
    returned as is (no ``%`` interpolation), otherwise a literal percent sign must be
    written ``%%``.
    """

    msgid: str
    params: Mapping[str, object] = field(default_factory=dict)

    def render(self, translate: Callable[[str], str] = lambda s: s) -> str:
        """The sentence with ``translate`` (e.g. Django's ``gettext``) and the typed
        params in plain English; ``portal.messages`` shows them in the reader's format."""
        text = translate(self.msgid)
        if not self.params:
            return text
        return text % {key: _plain_english(value) for key, value in self.params.items()}


def _plain_english(value: object) -> object:
    """A typed param (see the module docstring) as plain English text."""
    if not isinstance(value, Mapping) or len(value) != 1:
        return value
    ((kind, raw),) = value.items()
    if kind == "amount":
        amount = Decimal(str(raw))
        return f"€{amount:,.0f}" if amount == amount.to_integral_value() else f"€{amount:,.2f}"
    if kind == "percent":
        return f"{raw}%"
    if kind == "at":
        return str(raw)[:16].replace("T", " ")
    if kind == "sectors":
        return ", ".join(raw)
    return raw


@dataclass(frozen=True, slots=True)
class LeadFacts:
    """What the engine knows about the lead being routed.

    ``country`` is the ISO 3166 alpha-2 code in upper case (``"NL"``).
    ``postcode_number`` is the routable part of the postcode (the leading 4
    digits in NL, BE, AT, CH and LU, 5 digits in DE) or ``None`` when there is no
    usable postcode; ``postcode`` is the normalised display form. ``sector`` is a
    sector code (``"automotive"``) or ``None``. ``missing_qualification`` holds
    the labels of unmet lead-definition criteria for a lead that is not
    sales-ready. ``excluded_owners`` are owner keys that rejected or lost this
    lead before; they are skipped when it is routed again. ``moved_from`` is the owner
    a manager is taking the lead away from ("route again"), skipped this time only.
    """

    company_name: str
    country: str
    postcode: str | None = None
    postcode_number: int | None = None
    sector: str | None = None
    estimated_value: Decimal | None = None
    temperature: Literal["hot", "warm", "cold"] = "warm"
    sales_ready: bool = True
    missing_qualification: tuple[str, ...] = ()
    excluded_owners: frozenset[OwnerKey] = frozenset()
    moved_from: OwnerKey | None = None


@dataclass(frozen=True, slots=True)
class DealerFacts:
    """A dealer as routing sees it.

    ``load_this_week`` counts the leads assigned in the last 7 days;
    ``weekly_capacity`` ``None`` means no limit. ``weight`` is the effective
    allocation weight (performance weight or the manager's override); 0 means
    the dealer receives no new leads through share-based rules.
    """

    id: int
    name: str
    status: str = DEALER_ACTIVE
    sectors: frozenset[str] = frozenset()
    weekly_capacity: int | None = None
    load_this_week: int = 0
    weight: float = 1.0


@dataclass(frozen=True, slots=True)
class RepFacts:
    """An internal user (rep, account manager, senior rep) as routing sees it.

    ``countries`` empty means every country. A rep is out of office while
    ``out_of_office_from <= now < out_of_office_until``; either bound may be
    ``None`` (open), but with both ``None`` the rep is in. ``backup_id`` names the
    rep who takes over while they are away.
    """

    id: int
    name: str
    is_active: bool = True
    roles: frozenset[str] = frozenset()
    sectors: frozenset[str] = frozenset()
    countries: frozenset[str] = frozenset()
    out_of_office_from: datetime | None = None
    out_of_office_until: datetime | None = None
    backup_id: int | None = None


@dataclass(frozen=True, slots=True)
class TerritoryOwnerFacts:
    """One owner of a territory with its share of the territory's leads."""

    owner_kind: Literal["dealer", "user"]
    owner_id: int
    weight: float = 1.0


@dataclass(frozen=True, slots=True)
class TerritoryFacts:
    """A territory: a country, optionally postcode ranges and sectors, and its owners.

    ``ranges`` are inclusive ``(lo, hi)`` postcode numbers; an empty tuple covers
    the whole country. ``sectors`` empty means every sector, otherwise only
    leads in one of these sectors.
    """

    id: int
    name: str
    country: str
    ranges: tuple[tuple[int, int], ...] = ()
    sectors: frozenset[str] = frozenset()
    owners: tuple[TerritoryOwnerFacts, ...] = ()


@dataclass(frozen=True, slots=True)
class InstalledProductFacts:
    """A product an account owns."""

    product: str
    installed_on: date
    serial: str = ""


@dataclass(frozen=True, slots=True)
class AccountFacts:
    """The known company the lead was matched to, with its parent company if any.

    A subsidiary routes like its parent: when the account has no installed base
    (or no account manager and no serving dealer) the parent's is used, and the
    reason says so.
    """

    id: int
    name: str
    account_manager_id: int | None = None
    serving_dealer_id: int | None = None
    installed_products: tuple[InstalledProductFacts, ...] = ()
    parent: AccountFacts | None = None


@dataclass(frozen=True, slots=True)
class ClaimFacts:
    """An approved claim already matched to the lead's company by the caller.

    The engine still checks that it is in force at ``now``:
    ``approved_at <= now < expires_at``.
    """

    id: int
    dealer_id: int
    company_name: str
    approved_at: datetime
    expires_at: datetime


@dataclass(frozen=True, slots=True)
class OpenLeadFacts:
    """An open lead on the same company, with its current owner."""

    id: int
    owner: OwnerRef
    created_at: datetime


POOL_QUEUE = OwnerRef("queue", "pool", "Channel pool")
NURTURE_QUEUE = OwnerRef("queue", "nurture", "Marketing nurture")


@dataclass(frozen=True, slots=True)
class RoutingPolicy:
    """The staff-configurable part of routing.

    ``rule_order`` lists rule names from :data:`DEFAULT_RULE_ORDER` (``nurture``
    always runs first and is not part of it). A deal is enterprise when its
    estimated value is strictly above ``enterprise_threshold`` (euros).
    """

    rule_order: tuple[str, ...] = DEFAULT_RULE_ORDER
    enterprise_threshold: Decimal = Decimal("250000")
    team_fallback: bool = True
    pool_queue: OwnerRef = POOL_QUEUE
    nurture_queue: OwnerRef = NURTURE_QUEUE

    def __post_init__(self) -> None:
        allowed = set(DEFAULT_RULE_ORDER)
        unknown = [name for name in self.rule_order if name not in allowed]
        if unknown:
            raise ValueError(f"Unknown routing rules: {', '.join(map(str, unknown))}")
        if len(set(self.rule_order)) != len(self.rule_order):
            raise ValueError("A routing rule appears twice in rule_order")
        object.__setattr__(self, "rule_order", tuple(Rule(name) for name in self.rule_order))
        for queue in (self.pool_queue, self.nurture_queue):
            if queue.kind != "queue":
                raise ValueError(f"{queue.name} must be a queue")


@dataclass(frozen=True, slots=True)
class CandidateNote:
    """One owner considered by one rule, whether it was chosen, and why (not)."""

    owner: OwnerRef
    rule: str
    chosen: bool
    note: Message


@dataclass(frozen=True, slots=True)
class Decision:
    """The outcome: exactly one owner, the rule that decided, and the explanation.

    ``candidates`` lists every owner considered, in the order the rules looked
    at them, including the ones skipped and why. ``territory_id`` is set by the
    sector and territory rules. ``share_scope`` is set when the owner was chosen
    by weighted share among two or more eligible owners; the caller then adds one to
    ``counts[share_key]``.
    """

    owner: OwnerRef
    rule: str
    reason: Message
    candidates: tuple[CandidateNote, ...] = ()
    territory_id: int | None = None
    share_scope: ShareScope | None = None

    @property
    def share_key(self) -> CountKey | None:
        """The counts key to increment after assigning, or ``None``."""
        if self.share_scope is None:
            return None
        return (self.share_scope, self.owner.key)


# --- Context ---------------------------------------------------------------------

_WHOLE_COUNTRY = float("inf")  # the width of a territory without ranges


@dataclass(frozen=True, slots=True)
class _Owner:
    """A territory owner joined to its facts (``None`` when unknown to the context)."""

    ref: OwnerRef
    weight: float
    dealer: DealerFacts | None
    rep: RepFacts | None

    @property
    def sectors(self) -> frozenset[str]:
        facts = self.dealer or self.rep
        return facts.sectors if facts is not None else frozenset()


@dataclass(frozen=True, slots=True)
class _Territory:
    territory: TerritoryFacts
    owners: tuple[_Owner, ...]


@dataclass(frozen=True, slots=True)
class _CountryIndex:
    """Territories of one country, for a fast "which territories cover n?".

    The postcode line is cut at every range boundary into elementary segments;
    ``starts[i]`` is where segment ``i`` begins and ``covering[i]`` the
    territories covering it, most specific (narrowest covering range) first,
    whole-country territories last. A lookup is one ``bisect``.
    """

    starts: tuple[int, ...]
    covering: tuple[tuple[_Territory, ...], ...]
    whole_country: tuple[_Territory, ...]

    def lookup(self, number: int | None) -> tuple[_Territory, ...]:
        if number is None:
            return self.whole_country
        i = bisect_right(self.starts, number) - 1
        return self.whole_country if i < 0 else self.covering[i]

    @classmethod
    def build(cls, territories: Sequence[_Territory]) -> _CountryIndex:
        whole = tuple(
            sorted((t for t in territories if not t.territory.ranges), key=lambda t: t.territory.id)
        )
        ranged = [(lo, hi, t) for t in territories for lo, hi in t.territory.ranges]
        points = sorted({p for lo, hi, _t in ranged for p in (lo, hi + 1)})
        by_start = sorted(ranged, key=lambda r: r[0])
        active: dict[tuple[int, int, int], tuple[int, _Territory]] = {}
        starts: list[int] = []
        covering: list[tuple[_Territory, ...]] = []
        j = 0
        for point in points:
            for key in [k for k in active if k[1] + 1 <= point]:
                del active[key]
            while j < len(by_start) and by_start[j][0] <= point:
                lo, hi, t = by_start[j]
                if hi >= point:
                    active[(lo, hi, t.territory.id)] = (hi - lo + 1, t)
                j += 1
            narrowest: dict[int, tuple[int, _Territory]] = {}
            for width, t in active.values():
                known = narrowest.get(t.territory.id)
                if known is None or width < known[0]:
                    narrowest[t.territory.id] = (width, t)
            ordered = sorted(narrowest.values(), key=lambda wt: (wt[0], wt[1].territory.id))
            starts.append(point)
            covering.append(tuple(t for _w, t in ordered) + whole)
        return cls(starts=tuple(starts), covering=tuple(covering), whole_country=whole)


@dataclass(frozen=True, slots=True)
class RoutingContext:
    """Dealers, reps, territories and policy, indexed once for many decisions.

    Build it with :meth:`build` from iterables of facts, or construct it directly
    with mappings keyed by id. The indexes (owner references, senior and
    internal sales teams, territories per country and postcode) are computed in
    ``__post_init__``. The facts are a snapshot: dealer loads change as leads are
    assigned, so the caller rebuilds the context when it wants fresher loads.
    """

    dealers: Mapping[int, DealerFacts]
    reps: Mapping[int, RepFacts]
    territories: Mapping[int, TerritoryFacts]
    policy: RoutingPolicy = field(default_factory=RoutingPolicy)
    dealer_refs: Mapping[int, OwnerRef] = field(init=False, repr=False, compare=False)
    rep_refs: Mapping[int, OwnerRef] = field(init=False, repr=False, compare=False)
    seniors: tuple[RepFacts, ...] = field(init=False, repr=False, compare=False)
    internal_sales: tuple[RepFacts, ...] = field(init=False, repr=False, compare=False)
    _by_country: Mapping[str, _CountryIndex] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        dealer_refs = {d.id: OwnerRef("dealer", d.id, d.name) for d in self.dealers.values()}
        rep_refs = {r.id: OwnerRef("user", r.id, r.name) for r in self.reps.values()}
        reps = sorted(self.reps.values(), key=lambda r: r.id)
        per_country: dict[str, list[_Territory]] = {}
        for t in self.territories.values():
            for lo, hi in t.ranges:
                if lo > hi:
                    raise ValueError(f"Territory {t.name}: range {lo}-{hi} is reversed")
            owners = []
            for o in t.owners:
                if o.owner_kind == "dealer":
                    dealer = self.dealers.get(o.owner_id)
                    ref = dealer_refs.get(o.owner_id) or OwnerRef(
                        "dealer", o.owner_id, f"Dealer #{o.owner_id}"
                    )
                    weight = o.weight * dealer.weight if dealer is not None else 0.0
                    owners.append(_Owner(ref, weight, dealer, None))
                else:
                    rep = self.reps.get(o.owner_id)
                    ref = rep_refs.get(o.owner_id) or OwnerRef(
                        "user", o.owner_id, f"User #{o.owner_id}"
                    )
                    owners.append(_Owner(ref, o.weight, None, rep))
            per_country.setdefault(t.country.upper(), []).append(_Territory(t, tuple(owners)))
        set_ = object.__setattr__
        set_(self, "dealer_refs", dealer_refs)
        set_(self, "rep_refs", rep_refs)
        set_(self, "seniors", tuple(r for r in reps if ROLE_SENIOR in r.roles))
        set_(self, "internal_sales", tuple(r for r in reps if ROLE_INTERNAL_SALES in r.roles))
        set_(self, "_by_country", {c: _CountryIndex.build(ts) for c, ts in per_country.items()})

    @classmethod
    def build(
        cls,
        *,
        dealers: Iterable[DealerFacts],
        reps: Iterable[RepFacts],
        territories: Iterable[TerritoryFacts],
        policy: RoutingPolicy | None = None,
    ) -> RoutingContext:
        """Index the given facts; ids must be unique per kind."""
        return cls(
            dealers=_by_id(dealers, "dealer"),
            reps=_by_id(reps, "rep"),
            territories=_by_id(territories, "territory"),
            policy=policy or RoutingPolicy(),
        )

    def territories_covering(
        self, country: str, postcode_number: int | None
    ) -> tuple[TerritoryFacts, ...]:
        """Territories covering a postcode, most specific first (whole country last).

        With ``postcode_number`` ``None`` only whole-country territories cover.
        Sectors are not considered here.
        """
        return tuple(t.territory for t in self._covering(country, postcode_number))

    def _covering(self, country: str, postcode_number: int | None) -> tuple[_Territory, ...]:
        index = self._by_country.get(country)
        return index.lookup(postcode_number) if index is not None else ()


_HasId = TypeVar("_HasId", DealerFacts, RepFacts, TerritoryFacts)


def _by_id(items: Iterable[_HasId], what: str) -> dict[int, _HasId]:
    result: dict[int, _HasId] = {}
    for item in items:
        if item.id in result:
            raise ValueError(f"Duplicate {what} id {item.id}")
        result[item.id] = item
    return result


# --- Routing ---------------------------------------------------------------------


def route(
    lead: LeadFacts,
    *,
    context: RoutingContext,
    account: AccountFacts | None,
    claims: Sequence[ClaimFacts],
    open_leads: Sequence[OpenLeadFacts],
    counts: Mapping[CountKey, int],
    now: datetime,
    loads: Mapping[int, int] | None = None,
) -> Decision:
    """Decide who owns ``lead`` at ``now`` (timezone-aware), and explain why.

    ``loads`` (dealer id → leads assigned in the last 7 days) overrides the
    snapshot in the context, so a long-lived context stays correct on capacity.

    ``account`` is the matched account or ``None``; ``claims`` the approved
    claims matched to the lead's company; ``open_leads`` the company's other
    open leads; ``counts`` the leads each owner received per share scope so far
    (missing keys count 0). Always returns a decision with an owner.
    """
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    router = _Router(lead, context, counts, now, loads)
    if not lead.sales_ready:
        return router.nurture()
    for rule in context.policy.rule_order:
        if rule is Rule.INSTALLED_BASE:
            decision = router.installed_base(account)
        elif rule is Rule.CLAIM:
            decision = router.claim(claims)
        elif rule is Rule.OPEN_WORK:
            decision = router.open_work(account, open_leads)
        elif rule is Rule.DEAL_SIZE:
            decision = router.deal_size()
        elif rule is Rule.SECTOR:
            decision = router.sector()
        elif rule is Rule.TERRITORY:
            decision = router.territory()
        else:
            decision = router.team_fallback()
        if decision is not None:
            return decision
    return router.pool()


def _is_out_of_office(rep: RepFacts, now: datetime) -> bool:
    start, end = rep.out_of_office_from, rep.out_of_office_until
    if start is None and end is None:
        return False
    return (start is None or start <= now) and (end is None or now < end)


# Typed params (see the module docstring): each reader sees them in their own format.


def _money(value: Decimal) -> dict:
    return {"amount": str(value)}


def _percent(fraction: float) -> dict:
    return {"percent": f"{fraction * 100:.1f}"}


def _day(value: date) -> dict:
    return {"date": value.isoformat()}


def _moment(value: datetime) -> dict:
    return {"at": value.isoformat()}


def _sector(code: str) -> dict:
    return {"sector": code}


def _country(code: str) -> dict:
    return {"country": code}


def _term(name: str) -> dict:
    return {"term": name}


def _products(account: AccountFacts) -> str:
    return "; ".join(f"{p.product}, {p.installed_on.year}" for p in account.installed_products)


def _account_chain(account: AccountFacts) -> list[AccountFacts]:
    chain = []
    node: AccountFacts | None = account
    while node is not None and len(chain) < 10:  # a guard against malformed data
        chain.append(node)
        node = node.parent
    return chain


@dataclass(slots=True)
class _Slot:
    """An eligible owner in a weighted-share choice (after backup substitution).

    Private working state of one decision, so not frozen: merging two slots that
    resolve to the same owner adds their weights in place. ``absent`` is the rep a
    backup stands in for (None when the owner takes the slot in their own right).
    """

    ref: OwnerRef
    weight: float
    origin: _Owner | None = None
    absent: OwnerRef | None = None


class _Router:
    """The state of one decision: its inputs and the candidate notes so far."""

    __slots__ = ("context", "counts", "excluded", "lead", "loads", "notes", "now")

    def __init__(
        self,
        lead: LeadFacts,
        context: RoutingContext,
        counts: Mapping[CountKey, int],
        now: datetime,
        loads: Mapping[int, int] | None = None,
    ) -> None:
        self.lead = lead
        self.context = context
        self.counts = counts
        self.now = now
        self.loads = loads
        self.excluded = lead.excluded_owners
        self.notes: list[CandidateNote] = []

    # -- bookkeeping

    def note(
        self, owner: OwnerRef, rule: str, msgid: str, params: dict, chosen: bool = False
    ) -> None:
        self.notes.append(CandidateNote(owner, rule, chosen, Message(msgid, params)))

    def decide(
        self,
        owner: OwnerRef,
        rule: str,
        msgid: str,
        params: dict,
        *,
        note: bool = True,
        territory_id: int | None = None,
        share_scope: ShareScope | None = None,
    ) -> Decision:
        """The decision; ``note`` adds the reason as the chosen owner's note."""
        reason = Message(msgid, params)
        if note:
            self.notes.append(CandidateNote(owner, rule, True, reason))
        return Decision(owner, rule, reason, tuple(self.notes), territory_id, share_scope)

    def decide_slot(
        self,
        slot: _Slot,
        rule: str,
        msgid: str,
        params: dict,
        *,
        territory_id: int | None = None,
        share_scope: ShareScope | None = None,
    ) -> Decision:
        """The decision for a slot chosen by share; when a backup stands in for an
        out-of-office rep, the reason says so (as the installed-base and open-work
        reasons do)."""
        params = params | {"owner": slot.ref.name}
        if slot.absent is not None:
            msgid = BACKUP_REASONS[msgid]
            params["absent"] = slot.absent.name
        return self.decide(
            slot.ref,
            rule,
            msgid,
            params,
            note=False,
            territory_id=territory_id,
            share_scope=share_scope,
        )

    # -- eligibility

    def dealer_blocked(self, dealer: DealerFacts, ref: OwnerRef) -> tuple[str, dict] | None:
        """Why ``dealer`` cannot take this lead (status, exclusion, capacity), or None."""
        name = ref.name
        if dealer.status != DEALER_ACTIVE:
            if dealer.status == DEALER_PAUSED:
                return N_PAUSED, {"owner": name}
            if dealer.status == DEALER_TERMINATED:
                return N_TERMINATED, {"owner": name}
            return N_NOT_ACTIVE, {"owner": name, "status": dealer.status}
        if ref.key in self.excluded:
            return N_EXCLUDED, {"owner": name}
        if ref.key == self.lead.moved_from:
            return N_MOVED_FROM, {"owner": name}
        capacity = dealer.weekly_capacity
        if capacity is None:
            return None
        load = dealer.load_this_week if self.loads is None else self.loads.get(dealer.id, 0)
        if load >= capacity:
            return N_CAPACITY, {"owner": name, "load": str(load), "capacity": str(capacity)}
        return None

    def eligible_dealer(self, dealer_id: int, rule: str) -> OwnerRef | None:
        """The dealer's ref if it may take the lead; otherwise note why and return None."""
        dealer = self.context.dealers.get(dealer_id)
        if dealer is None:
            ref = OwnerRef("dealer", dealer_id, f"Dealer #{dealer_id}")
            self.note(ref, rule, N_UNKNOWN, {"owner": ref.name})
            return None
        ref = self.context.dealer_refs[dealer_id]
        blocked = self.dealer_blocked(dealer, ref)
        if blocked is not None:
            self.note(ref, rule, *blocked)
            return None
        return ref

    def rep_blocked(self, rep: RepFacts, ref: OwnerRef) -> tuple[str, dict] | None:
        if not rep.is_active:
            return N_DEACTIVATED, {"owner": ref.name}
        if ref.key in self.excluded:
            return N_EXCLUDED, {"owner": ref.name}
        if ref.key == self.lead.moved_from:
            return N_MOVED_FROM, {"owner": ref.name}
        return None

    def eligible_rep(self, rep_id: int, rule: str) -> tuple[OwnerRef, RepFacts] | None:
        """The rep, or their backup while they are out of office, if eligible.

        Returns ``(ref, facts)`` of whoever takes the lead; notes every rep looked
        at that cannot take it (and the hand-over to a backup).
        """
        rep = self.context.reps.get(rep_id)
        if rep is None:
            ref = OwnerRef("user", rep_id, f"User #{rep_id}")
            self.note(ref, rule, N_UNKNOWN, {"owner": ref.name})
            return None
        ref = self.context.rep_refs[rep_id]
        blocked = self.rep_blocked(rep, ref)
        if blocked is not None:
            self.note(ref, rule, *blocked)
            return None
        if not _is_out_of_office(rep, self.now):
            return ref, rep
        backup = self.context.reps.get(rep.backup_id) if rep.backup_id is not None else None
        if backup is None:
            self.note(ref, rule, N_OOO_NO_BACKUP, {"owner": ref.name})
            return None
        backup_ref = self.context.rep_refs[backup.id]
        blocked = self.rep_blocked(backup, backup_ref)
        if blocked is None and _is_out_of_office(backup, self.now):
            blocked = N_BACKUP_OOO, {"owner": backup_ref.name}
        if blocked is not None:
            self.note(
                ref, rule, N_OOO_BACKUP_UNAVAILABLE, {"owner": ref.name, "backup": backup_ref.name}
            )
            self.note(backup_ref, rule, *blocked)
            return None
        until = rep.out_of_office_until
        if until is None:
            self.note(ref, rule, N_OOO_BACKUP_OPEN, {"owner": ref.name, "backup": backup_ref.name})
        else:
            self.note(
                ref,
                rule,
                N_OOO_BACKUP,
                {"owner": ref.name, "backup": backup_ref.name, "until": _moment(until)},
            )
        return backup_ref, backup

    def rep_slot(self, rep_id: int, rule: str, weight: float = 1.0) -> _Slot | None:
        """A rep as a weighted-share slot (their backup's while they are away), or None
        (noted) if neither can take the lead."""
        found = self.eligible_rep(rep_id, rule)
        if found is None:
            return None
        ref = found[0]
        absent = self.context.rep_refs[rep_id] if ref.id != rep_id else None
        return _Slot(ref, weight, absent=absent)

    def share_slot(self, owner: _Owner, rule: str) -> _Slot | None:
        """A territory owner as a weighted-share slot, or None (noted) if ineligible."""
        absent = None
        if owner.dealer is not None:
            ref = self.eligible_dealer(owner.dealer.id, rule)
            if ref is None:
                return None
        elif owner.rep is not None:
            slot = self.rep_slot(owner.rep.id, rule)
            if slot is None:
                return None
            ref, absent = slot.ref, slot.absent
        else:
            self.note(owner.ref, rule, N_UNKNOWN, {"owner": owner.ref.name})
            return None
        if owner.weight <= 0:
            self.note(owner.ref, rule, N_WEIGHT_ZERO, {"owner": owner.ref.name})
            return None
        return _Slot(ref, owner.weight, owner, absent)

    # -- weighted share

    @staticmethod
    def split_scope(slots: list[_Slot], scope: ShareScope) -> ShareScope | None:
        """``scope`` when the choice was one (two or more eligible slots, before a
        backup's slot is merged with its own), else None: not counted (see "Weighted
        share" above)."""
        return scope if len(slots) > 1 else None

    def choose(self, slots: list[_Slot], scope: ShareScope, rule: str) -> _Slot:
        """The slot furthest below its weighted share in ``scope``; notes every slot.

        Slots that resolve to the same owner (a backup standing in for someone
        who also owns the scope) are merged, their weights added.
        """
        merged: dict[OwnerKey, _Slot] = {}
        for slot in slots:
            known = merged.get(slot.ref.key)
            if known is None:
                merged[slot.ref.key] = _Slot(slot.ref, slot.weight, slot.origin, slot.absent)
            else:
                known.weight += slot.weight
                if slot.absent is None:  # the backup owns a slot of its own here too
                    known.absent, known.origin = None, slot.origin
        if len(merged) == 1:
            (only,) = merged.values()
            self.note(only.ref, rule, N_ONLY_OWNER, {"owner": only.ref.name}, chosen=True)
            return only
        counts = self.counts
        entries = [(slot, counts.get((scope, key), 0)) for key, slot in merged.items()]
        total_weight = sum(slot.weight for slot in merged.values())
        total_count = sum(count for _slot, count in entries)
        best: tuple[_Slot, float] | None = None
        deficits = []
        for slot, count in entries:
            deficit = slot.weight / total_weight * (total_count + 1) - count
            deficits.append(deficit)
            if best is None or _better(slot, deficit, *best):
                best = (slot, deficit)
        assert best is not None
        chosen, chosen_deficit = best
        for (slot, count), deficit in zip(entries, deficits, strict=True):
            params = {
                "owner": slot.ref.name,
                "share": _percent(count / total_count) if total_count else _percent(0.0),
                "target": _percent(slot.weight / total_weight),
                "count": count,
                "total": total_count,
            }
            if slot is chosen:
                self.note(slot.ref, rule, N_SHARE_CHOSEN, params, chosen=True)
            else:
                params["chosen"] = chosen.ref.name
                tied = abs(deficit - chosen_deficit) <= _EPSILON
                self.note(slot.ref, rule, N_SHARE_TIED if tied else N_SHARE_BEHIND, params)
        return chosen

    # -- rules

    def nurture(self) -> Decision:
        missing = self.lead.missing_qualification
        if missing:
            return self.decide(
                self.context.policy.nurture_queue,
                Rule.NURTURE,
                R_NURTURE,
                {"missing": ", ".join(missing)},
            )
        return self.decide(
            self.context.policy.nurture_queue, Rule.NURTURE, R_NURTURE_UNSPECIFIED, {}
        )

    def installed_base(self, account: AccountFacts | None) -> Decision | None:
        if account is None:
            return None
        chain = _account_chain(account)
        customer_at = next((i for i, a in enumerate(chain) if a.installed_products), None)
        if customer_at is None:
            return None
        customer = chain[customer_at]
        owning = next(
            (
                a
                for a in chain[customer_at:]
                if a.account_manager_id is not None or a.serving_dealer_id is not None
            ),
            None,
        )
        if owning is None:
            return None
        via_parent = owning is not account or customer is not account
        params = {
            "company": account.name,
            "parent": owning.name if owning is not account else customer.name,
            "products": _products(customer),
        }
        rule = Rule.INSTALLED_BASE
        if owning.account_manager_id is not None:
            found = self.eligible_rep(owning.account_manager_id, rule)
            if found is not None:
                ref = found[0]
                if ref.id == owning.account_manager_id:
                    msgid = R_PARENT_MANAGER if via_parent else R_CUSTOMER_MANAGER
                else:
                    msgid = R_PARENT_BACKUP if via_parent else R_CUSTOMER_BACKUP
                    params["manager"] = self.context.rep_refs[owning.account_manager_id].name
                return self.decide(ref, rule, msgid, params | {"owner": ref.name})
        if owning.serving_dealer_id is not None:
            ref = self.eligible_dealer(owning.serving_dealer_id, rule)
            if ref is not None:
                msgid = R_PARENT_DEALER if via_parent else R_CUSTOMER_DEALER
                return self.decide(ref, rule, msgid, params | {"owner": ref.name})
        return None

    def claim(self, claims: Sequence[ClaimFacts]) -> Decision | None:
        rule = Rule.CLAIM
        for claim in sorted(claims, key=lambda c: (c.approved_at, c.id)):
            if claim.expires_at <= self.now or claim.approved_at > self.now:
                ref = self.context.dealer_refs.get(claim.dealer_id) or OwnerRef(
                    "dealer", claim.dealer_id, f"Dealer #{claim.dealer_id}"
                )
                if claim.expires_at <= self.now:
                    msgid, when = N_CLAIM_EXPIRED, {"until": _day(claim.expires_at.date())}
                else:
                    msgid, when = N_CLAIM_NOT_YET, {"since": _day(claim.approved_at.date())}
                self.note(
                    ref, rule, msgid, {"owner": ref.name, "company": claim.company_name} | when
                )
                continue
            ref = self.eligible_dealer(claim.dealer_id, rule)
            if ref is not None:
                return self.decide(
                    ref,
                    rule,
                    R_CLAIM,
                    {
                        "dealer": ref.name,
                        "company": claim.company_name,
                        "until": _day(claim.expires_at.date()),
                    },
                )
        return None

    def open_work(
        self, account: AccountFacts | None, open_leads: Sequence[OpenLeadFacts]
    ) -> Decision | None:
        rule = Rule.OPEN_WORK
        company = account.name if account is not None else self.lead.company_name
        seen: set[OwnerKey] = set()
        for open_lead in sorted(open_leads, key=lambda o: (o.created_at, o.id)):
            owner = open_lead.owner
            if owner.key in seen:
                continue
            seen.add(owner.key)
            if owner.kind == "queue":
                self.note(owner, rule, N_QUEUE_NOT_FOLLOWED, {"owner": _term(owner.name)})
                continue
            if owner.kind == "dealer":
                ref = self.eligible_dealer(int(owner.id), rule)
                if ref is not None:
                    return self.decide(
                        ref, rule, R_OPEN_WORK, {"company": company, "owner": ref.name}
                    )
                continue
            found = self.eligible_rep(int(owner.id), rule)
            if found is not None:
                ref = found[0]
                if ref.key == owner.key:
                    return self.decide(
                        ref, rule, R_OPEN_WORK, {"company": company, "owner": ref.name}
                    )
                previous = self.context.rep_refs[int(owner.id)].name
                return self.decide(
                    ref,
                    rule,
                    R_OPEN_WORK_BACKUP,
                    {"company": company, "previous": previous, "owner": ref.name},
                )
        return None

    def deal_size(self) -> Decision | None:
        value = self.lead.estimated_value
        threshold = self.context.policy.enterprise_threshold
        if value is None or value <= threshold:
            return None
        rule = Rule.DEAL_SIZE
        slots = [
            slot
            for rep in self.context.seniors
            if (slot := self.rep_slot(rep.id, rule)) is not None
        ]
        if not slots:
            return None
        chosen = self.choose(slots, SCOPE_SENIOR, rule)
        return self.decide_slot(
            chosen,
            rule,
            R_DEAL_SIZE,
            {"value": _money(value), "threshold": _money(threshold)},
            share_scope=self.split_scope(slots, SCOPE_SENIOR),
        )

    def sector_mismatch(self, entry: _Territory, rule: str) -> bool:
        """Note the owners of a territory reserved for other sectors; True if so."""
        territory = entry.territory
        sector = self.lead.sector
        if not territory.sectors or sector in territory.sectors:
            return False
        sectors = {"sectors": sorted(territory.sectors)}
        for owner in entry.owners:
            params = {"owner": owner.ref.name, "territory": territory.name, "sectors": sectors}
            if sector is None:
                self.note(owner.ref, rule, N_TERRITORY_NEEDS_SECTOR, params)
            else:
                self.note(
                    owner.ref,
                    rule,
                    N_TERRITORY_SECTOR_MISMATCH,
                    params | {"sector": _sector(sector)},
                )
        return True

    def sector(self) -> Decision | None:
        sector = self.lead.sector
        if sector is None:
            return None
        rule = Rule.SECTOR
        for entry in self.context._covering(self.lead.country, self.lead.postcode_number):
            if self.sector_mismatch(entry, rule):
                continue
            territory = entry.territory
            reserved = sector in territory.sectors
            slots = []
            for owner in entry.owners:
                if not reserved and sector not in owner.sectors:
                    self.note(
                        owner.ref,
                        rule,
                        N_NOT_SPECIALISED,
                        {"owner": owner.ref.name, "sector": _sector(sector)},
                    )
                    continue
                slot = self.share_slot(owner, rule)
                if slot is not None:
                    slots.append(slot)
            if not slots:
                continue
            scope = ("sector", territory.id, sector)
            chosen = self.choose(slots, scope, rule)
            assert chosen.origin is not None
            msgid = (
                R_SECTOR_OWNER
                if sector in chosen.origin.sectors or not reserved
                else R_SECTOR_TERRITORY
            )
            return self.decide_slot(
                chosen,
                rule,
                msgid,
                {"sector": _sector(sector), "territory": territory.name},
                territory_id=territory.id,
                share_scope=self.split_scope(slots, scope),
            )
        return None

    def territory(self) -> Decision | None:
        rule = Rule.TERRITORY
        lead = self.lead
        for entry in self.context._covering(lead.country, lead.postcode_number):
            if self.sector_mismatch(entry, rule):
                continue
            territory = entry.territory
            slots = [s for o in entry.owners if (s := self.share_slot(o, rule)) is not None]
            if not slots:
                continue
            scope = ("territory", territory.id)
            chosen = self.choose(slots, scope, rule)
            params = {"territory": territory.name}
            if lead.postcode_number is None:
                params["country"] = _country(lead.country)
                if lead.postcode:
                    msgid = R_TERRITORY_BAD_POSTCODE
                    params["postcode"] = lead.postcode
                else:
                    msgid = R_TERRITORY_NO_POSTCODE
            else:
                params["postcode"] = lead.postcode or str(lead.postcode_number)
                if territory.ranges:
                    msgid = R_TERRITORY
                else:
                    msgid = R_TERRITORY_COUNTRY
                    params["country"] = _country(lead.country)
            return self.decide_slot(
                chosen,
                rule,
                msgid,
                params,
                territory_id=territory.id,
                share_scope=self.split_scope(slots, scope),
            )
        return None

    def team_fallback(self) -> Decision | None:
        if not self.context.policy.team_fallback:
            return self.pool()
        rule = Rule.FALLBACK
        country = self.lead.country
        slots = []
        for rep in self.context.internal_sales:
            if rep.countries and country not in rep.countries:
                ref = self.context.rep_refs[rep.id]
                self.note(
                    ref, rule, N_OUTSIDE_COUNTRY, {"owner": ref.name, "country": _country(country)}
                )
                continue
            slot = self.rep_slot(rep.id, rule)
            if slot is not None:
                slots.append(slot)
        if not slots:
            return self.pool()
        chosen = self.choose(slots, SCOPE_INTERNAL_SALES, rule)
        return self.decide_slot(
            chosen,
            rule,
            R_FALLBACK_TEAM,
            {},
            share_scope=self.split_scope(slots, SCOPE_INTERNAL_SALES),
        )

    def pool(self) -> Decision:
        queue = self.context.policy.pool_queue
        return self.decide(queue, Rule.FALLBACK, R_FALLBACK_POOL, {"queue": _term(queue.name)})


_EPSILON = 1e-9


def _better(slot: _Slot, deficit: float, best: _Slot, best_deficit: float) -> bool:
    """Larger deficit wins; on a tie the higher weight, then the lower owner key."""
    if deficit > best_deficit + _EPSILON:
        return True
    if deficit < best_deficit - _EPSILON:
        return False
    if slot.weight != best.weight:
        return slot.weight > best.weight
    return slot.ref.key < best.ref.key

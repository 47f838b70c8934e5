"""The frozen facts the engine decides on: the lead, dealers, reps, territories,
the account with its installed base, claims and open leads, and who can own a lead
(:class:`OwnerRef`)."""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Literal

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

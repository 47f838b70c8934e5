"""The engine's sentences: every reason and candidate note as a translatable msgid,
the :class:`Message` that carries one with its params, and the typed params.

Params are JSON values: names as strings, counts as numbers, and values each reader
sees in their own format or language as one-key dicts (see ``leads.routing``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal


def gettext_noop(s: str) -> str:
    """Mark ``s`` for translation without translating it (Django's convention)."""
    return s


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

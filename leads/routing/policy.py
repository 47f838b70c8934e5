"""The rules by name, their default order, the queues and the staff-configurable
:class:`RoutingPolicy`."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum

from leads.routing.facts import OwnerRef


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

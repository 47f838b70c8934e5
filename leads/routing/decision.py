"""What the engine gives back: a :class:`Decision` with one owner, the rule that
decided, the reason, and a :class:`CandidateNote` for every owner considered."""

from __future__ import annotations

from dataclasses import dataclass

from leads.routing.facts import CountKey, OwnerRef, ShareScope
from leads.routing.messages import Message


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

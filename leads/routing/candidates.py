"""Who may take a lead, and which of them by weighted share.

The base of one decision's state: candidate notes, eligibility of dealers and reps
(status, exclusion, capacity, out of office and backups) and the weighted-share
choice within a scope (see "Weighted share" in ``leads.routing``). The rules built
on it are in ``leads.routing.rules``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from leads.routing.context import RoutingContext, _Owner
from leads.routing.decision import CandidateNote, Decision
from leads.routing.facts import (
    DEALER_ACTIVE,
    DEALER_PAUSED,
    DEALER_TERMINATED,
    CountKey,
    DealerFacts,
    LeadFacts,
    OwnerKey,
    OwnerRef,
    RepFacts,
    ShareScope,
)
from leads.routing.messages import (
    BACKUP_REASONS,
    N_BACKUP_OOO,
    N_CAPACITY,
    N_DEACTIVATED,
    N_EXCLUDED,
    N_MOVED_FROM,
    N_NOT_ACTIVE,
    N_ONLY_OWNER,
    N_OOO_BACKUP,
    N_OOO_BACKUP_OPEN,
    N_OOO_BACKUP_UNAVAILABLE,
    N_OOO_NO_BACKUP,
    N_PAUSED,
    N_SHARE_BEHIND,
    N_SHARE_CHOSEN,
    N_SHARE_TIED,
    N_TERMINATED,
    N_UNKNOWN,
    N_WEIGHT_ZERO,
    Message,
    _moment,
    _percent,
)


def _is_out_of_office(rep: RepFacts, now: datetime) -> bool:
    start, end = rep.out_of_office_from, rep.out_of_office_until
    if start is None and end is None:
        return False
    return (start is None or start <= now) and (end is None or now < end)


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


class _Candidates:
    """The state of one decision: its inputs and the candidate notes so far, with
    eligibility and the weighted-share choice; ``rules._Router`` adds the rules."""

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

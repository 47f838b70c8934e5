"""SLA clocks: reminders, escalations, recycles and claim expiry, exactly once.

Timers are database state: the deadline columns on ``Lead`` (``reminder_due_at``,
``escalation_due_at``, ``recycle_due_at``, set by the one door when a stint starts) and
on ``Claim`` (``reminder_due_at``, ``expires_at``). ``sla_sweep`` runs every minute
(Celery beat, ``manage.py run_timers`` in the demo, ``manage.py sla_sweep`` by hand)
and, per clock, claims the due rows set-wise with one conditional
``UPDATE … WHERE id IN (SELECT … ORDER BY due LIMIT n [FOR UPDATE SKIP LOCKED])
RETURNING …`` that clears the column it acts on. In the same transaction it writes one
event and the notification rows per claimed row; e-mail delivery is queued after
commit (and the outbox sweep sends whatever the broker lost). A row is claimed by one
transaction only, and the column is cleared when that transaction commits, so running
the sweep twice, or in two processes at once, acts once; a sweep that dies rolls back
and the next one acts.

What each clock does (DESIGN.md "Time: SLAs"):

- reminder, dealer: no first update in 2 working days → the dealer's people are reminded;
- reminder, internal owner: no action in 1 working day → the owner is reminded;
- escalation, internal owner: a hot lead not contacted in 4 working hours or a warm one
  in 1 working day, and any lead without action for 2 working days → the owner's
  manager (else the sales managers) is alerted and can reassign. A hot or warm lead's
  first escalation re-arms the clock at the 2-working-day moment;
- recycle, dealer: no update in 5 working days → the lead goes through the one door
  again (``lead_route`` with end reason "recycled"), which excludes the dealer, takes
  its access away and tells it why. One lead per transaction: recycles are few;
- claim reminder: 7 days before an approved claim expires; claim expiry: the claim is
  set to expired and the dealer is told (``dealers.services.claims_expire``, the one
  service that expires claims, also used when a stale claim is in an approval's way).

A status update, contact, acceptance or rejection clears the lead's columns in the
same transaction (``leads.services.pipeline``), which is what stops a clock.

``lead_confirm_receipt`` is the after-hours part: a prospect whose inquiry arrives
outside working hours gets a confirmation at once, and the owner a task due at the
start of the next working day. The intake writes ``Lead.confirmation_due_at`` in its
transaction (the outbox); a task sends it right after the commit, and
``receipts_confirm_pending`` (every minute) whatever the broker lost.

Modules: ``sweep`` (the sweep and what each clock does), ``store`` (claiming due rows,
recipients), ``after_hours`` (the prospect's confirmation), ``timers`` (the Timers
admin page). The notification rows are written by ``portal.users.services``, by the
same rules as every other notification.
"""

from leads.services.sla.after_hours import (
    CONFIRM_SOURCES,
    lead_confirm_receipt,
    needs_confirmation,
    receipts_confirm_pending,
)
from leads.services.sla.sweep import BATCH, lead_recycle, sla_sweep, sweep_summary
from leads.services.sla.timers import timers_overview

__all__ = [
    "BATCH",
    "CONFIRM_SOURCES",
    "lead_confirm_receipt",
    "needs_confirmation",
    "receipts_confirm_pending",
    "lead_recycle",
    "sla_sweep",
    "sweep_summary",
    "timers_overview",
]

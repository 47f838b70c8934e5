"""The sweep: each clock's due rows are claimed in batches and acted on once (see the
package docstring for what each clock does)."""

import logging
from collections import defaultdict
from datetime import datetime, timedelta

from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_noop

from dealers.models import Claim, ClaimEvent
from dealers.services.claim_expiry import claims_expire
from dealers.services.claim_notices import claim_url
from dealers.services.team import dealer_people
from leads.models import Assignment, Lead, LeadEvent, Policy, SweepRun, WebhookEvent
from leads.services import calendars, routing, webhooks
from leads.services.sla import store
from leads.sla import deadlines
from leads.webhooks.payloads import claim_events
from portal.db import insert_rows
from portal.messages import message, moment, parts
from portal.users.models import Notification
from portal.users.services import notify_in_bulk

log = logging.getLogger(__name__)

BATCH = 1000
DETAIL_LIMIT = 50  # recycles and errors listed per sweep on the Timers page
KEEP_IDLE_RUNS = timedelta(days=14)
RETRY_AFTER = timedelta(minutes=10)  # a recycle that failed is tried again

CONTACT_MISSED = {
    Lead.Temperature.HOT: gettext_noop(
        "Hot lead (demo or price requested): %(owner)s was to make contact by %(due)s."
    ),
    Lead.Temperature.WARM: gettext_noop(
        "Warm lead (content download, webinar): %(owner)s was to make contact by %(due)s."
    ),
}
LEAD_COLUMNS = [
    "id",
    "status",
    "owner_dealer_id",
    "owner_user_id",
    "company_name",
    "city",
    "postcode",
    "country",
    "temperature",
    "assigned_at",
    "first_update_due_at",
    "escalation_due_at",
    "recycle_due_at",
]


def sla_sweep(*, now: datetime | None = None, batch_size: int = BATCH) -> SweepRun:
    """Act on every clock due at ``now`` (default: the current time), once."""
    as_of = now or timezone.now()
    run = SweepRun.objects.create(started_at=timezone.now(), as_of=as_of)
    sweep = _Sweep(as_of=as_of, batch_size=batch_size)
    try:
        sweep.run()
    except Exception as error:
        sweep.errors.append({"error": repr(error)})
        raise
    finally:
        run.finished_at = timezone.now()
        run.reminders = sweep.counts["reminders"]
        run.escalations = sweep.counts["escalations"]
        run.recycles = sweep.counts["recycles"]
        run.claim_reminders = sweep.counts["claim_reminders"]
        run.claim_expiries = sweep.counts["claim_expiries"]
        run.details = {
            "events": sweep.counts["events"],
            "notifications": sweep.counts["notifications"],
            "recycled": sweep.recycled[:DETAIL_LIMIT],
            "errors": sweep.errors[:DETAIL_LIMIT],
            "duration_ms": round((run.finished_at - run.started_at).total_seconds() * 1000),
        }
        run.save()
        SweepRun.objects.filter(
            started_at__lt=run.started_at - KEEP_IDLE_RUNS,
            reminders=0,
            escalations=0,
            recycles=0,
            claim_reminders=0,
            claim_expiries=0,
        ).delete()
    return run


def sweep_summary(run: SweepRun) -> str:
    """What a sweep did in a line, e.g. "3 reminders, 1 recycle" ("" when nothing)."""
    counts = [
        (run.reminders, "reminder", "reminders"),
        (run.escalations, "escalation", "escalations"),
        (run.recycles, "recycle", "recycles"),
        (run.claim_reminders, "claim reminder", "claim reminders"),
        (run.claim_expiries, "claim expiry", "claim expiries"),
    ]
    return ", ".join(f"{n} {one if n == 1 else many}" for n, one, many in counts if n)


class _Sweep:
    """One sweep at one moment: the clocks in a fixed order (claims first, so a claim
    that expires gets no reminder; recycles before reminders, so a lead that leaves a
    dealer is not also chased on that dealer's behalf)."""

    def __init__(self, *, as_of: datetime, batch_size: int):
        self.as_of = as_of
        self.batch_size = batch_size
        self.policy = Policy.current()
        self.terms = deadlines.SlaTerms.from_policy(self.policy)
        self.counts: dict[str, int] = defaultdict(int)
        self.recycled: list[dict] = []
        self.errors: list[dict] = []
        self.lead_url = reverse("leads:detail", args=[0]).replace("/0/", "/{}/")

    def run(self) -> None:
        self._in_batches(self.claim_expiries)
        self._in_batches(self.claim_reminders)
        while self.recycle_one():
            pass
        self._in_batches(self.reminders)
        self._in_batches(self.escalations)

    def _in_batches(self, step) -> None:
        while True:
            with transaction.atomic():
                claimed = step()
            if claimed < self.batch_size:
                return

    # --- leads ---------------------------------------------------------------------

    def reminders(self) -> int:
        rows = store.due_open_leads("reminder_due_at", as_of=self.as_of, limit=self.batch_size)
        members = dealer_people({r.owner_dealer_id for r in rows if r.owner_dealer_id})
        users = store.users_by_id({r.owner_user_id for r in rows if r.owner_user_id})
        events, notes = [], []
        for row in rows:
            if row.owner_dealer_id:
                owner = members[row.owner_dealer_id]
                reason = message(
                    gettext_noop("No status update within %(days)s working days."),
                    days=self.terms.dealer_first_update_days,
                )
                action = (
                    message(
                        gettext_noop(
                            "Accept or reject it and give a status update; without one it "
                            "goes to another dealer on %(recycle)s."
                        ),
                        recycle=moment(row.recycle_due_at),
                    )
                    if row.recycle_due_at
                    else message(gettext_noop("Accept or reject it and give a status update."))
                )
                snapshot, recipients = owner["snapshot"], owner["users"]
                subject = gettext_noop("Reminder: %(company)s is waiting for your first update")
            elif row.owner_user_id in users:
                user = users[row.owner_user_id]
                reason = message(
                    gettext_noop("No action since the lead was assigned on %(assigned)s."),
                    assigned=moment(row.assigned_at),
                )
                action = (
                    message(
                        gettext_noop(
                            "Contact the prospect and log it; your manager is alerted on "
                            "%(escalation)s."
                        ),
                        escalation=moment(row.escalation_due_at),
                    )
                    if row.escalation_due_at
                    else message(gettext_noop("Contact the prospect and log it."))
                )
                snapshot, recipients = store.user_snapshot(user), [user]
                subject = gettext_noop("Reminder: %(company)s is waiting for your first action")
            else:
                continue
            events.append(self._event(row, LeadEvent.Kind.REMINDER, snapshot, reason))
            notes.append(
                self._note(row, Notification.Kind.REMINDER, recipients, subject, reason, action)
            )
        self._write(events, notes)
        self.counts["reminders"] += len(events)
        return len(rows)

    def escalations(self) -> int:
        rows = store.due_open_leads("escalation_due_at", as_of=self.as_of, limit=self.batch_size)
        users = store.users_by_id({r.owner_user_id for r in rows if r.owner_user_id})
        managers = store.managers_of(set(users))
        places = calendars.owner_places(("user", pk) for pk in users)
        events, notes, rearm = [], [], {}
        for row in rows:
            user = users.get(row.owner_user_id)
            if user is None:
                continue
            # Hot and warm leads escalate first on the contact deadline, then once more
            # after the "no action" period, like every other lead.
            contact_stage = False
            if row.temperature in CONTACT_MISSED:
                country, region = calendars.place_of(places, "user", row.owner_user_id, row.country)
                no_action_at = deadlines.add_working_days(
                    row.assigned_at,
                    self.terms.action_escalation_days,
                    country,
                    self.terms,
                    region,
                )
                contact_stage = self.as_of < no_action_at
            if contact_stage:
                rearm[row.id] = no_action_at
                reason = message(
                    CONTACT_MISSED[row.temperature],
                    owner=user.name,
                    due=moment(row.first_update_due_at),
                )
                action = message(
                    gettext_noop(
                        "Check with %(owner)s or reassign the lead; without action you are "
                        "alerted again on %(next)s."
                    ),
                    owner=user.name,
                    next=moment(no_action_at),
                )
            else:
                reason = message(
                    gettext_noop("No action by %(owner)s since the lead was assigned on %(at)s."),
                    owner=user.name,
                    at=moment(row.assigned_at),
                )
                action = message(
                    gettext_noop("Check with %(owner)s or reassign the lead."), owner=user.name
                )
            recipients = managers.get(user.pk) or managers["sales_managers"]
            event = self._event(row, LeadEvent.Kind.ESCALATION, store.user_snapshot(user), reason)
            event["data"] = {
                "stage": "contact" if contact_stage else "no_action",
                "notified": [u.pk for u in recipients],
            }
            events.append(event)
            notes.append(
                self._note(
                    row,
                    Notification.Kind.ESCALATION,
                    recipients,
                    gettext_noop("Escalation: %(company)s needs attention"),
                    reason,
                    action,
                )
            )
        for due_at, ids in store.group_by_value(rearm).items():
            Lead.objects.filter(pk__in=ids).update(escalation_due_at=due_at)
        self._write(events, notes)
        self.counts["escalations"] += len(events)
        return len(rows)

    def recycle_one(self) -> bool:
        """Claim one lead whose recycle clock ran out and route it again, in its own
        transaction (the door locks share counters; recycles are few)."""
        with transaction.atomic():
            row = store.due_recycle(as_of=self.as_of)
            if row is None:
                return False
            if not self._recyclable(row):
                return True
            try:
                with transaction.atomic():
                    outcome = lead_recycle(lead_id=row.id, now=self.as_of, terms=self.terms)
            except Exception as error:  # one lead must not stop the sweep; try it later
                log.exception("Recycling lead %s failed", row.id)
                Lead.objects.filter(pk=row.id).update(recycle_due_at=self.as_of + RETRY_AFTER)
                self.errors.append({"lead": row.id, "error": repr(error)})
                return True
        self.counts["recycles"] += 1
        self.counts["events"] += 1
        self.recycled.append(
            {
                "lead": row.id,
                "company": row.company_name,
                "from": row.owner_dealer_id,
                "to": {"kind": outcome.owner.kind, "id": outcome.owner.id},
                "to_name": outcome.owner.name,
            }
        )
        return True

    def _recyclable(self, row: store.DueLead) -> bool:
        """Open, with a dealer, and no first update in the current stint."""
        if not row.is_open or not row.owner_dealer_id:
            return False
        return Assignment.objects.filter(
            lead_id=row.id, ended_at__isnull=True, first_update_at__isnull=True
        ).exists()

    # --- claims --------------------------------------------------------------------

    def claim_expiries(self) -> int:
        """Claims whose period ended: the one service that expires claims."""
        expired = claims_expire(now=self.as_of, limit=self.batch_size)
        self.counts["claim_expiries"] += len(expired.claim_ids)
        self.counts["notifications"] += expired.notifications
        return len(expired.claim_ids)

    def claim_reminders(self) -> int:
        rows = store.due_claim_reminders(as_of=self.as_of, limit=self.batch_size)
        members = dealer_people({row.dealer_id for row in rows})
        notes = []
        for row in rows:
            left = max(0, self.policy.claim_renewals - (row.renewals or 0))
            action = (
                message(
                    gettext_noop(
                        "Renew it before then if you are still working on it "
                        "(renewals left: %(left)s)."
                    ),
                    left=left,
                )
                if left
                else message(gettext_noop("It cannot be renewed again."))
            )
            notes.append(
                {
                    "recipients": members.get(row.dealer_id, {}).get("users", []),
                    "kind": Notification.Kind.CLAIM,
                    "subject": message(
                        gettext_noop("Claim on %(company)s expires on %(date)s"),
                        company=row.company_name,
                        date=moment(row.expires_at),
                    ),
                    "body": parts(
                        message(
                            gettext_noop(
                                "Your claim protects %(company)s until %(date)s; after that "
                                "new leads from the company are routed as usual."
                            ),
                            company=row.company_name,
                            date=moment(row.expires_at),
                        ),
                        action,
                    ),
                    "url": claim_url(row.id),
                }
            )
        self._claim_events(
            rows,
            ClaimEvent.Kind.REMINDER,
            message(gettext_noop("The dealer was reminded that the claim expires soon.")),
        )
        self._write([], notes)
        webhooks.emit(
            claim_events(
                WebhookEvent.CLAIM_EXPIRING, {row.id: row.dealer_id for row in rows}, Claim
            ),
            now=self.as_of,
        )
        self.counts["claim_reminders"] += len(rows)
        return len(rows)

    def _claim_events(self, rows: list, kind: str, reason: dict) -> None:
        insert_rows(
            ClaimEvent,
            [
                {"claim_id": row.id, "kind": kind, "at": self.as_of, "reason": reason}
                for row in rows
            ],
        )

    # --- writing -------------------------------------------------------------------

    def _event(self, row: store.DueLead, kind: str, snapshot: dict, reason: dict) -> dict:
        return {
            "lead_id": row.id,
            "kind": kind,
            "at": self.as_of,
            "to_owner": snapshot,
            "reason": reason,
            "data": {"due": store.iso(row.first_update_due_at)},
        }

    def _note(self, row, kind, recipients, subject, reason, action) -> dict:
        return {
            "recipients": recipients,
            "kind": kind,
            "subject": message(subject, company=row.company_name),
            "body": parts(reason, action),
            "url": self.lead_url.format(row.id),
            "lead_id": row.id,
        }

    def _write(self, events: list[dict], notes: list[dict]) -> None:
        """The events and the notification rows of one batch, in its transaction, as
        plain rows (thousands at a time: no model instances); e-mail delivery is queued
        after commit."""
        insert_rows(LeadEvent, events)
        self.counts["events"] += len(events)
        self.counts["notifications"] += notify_in_bulk(notes)


def lead_recycle(*, lead_id: int, now: datetime, terms: deadlines.SlaTerms) -> routing.Outcome:
    """Take a lead back from a dealer that gave no update in time and route it again
    through the one door: the next eligible dealer that has not lost or rejected it,
    else direct sales or the pool. The dealer loses access and is told why."""
    return routing.lead_route(
        lead=Lead.objects.get(pk=lead_id),
        now=now,
        end_reason=Assignment.EndReason.RECYCLED,
        event_kind=LeadEvent.Kind.RECYCLED,
        note=message(
            gettext_noop(
                "No update within %(days)s working days: the lead goes to the next eligible dealer"
            ),
            days=terms.dealer_recycle_days,
        ),
    )

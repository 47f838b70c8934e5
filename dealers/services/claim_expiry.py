"""The end of a claim's protection: ``claims_expire`` (the one door by which an approved
claim's period ends, from the SLA sweep and from an approval) and
``claims_end_for_dealer`` (a terminated dealer's open claims).

``claims_expire`` claims the rows with one conditional ``UPDATE … RETURNING`` (``FOR
UPDATE SKIP LOCKED`` on PostgreSQL), so each claim expires once, with its "expired"
event and its dealer told, however often or concurrently it runs."""

from dataclasses import dataclass
from datetime import datetime

from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from dealers.models import Claim, ClaimEvent, Dealer
from dealers.services.claim_notices import claim_url
from dealers.services.team import dealer_people
from leads.models import WebhookEvent
from leads.services import webhooks
from leads.webhooks.payloads import claim_events
from portal.db import claim_due, insert_rows
from portal.messages import message, moment, parts
from portal.users.models import Notification, User
from portal.users.services import notify_in_bulk

EXPIRE_BATCH = 1000
EXPIRED_REASON = message(gettext_noop("Its period ended."))


@dataclass(frozen=True)
class ExpiringClaim:
    """An approved claim whose period ended, as ``claims_expire`` takes it."""

    id: int
    dealer_id: int
    company_name: str
    expires_at: datetime


@dataclass(frozen=True)
class Expired:
    """What one ``claims_expire`` call did."""

    claim_ids: list[int]
    notifications: int


def claims_expire(
    *, now: datetime, account_id: int | None = None, limit: int = EXPIRE_BATCH
) -> Expired:
    """Expire up to ``limit`` approved claims whose period ended by ``now`` (of one
    account, or of all): status expired, no reminder left, an "expired" event each, and
    every active person at the claim's dealer is told (e-mailed after commit). The
    claims are taken with one conditional ``UPDATE … RETURNING`` that skips rows another
    transaction holds, so a claim expires, and its dealer hears of it, exactly once
    however often or concurrently this runs. Runs in the caller's transaction (its own
    when there is none). Fewer than ``limit`` returned means none is left."""
    where = {"status": Claim.Status.APPROVED}
    if account_id is not None:
        where["account_id"] = account_id
    with transaction.atomic():
        rows = claim_due(
            Claim,
            "expires_at",
            set_values={"status": Claim.Status.EXPIRED},
            clear=["reminder_due_at"],
            where=where,
            returning=ExpiringClaim,
            as_of=now,
            limit=limit,
        )
        if not rows:
            return Expired(claim_ids=[], notifications=0)
        insert_rows(
            ClaimEvent,
            [
                {
                    "claim_id": row.id,
                    "kind": ClaimEvent.Kind.EXPIRED,
                    "at": now,
                    "reason": EXPIRED_REASON,
                }
                for row in rows
            ],
        )
        people = dealer_people({row.dealer_id for row in rows})
        notifications = notify_in_bulk(
            [
                {
                    "recipients": people.get(row.dealer_id, {}).get("users", []),
                    "kind": Notification.Kind.CLAIM,
                    "subject": message(
                        gettext_noop("Claim expired: %(company)s"), company=row.company_name
                    ),
                    "body": parts(
                        message(
                            gettext_noop(
                                "Your claim on %(company)s ended on %(date)s; the company is "
                                "no longer protected for you."
                            ),
                            company=row.company_name,
                            date=moment(row.expires_at),
                        ),
                        message(gettext_noop("Register it again if you are still working on it.")),
                    ),
                    "url": claim_url(row.id),
                }
                for row in rows
            ]
        )
        webhooks.emit(
            claim_events(
                WebhookEvent.CLAIM_EXPIRED, {row.id: row.dealer_id for row in rows}, Claim
            ),
            now=now,
        )
    return Expired(claim_ids=[row.id for row in rows], notifications=notifications)


def claims_end_for_dealer(*, dealer: Dealer, actor: User, reason: str, now: datetime) -> int:
    """A terminated dealer's pending and approved claims end (withdrawn, with the
    reason, and an "ended" event each), so they protect nothing and block no other
    dealer's claim on the same company; its expired or decided claims stay as they
    were. Returns how many ended."""
    ids = list(
        Claim.objects.filter(
            dealer=dealer, status__in=(Claim.Status.PENDING, Claim.Status.APPROVED)
        ).values_list("pk", flat=True)
    )
    Claim.objects.filter(pk__in=ids).update(
        status=Claim.Status.WITHDRAWN,
        decided_by=actor,
        decided_at=now,
        decision_reason=(_("The agreement with the dealer ended: %(reason)s") % {"reason": reason})[
            :500
        ],
        reminder_due_at=None,
    )
    ClaimEvent.objects.bulk_create(
        ClaimEvent(
            claim_id=pk,
            kind=ClaimEvent.Kind.ENDED,
            actor=actor,
            at=now,
            reason=message(
                gettext_noop("The agreement with the dealer ended: %(reason)s"), reason=reason
            ),
        )
        for pk in ids
    )
    return len(ids)

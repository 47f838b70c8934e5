"""Notifications of a hand-over: what arrived for each new owner, why, and what is
expected by when; why a dealer lost a lead. Part of ``handover.hand_over``'s transaction
(the e-mails go out after commit)."""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import datetime
from typing import TYPE_CHECKING

from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext_noop

from dealers.models import DealerMembership
from leads import world
from leads.models import Assignment, Queue
from portal.messages import message, moment, parts
from portal.users.models import Notification, User
from portal.users.services import notify_in_bulk, notify_many

if TYPE_CHECKING:
    from leads.services.routing.handover import HandOver, Outcome

# A batch that gives one owner more leads than this sends one summary, not an e-mail each.
SUMMARY_FROM = 3
# More notification rows than this (an import, a bulk move) go in with COPY.
BULK_NOTIFY = 50


def dealer_members(dealer_id: int) -> list[User]:
    """A dealer's active people (cached until someone joins, leaves or changes)."""
    return world.cached(
        ("dealer-members", dealer_id),
        lambda: [
            m.user
            for m in DealerMembership.objects.filter(
                dealer_id=dealer_id, user__is_active=True
            ).select_related("user")
        ],
    )


def _recipients(items: list[HandOver], previous: dict) -> dict:
    """People who act for each owner involved: dealer members, users, queue owners."""
    dealer_ids = {i.owner.id for i in items if i.owner.kind == "dealer"}
    dealer_ids |= {dealer_id for _snapshot, dealer_id in previous.values() if dealer_id}
    people: dict = defaultdict(list)
    for dealer_id in dealer_ids:
        people[("dealer", dealer_id)] = dealer_members(dealer_id)
    user_ids = {i.owner.id for i in items if i.owner.kind == "user"}
    if user_ids:
        for user in User.objects.filter(pk__in=user_ids, is_active=True):
            people[("user", user.pk)].append(user)
    queue_ids = {
        i.owner.id for i in items if i.owner.kind == "queue" and i.owner.id != Queue.NURTURE
    }
    if queue_ids:
        for queue in Queue.objects.filter(pk__in=queue_ids).select_related("responsible"):
            if queue.responsible and queue.responsible.is_active:
                people[("queue", queue.pk)].append(queue.responsible)
    return people


def _inbox_url() -> str:
    try:
        return reverse("leads:inbox")
    except NoReverseMatch:
        return "/"


def notify_new_owners(items: list[HandOver], outcomes: list[Outcome], previous: dict) -> None:
    """Tell each new owner what arrived, why, and what is expected by when; tell a dealer
    that lost a lead to the timer or a reassignment why. Marketing works the nurture
    queue in bulk, not lead by lead."""
    people = _recipients(items, previous)
    batch = []
    per_owner = Counter((item.owner.kind, item.owner.id) for item in items)
    summarised = {key for key, n in per_owner.items() if n > SUMMARY_FROM}
    first_due: dict[tuple, datetime] = {}  # each summarised owner's earliest deadline
    for item, outcome in zip(items, outcomes, strict=True):
        key, due = (item.owner.kind, item.owner.id), outcome.deadlines.first_update_due_at
        if key in summarised and due is not None and (key not in first_due or due < first_due[key]):
            first_due[key] = due
    inbox_url = _inbox_url() if summarised else ""
    for key in summarised:
        due = first_due.get(key)
        batch.append(
            {
                "recipients": people.get(key, []),
                "kind": Notification.Kind.ASSIGNED,
                "subject": message(
                    gettext_noop("%(count)s new leads for you"), count=per_owner[key]
                ),
                "body": message(
                    gettext_noop(
                        "Accept or reject each of them and give a first update; the first is due %(due)s."
                    ),
                    due=moment(due) if due else "—",
                ),
                "url": inbox_url,
                "lead": None,
            }
        )
    for item, outcome in zip(items, outcomes, strict=True):
        lead, owner = item.lead, item.owner
        recipients = people.get((owner.kind, owner.id), [])
        if recipients and (owner.kind, owner.id) not in summarised:
            if outcome.deadlines.first_update_due_at is not None:
                due = moment(outcome.deadlines.first_update_due_at)
                action = message(
                    gettext_noop("Accept or reject it and give a first update by %(due)s."), due=due
                )
            else:
                action = message(gettext_noop("Assign it to an owner."))
            batch.append(
                {
                    "recipients": recipients,
                    "kind": Notification.Kind.ASSIGNED,
                    "subject": message(
                        gettext_noop("New lead: %(company)s (%(city)s)"),
                        company=lead.company_name,
                        city=lead.city or lead.postcode or lead.country_code,
                    ),
                    "body": parts(item.reason, action),
                    "url": lead.get_absolute_url(),
                    "lead": lead,
                }
            )
        _snapshot, dealer_id = previous.get(lead.pk, (None, None))
        if (
            dealer_id
            and dealer_id != lead.owner_dealer_id
            and item.end_reason != Assignment.EndReason.REJECTED
        ):
            if item.end_reason == Assignment.EndReason.RECYCLED:
                body = message(
                    gettext_noop(
                        "There was no update within the agreed time, so the lead went to another owner."
                    )
                )
            else:
                body = item.note or message(
                    gettext_noop("The channel manager reassigned the lead.")
                )
            batch.append(
                {
                    "recipients": people.get(("dealer", dealer_id), []),
                    "kind": Notification.Kind.RECYCLED,
                    "subject": message(
                        gettext_noop("Lead taken back: %(company)s"), company=lead.company_name
                    ),
                    "body": body,
                    "url": "",
                    "lead": None,
                }
            )
    if len(batch) > BULK_NOTIFY:  # an import or a bulk move: COPY, sent by the outbox tasks
        notify_in_bulk(batch)
    else:
        notify_many(batch)

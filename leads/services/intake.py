"""Lead intake: every way a lead arrives (API, web form, CSV import, a dealer) ends here.

What arrived is first checked by the one field cleaner
(``leads.services.cleaning.clean_lead_fields``). ``lead_intake`` then:

1. returns the existing lead when the same ``source`` + ``external_id`` arrives again;
2. attaches the submission to the open lead it repeats (``leads.services.duplicates``:
   an event on that lead, nothing routed twice);
3. otherwise qualifies the lead (seed 004: sales-ready or nurture) and routes it
   through the one door (``leads.services.routing.lead_route``).
"""

import functools
import operator
from dataclasses import dataclass
from datetime import datetime

from django.db import IntegrityError, transaction
from django.db.models import BooleanField, ExpressionWrapper, F, Q
from django.utils import timezone
from django.utils.translation import gettext_noop

from leads.models import DuplicateSubmission, Lead, LeadEvent
from leads.services import duplicates, routing, sla
from portal.db import insert_many, insert_rows
from portal.messages import message
from portal.queue import publish

QUALIFICATION_FIELDS = tuple(routing.QUALIFICATION_LABELS)


@dataclass(frozen=True)
class IntakeResult:
    lead: Lead
    created: bool
    duplicate_of: Lead | None = None
    outcome: routing.Outcome | None = None


LEAD_FIELDS = {
    "company_name",
    "website",
    "vat_number",
    "coc_number",
    "country",
    "postcode",
    "postcode_number",
    "city",
    "sector",
    "contact_name",
    "contact_email",
    "contact_phone",
    "contact_role",
    "message",
    "language",
    "estimated_value",
    "temperature",
    "external_id",
}


def qualify(answers: dict | None) -> tuple[dict, bool]:
    """The lead definition (seed 004): sales-ready unless a criterion is answered no."""
    answers = {key: answers[key] for key in QUALIFICATION_FIELDS if answers and key in answers}
    return answers, not routing.qualification_gaps(answers)


def lead_intake(
    *,
    data: dict,
    source: str,
    integration=None,
    submitted_by=None,
    submitted_by_dealer=None,
    now: datetime | None = None,
) -> IntakeResult:
    """Create and route a lead from cleaned ``data`` (see ``clean_lead_fields``)."""
    now = now or timezone.now()
    external_id = (data.get("external_id") or "").strip()
    answers, sales_ready = qualify(data.get("qualification"))
    lead = Lead(
        **{k: v for k, v in data.items() if k in LEAD_FIELDS},
        qualification=answers,
        sales_ready=sales_ready,
        source=source,
        integration=integration,
        submitted_by=submitted_by,
        submitted_by_dealer=submitted_by_dealer,
        created_at=now,
    )
    lead.external_id = external_id
    lead.fill_lookup_columns()
    if sla.needs_confirmation(lead, now):  # the outbox row for the prospect's e-mail
        lead.confirmation_due_at = now
    existing, known = find_existing(lead, now=now)
    if known:
        return IntakeResult(lead=existing, created=False)
    if existing is not None:
        return _attach_duplicate(existing, lead, now=now)
    try:  # lead_route is atomic: on a conflict nothing of this lead is written
        outcome = routing.lead_route(
            lead=lead,
            actor=submitted_by,
            now=now,
            created={"source": source, "external_id": external_id},
        )
    except IntegrityError:
        # The same external id arrived twice at the same moment: the other one won.
        if external_id and (
            existing := Lead.objects.filter(source=source, external_id=external_id).first()
        ):
            return IntakeResult(lead=existing, created=False)
        raise
    # Outside working hours: the prospect's confirmation and the owner's task, from a
    # worker (or, with the broker down, the outbox sweep: ``confirmation_due_at``).
    if lead.confirmation_due_at is not None:
        transaction.on_commit(lambda: _queue_confirmation(lead))
    return IntakeResult(lead=lead, created=True, outcome=outcome)


def _queue_confirmation(lead: Lead) -> None:
    from leads.tasks import confirm_receipt  # (tasks import the services)

    publish(confirm_receipt, lead.pk)


def find_existing(lead: Lead, *, now: datetime) -> tuple[Lead | None, bool]:
    """What we have already of the unsaved ``lead``, in one query: ``(the lead, True)``
    when its source and external id arrived before; else ``(the lead, False)`` for the
    open lead it repeats (``leads.services.duplicates``); else ``(None, False)``."""
    known = Q(source=lead.source, external_id=lead.external_id) if lead.external_id else None
    duplicate = duplicates.duplicate_condition(lead, now=now)
    if known is None and duplicate is None:
        return None, False
    conditions = [q for q in (known, duplicate) if q is not None]
    query = Lead.objects.filter(functools.reduce(operator.or_, conditions))
    if len(conditions) == 2:  # the submission's own lead first, then the oldest open one
        seen = ExpressionWrapper(known, output_field=BooleanField())
        query = query.alias(seen=seen).order_by(F("seen").desc(), "created_at")
    else:
        query = query.order_by("created_at")
    found = query.first()
    seen_before = (
        known is not None
        and found is not None
        and (found.source, found.external_id) == (lead.source, lead.external_id)
    )
    return found, seen_before


def _attach_duplicate(original: Lead, submission: Lead, *, now: datetime) -> IntakeResult:
    """Record the repeat submission on the open lead (once per source + external id)."""
    key = {"source": submission.source, "external_id": submission.external_id}
    if submission.external_id and any(
        e.data.get("source") == key["source"] and e.data.get("external_id") == key["external_id"]
        for e in original.events.filter(kind=LeadEvent.Kind.DUPLICATE)
    ):
        return IntakeResult(lead=original, created=False, duplicate_of=original)
    attach_duplicates([(original, submission, key)], now=now)
    return IntakeResult(lead=original, created=False, duplicate_of=original)


@transaction.atomic
def attach_duplicates(items, *, now: datetime) -> None:
    """Record repeat submissions on open leads: ``items`` are (original lead, submitted
    lead, event data) triples; two bulk inserts however many there are (COPY on
    PostgreSQL: an import attaches thousands).

    The person's details go on an erasable ``DuplicateSubmission`` row, never into the
    immutable event, whose reason and data hold no personal data (the event refers to
    the row by id); ``leads.services.privacy`` blanks the rows on an erasure request."""
    rows = [
        DuplicateSubmission(
            lead=original,
            received_at=now,
            source=submission.source,
            external_id=submission.external_id,
            contact_name=submission.contact_name,
            contact_email=submission.contact_email,
            contact_phone=submission.contact_phone,
            message=submission.message,
        )
        for original, submission, _data in items
    ]
    insert_many(DuplicateSubmission, rows, with_ids=True)
    events = []
    for (original, submission, data), details in zip(items, rows, strict=True):
        source = str(Lead.Source(submission.source).label)
        same_person = (
            submission.contact_email and submission.contact_email == original.contact_email
        )
        events.append(
            {
                "lead_id": original.pk,
                "kind": LeadEvent.Kind.DUPLICATE,
                "at": now,
                "reason": message(
                    gettext_noop("The contact got in touch again via %(source)s"), source=source
                )
                if same_person
                else message(
                    gettext_noop("Another contact at %(company)s got in touch via %(source)s"),
                    company=original.company_name,
                    source=source,
                ),
                "data": {**data, "submission": details.pk},
            }
        )
    insert_rows(LeadEvent, events)

"""Lead intake: every way a lead arrives (API, web form, CSV import, a dealer) ends here.

What arrived is first checked by the one field cleaner
(``leads.services.cleaning.clean_lead_fields``). ``lead_intake`` then:

1. returns the existing lead when the same ``source`` + ``external_id`` arrives again;
2. attaches the submission to the open lead it repeats (``leads.services.duplicates``:
   an event on that lead, nothing routed twice);
3. otherwise qualifies the lead (seed 004: sales-ready or nurture) and routes it
   through the one door (``leads.services.routing.lead_route``).
"""

import dataclasses
import functools
import logging
import operator
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from django.db import DatabaseError, IntegrityError, transaction
from django.db.models import BooleanField, ExpressionWrapper, F, Q
from django.utils import timezone
from django.utils.translation import gettext_noop

from leads.models import DuplicateSubmission, Lead, LeadEvent
from leads.services import duplicates, routing, sla
from portal.db import Instances, insert_many, insert_rows
from portal.messages import message
from portal.prepared import plan_once, rows_of
from portal.queue import publish, publish_or_sweep

log = logging.getLogger(__name__)

QUALIFICATION_FIELDS = tuple(routing.QUALIFICATION_LABELS)
BATCH_MAX = 500  # leads per ``POST /api/v1/leads/batch/``


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
    lead = new_lead(
        data,
        source=source,
        now=now,
        integration=integration,
        submitted_by=submitted_by,
        submitted_by_dealer=submitted_by_dealer,
    )
    external_id = lead.external_id
    try:
        # One transaction from the first lookup on, its statements planned once for
        # any values (their planning cost more than running them); lead_route joins it
        # and an IntegrityError leaves nothing of this lead.
        with transaction.atomic():
            plan_once()
            existing, known = find_existing(lead, now=now)
            if known:
                return IntakeResult(lead=existing, created=False)
            if existing is not None:
                return _attach_duplicate(existing, lead, now=now)
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


@functools.cache
def _leads() -> Instances:
    return Instances(Lead)


@functools.cache
def _duplicate_submissions() -> Instances:
    return Instances(DuplicateSubmission)  # an import attaches thousands


def new_lead(data: dict, *, source: str, now: datetime, confirm: bool = True, **submitted) -> Lead:
    """The unsaved lead of cleaned ``data``, qualified, with its lookup columns filled
    and, with ``confirm``, its confirmation in the outbox when the prospect is owed one
    outside working hours (an import confirms nothing: the prospect wrote to no one)."""
    answers, sales_ready = qualify(data.get("qualification"))
    lead = _leads()(
        **{k: v for k, v in data.items() if k in LEAD_FIELDS},
        qualification=answers,
        sales_ready=sales_ready,
        source=source,
        created_at=now,
        **submitted,  # integration, submitted_by, submitted_by_dealer
    )
    lead.external_id = (data.get("external_id") or "").strip()
    lead.fill_lookup_columns()
    if confirm and sla.needs_confirmation(lead, now):
        lead.confirmation_due_at = now
    return lead


@dataclass
class Written:
    """What ``leads_intake_many`` did with each item, by the item's key."""

    created: dict = field(default_factory=dict)  # key → (lead, routing.Outcome)
    attached: dict = field(default_factory=dict)  # key → the open lead it repeats
    refused: dict = field(default_factory=dict)  # key → why the database refused it

    def merge(self, other: "Written") -> None:
        self.created.update(other.created)
        self.attached.update(other.attached)
        self.refused.update(other.refused)


Item = tuple[Hashable, dict, Lead]  # (key, cleaned data, the unsaved lead)


def leads_intake_many(
    items: Sequence[Item],
    *,
    make: Callable[[dict], Lead],
    created: Callable[[Hashable, Lead], dict],
    actor=None,
    now: datetime,
) -> Written:
    """Route new leads and attach repeats to the open lead each repeats, set-wise: the
    door of the CSV import and the batch API. ``items`` share no identity (the callers
    hold a second item of the same contact or company back for a later call);
    ``created(key, lead)`` is the data of the lead's "created" event.

    In one transaction (a savepoint inside the caller's). When the database refuses it,
    nothing of it was written: halve it and try again with fresh leads (``make``), until
    the refused items are alone and can be reported; one refused item never costs the
    others (a few extra transactions, only when an item fails)."""
    written = Written()
    try:
        with transaction.atomic():
            _route_or_attach(items, created=created, actor=actor, now=now, into=written)
    except DatabaseError as error:
        if len(items) == 1:
            ((key, _data, _lead),) = items
            log.warning("Intake: the database refused item %s: %s", key, error)
            return Written(refused={key: first_line(error)})
        fresh = [(key, data, make(data)) for key, data, _lead in items]
        written = Written()
        middle = len(fresh) // 2
        for half in (fresh[:middle], fresh[middle:]):
            written.merge(leads_intake_many(half, make=make, created=created, actor=actor, now=now))
    return written


def _route_or_attach(items: Sequence[Item], *, created, actor, now, into: Written) -> None:
    leads = [lead for _key, _data, lead in items]
    new, attach = [], []
    for (key, _data, lead), original in zip(
        items, duplicates.originals_of(leads, now=now), strict=True
    ):
        (attach if original else new).append((key, lead, original))
    if new:
        outcomes = routing.leads_route_new(
            leads=[lead for _key, lead, _o in new],
            created=[created(key, lead) for key, lead, _o in new],
            actor=actor,
            now=now,
        )
        for (key, lead, _o), outcome in zip(new, outcomes, strict=True):
            into.created[key] = (lead, outcome)
    if attach:
        attach_duplicates(
            [(original, lead, created(key, lead)) for key, lead, original in attach], now=now
        )
        into.attached.update({key: original for key, _lead, original in attach})


def first_line(error: Exception) -> str:
    """An error's first line, short enough for a report."""
    text = str(error).strip()
    return text.splitlines()[0][:300] if text else type(error).__name__


def _queue_confirmation(lead: Lead) -> None:
    from leads.tasks import confirm_pending_receipts, confirm_receipt  # (tasks import services)

    publish_or_sweep(confirm_receipt, lead.pk, sweep=confirm_pending_receipts)


def find_existing(lead: Lead, *, now: datetime) -> tuple[Lead | None, bool]:
    """What we have already of the unsaved ``lead``, in one query: ``(the lead, True)``
    when its source and external id arrived before; else ``(the lead, False)`` for the
    open lead it repeats (``leads.services.duplicates``); else ``(None, False)``.

    The query's SQL is compiled once per shape (``portal.prepared.rows_of``): which of the
    external id and the kinds of identifier the lead has; the values travel apart."""
    known = (lead.source, lead.external_id) if lead.external_id else ()
    since = duplicates.window_start(now=now)
    keys = sorted(duplicates.identity(lead)) if since is not None else []
    if not known and not keys:
        return None, False
    shape = ("find_existing", bool(known), tuple(key[0] for key in keys))
    values = (*known, *(part for key in keys for part in key[1:]), *((since,) if keys else ()))
    rows = rows_of(shape, functools.partial(_existing_query, shape), values)
    if not rows:
        return None, False
    pk, source, external_id = rows[0]
    return Lead.objects.get(pk=pk), bool(known) and (source, external_id) == known


def _existing_query(shape: tuple, *values):
    """``find_existing``'s query for ``values`` laid out as ``shape`` says."""
    _name, has_known, kinds = shape
    values = list(values)
    # (``external_id <> ''``, always true here, lets a plan made once use the unique
    # index on the external ids, which holds only the non-empty ones)
    known = (
        Q(source=values.pop(0), external_id=values.pop(0)) & ~Q(external_id="")
        if has_known
        else None
    )
    keys = []
    for kind in kinds:
        parts = (values.pop(0), values.pop(0)) if kind == "name" else (values.pop(0),)
        keys.append((kind, *parts))
    duplicate = duplicates.repeating(keys, values.pop(0)) if kinds else None
    conditions = [q for q in (known, duplicate) if q is not None]
    query = Lead.objects.filter(functools.reduce(operator.or_, conditions))
    if len(conditions) == 2:  # the submission's own lead first, then the oldest open one
        seen = ExpressionWrapper(known, output_field=BooleanField())
        query = query.alias(seen=seen).order_by(F("seen").desc(), "created_at", "pk")
    else:
        query = query.order_by("created_at", "pk")
    return query.values_list("pk", "source", "external_id")[:1]


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
        _duplicate_submissions()(
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


@dataclass(frozen=True)
class BatchResult:
    """One item of a batch: 201 routed, 200 already known (the same source and external
    id, or a repeat of an open lead: ``duplicate``), or 409 when the database refused it."""

    status: int
    lead: Lead | None = None
    outcome: routing.Outcome | None = None
    duplicate: bool = False
    error: str = ""


def leads_intake_batch(
    *, items: dict[int, dict], source: str, integration=None, now: datetime | None = None
) -> dict[int, BatchResult]:
    """Create and route many leads at once (``POST /api/v1/leads/batch/``): ``items`` are
    the cleaned data of the batch's valid items by their index. The same door as the CSV
    import (``leads_intake_many``), in one transaction for the batch, idempotent by
    ``source`` + ``external_id``: an item seen before, as a lead or as a repeat attached
    to one, is answered with that lead and writes nothing. A second item of the same
    contact or company in one batch is attached to the first once it exists."""
    now = now or timezone.now()
    results: dict[int, BatchResult] = {}
    pending = [
        (index, data, new_lead(data, source=source, now=now, integration=integration))
        for index, data in items.items()
    ]
    with transaction.atomic():
        while pending:
            pending = _known_answered(pending, source=source, into=results)
            batch, later, seen = [], [], set()
            for item in pending:
                lead = item[2]
                keys = duplicates.identity(lead) | (
                    {("external_id", lead.external_id)} if lead.external_id else set()
                )
                if keys & seen:
                    later.append(item)
                    continue
                seen |= keys
                batch.append(item)
            written = leads_intake_many(
                batch,
                make=functools.partial(new_lead, source=source, now=now, integration=integration),
                created=lambda index, lead: {
                    "source": source,
                    "external_id": lead.external_id,
                    "batch_item": index,
                },
                now=now,
            )
            for index, (lead, outcome) in written.created.items():
                results[index] = BatchResult(201, lead=lead, outcome=outcome)
            for index, original in written.attached.items():
                results[index] = BatchResult(200, lead=original, duplicate=True)
            for index, error in written.refused.items():
                results[index] = BatchResult(409, error=error)
            pending = later
        refused = [index for index, result in results.items() if result.status == 409]
        if refused:  # another request may have written the same external id meanwhile
            again = [(i, items[i], new_lead(items[i], source=source, now=now)) for i in refused]
            _known_answered(again, source=source, into=results)
        if any(r.status == 201 and r.lead.confirmation_due_at for r in results.values()):
            transaction.on_commit(_queue_pending_confirmations)
        _read_whole(results)
    return results


def _read_whole(results: dict[int, BatchResult]) -> None:
    """The open leads that items repeat come from the duplicate finder with only the
    columns it compares; each is answered with its whole body (owner, reason, deadlines),
    so read them whole, all in one query, rather than a missing column at a time."""
    partial = {i: r for i, r in results.items() if r.lead and r.lead.get_deferred_fields()}
    if not partial:
        return
    owners = ("owner_dealer", "owner_user", "owner_queue")
    whole = Lead.objects.select_related(*owners).in_bulk({r.lead.pk for r in partial.values()})
    for index, result in partial.items():
        results[index] = dataclasses.replace(result, lead=whole[result.lead.pk])


def _known_answered(pending: list[Item], *, source: str, into: dict) -> list[Item]:
    """Answer the items whose source and external id arrived before (as a lead, or as a
    repeat attached to an open lead) with that lead; returns the others. Two queries."""
    ids = {lead.external_id for _index, _data, lead in pending if lead.external_id}
    if not ids:
        return pending
    owners = ("owner_dealer", "owner_user", "owner_queue")
    # ``.exclude(external_id="")`` is the partial indexes' condition, stated so that
    # PostgreSQL uses them: it cannot prove it from a list of over 100 ids, and without
    # it each batch read every lead (a batch slowed as the table grew).
    known = {
        lead.external_id: (lead, False)
        for lead in Lead.objects.filter(source=source, external_id__in=ids)
        .exclude(external_id="")
        .select_related(*owners)
    }
    repeats = dict(
        DuplicateSubmission.objects.filter(source=source, external_id__in=ids - known.keys())
        .exclude(external_id="")
        .order_by("received_at")
        .values_list("external_id", "lead_id")
    )
    if repeats:
        originals = Lead.objects.select_related(*owners).in_bulk(set(repeats.values()))
        known |= {ext: (originals[pk], True) for ext, pk in repeats.items()}
    rest = []
    for index, data, lead in pending:
        if lead.external_id in known:
            found, duplicate = known[lead.external_id]
            into[index] = BatchResult(200, lead=found, duplicate=duplicate)
        else:
            rest.append((index, data, lead))
    return rest


def _queue_pending_confirmations() -> None:
    from leads.tasks import confirm_pending_receipts  # (tasks import the services)

    publish(confirm_pending_receipts)

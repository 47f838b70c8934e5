"""Months of demo leads, generated in chunks and written with bulk inserts."""

import random
import time
from collections import defaultdict
from datetime import timedelta

from django.db import connection, transaction

from dealers.models import Claim, Dealer
from leads.demo.history.people import behaviours
from leads.demo.history.simulation import DEMO_PREFIX, LeadSimulation, World, simulate
from leads.models import (
    Account,
    Assignment,
    Lead,
    LeadEvent,
    Policy,
    ShareCounter,
)
from leads.services import access_grants, calendars, facts
from leads.services.routing.decide import parse_owner, save_counts
from leads.sla import deadlines
from portal.users.models import User

CHUNK = 5000


def load_world(*, now, staff: dict) -> World:
    context = facts.build_context(on=now.date())
    accounts = list(
        Account.objects.filter(website_domain__endswith=".demo")
        .select_related("parent")
        .prefetch_related("installed_base", "parent__installed_base")
        .order_by("pk")
    )
    account_facts = {a.pk: facts.account_facts(a) for a in accounts}
    claims = defaultdict(list)
    for claim in Claim.objects.filter(
        status__in=[Claim.Status.APPROVED, Claim.Status.EXPIRED]
    ).order_by("pk"):
        claims[claim.account_id].extend(facts.claim_facts([claim]))
    world = World(
        now=now,
        context=context,
        terms=deadlines.SlaTerms.from_policy(Policy.current()),
        accounts=accounts,
        account_facts=account_facts,
        claims=claims,
        behaviour=behaviours(list(Dealer.objects.all())),
        channel_manager=staff["claudia.jansen"],
    )
    for counter in ShareCounter.objects.all():
        world.counts[(_parse_scope(counter.scope), parse_owner(counter.owner))] = counter.count
    world.dealer_groups = dict(Dealer.objects.values_list("pk", "group_id"))
    world.dealer_countries = {
        dealer.pk: dealer.countries[0].code for dealer in Dealer.objects.all() if dealer.countries
    }
    world.dealer_languages = dict(Dealer.objects.values_list("pk", "language"))
    world.users = {u.pk: u for u in User.objects.filter(staffprofile__isnull=False)}
    world.places = calendars.owner_places(
        [("dealer", pk) for pk in world.dealer_groups] + [("user", pk) for pk in world.users]
    )
    return world


def _parse_scope(text: str) -> tuple:
    return tuple(int(part) if part.isdigit() else part for part in text.split(":"))


def build_leads(*, count: int, staff: dict, now, stdout=None) -> int:
    """Bring the number of demo leads up to ``count``; returns how many were added."""
    existing = Lead.objects.filter(external_id__startswith=DEMO_PREFIX).count()
    if existing >= count:
        return 0
    world = load_world(now=now, staff=staff)
    started = time.monotonic()
    added = 0
    for chunk_start in range(existing, count, CHUNK):
        chunk_end = min(count, chunk_start + CHUNK)
        out = {"leads": [], "events": [], "stints": []}
        for index in range(chunk_start, chunk_end):
            simulate(LeadSimulation(world, random.Random(f"lead-{index}")), index, out)
        _write(world, out)
        added += chunk_end - chunk_start
        if stdout is not None and (chunk_end - existing) % 50000 < CHUNK:
            rate = added / max(time.monotonic() - started, 0.001)
            stdout.write(f"  {chunk_end:,} leads ({rate:,.0f}/s)")
    _save_counts(world)
    return added


@transaction.atomic
def _write(world: World, out: dict) -> None:
    """The chunk's leads, then their stints and events, and the owners' permissions
    (``access_grants``, as the hand-over grants them)."""
    leads = out["leads"]
    Lead.objects.bulk_create(leads, batch_size=2000)
    events, stints = [], []
    for lead, lead_events, lead_stints in zip(leads, out["events"], out["stints"], strict=True):
        for event in lead_events:
            event.lead_id = lead.pk
            events.append(event)
        for stint in lead_stints:
            stint.lead_id = lead.pk
            stints.append(stint)
    Assignment.objects.bulk_create(stints, batch_size=5000)
    LeadEvent.objects.bulk_create(events, batch_size=5000)
    access_grants.grant_owners((lead.pk, lead.owner_kind, lead.owner_id) for lead in leads)


def _save_counts(world: World) -> None:
    with transaction.atomic():
        save_counts(world.counts, start={})
    if connection.vendor == "postgresql":
        # Fresh statistics, and (outside a transaction) the visibility map, so the
        # inbox's index-only scans need no heap visits, as after autovacuum in a live
        # database.
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE" if connection.in_atomic_block else "VACUUM ANALYZE")


def make_timers_due(*, now, count: int = 6) -> int:
    """Put a few open dealer leads just past their reminder or recycle moment, so the
    timer loop visibly acts in the first minute of the demo."""
    leads = list(
        Lead.objects.filter(
            external_id__startswith=DEMO_PREFIX,
            status="new",
            owner_dealer__isnull=False,
            recycle_due_at__gt=now,
        ).order_by("created_at")[:count]
    )
    for position, lead in enumerate(leads):
        if position % 2 == 0:
            lead.reminder_due_at = now - timedelta(minutes=1)
            Lead.objects.filter(pk=lead.pk).update(reminder_due_at=lead.reminder_due_at)
        else:
            Lead.objects.filter(pk=lead.pk).update(recycle_due_at=now - timedelta(minutes=1))
    return len(leads)


def since(start_time: float) -> str:
    return f"{time.monotonic() - start_time:.1f} s"

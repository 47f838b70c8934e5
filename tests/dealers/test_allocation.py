"""Performance-based allocation: the recency-weighted formula (table-driven, no database),
the replay behind the what-if preview and the fairness goal on the pure engine, and the
services that store weights and overrides (audited, share counters reset, routing cache
invalidated, nothing half-written)."""

from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from dealers import allocation
from dealers.allocation import ReplayLead, recency_weight, replay, share_deviation
from dealers.models import Dealer, WeightChange
from dealers.scorecards import Scorecard, performance_weight
from leads import routing
from leads.models import Assignment, Lead, LeadEvent, ShareCounter
from leads.services import facts, pipeline
from portal.users.models import Role
from tests.factories import DealerFactory, DealerMemberFactory, StaffFactory, territory_with
from tests.leads.pipeline_world import new_lead

AMS = ZoneInfo("Europe/Amsterdam")
START = datetime(2026, 3, 2, 9, 0, tzinfo=AMS)


def card(*, measured=0, in_sla=0, won=0, lost=0, rejected=0, recycled=0) -> Scorecard:
    """A scorecard period; received = measured (nothing still running)."""
    return Scorecard(
        dealer_id=1,
        dealer_name="Alpha",
        start=START,
        end=START,
        received=measured,
        measured=measured,
        followed_up_in_sla=in_sla,
        won=won,
        lost=lost,
        rejected=rejected,
        recycled=recycled,
    )


EMPTY = card()


# --- the formula ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("periods", "weight", "counted"),
    [
        # Too few settled stints (won + lost + rejected + recycled < 10): neutral.
        ([card(measured=9, in_sla=9, won=9), EMPTY, EMPTY], "1.00", False),
        ([EMPTY, EMPTY, EMPTY], "1.00", False),
        # Exactly ten counts: perfect follow-up, 50 % conversion → (1.5)(0.5 + 2.5) → ceiling.
        ([card(measured=10, in_sla=10, won=5, lost=5), EMPTY, EMPTY], "2.00", True),
        # Nobody followed up, nothing won: (0.5)(0.5) = the floor.
        ([card(measured=12, recycled=12), EMPTY, EMPTY], "0.25", True),
        # Rejections only: follow-up 100 %, no closed stints → conversion 0: 1.5 × 0.5.
        ([card(measured=10, in_sla=10, rejected=10), EMPTY, EMPTY], "0.75", True),
        # 80 % follow-up, 20 % conversion: (1.3)(1.5) = 1.95.
        ([card(measured=20, in_sla=16, won=2, lost=8), EMPTY, EMPTY], "1.95", True),
        # Recent months count more: the newest period (×3) pulls follow-up up to
        # (3·10 + 2·0 + 1·0) / (3·10 + 2·10 + 1·10) = 50 %, not 33 %.
        (
            [
                card(measured=10, in_sla=10, lost=10),
                card(measured=10, lost=10),
                card(measured=10, lost=10),
            ],
            "0.50",
            True,
        ),
        # ... and the other way round a recent slump costs more: 1/6 follow-up.
        (
            [
                card(measured=10, lost=10),
                card(measured=10, lost=10),
                card(measured=10, in_sla=10, lost=10),
            ],
            "0.33",
            True,
        ),
        # Conversion weighted too: (3·4 + 2·0 + 1·0) / (3·10 + 2·10 + 1·10) = 20 %.
        (
            [
                card(measured=10, in_sla=10, won=4, lost=6),
                card(measured=10, in_sla=10, lost=10),
                card(measured=10, in_sla=10, lost=10),
            ],
            "2.00",
            True,
        ),
    ],
)
def test_the_weight_formula(periods, weight, counted):
    result = recency_weight(periods)
    assert result.weight == Decimal(weight)
    assert result.counted is counted


@pytest.mark.parametrize("current", [Decimal("1.00"), Decimal("1.40"), Decimal("0.25")])
def test_without_a_measured_stint_follow_up_is_no_data_yet_and_the_weight_stays(current):
    # Ten rejections, none past its first-update deadline yet: nothing to measure
    # follow-up by, which is not 0 %.
    waiting = card(rejected=10)
    result = recency_weight([waiting, EMPTY, EMPTY], current=current)
    assert result.follow_up is None and result.awaiting_follow_up
    assert (result.weight, result.counted) == (current, False)
    assert result.as_json()["awaiting_follow_up"] is True
    # Without a stored weight: the neutral 1.00.
    assert recency_weight([waiting, EMPTY, EMPTY]).weight == Decimal("1.00")
    # DESIGN.md's 90-day function says the same.
    assert performance_weight(waiting, current=current) == current
    # One measured stint in any period is data: the formula counts.
    measured = recency_weight([waiting, EMPTY, card(measured=1)], current=current)
    assert measured.counted and not measured.awaiting_follow_up
    assert measured.weight == Decimal("0.25")  # (0.5 + 0) × (0.5 + 0)


def test_equal_months_give_designs_ninety_day_formula():
    month = card(measured=20, in_sla=13, won=1, lost=9, rejected=2, recycled=4)
    combined = allocation.weights.combined([month, month, month], start=START, end=START)
    assert recency_weight([month, month, month]).weight == performance_weight(combined)
    assert recency_weight([month, month, month]).weight == Decimal("1.15")  # 1.15 × 1.0


def test_a_dealer_that_improved_lately_gains_more_than_the_flat_average():
    recent_good = [card(measured=10, in_sla=9, won=3, lost=3), card(measured=10, in_sla=3, lost=6)]
    recent_good.append(card(measured=10, in_sla=3, lost=6))
    flat = allocation.weights.combined(recent_good, start=START, end=START)
    assert recency_weight(recent_good).weight > performance_weight(flat)
    assert recency_weight(list(reversed(recent_good))).weight < performance_weight(flat)


def test_the_inputs_say_what_the_weight_came_from():
    inputs = recency_weight([card(measured=20, in_sla=16, won=2, lost=8), EMPTY, EMPTY])
    assert inputs.as_json() == {
        "formula": "recency-3-2-1",
        "follow_up": 0.8,
        "conversion": 0.2,
        "settled": 10,
        "measured": 20,
        "closed": 10,
        "counted": True,
        "awaiting_follow_up": False,
        "weight": "1.95",
    }


def test_one_factor_per_period():
    with pytest.raises(ValueError):
        recency_weight([EMPTY, EMPTY])


# --- the replay and fairness on the pure engine ------------------------------------------


def world(weights: dict[int, float], *, capacity: int | None = None) -> routing.RoutingContext:
    """Three dealers sharing one Rotterdam territory; dealer 4 owns Utrecht alone."""
    dealers = [
        routing.DealerFacts(id=pk, name=f"Dealer {pk}", weight=w, weekly_capacity=capacity)
        for pk, w in weights.items()
    ]
    dealers.append(routing.DealerFacts(id=4, name="Dealer 4"))
    territories = [
        routing.TerritoryFacts(
            id=10,
            name="Rijnmond",
            country="NL",
            ranges=((3000, 3099),),
            owners=tuple(routing.TerritoryOwnerFacts("dealer", pk) for pk in weights),
        ),
        routing.TerritoryFacts(
            id=11,
            name="Utrecht",
            country="NL",
            ranges=((3500, 3599),),
            owners=(routing.TerritoryOwnerFacts("dealer", 4),),
        ),
    ]
    return routing.RoutingContext.build(dealers=dealers, reps=[], territories=territories)


def leads(n: int, *, postcode: int = 3011, every=timedelta(minutes=30)) -> list[ReplayLead]:
    return [
        ReplayLead(
            id=i,
            company=f"Prospect {i}",
            created_at=START + i * every,
            facts=routing.LeadFacts(
                company_name=f"Prospect {i}", country="NL", postcode_number=postcode
            ),
        )
        for i in range(n)
    ]


def test_the_split_converges_to_the_weights_within_one_percent_over_10000_leads():
    weights = {1: 2.0, 2: 1.0, 3: 0.5}
    decisions = replay(leads(10_000), context=world(weights))
    counts = {pk: sum(1 for d in decisions if d.owner.id == pk) for pk in weights}
    assert counts == {1: 5714, 2: 2857, 3: 1429}
    assert share_deviation(counts, weights) < 0.01


def test_computed_weights_from_scorecards_are_what_the_engine_splits_by():
    # A 1.95 dealer next to a 0.25 one: the replay's shares follow those weights.
    good = recency_weight([card(measured=20, in_sla=16, won=2, lost=8), EMPTY, EMPTY]).weight
    poor = recency_weight([card(measured=12, recycled=12), EMPTY, EMPTY]).weight
    weights = {1: float(good), 2: float(poor)}
    decisions = replay(leads(10_000), context=world(weights))
    counts = {pk: sum(1 for d in decisions if d.owner.id == pk) for pk in weights}
    assert share_deviation(counts, weights) < 0.01
    assert counts[1] > 7 * counts[2]


def test_the_preview_lists_the_leads_that_move_and_the_counts_per_owner():
    today = world({1: 1.0, 2: 1.0})
    proposed = allocation.with_weights(today, {2: 0})
    batch = leads(10) + leads(2, postcode=3511)
    preview = allocation.compare(
        batch, replay(batch, context=today), replay(batch, context=proposed)
    )
    shifts = {o.owner.id: (o.before, o.after) for o in preview.owners}
    assert shifts == {1: (5, 10), 2: (5, 0), 4: (2, 2)}
    assert preview.moved == 5
    assert {m.before.id for m in preview.moves} == {2}
    assert {m.after.id for m in preview.moves} == {1}
    assert [o.owner.id for o in preview.changed_owners] == [1, 2]


def test_the_replay_counts_weekly_capacity_over_the_replayed_leads():
    # Dealer 1 (weight 3) takes 2 a week at most: the rest go to dealer 2.
    context = world({1: 3.0, 2: 1.0}, capacity=2)
    decisions = replay(leads(6, every=timedelta(hours=1)), context=context)
    assert [d.owner.id for d in decisions].count(1) == 2
    # Spread over weeks, capacity never binds: the 3 : 1 split (5 of 6).
    later = replay(leads(6, every=timedelta(days=4)), context=context)
    assert [d.owner.id for d in later] == [1, 1, 2, 1, 1, 1]


@pytest.mark.parametrize(
    ("counts", "targets", "deviation"),
    [
        ({"a": 50, "b": 50}, {"a": 1, "b": 1}, 0.0),
        ({"a": 60, "b": 40}, {"a": 1, "b": 1}, 0.2),
        ({"a": 66, "b": 34}, {"a": 2, "b": 1}, 0.02),
        ({"a": 10}, {"a": 1, "b": 1}, 1.0),  # b got nothing: 100 % below its share
        ({}, {"a": 1}, None),
        ({"a": 5}, {}, None),
    ],
)
def test_share_deviation(counts, targets, deviation):
    result = share_deviation(counts, targets)
    assert result == pytest.approx(deviation) if deviation is not None else result is None


# --- services (database) -----------------------------------------------------------------


@pytest.fixture
def manager(db):
    return StaffFactory(role=Role.CHANNEL_MANAGER).user


@pytest.fixture
def shared(db):
    """Alpha and Beta share Rijnmond (3000-3099); Gamma owns Utrecht (3500-3599)."""
    alpha, beta = DealerFactory(name="Alpha B.V."), DealerFactory(name="Beta B.V.")
    gamma = DealerFactory(name="Gamma B.V.")
    territory = territory_with(
        name="NL Rijnmond", ranges=[(3000, 3099)], owners=[(alpha, 1), (beta, 1)]
    )
    territory_with(name="NL Utrecht", ranges=[(3500, 3599)], owners=[(gamma, 1)])
    for dealer in (alpha, beta, gamma):
        DealerMemberFactory(dealer=dealer)
    return alpha, beta, gamma, territory


def counters(territory) -> dict[str, int]:
    return dict(
        ShareCounter.objects.filter(scope=f"territory:{territory.pk}")
        .exclude(owner="~lock")
        .values_list("owner", "count")
    )


@pytest.mark.django_db
def test_weights_are_computed_with_a_constant_number_of_queries(shared):
    now = timezone.now()
    with CaptureQueriesContext(connection) as few:
        allocation.weights_compute(now=now, dealers=Dealer.objects.filter(pk=shared[0].pk))
    with CaptureQueriesContext(connection) as many:
        result = allocation.weights_compute(now=now)
    assert len(few) == len(many) <= 10
    assert [w.dealer.name for w in result] == ["Alpha B.V.", "Beta B.V.", "Gamma B.V."]


def reject_ten_leads(dealer) -> None:
    """Ten new leads for ``dealer`` (Utrecht), each rejected at once by its person."""
    person = dealer.memberships.first().user
    for _ in range(10):
        lead = new_lead(postcode="3511 AB")
        assert lead.owner_dealer_id == dealer.pk
        pipeline.lead_reject(lead=lead, actor=person, reason="not_a_lead")


@pytest.mark.django_db
def test_a_dealer_that_rejects_quickly_gets_a_computed_weight(shared, manager):
    gamma = shared[2]
    with time_machine.travel(datetime(2026, 3, 3, 10, 0, tzinfo=AMS), tick=False):  # Tuesday
        reject_ten_leads(gamma)
        # Three days on (Friday), the stints' 48-hour windows have passed: measured.
        (weight,) = allocation.weights_compute(
            now=timezone.now() + timedelta(days=3), dealers=Dealer.objects.filter(pk=gamma.pk)
        )
    # Follow-up 100 % (a rejection is an update), nothing closed: 1.5 × 0.5.
    assert (weight.inputs.settled, weight.inputs.measured) == (10, 10)
    assert (weight.computed, weight.current) == (Decimal("0.75"), Decimal("1"))
    assert weight.card.rejected == 10 and weight.changes
    assert weight.inputs.counted and not weight.inputs.awaiting_follow_up


@pytest.mark.django_db
def test_before_any_first_update_deadline_passed_follow_up_is_no_data_yet(shared, manager):
    """Regression: leads rejected on a Friday evening have their 48-hour deadline on
    Wednesday morning; on Monday none is measured, and follow-up counted as 0 % dropped
    the weight to the floor (0.25). It is "no data yet": the weight stays as it is."""
    gamma = shared[2]
    Dealer.objects.filter(pk=gamma.pk).update(performance_weight=Decimal("1.40"))
    friday_evening = datetime(2026, 12, 4, 20, 20, tzinfo=AMS)
    with time_machine.travel(friday_evening, tick=False):
        reject_ten_leads(gamma)
    monday_evening = friday_evening + timedelta(days=3)
    (weight,) = allocation.weights_compute(
        now=monday_evening, dealers=Dealer.objects.filter(pk=gamma.pk)
    )
    assert (weight.inputs.settled, weight.inputs.measured) == (10, 0)
    assert weight.inputs.follow_up is None and weight.inputs.awaiting_follow_up
    assert not weight.inputs.counted
    assert (weight.computed, weight.current) == (Decimal("1.40"), Decimal("1.40"))
    assert not weight.changes
    assert allocation.weights_apply(actor=manager, now=monday_evening) == []
    # Once Wednesday's deadline has passed, follow-up is measured: 100 %.
    (weight,) = allocation.weights_compute(
        now=friday_evening + timedelta(days=5), dealers=Dealer.objects.filter(pk=gamma.pk)
    )
    assert (weight.inputs.measured, weight.computed) == (10, Decimal("0.75"))


@pytest.mark.django_db
def test_applying_stores_changed_weights_audits_them_and_restarts_the_split(shared, manager):
    alpha, beta, gamma, territory = shared
    for _ in range(4):
        new_lead(postcode="3011 AB")
    assert sum(counters(territory).values()) == 4
    Dealer.objects.filter(pk=alpha.pk).update(performance_weight=Decimal("1.60"))
    facts.routing_world_changed()
    with CaptureQueriesContext(connection):
        changes = allocation.weights_apply(actor=manager)
    assert [(c.dealer, c.kind, c.old_weight, c.new_weight) for c in changes] == [
        (alpha, WeightChange.Kind.PERFORMANCE, Decimal("1.60"), Decimal("1.00"))
    ]
    change = WeightChange.objects.get()
    assert change.actor == manager
    assert change.inputs["settled"] == 0 and change.inputs["counted"] is False
    alpha.refresh_from_db()
    assert alpha.performance_weight == Decimal("1.00")
    assert counters(territory) == {}  # the shared territory starts afresh
    context = facts.routing_context(now=timezone.now())
    assert context.dealers[alpha.pk].weight == 1.0
    # Nothing left to change: a second run writes nothing.
    assert allocation.weights_apply(actor=manager) == []
    assert WeightChange.objects.count() == 1


@pytest.mark.django_db
def test_applying_refuses_when_the_scorecards_changed_since_the_preview(shared, manager):
    alpha = shared[0]
    Dealer.objects.filter(pk=alpha.pk).update(performance_weight=Decimal("1.60"))
    with pytest.raises(ValidationError) as error:
        allocation.weights_apply(actor=manager, expected={alpha.pk: Decimal("1.30")})
    assert error.value.code == "stale_preview"
    alpha.refresh_from_db()
    assert alpha.performance_weight == Decimal("1.60")
    assert not WeightChange.objects.exists()
    changes = allocation.weights_apply(actor=manager, expected={alpha.pk: Decimal("1.00")})
    assert len(changes) == 1


@pytest.mark.django_db
def test_applying_only_touches_the_given_dealers(shared, manager):
    alpha, beta, gamma, _territory = shared
    Dealer.objects.filter(pk__in=[alpha.pk, gamma.pk]).update(performance_weight=Decimal("0.50"))
    changes = allocation.weights_apply(actor=manager, dealers=Dealer.objects.filter(pk=gamma.pk))
    assert [c.dealer_id for c in changes] == [gamma.pk]
    alpha.refresh_from_db()
    assert alpha.performance_weight == Decimal("0.50")


@pytest.mark.django_db
def test_an_override_replaces_the_weight_until_its_end_date(shared, manager):
    alpha, beta, _gamma, territory = shared
    new_lead(postcode="3011 AB")
    today = timezone.localdate()
    change = allocation.weight_override_set(
        dealer=alpha,
        actor=manager,
        weight="2,5",
        until=today + timedelta(days=30),
        reason="Opened a second showroom",
    )
    assert (change.kind, change.old_weight, change.new_weight, change.until) == (
        WeightChange.Kind.OVERRIDE,
        Decimal("1.00"),
        Decimal("2.50"),
        today + timedelta(days=30),
    )
    assert change.reason == "Opened a second showroom" and change.actor == manager
    alpha.refresh_from_db()
    assert alpha.effective_weight() == 2.5
    assert alpha.effective_weight(today + timedelta(days=31)) == 1.0
    assert counters(territory) == {}
    assert facts.routing_context(now=timezone.now()).dealers[alpha.pk].weight == 2.5
    # Five new leads split 2.5 : 1 from fresh counters.
    owners = [new_lead(postcode="3011 AB").owner_dealer_id for _ in range(7)]
    assert owners.count(alpha.pk) == 5

    ended = allocation.weight_override_clear(dealer=alpha, actor=manager, reason="Back to normal")
    assert (ended.kind, ended.old_weight, ended.new_weight) == (
        WeightChange.Kind.OVERRIDE_ENDED,
        Decimal("2.50"),
        Decimal("1.00"),
    )
    alpha.refresh_from_db()
    assert (alpha.weight_override, alpha.weight_override_reason) == (None, "")
    with pytest.raises(ValidationError):
        allocation.weight_override_clear(dealer=alpha, actor=manager)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("weight", "until_days", "reason", "fields"),
    [
        ("-1", 10, "why", {"weight"}),
        ("10.5", 10, "why", {"weight"}),
        ("lots", 10, "why", {"weight"}),
        ("NaN", 10, "why", {"weight"}),
        ("1.5", -1, "why", {"until"}),
        ("1.5", 400, "why", {"until"}),
        ("1.5", None, "why", {"until"}),
        ("1.5", 10, "  ", {"reason"}),
        ("1.5", 10, "x" * 301, {"reason"}),
        ("-1", None, "", {"weight", "until", "reason"}),
    ],
)
def test_a_bad_override_is_refused_and_changes_nothing(
    shared, manager, weight, until_days, reason, fields
):
    alpha = shared[0]
    until = None if until_days is None else timezone.localdate() + timedelta(days=until_days)
    with pytest.raises(ValidationError) as error:
        allocation.weight_override_set(
            dealer=alpha, actor=manager, weight=weight, until=until, reason=reason
        )
    assert set(error.value.message_dict) == fields
    alpha.refresh_from_db()
    assert alpha.weight_override is None
    assert not WeightChange.objects.exists()


@pytest.mark.django_db
def test_a_zero_override_stops_new_leads_in_shared_territories(shared, manager):
    alpha, beta, _gamma, _territory = shared
    allocation.weight_override_set(
        dealer=alpha,
        actor=manager,
        weight=0,
        until=timezone.localdate() + timedelta(days=7),
        reason="Moving premises",
    )
    assert {new_lead(postcode="3011 AB").owner_dealer_id for _ in range(4)} == {beta.pk}


@pytest.mark.django_db
def test_expired_overrides_end_once_with_an_audit_row(shared, manager):
    alpha, beta, _gamma, territory = shared
    now = timezone.now()
    allocation.weight_override_set(
        dealer=alpha, actor=manager, weight="1.8", until=timezone.localdate(now), reason="Campaign"
    )
    new_lead(postcode="3011 AB")
    assert allocation.overrides_end_expired(now=now) == []  # still today
    later = now + timedelta(days=2)
    (ended,) = allocation.overrides_end_expired(now=later)
    assert (ended.dealer, ended.kind, ended.actor) == (
        alpha,
        WeightChange.Kind.OVERRIDE_ENDED,
        None,
    )
    assert ended.old_weight == Decimal("1.80")
    assert counters(territory) == {}
    assert allocation.overrides_end_expired(now=later) == []
    assert WeightChange.objects.filter(kind=WeightChange.Kind.OVERRIDE_ENDED).count() == 1


@pytest.mark.django_db
def test_the_what_if_preview_replays_real_leads_and_writes_nothing(shared, manager):
    alpha, beta, gamma, territory = shared
    made = [new_lead(postcode="3011 AB") for _ in range(6)] + [new_lead(postcode="3511 AB")]
    assert {lead.owner_dealer_id for lead in made} == {alpha.pk, beta.pk, gamma.pk}
    before = (
        ShareCounter.objects.count(),
        Assignment.objects.count(),
        LeadEvent.objects.count(),
        list(ShareCounter.objects.values_list("scope", "owner", "count").order_by("pk")),
    )
    preview = allocation.whatif_preview(weights={beta.pk: 0}, limit=100)
    after = (
        ShareCounter.objects.count(),
        Assignment.objects.count(),
        LeadEvent.objects.count(),
        list(ShareCounter.objects.values_list("scope", "owner", "count").order_by("pk")),
    )
    assert before == after
    assert not WeightChange.objects.exists()
    beta.refresh_from_db()
    assert beta.effective_weight() == 1.0
    assert preview.leads == 7
    shifts = {o.owner.id: (o.before, o.after) for o in preview.owners}
    assert shifts == {alpha.pk: (3, 6), beta.pk: (3, 0), gamma.pk: (1, 1)}
    assert preview.moved == 3
    assert {m.lead_id for m in preview.moves} <= {lead.pk for lead in made}
    assert [lead.id for lead in allocation.whatif.replay_leads(limit=3)] == [
        m.pk for m in made[-3:]
    ]


@pytest.mark.django_db
def test_the_preview_follows_open_work_only_to_earlier_leads(shared):
    alpha, beta, _gamma, _territory = shared
    first = new_lead(postcode="3011 AB", company_name="Havenbedrijf Techniek B.V.")
    # Past the duplicate window, another lead of the company is open work, not a duplicate.
    Lead.objects.filter(pk=first.pk).update(created_at=first.created_at - timedelta(days=40))
    second = new_lead(postcode="3011 AB", company_name="Havenbedrijf Techniek B.V.")
    assert second.pk != first.pk
    assert second.routing_rule == "open_work"
    assert second.owner_dealer_id == first.owner_dealer_id
    replayed = {lead.id: lead for lead in allocation.whatif.replay_leads(limit=10)}
    assert replayed[first.pk].open_leads == ()
    assert [o.id for o in replayed[second.pk].open_leads] == [first.pk]
    # With the first lead's owner at weight 0, both follow the other dealer.
    other = beta if first.owner_dealer_id == alpha.pk else alpha
    preview = allocation.whatif_preview(weights={first.owner_dealer_id: 0}, limit=10)
    moved = {m.lead_id: (m.after.id, m.after_rule) for m in preview.moves}
    assert moved == {first.pk: (other.pk, "territory"), second.pk: (other.pk, "open_work")}


@pytest.mark.django_db
def test_the_fairness_report_compares_actual_and_target_shares(shared, manager):
    alpha, beta, gamma, territory = shared
    allocation.weight_override_set(
        dealer=alpha,
        actor=manager,
        weight="3",
        until=timezone.localdate() + timedelta(days=7),
        reason="Trial",
    )
    for _ in range(8):
        new_lead(postcode="3011 AB")
    for _ in range(2):
        new_lead(postcode="3511 AB")  # Utrecht has one owner: not a shared scope
    (scope,) = allocation.fairness_report()
    assert (scope.scope, scope.territory.name, scope.total) == (
        f"territory:{territory.pk}",
        "NL Rijnmond",
        8,
    )
    rows = {row.owner.id: (row.count, row.target) for row in scope.rows}
    assert rows == {alpha.pk: (6, 0.75), beta.pk: (2, 0.25)}
    assert scope.deviation == 0.0 and scope.goal_met and scope.within_one_lead
    # A channel manager limited to other territories does not see it.
    from territories.models import Territory

    assert allocation.fairness_report(territories=Territory.objects.none()) == []


@pytest.mark.django_db
def test_the_recompute_command_ends_expired_overrides_and_applies(shared, manager):
    from io import StringIO

    from django.core.management import call_command

    alpha, beta, _gamma, _territory = shared
    Dealer.objects.filter(pk=beta.pk).update(
        performance_weight=Decimal("1.40"),
        weight_override=Decimal("2.00"),
        weight_override_reason="Old campaign",
        weight_override_until=date(2020, 1, 1),
    )
    out = StringIO()
    call_command("recompute_weights", stdout=out)
    assert "override ended: Beta B.V." in out.getvalue()
    assert "1 weight(s) would change" in out.getvalue()
    beta.refresh_from_db()
    assert beta.weight_override is None and beta.performance_weight == Decimal("1.40")
    call_command("recompute_weights", "--apply", stdout=out)
    beta.refresh_from_db()
    assert beta.performance_weight == Decimal("1.00")
    assert list(WeightChange.objects.order_by("pk").values_list("kind", flat=True)) == [
        "override_ended",
        "performance",
    ]

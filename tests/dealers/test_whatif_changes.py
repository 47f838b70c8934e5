"""The what-if preview of every change that moves leads: the routing policy (rule order,
enterprise threshold, team fallback), a territory (ranges, owners, weights), a dealer's
status, a territory CSV import (every territory of the file at once). Each preview
writes nothing, and applying the change through its service gives what the preview
showed for the same leads. Then the pages: Preview renders, Apply writes, bad input
gives field errors, only channel managers may use them."""

from datetime import datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.contrib.admin.models import LogEntry
from django.core.exceptions import ValidationError
from django.urls import reverse

from dealers import allocation
from dealers.allocation.whatif import replay_leads
from dealers.models import Dealer
from dealers.services import lifecycle
from leads.models import Assignment, Lead, LeadEvent, Policy, ShareCounter
from leads.services import facts
from leads.services.policy import policy_update
from portal.users.models import Role
from territories.models import PostcodeRange, Territory, TerritoryOwner
from territories.services import OwnerSpec, territory_save
from territories.services.preview import territory_preview
from tests.factories import DealerFactory, DealerMemberFactory, StaffFactory, territory_with
from tests.leads.pipeline_world import new_lead

pytestmark = pytest.mark.django_db

START = datetime(2026, 3, 2, 9, 0, tzinfo=ZoneInfo("Europe/Amsterdam"))
NOW = START + timedelta(days=1)


@pytest.fixture
def world():
    """Alpha and Beta share Rijnmond (3000-3099), Gamma owns Utrecht (3500-3599); a
    senior rep takes enterprise leads; eight leads of one morning, one worth €200,000
    and one outside every territory (3611)."""
    alpha, beta = DealerFactory(name="Alpha B.V."), DealerFactory(name="Beta B.V.")
    gamma = DealerFactory(name="Gamma B.V.")
    rijnmond = territory_with(
        name="NL Rijnmond", ranges=[(3000, 3099)], owners=[(alpha, 1), (beta, 1)]
    )
    utrecht = territory_with(name="NL Utrecht", ranges=[(3500, 3599)], owners=[(gamma, 1)])
    for dealer in (alpha, beta, gamma):
        DealerMemberFactory(dealer=dealer)
    senior = StaffFactory(role=Role.SENIOR_REP, user__name="Sophie Senior").user
    manager = StaffFactory(role=Role.CHANNEL_MANAGER).user
    postcodes = ["3011 AB"] * 5 + ["3511 AB", "3611 AB"]
    leads = []
    for i, postcode in enumerate(postcodes):
        with time_machine.travel(START + timedelta(minutes=10 * i), tick=False):
            leads.append(new_lead(postcode=postcode))
    with time_machine.travel(START + timedelta(minutes=100), tick=False):
        big = new_lead(postcode="3011 AB", estimated_value="200000")
    return {
        "alpha": alpha,
        "beta": beta,
        "gamma": gamma,
        "rijnmond": rijnmond,
        "utrecht": utrecht,
        "senior": senior,
        "manager": manager,
        "leads": leads,
        "big": big,
    }


def snapshot() -> tuple:
    """Every row a routing change or a preview could write."""
    return (
        list(Lead.objects.values_list("pk", "owner_dealer", "owner_user", "owner_queue", "status")),
        list(Assignment.objects.values_list("pk", "ended_at")),
        LeadEvent.objects.count(),
        list(ShareCounter.objects.values_list("scope", "owner", "count").order_by("pk")),
        list(Policy.objects.values_list("rule_order", "enterprise_threshold", "team_fallback")),
        list(Territory.objects.values_list("pk", "name", "is_active", "sectors")),
        list(PostcodeRange.objects.values_list("territory", "start", "end").order_by("pk")),
        list(TerritoryOwner.objects.values_list("territory", "dealer", "user", "weight")),
        list(Dealer.objects.values_list("pk", "status").order_by("pk")),
        LogEntry.objects.count(),
    )


def replayed_owners(limit: int = 50) -> dict:
    """Each of the last leads' owner when replayed under the routing world as it is."""
    context = facts.build_context(on=NOW.date())
    leads = replay_leads(limit=limit, context=context)
    decisions = allocation.replay(leads, context=context)
    return {lead.id: d.owner.key for lead, d in zip(leads, decisions, strict=True)}


def expected_after(before: dict, preview) -> dict:
    """The owners the preview showed: as before, except the leads it moves."""
    return before | {m.lead_id: m.after.key for m in preview.moves}


def counts(preview, which: str) -> dict:
    return {o.owner.key: getattr(o, which) for o in preview.owners if getattr(o, which)}


# --- the service ---------------------------------------------------------------------


def test_a_lower_enterprise_threshold_moves_a_200000_lead_to_a_senior_rep(world):
    before = replayed_owners()
    assert before[world["big"].pk] in {("dealer", world["alpha"].pk), ("dealer", world["beta"].pk)}
    written = snapshot()
    preview = allocation.routing_change_preview(
        lambda c: allocation.with_policy(c, enterprise_threshold=Decimal("150000")),
        limit=50,
        now=NOW,
    )
    assert snapshot() == written
    assert [(m.lead_id, m.after.key, m.after_rule) for m in preview.moves] == [
        (world["big"].pk, ("user", world["senior"].pk), "deal_size")
    ]
    assert preview.moves[0].before_rule == "territory"
    assert preview.leads == 8

    policy_update(actor=world["manager"], enterprise_threshold=Decimal("150000"))
    assert Policy.current().enterprise_threshold == Decimal("150000")
    assert replayed_owners() == expected_after(before, preview)
    entry = LogEntry.objects.latest("pk")
    assert entry.get_change_message() == "enterprise_threshold: 250000.00 → 150000.00"


def test_a_new_rule_order_and_no_team_fallback_are_previewed_and_applied_alike(world):
    StaffFactory(role=Role.INTERNAL_SALES, user__name="Ivo Intern")
    before = replayed_owners()
    changes = {"rule_order": ["deal_size", "territory"], "team_fallback": False}
    written = snapshot()
    preview = allocation.routing_change_preview(
        lambda c: allocation.with_policy(c, **changes), limit=50, now=NOW
    )
    assert snapshot() == written
    outside = world["leads"][-1]  # 3611: no territory, the team before, the pool now
    moves = {m.lead_id: m for m in preview.moves}
    assert moves[outside.pk].before.kind == "user"
    assert moves[outside.pk].after.key == ("queue", "pool")
    policy_update(actor=world["manager"], **changes)
    assert replayed_owners() == expected_after(before, preview)


def test_a_policy_change_that_policy_clean_refuses_writes_nothing(world):
    written = snapshot()
    with pytest.raises(ValidationError) as error:
        policy_update(actor=world["manager"], rule_order=["territory", "territory"])
    assert "rule_order" in error.value.error_dict
    with pytest.raises(TypeError):
        policy_update(actor=world["manager"], claim_days=10)
    assert snapshot() == written
    assert policy_update(actor=world["manager"], team_fallback=True) == []
    assert snapshot() == written


def test_a_wider_postcode_range_takes_the_leads_it_covers(world):
    before = replayed_owners()
    outside = world["leads"][-1]
    written = snapshot()
    gamma = world["gamma"]
    spec = {
        "territory": world["utrecht"],
        "name": "NL Utrecht",
        "country": "NL",
        "sectors": [],
        "is_active": True,
        "ranges": [(3500, 3699)],
        "owners": [OwnerSpec("dealer", gamma.pk, Decimal("1"))],
    }
    preview = territory_preview(**spec, limit=50, now=NOW)
    assert snapshot() == written
    assert [(m.lead_id, m.after.key, m.after_rule) for m in preview.moves] == [
        (outside.pk, ("dealer", gamma.pk), "territory")
    ]
    assert counts(preview, "after")[("dealer", gamma.pk)] == 2

    territory_save(actor=world["manager"], notes="", **spec)
    assert replayed_owners() == expected_after(before, preview)


def test_new_owners_and_weights_of_a_territory_move_the_leads_by_the_new_split(world):
    alpha, beta, gamma = world["alpha"], world["beta"], world["gamma"]
    before = replayed_owners()
    spec = {
        "territory": world["rijnmond"],
        "name": "NL Rijnmond",
        "country": "NL",
        "sectors": [],
        "is_active": True,
        "ranges": [(3000, 3099)],
        "owners": [
            OwnerSpec("dealer", alpha.pk, Decimal("1")),
            OwnerSpec("dealer", gamma.pk, Decimal("0")),
        ],
    }
    written = snapshot()
    preview = territory_preview(**spec, limit=50, now=NOW)
    assert snapshot() == written
    assert counts(preview, "after").get(("dealer", beta.pk)) is None
    assert counts(preview, "after")[("dealer", alpha.pk)] == 6  # all of Rijnmond
    assert {m.before.key for m in preview.moves} == {("dealer", beta.pk)}

    territory_save(actor=world["manager"], notes="", **spec)
    assert replayed_owners() == expected_after(before, preview)


def test_an_inactive_territory_and_a_new_one_are_previewed(world):
    spec = {
        "name": "NL Utrecht",
        "country": "NL",
        "sectors": [],
        "ranges": [(3500, 3599)],
        "owners": [OwnerSpec("dealer", world["gamma"].pk, Decimal("1"))],
    }
    off = territory_preview(territory=world["utrecht"], is_active=False, **spec, now=NOW)
    assert [m.before.key for m in off.moves] == [("dealer", world["gamma"].pk)]
    new = territory_preview(
        territory=None,
        is_active=True,
        **(spec | {"name": "NL Amersfoort", "ranges": [(3600, 3699)]}),
        now=NOW,
    )
    assert [m.lead_id for m in new.moves] == [world["leads"][-1].pk]
    with pytest.raises(ValidationError):
        territory_preview(territory=None, is_active=True, **(spec | {"country": "XX"}))


def test_pausing_a_dealer_previews_where_its_leads_would_go_and_what_is_routed_again(world):
    alpha, beta = world["alpha"], world["beta"]
    before = replayed_owners()
    open_of_beta = Lead.objects.filter(owner_dealer=beta, status__in=Lead.OPEN_STATUSES).count()
    assert open_of_beta >= 2
    written = snapshot()
    result = allocation.dealer_status_preview(
        dealer_id=beta.pk, status=Dealer.Status.PAUSED, limit=50, now=NOW
    )
    assert snapshot() == written
    assert result.rerouted == open_of_beta
    preview = result.preview
    assert {m.before.key for m in preview.moves} == {("dealer", beta.pk)}
    assert {m.after.key for m in preview.moves} == {("dealer", alpha.pk)}
    assert len(preview.moves) == open_of_beta
    assert allocation.dealer_status_preview(dealer_id=alpha.pk, status="active").rerouted == 0
    assert result.claims_ended == 0  # a pause keeps the claims

    moving = {m.lead_id: m.after.key for m in preview.moves}
    with time_machine.travel(NOW, tick=False):
        rerouted = lifecycle.dealer_set_status(
            dealer=beta, status=Dealer.Status.PAUSED, actor=world["manager"], reason="Holiday"
        )
    assert rerouted == result.rerouted
    assert replayed_owners() == expected_after(before, preview)
    assert now_owners(moving) == moving  # the open leads routed again went where it showed


def now_owners(leads) -> dict:
    """The owner each of ``leads`` (ids) has in the database now, as a key."""
    found = {}
    for lead in Lead.objects.filter(pk__in=list(leads)):
        if lead.owner_dealer_id:
            found[lead.pk] = ("dealer", lead.owner_dealer_id)
        elif lead.owner_user_id:
            found[lead.pk] = ("user", lead.owner_user_id)
        else:
            found[lead.pk] = ("queue", lead.owner_queue)
    return found


def test_terminating_a_dealer_is_previewed_and_applied_alike_claims_and_all(world):
    """Terminating routes the dealer's open leads again and ends its claims: the preview
    shows the claim no longer deciding, and applying gives the same owners."""
    from dealers.models import Claim
    from tests.factories import AccountFactory

    alpha, beta, gamma = world["alpha"], world["beta"], world["gamma"]
    claimed = world["leads"][5]  # in Utrecht, Gamma's, claimed by Beta before it came in
    account = AccountFactory(legal_name=claimed.company_name, postcode="3511 AB")
    approved = Claim.objects.create(
        dealer=beta,
        account=account,
        company_name=account.legal_name,
        country="NL",
        status=Claim.Status.APPROVED,
        approved_at=START - timedelta(days=1),
        expires_at=START + timedelta(days=300),
    )
    before = replayed_owners()
    assert before[claimed.pk] == ("dealer", beta.pk)  # the claim decides today
    open_of_beta = set(
        Lead.objects.filter(owner_dealer=beta, status__in=Lead.OPEN_STATUSES).values_list(
            "pk", flat=True
        )
    )
    assert len(open_of_beta) >= 2
    written = snapshot()
    result = allocation.dealer_status_preview(
        dealer_id=beta.pk, status=Dealer.Status.TERMINATED, limit=50, now=NOW
    )
    assert snapshot() == written
    assert result.rerouted == len(open_of_beta)
    assert result.claims_ended == 1
    moves = {m.lead_id: m for m in result.preview.moves}
    assert (moves[claimed.pk].before_rule, moves[claimed.pk].after_rule) == ("claim", "territory")
    assert moves[claimed.pk].after.key == ("dealer", gamma.pk)
    assert {m.before.key for m in moves.values()} == {("dealer", beta.pk)}
    assert {moves[pk].after.key for pk in open_of_beta} == {("dealer", alpha.pk)}

    with time_machine.travel(NOW, tick=False):
        rerouted = lifecycle.dealer_set_status(
            dealer=beta, status=Dealer.Status.TERMINATED, actor=world["manager"], reason="Ended"
        )
    assert rerouted == result.rerouted
    approved.refresh_from_db()
    assert approved.status == Claim.Status.WITHDRAWN
    assert replayed_owners() == expected_after(before, result.preview)
    assert now_owners(open_of_beta) == {pk: moves[pk].after.key for pk in open_of_beta}


def test_a_dealers_capacity_is_previewed_and_applied_alike(world):
    """Beta at no new leads for now (capacity 0): its share goes to Alpha, in the
    preview and once the capacity is saved."""
    alpha, beta = world["alpha"], world["beta"]
    before = replayed_owners()
    written = snapshot()
    preview = allocation.routing_change_preview(
        lambda c: allocation.with_dealer_capacity(c, beta.pk, 0), limit=50, now=NOW
    )
    assert snapshot() == written
    assert preview.moves
    assert {m.before.key for m in preview.moves} == {("dealer", beta.pk)}
    assert {m.after.key for m in preview.moves} == {("dealer", alpha.pk)}
    assert counts(preview, "after").get(("dealer", beta.pk)) is None

    lifecycle.dealer_set_capacity(dealer=beta, weekly_capacity=0, actor=world["manager"])
    assert replayed_owners() == expected_after(before, preview)


def test_new_weights_are_previewed_and_applied_alike(world):
    """An override of Beta's weight to 3 (Alpha keeps 1): the preview's owners per lead
    are what routing the same leads gives once the override is saved."""
    from dealers.models import WeightChange

    alpha, beta = world["alpha"], world["beta"]
    before = replayed_owners()
    written = snapshot()
    changes = WeightChange.objects.count()
    preview = allocation.whatif_preview(weights={beta.pk: Decimal("3")}, limit=50, now=NOW)
    assert snapshot() == written and WeightChange.objects.count() == changes
    assert preview.moves and {m.after.key for m in preview.moves} == {("dealer", beta.pk)}
    assert (
        counts(preview, "after")[("dealer", beta.pk)]
        > counts(preview, "after")[("dealer", alpha.pk)]
    )

    allocation.weight_override_set(
        dealer=beta,
        actor=world["manager"],
        weight=Decimal("3"),
        until=NOW.date() + timedelta(days=30),
        reason="Extra staff",
        now=NOW,
    )
    assert replayed_owners() == expected_after(before, preview)


def test_making_a_territory_inactive_is_previewed_and_applied_alike(world):
    gamma = world["gamma"]
    before = replayed_owners()
    spec = {
        "territory": world["utrecht"],
        "name": "NL Utrecht",
        "country": "NL",
        "sectors": [],
        "is_active": False,
        "ranges": [(3500, 3599)],
        "owners": [OwnerSpec("dealer", gamma.pk, Decimal("1"))],
    }
    written = snapshot()
    preview = territory_preview(**spec, limit=50, now=NOW)
    assert snapshot() == written
    assert [m.before.key for m in preview.moves] == [("dealer", gamma.pk)]
    assert preview.moves[0].after_rule != "territory"

    territory_save(actor=world["manager"], notes="", **spec)
    assert replayed_owners() == expected_after(before, preview)


def test_a_new_territory_is_previewed_and_applied_alike(world):
    gamma = world["gamma"]
    before = replayed_owners()
    outside = world["leads"][-1]  # 3611
    spec = {
        "territory": None,
        "name": "NL Amersfoort",
        "country": "NL",
        "sectors": [],
        "is_active": True,
        "ranges": [(3600, 3699)],
        "owners": [OwnerSpec("dealer", gamma.pk, Decimal("1"))],
    }
    written = snapshot()
    preview = territory_preview(**spec, limit=50, now=NOW)
    assert snapshot() == written
    assert [(m.lead_id, m.after.key, m.after_rule) for m in preview.moves] == [
        (outside.pk, ("dealer", gamma.pk), "territory")
    ]

    territory_save(actor=world["manager"], notes="", **spec)
    assert replayed_owners() == expected_after(before, preview)


def test_the_weights_preview_is_a_routing_change_too(world):
    beta = world["beta"]
    direct = allocation.routing_change_preview(
        lambda c: allocation.with_weights(c, {beta.pk: 0}), limit=50, now=NOW
    )
    preview = allocation.whatif_preview(weights={beta.pk: 0}, limit=50, now=NOW)
    assert preview.moves == direct.moves
    assert preview.weights == {beta.pk: Decimal("0.00")}


# --- the pages -------------------------------------------------------------------------


def policy_form(**changes) -> dict:
    data = {
        "position_installed_base": "1",
        "position_claim": "2",
        "position_open_work": "3",
        "position_deal_size": "4",
        "position_sector": "5",
        "position_territory": "6",
        "position_fallback": "7",
        "enterprise_threshold": "250000",
        "team_fallback": "on",
    }
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


def test_the_routing_page_is_for_channel_managers_only(client, world):
    url = reverse("manage:routing_policy")
    assert "/login/" in client.get(url)["Location"]
    for role in (Role.SALES_MANAGER, Role.INTERNAL_SALES, Role.SENIOR_REP):
        client.force_login(StaffFactory(role=role).user)
        assert client.get(url).status_code == 403
        assert client.post(url, policy_form(preview="1")).status_code == 403
    client.force_login(DealerMemberFactory(dealer=world["alpha"]).user)
    assert client.get(url).status_code == 403
    client.force_login(world["manager"])
    response = client.get(url)
    assert response.status_code == 200
    page = response.content.decode()
    assert 'id="id_position_deal_size"' in page and 'value="4"' in page
    assert (
        reverse("manage:routing_policy")
        in client.get(reverse("manage:allocation")).content.decode()
    )


def test_the_routing_page_previews_without_writing_and_applies(client, world):
    client.force_login(world["manager"])
    url = reverse("manage:routing_policy")
    written = snapshot()
    response = client.post(url, policy_form(enterprise_threshold="150000", preview="1"))
    assert response.status_code == 200
    assert snapshot() == written
    page = response.content.decode()
    assert 'id="whatif"' in page and "Sophie Senior" in page
    assert 'value="150000' in page  # the form keeps what was typed

    response = client.post(url, policy_form(enterprise_threshold="150000", apply="1"))
    assert response.status_code == 302
    assert Policy.current().enterprise_threshold == Decimal("150000")
    assert LogEntry.objects.count() == written[-1] + 1
    response = client.post(
        url, policy_form(position_fallback="", position_claim="", apply="1"), follow=True
    )
    assert Policy.current().rule_order == [
        "installed_base",
        "open_work",
        "deal_size",
        "sector",
        "territory",
    ]


@pytest.mark.parametrize(
    ("changes", "fields"),
    [
        ({"position_claim": "1"}, ["position_installed_base", "position_claim"]),
        ({"position_claim": "9"}, ["position_claim"]),
        ({"enterprise_threshold": "lots"}, ["enterprise_threshold"]),
        ({"enterprise_threshold": "-1"}, ["enterprise_threshold"]),
    ],
)
def test_bad_routing_input_gives_field_errors_and_writes_nothing(client, world, changes, fields):
    client.force_login(world["manager"])
    written = snapshot()
    for button in ("preview", "apply"):
        response = client.post(
            reverse("manage:routing_policy"), policy_form(**changes, **{button: "1"})
        )
        assert response.status_code == 400
        assert sorted(response.context["form"].errors) == sorted(fields)
        assert 'id="whatif"' not in response.content.decode()
    assert snapshot() == written


def test_no_rule_at_all_is_refused(client, world):
    client.force_login(world["manager"])
    blank = {f"position_{rule}": "" for rule in Policy().rule_order}
    response = client.post(reverse("manage:routing_policy"), policy_form(**blank, apply="1"))
    assert response.status_code == 400
    assert response.context["form"].non_field_errors()


def territory_form(territory, dealer, **changes) -> dict:
    data = {
        "name": territory.name,
        "country": "NL",
        "postcodes": "3500-3599",
        "is_active": "on",
        "notes": "",
        "owners-TOTAL_FORMS": "2",
        "owners-INITIAL_FORMS": "1",
        "owners-0-owner": f"dealer:{dealer.pk}",
        "owners-0-weight": "1",
        "owners-1-owner": "",
        "owners-1-weight": "1",
    }
    data.update(changes)
    return data


def test_the_territory_page_previews_the_edit_as_typed_and_saves_it(client, world):
    client.force_login(world["manager"])
    utrecht, gamma = world["utrecht"], world["gamma"]
    url = reverse("manage:territory_edit", args=[utrecht.pk])
    written = snapshot()
    data = territory_form(utrecht, gamma, postcodes="3500-3699", preview="1")
    response = client.post(url, data)
    assert response.status_code == 200
    assert snapshot() == written
    page = response.content.decode()
    assert 'id="whatif"' in page and 'id="whatif-moves"' in page
    assert "3500-3699" in page  # the form keeps the typed values
    assert response.context["preview"].moved == 1

    del data["preview"]
    assert client.post(url, data).status_code == 302
    assert list(utrecht.ranges.values_list("start", "end")) == [(3500, 3699)]


def test_a_bad_territory_preview_gives_field_errors(client, world):
    client.force_login(world["manager"])
    url = reverse("manage:territory_edit", args=[world["utrecht"].pk])
    written = snapshot()
    data = territory_form(world["utrecht"], world["gamma"], postcodes="9999-1000", preview="1")
    response = client.post(url, data)
    assert "postcodes" in response.context["form"].errors
    assert response.context["preview"] is None
    assert snapshot() == written
    client.force_login(StaffFactory(role=Role.SALES_MANAGER).user)
    assert client.post(url, data).status_code == 403


def test_the_dealer_page_previews_a_pause_and_changes_the_status_on_apply(client, world):
    client.force_login(world["manager"])
    beta = world["beta"]
    url = reverse("manage:dealer_status", args=[beta.pk])
    written = snapshot()
    response = client.post(url, {"status": "paused", "reason": "", "preview": "1"})
    assert response.status_code == 200
    assert snapshot() == written
    page = response.content.decode()
    assert 'id="whatif"' in page and 'id="whatif-rerouted"' in page
    assert response.context["rerouted"] == response.context["preview"].moved >= 2
    assert response.context["status_form"]["status"].value() == "paused"

    response = client.post(url, {"status": "paused", "reason": "Holiday"})
    assert response.status_code == 302
    beta.refresh_from_db()
    assert beta.status == Dealer.Status.PAUSED


@pytest.mark.parametrize(
    ("language", "claims"),
    [
        ("en", "Terminating ends 1 pending or approved claim of this dealer"),
        ("nl", "Als je de dealer beëindigt, vervalt 1 lopende of goedgekeurde claim"),
        ("de", "Wenn Sie den Händler kündigen, endet 1 offener oder genehmigter Claim"),
    ],
)
def test_the_dealer_page_previews_a_termination_and_the_claims_it_ends(
    client, world, language, claims
):
    from dealers.models import Claim
    from tests.factories import AccountFactory

    manager, beta = world["manager"], world["beta"]
    manager.language = language
    manager.save(update_fields=["language"])
    client.force_login(manager)
    account = AccountFactory()
    Claim.objects.create(
        dealer=beta,
        account=account,
        company_name=account.legal_name,
        country="NL",
        status=Claim.Status.PENDING,
    )
    written = snapshot()
    url = reverse("manage:dealer_status", args=[beta.pk])
    response = client.post(
        url,
        {"status": "terminated", "reason": "", "preview": "1"},
        HTTP_ACCEPT_LANGUAGE=language,
    )
    assert response.status_code == 200
    assert snapshot() == written
    page = response.content.decode()
    assert 'id="whatif-rerouted"' in page and 'id="whatif-claims-ended"' in page
    assert claims in page
    assert response.context["rerouted"] == response.context["preview"].moved >= 2
    assert response.context["status_form"]["status"].value() == "terminated"
    paused = client.post(url, {"status": "paused", "reason": "", "preview": "1"})
    assert 'id="whatif-claims-ended"' not in paused.content.decode()


@pytest.mark.parametrize(
    ("language", "note"),
    [
        ("en", "with the new capacity, and writes nothing"),
        ("nl", "met de nieuwe capaciteit heen waren gegaan"),
        ("de", "mit der neuen Kapazität gegangen wären"),
    ],
)
def test_the_dealer_page_previews_a_capacity_and_saves_it_on_apply(client, world, language, note):
    manager, beta = world["manager"], world["beta"]
    manager.language = language
    manager.save(update_fields=["language"])
    client.force_login(manager)
    url = reverse("manage:dealer_capacity", args=[beta.pk])
    written = snapshot()
    response = client.post(
        url, {"weekly_capacity": "0", "preview": "1"}, HTTP_ACCEPT_LANGUAGE=language
    )
    assert response.status_code == 200
    assert snapshot() == written
    page = response.content.decode()
    assert 'id="whatif"' in page and 'id="whatif-rerouted"' not in page
    assert note in page
    assert response.context["preview"].moved >= 2
    assert response.context["capacity_form"]["weekly_capacity"].value() == "0"
    assert client.post(url, {"weekly_capacity": "-1", "preview": "1"}).status_code == 400
    assert snapshot() == written

    assert client.post(url, {"weekly_capacity": "0"}).status_code == 302
    beta.refresh_from_db()
    assert beta.weekly_capacity == 0


def test_a_dealer_preview_of_its_own_status_gives_a_field_error(client, world):
    client.force_login(world["manager"])
    url = reverse("manage:dealer_status", args=[world["beta"].pk])
    response = client.post(url, {"status": "active", "preview": "1"})
    assert response.status_code == 400
    assert "status" in response.context["status_form"].errors
    response = client.post(url, {"status": "gone", "preview": "1"})
    assert "status" in response.context["status_form"].errors
    client.force_login(StaffFactory(role=Role.SALES_MANAGER).user)
    assert client.post(url, {"status": "paused", "preview": "1"}).status_code == 403


def test_every_preview_page_shows_each_moving_leads_reason_before_and_after(client, world):
    """Not only the rule's name: the sentence the lead page shows for the routing
    decision (``routing_reason``), as things are and with the proposal."""
    from django.utils import timezone
    from django.utils.html import escape

    from portal.messages import render_message

    client.force_login(world["manager"])
    override = {
        "weight": "0",
        "until": (timezone.localdate() + timedelta(days=30)).isoformat(),
        "reason": "Full",
        "preview": "1",
        "leads": "50",
    }
    responses = {
        "policy": client.post(
            reverse("manage:routing_policy"),
            policy_form(enterprise_threshold="150000", preview="1"),
        ),
        "territory": client.post(
            reverse("manage:territory_edit", args=[world["utrecht"].pk]),
            territory_form(world["utrecht"], world["gamma"], postcodes="3500-3699", preview="1"),
        ),
        "dealer": client.post(
            reverse("manage:dealer_status", args=[world["alpha"].pk]),
            {"status": "paused", "reason": "", "preview": "1"},
        ),
        "weights": client.get(
            reverse("manage:allocation_dealer", args=[world["beta"].pk]), override
        ),
    }
    for name, response in responses.items():
        assert response.status_code == 200, name
        page = response.content.decode()
        moves = response.context["preview"].moves
        assert moves, name
        for move in moves:
            before, after = render_message(move.before_reason), render_message(move.after_reason)
            assert before and after and before != after, name
            assert escape(before) in page and escape(after) in page, (name, before, after)
    big = {m.lead_id: m for m in responses["policy"].context["preview"].moves}[world["big"].pk]
    assert "Sophie Senior" in render_message(big.after_reason)
    assert "€200,000" in render_message(big.after_reason).replace("\xa0", "")


@pytest.mark.parametrize("language", ["nl", "de"])
def test_the_three_previews_read_in_dutch_and_german(client, world, language):
    """The previews are reached by POST only, so the locale walk never opens them."""
    from tests.locale_check import data_phrases, findings, visible_text

    manager = world["manager"]
    manager.language = language
    manager.save(update_fields=["language"])
    client.force_login(manager)
    data = data_phrases()
    responses = {
        "policy": client.post(
            reverse("manage:routing_policy"),
            policy_form(enterprise_threshold="150000", preview="1"),
            HTTP_ACCEPT_LANGUAGE=language,
        ),
        "territory": client.post(
            reverse("manage:territory_edit", args=[world["utrecht"].pk]),
            territory_form(world["utrecht"], world["gamma"], postcodes="3500-3699", preview="1"),
            HTTP_ACCEPT_LANGUAGE=language,
        ),
        "dealer": client.post(
            reverse("manage:dealer_status", args=[world["beta"].pk]),
            {"status": "paused", "reason": "", "preview": "1"},
            HTTP_ACCEPT_LANGUAGE=language,
        ),
    }
    problems = []
    for name, response in responses.items():
        assert response.status_code == 200, name
        html = response.content.decode()
        assert 'id="whatif"' in html, name
        problems += [f"{name}: {f}" for f in findings(visible_text(html), language, data)]
    assert not problems, "\n".join(problems)
    assert "€ 250.000" in responses["policy"].content.decode().replace("\xa0", " ")


# --- the territory CSV import -----------------------------------------------------------


def import_csv(world) -> str:
    """A file that changes every territory at once: Rijnmond all to Alpha (Beta weight
    0), Utrecht inactive, a new Amersfoort (3600-3699) for Beta."""
    alpha, beta, gamma = world["alpha"], world["beta"], world["gamma"]
    return (
        "name,country,sectors,active,postcodes,owners,notes\n"
        f"NL Rijnmond,NL,,yes,3000-3099,{alpha.slug}=1; {beta.slug}=0,\n"
        f"NL Utrecht,NL,,no,3500-3599,{gamma.slug}=1,\n"
        f"NL Amersfoort,NL,,yes,3600-3699,{beta.slug}=1,\n"
    )


def test_a_territory_file_is_previewed_as_a_whole_and_applied_alike(world):
    from territories.services import territories_import_csv
    from territories.services.preview import territories_import_preview

    alpha, beta, gamma = world["alpha"], world["beta"], world["gamma"]
    before = replayed_owners()
    written = snapshot()
    report, preview = territories_import_preview(
        text=import_csv(world), actor=world["manager"], limit=50, now=NOW
    )
    assert snapshot() == written
    assert (report.created, report.changed, report.errors) == (
        ["NL Amersfoort"],
        ["NL Rijnmond", "NL Utrecht"],
        [],
    )
    moves = {m.lead_id: m for m in preview.moves}
    utrecht_lead, outside = world["leads"][-2], world["leads"][-1]
    assert moves[outside.pk].after.key == ("dealer", beta.pk)
    assert moves[outside.pk].after_rule == "territory"
    assert moves[utrecht_lead.pk].before.key == ("dealer", gamma.pk)
    assert moves[utrecht_lead.pk].after.kind != "dealer"
    rijnmond = [lead.pk for lead in world["leads"][:5]] + [world["big"].pk]
    assert {before[pk] for pk in rijnmond} == {("dealer", alpha.pk), ("dealer", beta.pk)}
    assert all(expected_after(before, preview)[pk] == ("dealer", alpha.pk) for pk in rijnmond)
    assert counts(preview, "after").get(("dealer", gamma.pk)) is None

    applied = territories_import_csv(text=import_csv(world), actor=world["manager"], apply=True)
    assert applied.applied and not applied.errors
    assert replayed_owners() == expected_after(before, preview)


def test_a_territory_file_with_errors_is_not_previewed(world):
    from territories.services.preview import territories_import_preview

    text = import_csv(world).replace("3600-3699", "3699-3600").replace("=0", "=x")
    written = snapshot()
    report, preview = territories_import_preview(text=text, actor=world["manager"], now=NOW)
    assert preview is None and [line for line, _errors in report.errors] == [2, 4]
    limited = StaffFactory(role=Role.CHANNEL_MANAGER, countries=["DE"]).user
    report, preview = territories_import_preview(
        text=import_csv(world), actor=limited, allowed_countries={"DE"}, now=NOW
    )
    assert preview is None and len(report.errors) == 3
    assert snapshot() == written


def upload(world, **extra) -> dict:
    from django.core.files.uploadedfile import SimpleUploadedFile

    data = SimpleUploadedFile("territories.csv", import_csv(world).encode(), "text/csv")
    return {"file": data, "leads": "50", **extra}


def test_the_import_page_previews_the_file_and_apply_imports_it(client, world):
    """Upload: the check, the what-if preview with each moving lead's reasons before and
    after, an Apply form; nothing written. Apply: the same file, what the preview showed."""
    from django.utils.html import escape

    from portal.messages import render_message

    client.force_login(world["manager"])
    url = reverse("manage:territory_import")
    before = replayed_owners()
    written = snapshot()
    response = client.post(url, upload(world))
    assert response.status_code == 200
    assert snapshot() == written
    page = response.content.decode()
    assert 'id="whatif"' in page and 'id="whatif-moves"' in page and 'id="import-apply"' in page
    preview = response.context["preview"]
    assert preview.moved >= 3
    for move in preview.moves:
        before_reason = render_message(move.before_reason)
        after_reason = render_message(move.after_reason)
        assert before_reason != after_reason
        assert escape(before_reason) in page and escape(after_reason) in page
    signed = response.context["apply_form"].initial["content"]
    assert f'value="{signed}"' in page

    response = client.post(url, {"content": signed})
    assert response.status_code == 200
    assert b"Imported: 1 new, 2 changed, 0 unchanged." in response.content
    assert response.context["preview"] is None
    assert not Territory.objects.get(name="NL Utrecht").is_active
    assert replayed_owners() == expected_after(before, preview)


def test_the_import_page_applies_only_the_file_it_signed_for_this_user(client, world):
    client.force_login(world["manager"])
    url = reverse("manage:territory_import")
    signed = client.post(url, upload(world)).context["apply_form"].initial["content"]
    written = snapshot()
    other = StaffFactory(role=Role.CHANNEL_MANAGER).user
    for user, content in [(world["manager"], signed[:-2] + "xx"), (other, signed)]:
        client.force_login(user)
        response = client.post(url, {"content": content})
        assert response.status_code == 200
        assert b"upload it again" in response.content
        assert snapshot() == written
    client.force_login(StaffFactory(role=Role.SALES_MANAGER).user)
    assert client.post(url, {"content": signed}).status_code == 403
    assert snapshot() == written


def test_a_file_with_errors_shows_its_lines_and_no_preview(client, world):
    client.force_login(world["manager"])
    written = snapshot()
    bad = import_csv(world).replace("3600-3699", "3699-3600")
    from django.core.files.uploadedfile import SimpleUploadedFile

    response = client.post(
        reverse("manage:territory_import"),
        {"file": SimpleUploadedFile("t.csv", bad.encode(), "text/csv")},
    )
    page = response.content.decode()
    assert "Nothing was saved: fix these lines" in page and "Line 4" in page
    assert 'id="whatif"' not in page and 'id="import-apply"' not in page
    assert response.context["apply_form"] is None
    assert snapshot() == written


@pytest.mark.parametrize(
    ("language", "phrases"),
    [
        ("nl", ["Toepassen importeert het bestand", "Wat-als-voorbeeld"]),
        ("de", ["Übernehmen importiert die oben geprüfte Datei", "Was-wäre-wenn-Vorschau"]),
    ],
)
def test_the_import_preview_reads_in_dutch_and_german(client, world, language, phrases):
    from tests.locale_check import data_phrases, findings, visible_text

    manager = world["manager"]
    manager.language = language
    manager.save(update_fields=["language"])
    client.force_login(manager)
    response = client.post(
        reverse("manage:territory_import"), upload(world), HTTP_ACCEPT_LANGUAGE=language
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="whatif-moves"' in html
    for phrase in phrases:
        assert phrase in html
    problems = findings(visible_text(html), language, data_phrases())
    assert not problems, "\n".join(problems)
    signed = response.context["apply_form"].initial["content"]
    applied = client.post(
        reverse("manage:territory_import"),
        {"content": signed[:-1] + "x"},
        HTTP_ACCEPT_LANGUAGE=language,
    ).content.decode()
    expected = {"nl": "upload het opnieuw", "de": "Laden Sie sie erneut hoch"}[language]
    assert expected in applied

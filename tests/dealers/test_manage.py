"""The channel manager's dealer management: services (create, invite, pause or
terminate with rerouting, capacity) and pages (access, query counts, forms)."""

from collections import Counter
from datetime import timedelta

import pytest
from django.contrib.admin.models import LogEntry
from django.core import mail
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from dealers.models import Dealer, DealerMembership
from dealers.services import lifecycle as services
from leads import world as routing_world
from leads.models import Assignment, Lead, LeadEvent, LeadGroupObjectPermission
from leads.services import pipeline
from portal.users.models import Notification, Role, User
from tests.factories import DealerFactory, DealerMemberFactory, StaffFactory, territory_with
from tests.leads.pipeline_world import new_lead

pytestmark = pytest.mark.django_db


@pytest.fixture
def manager():
    return StaffFactory(role=Role.CHANNEL_MANAGER).user


@pytest.fixture
def shared():
    """Two dealers sharing one territory (3000-3099) with their users."""
    alpha, beta = DealerFactory(name="Alpha B.V."), DealerFactory(name="Beta B.V.")
    territory_with(name="NL Rijnmond", ranges=[(3000, 3099)], owners=[(alpha, 1), (beta, 1)])
    alpha_user = DealerMemberFactory(dealer=alpha).user
    DealerMemberFactory(dealer=beta)
    return alpha, beta, alpha_user


# --- services ----------------------------------------------------------------------


def test_creating_a_dealer_invites_its_admin(manager, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        dealer = services.dealer_create(
            actor=manager,
            name="Van Dijk Techniek B.V.",
            contact_email="info@vandijk.example",
            countries=["NL"],
            sectors=["food"],
            weekly_capacity=20,
            admin_name="Petra van Dijk",
            admin_email="Petra@VanDijk.example",
        )
    assert (dealer.slug, dealer.status, dealer.weekly_capacity) == (
        "van-dijk-techniek-bv",
        Dealer.Status.ACTIVE,
        20,
    )
    membership = DealerMembership.objects.get(dealer=dealer)
    assert membership.role == Role.DEALER_ADMIN
    assert membership.user.email == "petra@vandijk.example"
    assert not membership.user.has_usable_password()
    assert [m.to for m in mail.outbox] == [["petra@vandijk.example"]]
    assert LogEntry.objects.filter(object_id=str(dealer.pk)).count() == 2  # created, invited


def test_a_taken_admin_address_creates_nothing(manager):
    DealerMemberFactory(user__email="taken@example.com")
    with pytest.raises(ValidationError) as error:
        services.dealer_create(
            actor=manager,
            name="Nieuw B.V.",
            contact_email="info@nieuw.example",
            countries=["NL"],
            admin_email="taken@example.com",
        )
    assert "email" in error.value.message_dict
    assert not Dealer.objects.filter(name="Nieuw B.V.").exists()


def test_pausing_routes_the_open_leads_again_each_with_an_event(manager, shared):
    alpha, beta, alpha_user = shared
    leads = [new_lead(postcode="3011 AB") for _ in range(4)]
    mine = [lead for lead in leads if lead.owner_dealer == alpha]
    assert len(mine) == 2
    won = mine[0]
    pipeline.lead_accept(
        lead=won, actor=alpha_user, next_step="Call", next_step_on=timezone.localdate()
    )
    pipeline.lead_set_status(lead=won, actor=alpha_user, status=Lead.Status.WON, won_value="1000")

    moved = services.dealer_set_status(
        dealer=alpha, status=Dealer.Status.PAUSED, actor=manager, reason="Holiday closure"
    )

    assert moved == 1
    open_one = mine[1]
    open_one.refresh_from_db()
    won.refresh_from_db()
    assert open_one.owner_dealer == beta
    assert won.owner_dealer == alpha and won.status == Lead.Status.WON
    event = open_one.events.get(kind=LeadEvent.Kind.REASSIGNED)
    assert event.actor == manager
    assert event.from_owner["id"] == alpha.pk and event.to_owner["id"] == beta.pk
    assert event.data["note"]["params"] == {"dealer": "Alpha B.V.", "reason": "Holiday closure"}
    stint = open_one.assignments.get(owner_dealer=alpha)
    assert stint.end_reason == Assignment.EndReason.REASSIGNED
    assert not LeadGroupObjectPermission.objects.filter(
        content_object=open_one, group=alpha.group
    ).exists()
    assert Notification.objects.filter(recipient=alpha_user, kind="recycled").exists()
    # The paused dealer gets no new leads.
    assert {new_lead(postcode="3011 AB").owner_dealer for _ in range(3)} == {beta}
    entry = LogEntry.objects.filter(object_id=str(alpha.pk)).latest("pk")
    assert "Holiday closure" in entry.get_change_message()


def test_terminating_also_routes_again_and_reactivating_routes_nothing_back(manager, shared):
    alpha, beta, _user = shared
    leads = [new_lead(postcode="3011 AB") for _ in range(2)]
    assert Counter(lead.owner_dealer for lead in leads) == {alpha: 1, beta: 1}
    assert (
        services.dealer_set_status(
            dealer=alpha, status=Dealer.Status.TERMINATED, actor=manager, reason="Contract ended"
        )
        == 1
    )
    assert (
        services.dealer_set_status(
            dealer=alpha, status=Dealer.Status.ACTIVE, actor=manager, reason="New contract"
        )
        == 0
    )
    assert set(Lead.objects.values_list("owner_dealer", flat=True)) == {beta.pk}


def test_terminating_ends_the_dealers_open_claims_so_another_dealer_can_claim(manager, shared):
    from datetime import timedelta

    from dealers.models import Claim
    from tests.factories import AccountFactory

    alpha, beta, _user = shared
    now = timezone.now()
    account, prospect, old = AccountFactory(), AccountFactory(), AccountFactory()

    def claim(dealer, company, status, expires_at=now + timedelta(days=60)):
        return Claim.objects.create(
            dealer=dealer,
            account=company,
            company_name=company.legal_name,
            country=company.country,
            status=status,
            approved_at=now if status == Claim.Status.APPROVED else None,
            expires_at=expires_at if status == Claim.Status.APPROVED else None,
        )

    approved = claim(alpha, account, Claim.Status.APPROVED)
    pending = claim(alpha, prospect, Claim.Status.PENDING)
    expired = claim(alpha, old, Claim.Status.EXPIRED)

    services.dealer_set_status(
        dealer=alpha, status=Dealer.Status.PAUSED, actor=manager, reason="Holiday closure"
    )
    approved.refresh_from_db()
    assert approved.status == Claim.Status.APPROVED  # a pause keeps the claims

    services.dealer_set_status(
        dealer=alpha, status=Dealer.Status.TERMINATED, actor=manager, reason="Contract ended"
    )
    for one in (approved, pending, expired):
        one.refresh_from_db()
    assert (approved.status, pending.status, expired.status) == (
        Claim.Status.WITHDRAWN,
        Claim.Status.WITHDRAWN,
        Claim.Status.EXPIRED,
    )
    assert approved.decided_by == manager and "Contract ended" in approved.decision_reason
    claim(beta, account, Claim.Status.APPROVED)  # the database allows it again
    entry = LogEntry.objects.filter(object_id=str(alpha.pk)).latest("pk")
    assert "2 claims ended" in entry.get_change_message()


@pytest.mark.parametrize(
    ("status", "reason", "field"),
    [("active", "x", "status"), ("paused", "  ", "reason"), ("sleeping", "x", "status")],
)
def test_a_status_change_needs_a_new_status_and_a_reason(manager, shared, status, reason, field):
    alpha, _beta, _user = shared
    with pytest.raises(ValidationError) as error:
        services.dealer_set_status(dealer=alpha, status=status, actor=manager, reason=reason)
    assert field in error.value.message_dict
    alpha.refresh_from_db()
    assert alpha.status == Dealer.Status.ACTIVE


def test_capacity_zero_sends_new_leads_elsewhere(manager, shared):
    alpha, beta, _user = shared
    services.dealer_set_capacity(dealer=alpha, weekly_capacity=0, actor=manager)
    assert {new_lead(postcode="3011 AB").owner_dealer for _ in range(3)} == {beta}
    services.dealer_set_capacity(dealer=alpha, weekly_capacity=None, actor=manager)
    assert alpha in {new_lead(postcode="3011 AB").owner_dealer for _ in range(3)}


def test_a_weekly_capacity_counts_the_dealers_own_leads_of_the_last_seven_days(manager, shared):
    """Only the limited dealer's stints of the last 7 days count towards its capacity:
    not another dealer's, not older ones."""
    alpha, beta, _user = shared
    services.dealer_set_capacity(dealer=alpha, weekly_capacity=2, actor=manager)
    old = new_lead(postcode="3011 AB")
    eight_days_ago = timezone.now() - timedelta(days=8)
    Assignment.objects.filter(lead=old).update(owner_dealer=alpha, started_at=eight_days_ago)
    owners = Counter(new_lead(postcode="3011 AB").owner_dealer for _ in range(8))
    assert (owners[alpha], owners[beta]) == (2, 6)


# --- pages ---------------------------------------------------------------------------


@pytest.fixture
def signed_in(client, manager):
    client.force_login(manager)
    return manager


def dealer_pages(dealer):
    return [
        reverse("manage:dealer_list"),
        reverse("manage:dealer_create"),
        reverse("manage:dealer_detail", args=[dealer.pk]),
        reverse("manage:dealer_edit", args=[dealer.pk]),
    ]


def test_the_channel_manager_opens_the_pages(client, signed_in, shared):
    for url in dealer_pages(shared[0]):
        assert client.get(url).status_code == 200, url


@pytest.mark.parametrize("who", ["dealer_admin", Role.INTERNAL_SALES, Role.SENIOR_REP])
def test_others_get_403(client, shared, who):
    alpha = shared[0]
    if who == "dealer_admin":
        user = DealerMemberFactory(dealer=alpha, role=Role.DEALER_ADMIN).user
    else:
        user = StaffFactory(role=who).user
    client.force_login(user)
    for url in dealer_pages(alpha):
        assert client.get(url).status_code == 403, url
    for name in ("manage:dealer_status", "manage:dealer_capacity", "manage:dealer_invite"):
        url = reverse(name, args=[alpha.pk])
        assert client.post(url, {"status": "paused", "reason": "x"}).status_code == 403
    alpha.refresh_from_db()
    assert alpha.status == Dealer.Status.ACTIVE


def test_anonymous_is_sent_to_login_and_wrong_methods_are_405(client, shared):
    alpha = shared[0]
    response = client.get(reverse("manage:dealer_list"))
    assert response.status_code == 302 and "/login/" in response["Location"]
    client.force_login(StaffFactory(role=Role.CHANNEL_MANAGER).user)
    assert client.get(reverse("manage:dealer_status", args=[alpha.pk])).status_code == 405
    assert client.post(reverse("manage:dealer_list")).status_code == 405


def test_a_manager_for_other_countries_does_not_see_the_dealer(client, shared):
    alpha = shared[0]
    client.force_login(StaffFactory(role=Role.CHANNEL_MANAGER, countries=["DE"]).user)
    assert client.get(reverse("manage:dealer_detail", args=[alpha.pk])).status_code == 404
    german = DealerFactory(name="Berliner GmbH", countries=["DE"])
    page = client.get(reverse("manage:dealer_list")).content.decode()
    assert "Berliner GmbH" in page and "Alpha B.V." not in page
    assert client.get(reverse("manage:dealer_detail", args=[german.pk])).status_code == 200


def test_the_list_query_count_does_not_grow_with_dealers(client, signed_in, shared):
    url = reverse("manage:dealer_list")
    new_lead(postcode="3011 AB")
    with CaptureQueriesContext(connection) as few:
        client.get(url)
    for _n in range(6):
        DealerMemberFactory(dealer=DealerFactory())
    new_lead(postcode="3011 AB")
    with CaptureQueriesContext(connection) as many:
        response = client.get(url)
    assert len(many) == len(few)
    assert response.context["dealers"][0].open_leads >= 0


def test_the_detail_query_count_does_not_grow_with_members(client, signed_in, shared):
    alpha = shared[0]
    url = reverse("manage:dealer_detail", args=[alpha.pk])
    # Measured after a first request (content types cached, whatever ran before) and
    # with the world cache forgotten each time: run alone, this test counted one more.
    client.get(url)
    routing_world.reset()
    with CaptureQueriesContext(connection) as few:
        client.get(url)
    for _n in range(4):
        DealerMemberFactory(dealer=alpha)
    routing_world.reset()
    with CaptureQueriesContext(connection) as many:
        client.get(url)
    assert len(many) == len(few)


def test_creating_pausing_and_inviting_through_the_pages(client, signed_in, shared):
    response = client.post(
        reverse("manage:dealer_create"),
        {
            "name": "Gelderse Agri B.V.",
            "contact_email": "info@gelderse.example",
            "language": "nl",
            "countries": ["NL"],
            "sectors": ["agriculture"],
            "weekly_capacity": "",
            "admin_name": "",
            "admin_email": "",
        },
    )
    dealer = Dealer.objects.get(name="Gelderse Agri B.V.")
    assert response["Location"] == reverse("manage:dealer_detail", args=[dealer.pk])

    response = client.post(
        reverse("manage:dealer_invite", args=[dealer.pk]),
        {"name": "Gert Admin", "email": "gert@gelderse.example"},
    )
    assert response.status_code == 302
    assert User.objects.get(email="gert@gelderse.example").dealermembership.dealer == dealer

    response = client.post(reverse("manage:dealer_status", args=[dealer.pk]), {"status": "paused"})
    assert response.status_code == 400 and b"This field is required" in response.content
    response = client.post(
        reverse("manage:dealer_status", args=[dealer.pk]),
        {"status": "paused", "reason": "Stock-taking"},
        follow=True,
    )
    assert b"is now Paused; 0 open leads were routed again." in response.content
    dealer.refresh_from_db()
    assert dealer.status == Dealer.Status.PAUSED

    response = client.post(
        reverse("manage:dealer_capacity", args=[dealer.pk]), {"weekly_capacity": "-3"}
    )
    assert response.status_code == 400
    response = client.post(
        reverse("manage:dealer_capacity", args=[dealer.pk]), {"weekly_capacity": "12"}
    )
    dealer.refresh_from_db()
    assert dealer.weekly_capacity == 12


def test_inviting_an_address_in_use_shows_the_error(client, signed_in, shared):
    alpha = shared[0]
    taken = User.objects.filter(dealermembership__dealer=alpha).first()
    response = client.post(
        reverse("manage:dealer_invite", args=[alpha.pk]), {"name": "X", "email": taken.email}
    )
    assert response.status_code == 400
    assert b"already has an account" in response.content


def test_editing_a_dealer(client, signed_in, shared):
    alpha = shared[0]
    response = client.post(
        reverse("manage:dealer_edit", args=[alpha.pk]),
        {
            "name": "Alpha Techniek B.V.",
            "contact_email": alpha.contact_email,
            "language": "de",
            "countries": ["NL", "BE"],
            "sectors": [],
        },
    )
    assert response.status_code == 302
    alpha.refresh_from_db()
    assert (alpha.name, alpha.language) == ("Alpha Techniek B.V.", "de")
    assert sorted(c.code for c in alpha.countries) == ["BE", "NL"]

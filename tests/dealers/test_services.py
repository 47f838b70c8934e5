"""Claims and the dealer's team, through the real services."""

import threading
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.db import connection

from dealers import services
from dealers.models import Claim, ClaimEvent, ClaimGroupObjectPermission
from dealers.services.claim_grants import claim_permissions_grant
from leads.models import Account, Lead, LeadEvent, Policy
from leads.services import pipeline
from leads.services.cleaning import clean_lead_fields
from leads.services.intake import lead_intake
from leads.services.sla import sla_sweep
from portal.messages import render_message
from portal.users.models import Notification, User
from tests.dealers.conftest import company
from tests.factories import (
    AccountFactory,
    DealerFactory,
    DealerMemberFactory,
    InstalledProductFactory,
    territory_with,
)

pytestmark = pytest.mark.django_db

AMS = ZoneInfo("Europe/Amsterdam")
T0 = datetime(2026, 3, 2, 10, 0, tzinfo=AMS)


def submit(side, name="Havenbedrijf Techniek B.V.", now=T0, **fields) -> Claim:
    return services.claim_submit(
        dealer=side.dealer, submitted_by=side.admin, data=company(name, **fields), now=now
    )


def set_policy(**values) -> None:
    policy = Policy.current()
    for name, value in values.items():
        setattr(policy, name, value)
    policy.save()


def notes_of(user) -> list[str]:
    return [
        f"{render_message(n.subject)} {render_message(n.body)}"
        for n in Notification.objects.filter(recipient=user, kind=Notification.Kind.CLAIM)
    ]


# --- submitting ---------------------------------------------------------------------


def test_a_clean_claim_is_approved_at_once_for_the_policy_period(world):
    claim = submit(world.mine, vat_number="NL 0044.95.445.B01", website="https://www.haven.nl")

    assert claim.status == Claim.Status.APPROVED
    assert claim.conflicts == []
    assert claim.approved_at == T0
    assert claim.expires_at == T0 + timedelta(days=90)
    assert claim.reminder_due_at == claim.expires_at - timedelta(days=7)
    # A prospect account was created from the company fields, normalised.
    account = claim.account
    assert account.vat_number == "NL004495445B01"
    assert account.website_domain == "haven.nl"
    assert account.installed_base.count() == 0
    # The dealer's people may see and change it; the competitor's may not.
    claim = Claim.objects.get(pk=claim.pk)
    for person in (world.mine.admin, world.mine.user):
        person = User.objects.get(pk=person.pk)
        assert person.has_perm("dealers.view_claim", claim)
        assert person.has_perm("dealers.change_claim", claim)
    assert not User.objects.get(pk=world.theirs.user.pk).has_perm("dealers.view_claim", claim)


def test_claim_permissions_are_granted_set_wise_and_once(world):
    mine = submit(world.mine)
    theirs = submit(world.theirs, name="Rotterdam Pompen B.V.")
    ClaimGroupObjectPermission.objects.all().delete()
    claims = list(Claim.objects.filter(pk__in=[mine.pk, theirs.pk]))  # no dealer loaded

    claim_permissions_grant(claims)
    claim_permissions_grant(claims)

    assert ClaimGroupObjectPermission.objects.count() == 4
    for claim, side, other in (
        (mine, world.mine, world.theirs),
        (theirs, world.theirs, world.mine),
    ):
        person = User.objects.get(pk=side.user.pk)
        assert person.has_perm("dealers.view_claim", claim)
        assert person.has_perm("dealers.change_claim", claim)
        assert not User.objects.get(pk=other.user.pk).has_perm("dealers.view_claim", claim)


def test_without_auto_approval_a_clean_claim_waits_for_the_channel_manager(world):
    set_policy(auto_approve_clean_claims=False)

    claim = submit(world.mine)

    assert claim.status == Claim.Status.PENDING
    assert claim.conflicts == []
    assert claim.expires_at is None
    assert Notification.objects.filter(
        recipient=world.channel_manager, kind=Notification.Kind.CLAIM
    ).exists()


def test_an_existing_customer_goes_to_review_on_its_account(world):
    customer = InstalledProductFactory(
        account=AccountFactory(legal_name="Havenbedrijf Techniek B.V.")
    ).account
    accounts = Account.objects.count()

    claim = submit(world.mine, name="Havenbedrijf Techniek BV")

    assert claim.status == Claim.Status.PENDING
    assert claim.account == customer
    assert claim.conflicts == [{"kind": "customer", "account_id": customer.pk}]
    assert Account.objects.count() == accounts
    assert services.conflict_messages(claim.conflicts) == [
        "This company is an existing customer of ours: your channel manager will review."
    ]


def test_another_dealers_claim_is_a_conflict_that_does_not_name_that_dealer(world):
    theirs = submit(world.theirs, vat_number="NL004495445B01")
    assert theirs.status == Claim.Status.APPROVED

    check = services.claim_check(
        dealer=world.mine.dealer,
        data={"company_name": "Other name", "country": "NL", "vat_number": "NL004495445B01"},
        now=T0 + timedelta(hours=1),
    )
    assert check.account == theirs.account
    assert [(c["kind"], c["claim_id"]) for c in check.conflicts] == [("claim", theirs.pk)]
    assert check.messages == ["This company already has an active claim by another dealer."]
    assert world.theirs.dealer.name not in " ".join(check.messages)

    mine = submit(world.mine, vat_number="NL004495445B01", now=T0 + timedelta(hours=1))
    assert mine.status == Claim.Status.PENDING
    assert mine.conflicts[0]["claim_id"] == theirs.pk
    assert Claim.objects.get(pk=theirs.pk).status == Claim.Status.APPROVED


def test_a_pending_claim_of_another_dealer_is_a_conflict_too(world):
    InstalledProductFactory(account=AccountFactory(legal_name="Havenbedrijf Techniek B.V."))
    theirs = submit(world.theirs)
    assert theirs.status == Claim.Status.PENDING

    check = services.claim_check(dealer=world.mine.dealer, data=company(), now=T0)

    assert {c["kind"] for c in check.conflicts} == {"customer", "claim"}
    assert (
        "Another dealer has also registered this company: your channel manager will review."
        in check.messages
    )


def test_an_open_lead_is_a_conflict_unless_it_is_the_dealers_own(world):
    territory_with(name="Rijnmond", ranges=[(3000, 3299)], owners=[(world.mine.dealer, 1)])
    lead = lead_intake(
        data=clean_lead_fields(
            {
                "company_name": "Havenbedrijf Techniek B.V.",
                "country": "NL",
                "postcode": "3011",
                "contact_email": "jan@havenbedrijf.example",
            }
        ),
        source="api",
        now=T0,
    ).lead
    assert lead.owner_dealer == world.mine.dealer

    own = services.claim_check(dealer=world.mine.dealer, data=company(), now=T0)
    other = services.claim_check(dealer=world.theirs.dealer, data=company(), now=T0)

    assert own.conflicts == []
    assert [c["kind"] for c in other.conflicts] == ["open_lead"]
    assert other.conflicts[0]["lead_id"] == lead.pk
    assert other.messages == ["There is an open lead for this company."]


def test_a_dealer_cannot_claim_the_same_company_twice(world):
    submit(world.mine)
    with pytest.raises(ValidationError) as error:
        submit(world.mine, name="Havenbedrijf Techniek BV")
    assert "already have a claim" in error.value.messages[0]
    assert Claim.objects.filter(dealer=world.mine.dealer).count() == 1


def test_no_land_grabs_beyond_the_active_claim_limit(world):
    set_policy(max_active_claims=2)
    submit(world.mine, name="First B.V.")
    first_withdrawn = submit(world.mine, name="Second B.V.")
    with pytest.raises(ValidationError) as error:
        submit(world.mine, name="Third B.V.")
    assert error.value.code == "claim_limit"
    # A withdrawn claim frees its place.
    services.claim_withdraw(claim=first_withdrawn, actor=world.mine.admin, now=T0)
    assert submit(world.mine, name="Third B.V.").status == Claim.Status.APPROVED


def test_bad_input_gets_a_message_per_field_and_writes_nothing(world):
    claims, accounts = Claim.objects.count(), Account.objects.count()
    with pytest.raises(ValidationError) as error:
        services.claim_submit(
            dealer=world.mine.dealer,
            submitted_by=world.mine.admin,
            data={
                "company_name": " ",
                "country": "XX",
                "vat_number": "NL123",
                "contact_email": "not-an-address",
                "expected_value": "-5",
            },
        )
    assert set(error.value.message_dict) == {
        "company_name",
        "country",
        "vat_number",
        "contact_email",
        "expected_value",
    }
    with pytest.raises(ValidationError) as error:
        services.claim_submit(
            dealer=world.mine.dealer,
            submitted_by=world.mine.admin,
            data=company(postcode="ABC"),
        )
    assert set(error.value.message_dict) == {"postcode"}
    assert (Claim.objects.count(), Account.objects.count()) == (claims, accounts)


def expiry_notes(*claims: Claim) -> list[tuple[int, str]]:
    """(recipient, company) of every "claim expired" notification."""
    return sorted(
        (n.recipient_id, n.subject["params"]["company"])
        for n in Notification.objects.filter(kind=Notification.Kind.CLAIM)
        if n.subject["msgid"] == "Claim expired: %(company)s"
    )


def expired_events(claim: Claim) -> int:
    return claim.events.filter(kind=ClaimEvent.Kind.EXPIRED).count()


def test_a_stale_approved_claim_is_expired_when_the_company_is_claimed_again(
    world, django_capture_on_commit_callbacks
):
    theirs = submit(world.theirs)
    later = T0 + timedelta(days=91)  # the sweep has not expired it yet

    with django_capture_on_commit_callbacks(execute=True):
        mine = submit(world.mine, now=later)

    assert mine.status == Claim.Status.APPROVED
    assert mine.account == theirs.account
    theirs.refresh_from_db()
    assert theirs.status == Claim.Status.EXPIRED
    assert theirs.reminder_due_at is None
    # Expired as the sweep expires claims: in the history once, and its dealer is told
    # (regression: this path wrote the event but told nobody, and the sweep then skipped
    # the claim, so the dealer never heard its protection had ended).
    assert expired_events(theirs) == 1
    told = [(u.pk, "Havenbedrijf Techniek B.V.") for u in (world.theirs.admin, world.theirs.user)]
    assert expiry_notes() == sorted(told)
    assert any("Claim expired" in m.subject for m in mail.outbox)
    # The sweep that comes by afterwards has nothing left to do.
    run = sla_sweep(now=later + timedelta(minutes=1))
    assert run.claim_expiries == 0
    assert expired_events(theirs) == 1 and expiry_notes() == sorted(told)


def test_a_claim_expires_once_however_often_the_service_runs(
    world, django_capture_on_commit_callbacks
):
    mine = submit(world.mine)
    submit(world.mine, name="Nog Geldig B.V.", now=T0 + timedelta(days=30))
    at_end = mine.expires_at

    assert services.claims_expire(now=at_end - timedelta(seconds=1)).claim_ids == []
    with django_capture_on_commit_callbacks(execute=True):
        expired = services.claims_expire(now=at_end)
    assert (expired.claim_ids, expired.notifications) == ([mine.pk], 2)
    assert services.claims_expire(now=at_end + timedelta(days=1)).claim_ids == []
    assert sla_sweep(now=at_end + timedelta(days=1)).claim_expiries == 0
    mine.refresh_from_db()
    assert (mine.status, mine.reminder_due_at, expired_events(mine)) == ("expired", None, 1)
    assert expiry_notes() == sorted(
        (u.pk, "Havenbedrijf Techniek B.V.") for u in (world.mine.admin, world.mine.user)
    )
    notes = [render_message(n.body) for n in Notification.objects.filter(recipient=world.mine.user)]
    assert any("no longer protected for you" in body for body in notes)


# --- the review ---------------------------------------------------------------------


def test_approving_while_another_dealer_holds_the_company_is_refused_clearly(world):
    theirs = submit(world.theirs)
    mine = submit(world.mine, now=T0 + timedelta(hours=1))
    assert mine.status == Claim.Status.PENDING

    with pytest.raises(ValidationError) as error:
        services.claim_approve(claim=mine, actor=world.channel_manager, now=T0 + timedelta(hours=2))
    assert error.value.code == "claim_held"
    mine.refresh_from_db()
    assert mine.status == Claim.Status.PENDING
    assert Claim.objects.get(pk=theirs.pk).status == Claim.Status.APPROVED


def test_approval_notifies_both_dealers_without_naming_the_other(world):
    theirs = submit(world.theirs)
    mine = submit(world.mine, now=T0 + timedelta(hours=1))
    services.claim_withdraw(claim=theirs, actor=world.theirs.admin, now=T0 + timedelta(hours=2))
    Notification.objects.all().delete()

    approved = services.claim_approve(
        claim=mine,
        actor=world.channel_manager,
        reason="They have been working on it for months.",
        now=T0 + timedelta(hours=3),
    )

    assert approved.status == Claim.Status.APPROVED
    assert approved.decided_by == world.channel_manager
    assert approved.decision_reason == "They have been working on it for months."
    assert approved.expires_at == T0 + timedelta(hours=3, days=90)
    [mine_note] = notes_of(world.mine.admin)
    assert "Claim approved" in mine_note
    [their_note] = notes_of(world.theirs.admin)
    assert "another dealer's claim" in their_note
    assert world.mine.dealer.name not in their_note
    assert not notes_of(world.mine.user)  # admins and the submitter, not everyone


def test_rejection_needs_a_reason_and_tells_the_dealer(world):
    InstalledProductFactory(account=AccountFactory(legal_name="Havenbedrijf Techniek B.V."))
    claim = submit(world.mine)

    with pytest.raises(ValidationError):
        services.claim_reject(claim=claim, actor=world.channel_manager, reason=" ")
    rejected = services.claim_reject(
        claim=claim, actor=world.channel_manager, reason="Direct sales is negotiating."
    )

    assert rejected.status == Claim.Status.REJECTED
    assert rejected.decided_by == world.channel_manager
    assert any("Direct sales is negotiating." in n for n in notes_of(world.mine.admin))
    with pytest.raises(ValidationError):
        services.claim_approve(claim=rejected, actor=world.channel_manager)


# --- renew and withdraw -------------------------------------------------------------


def test_a_claim_is_renewed_once_from_its_expiry(world):
    claim = submit(world.mine)
    first_expiry = claim.expires_at

    renewed = services.claim_renew(claim=claim, actor=world.mine.user, now=T0 + timedelta(days=85))

    assert renewed.renewals == 1
    assert renewed.expires_at == first_expiry + timedelta(days=90)
    assert renewed.reminder_due_at == renewed.expires_at - timedelta(days=7)
    with pytest.raises(ValidationError) as error:
        services.claim_renew(claim=claim, actor=world.mine.user, now=T0 + timedelta(days=86))
    assert error.value.code == "renewals_used"


def test_an_expired_claim_cannot_be_renewed(world):
    claim = submit(world.mine)
    with pytest.raises(ValidationError) as error:
        services.claim_renew(claim=claim, actor=world.mine.user, now=T0 + timedelta(days=90))
    assert error.value.code == "not_active"
    assert Claim.objects.get(pk=claim.pk).renewals == 0


def test_withdrawing_ends_the_claim_once(world):
    claim = submit(world.mine)

    services.claim_withdraw(claim=claim, actor=world.mine.user, reason="Lost interest")

    claim.refresh_from_db()
    assert claim.status == Claim.Status.WITHDRAWN
    assert claim.decision_reason == "Lost interest"
    assert claim.reminder_due_at is None
    with pytest.raises(ValidationError):
        services.claim_withdraw(claim=claim, actor=world.mine.user)


# --- the team -----------------------------------------------------------------------


def test_an_invited_colleague_gets_an_account_and_an_e_mail(
    world, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        membership = services.member_invite(
            dealer=world.mine.dealer,
            email="Nieuw@Rijnmond.example",
            name="Nieuwe Collega",
            role="dealer_user",
            invited_by=world.mine.admin,
        )

    user = membership.user
    assert membership.dealer == world.mine.dealer
    assert user.email == "nieuw@rijnmond.example"
    assert not user.has_usable_password()
    assert user.groups.filter(pk=world.mine.dealer.group_id).exists()
    assert [m.to for m in mail.outbox] == [["nieuw@rijnmond.example"]]
    with pytest.raises(ValidationError) as error:
        services.member_invite(
            dealer=world.mine.dealer,
            email="nieuw@rijnmond.example",
            name="Again",
            invited_by=world.mine.admin,
        )
    assert set(error.value.message_dict) == {"email"}


def test_a_deactivated_colleagues_open_leads_return_to_the_team(world):
    territory_with(name="Rijnmond", ranges=[(3000, 3299)], owners=[(world.mine.dealer, 1)])
    leads = [
        lead_intake(
            data=clean_lead_fields(
                {
                    "company_name": f"Prospect {n} B.V.",
                    "country": "NL",
                    "postcode": "3011",
                    "contact_email": f"info@prospect{n}.example",
                }
            ),
            source="api",
            now=T0,
        ).lead
        for n in range(3)
    ]
    for lead in leads:
        pipeline.lead_hand_over_to_colleague(
            lead=lead, actor=world.mine.admin, colleague=world.mine.user, now=T0
        )
    pipeline.lead_set_status(
        lead=leads[2],
        actor=world.mine.user,
        status="lost",
        reason="no_budget",
        now=T0 + timedelta(hours=1),
    )
    membership = world.mine.user.dealer_membership

    returned = services.member_deactivate(
        membership=membership, actor=world.mine.admin, now=T0 + timedelta(hours=2)
    )

    assert returned == 2
    assert not User.objects.get(pk=world.mine.user.pk).is_active
    admin = User.objects.get(pk=world.mine.admin.pk)
    for lead in leads[:2]:
        lead.refresh_from_db()
        assert lead.dealer_assignee is None
        assert admin.has_perm("leads.act_on_lead", lead)
        event = lead.events.filter(kind=LeadEvent.Kind.HANDED_OVER).last()
        assert event.actor == world.mine.admin
        assert world.mine.user.name in render_message(event.reason)
    # The closed lead keeps who handled it.
    assert Lead.objects.get(pk=leads[2].pk).dealer_assignee_id == world.mine.user.pk
    # Twice changes nothing; nobody deactivates themselves.
    assert services.member_deactivate(membership=membership, actor=world.mine.admin) == 0
    with pytest.raises(ValidationError):
        services.member_deactivate(
            membership=world.mine.admin.dealer_membership, actor=world.mine.admin
        )


# --- concurrency (PostgreSQL) --------------------------------------------------------


def claim_at_once(dealers, data: dict) -> list[Exception]:
    """Each dealer submits a claim on ``data`` in its own thread, released together;
    returns the errors raised."""
    barrier = threading.Barrier(len(dealers))
    errors = []

    def claim(dealer):
        try:
            barrier.wait()
            services.claim_submit(dealer=dealer, submitted_by=None, data=data)
        except Exception as error:  # the caller's assertion shows it
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=claim, args=(d,)) for d in dealers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return errors


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_dealers_claiming_one_company_at_once_get_one_approval_and_no_error():
    account = AccountFactory(legal_name="Gewilde Prospect B.V.")
    dealers = [DealerFactory(), DealerFactory()]

    assert claim_at_once(dealers, company("Gewilde Prospect B.V.")) == []
    claims = {c.dealer_id: c for c in Claim.objects.filter(account=account)}
    statuses = sorted(c.status for c in claims.values())
    assert statuses == [Claim.Status.APPROVED, Claim.Status.PENDING]
    [pending] = [c for c in claims.values() if c.status == Claim.Status.PENDING]
    [approved] = [c for c in claims.values() if c.status == Claim.Status.APPROVED]
    assert {"kind": "claim", "claim_id": approved.pk}.items() <= pending.conflicts[0].items()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_dealers_claiming_a_new_company_at_once_make_one_account_and_one_approval():
    """No account exists yet: without a lock each submission would create its own
    prospect account and both claims would be approved, one per account."""
    dealers = [DealerFactory(), DealerFactory()]
    data = company("Nieuwe Prospect B.V.", website="https://nieuwe-prospect.example")

    assert claim_at_once(dealers, data) == []
    assert Account.objects.filter(normalized_name="nieuwe prospect").count() == 1
    statuses = sorted(Claim.objects.values_list("status", flat=True))
    assert statuses == [Claim.Status.APPROVED, Claim.Status.PENDING]
    pending = Claim.objects.get(status=Claim.Status.PENDING)
    assert pending.conflicts and pending.conflicts[0]["kind"] == "claim"


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_the_sweep_and_new_claims_expiring_the_same_claims_at_once_tell_the_dealer_once():
    """Another dealer claims ten companies whose claims ran out while the sweep expires
    them: each stale claim expires once, its dealer is told once, every new claim is
    approved."""
    old_dealer, new_dealer = DealerFactory(), DealerFactory()
    people = [DealerMemberFactory(dealer=old_dealer).user for _ in range(2)]
    names = [f"Verlopen Prospect {n} B.V." for n in range(10)]
    stale = [
        services.claim_submit(dealer=old_dealer, submitted_by=None, data=company(name), now=T0)
        for name in names
    ]
    later = T0 + timedelta(days=91)
    barrier = threading.Barrier(2)
    errors = []

    def sweep():
        try:
            barrier.wait()
            sla_sweep(now=later, batch_size=3)
        except Exception as error:  # the assertion below shows it
            errors.append(error)
        finally:
            connection.close()

    def claim_them():
        try:
            barrier.wait()
            for name in names:
                services.claim_submit(
                    dealer=new_dealer, submitted_by=None, data=company(name), now=later
                )
        except Exception as error:
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=sweep), threading.Thread(target=claim_them)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    assert set(Claim.objects.filter(dealer=old_dealer).values_list("status", flat=True)) == {
        Claim.Status.EXPIRED
    }
    assert set(Claim.objects.filter(dealer=new_dealer).values_list("status", flat=True)) == {
        Claim.Status.APPROVED
    }
    assert [expired_events(c) for c in stale] == [1] * 10
    assert expiry_notes() == sorted((u.pk, name) for u in people for name in names)

"""Every change of a claim is an immutable event with its actor and reason (DESIGN.md,
"Security and privacy"), shown to the dealer on the claim's page."""

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db import DatabaseError, connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from dealers import services
from dealers.models import ClaimEvent, Dealer
from dealers.services import lifecycle
from leads import world as routing_world
from portal.messages import render_message
from tests.dealers.test_services import T0, set_policy, submit

pytestmark = pytest.mark.django_db


def history(claim) -> list[tuple]:
    return [(e.kind, e.actor, render_message(e.reason)) for e in claim.events.order_by("at", "pk")]


def test_a_clean_claim_is_registered_then_approved_automatically(world):
    claim = submit(world.mine)
    assert history(claim) == [
        ("submitted", world.mine.admin, "Registered; no conflicts found."),
        ("approved", None, "Approved automatically: no conflicts found."),
    ]
    approved = claim.events.get(kind="approved")
    assert approved.data == {"expires_at": claim.expires_at.isoformat()}


def test_a_review_records_who_decided_and_why(world):
    set_policy(auto_approve_clean_claims=False)
    first, second = submit(world.mine), submit(world.theirs, name="Andere Haven B.V.")
    manager = world.channel_manager

    services.claim_approve(claim=first, actor=manager, reason="Known project", now=T0)
    services.claim_reject(claim=second, actor=manager, reason="Direct sales has it", now=T0)
    services.claim_renew(claim=first, actor=world.mine.user, now=T0 + timedelta(days=85))
    services.claim_withdraw(
        claim=first, actor=world.mine.admin, reason="", now=T0 + timedelta(days=86)
    )

    assert history(first) == [
        ("submitted", world.mine.admin, "Registered; no conflicts found."),
        ("approved", manager, "Known project"),
        ("renewed", world.mine.user, "Renewed until 29/08/2026."),
        ("withdrawn", world.mine.admin, "Withdrawn by the dealer."),
    ]
    assert history(second)[-1] == ("rejected", manager, "Direct sales has it")


def test_a_conflict_is_recorded_without_naming_the_other_dealer(world):
    submit(world.theirs)
    mine = submit(world.mine, now=T0 + timedelta(hours=1))
    event = mine.events.get()
    assert event.kind == "submitted" and event.data == {"conflicts": ["claim"]}
    assert render_message(event.reason) == "Registered with 1 possible conflict(s) to review."
    assert world.theirs.dealer.name not in str(event.reason) + str(event.data)


def test_claiming_a_company_whose_claim_ran_out_records_that_it_expired(world):
    theirs = submit(world.theirs)
    submit(world.mine, now=T0 + timedelta(days=91))
    assert history(theirs)[-1] == ("expired", None, "Its period ended.")


def test_terminating_the_dealer_ends_its_claims_in_their_history(world):
    claim = submit(world.mine)
    lifecycle.dealer_set_status(
        dealer=world.mine.dealer,
        status=Dealer.Status.TERMINATED,
        actor=world.channel_manager,
        reason="Contract ended",
        now=T0 + timedelta(days=10),  # after the claim, whatever the day the test runs
    )
    assert history(claim)[-1] == (
        "ended",
        world.channel_manager,
        "The agreement with the dealer ended: Contract ended",
    )


def test_a_terminated_dealer_registers_no_new_claims(world):
    world.mine.dealer.status = Dealer.Status.TERMINATED
    world.mine.dealer.save()
    with pytest.raises(ValidationError) as error:
        submit(world.mine)
    assert error.value.code == "dealer_terminated"


def test_claim_events_cannot_be_changed_or_deleted(world):
    event = submit(world.mine).events.first()
    with pytest.raises(ValidationError):
        event.save()
    with pytest.raises(ValidationError):
        event.delete()
    with pytest.raises(ValidationError):
        ClaimEvent.objects.filter(pk=event.pk).update(kind="rejected")
    # and the database refuses a raw UPDATE too
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("UPDATE dealers_claimevent SET kind = 'rejected' WHERE id = %s", [event.pk])
    assert ClaimEvent.objects.get(pk=event.pk).kind == "submitted"


def test_the_dealer_sees_the_history_on_the_claim_page_in_constant_queries(client, world):
    claim = submit(world.mine)
    client.force_login(world.mine.user)
    url = reverse("dealers:claim", args=[claim.pk])
    # Both measured requests come after a first one (Django's content-type cache is warm,
    # whatever ran before) and with the world cache (the policy) forgotten: whether it
    # was still warm depended on what ran before and on a one-second check.
    assert client.get(url).status_code == 200
    routing_world.reset()
    with CaptureQueriesContext(connection) as few:
        response = client.get(url)
    assert response.status_code == 200
    page = response.content.decode()
    assert "Registered; no conflicts found." in page and "Approved automatically" in page
    for day in range(1, 4):
        services.claim_renew(claim=claim, actor=world.mine.user, now=T0 + timedelta(days=day))
        set_policy(claim_renewals=5)
    routing_world.reset()
    with CaptureQueriesContext(connection) as many:
        assert client.get(url).status_code == 200
    assert len(many) == len(few)


def test_the_channel_manager_reaches_the_history_from_the_review(client, world):
    set_policy(auto_approve_clean_claims=False)
    claim = submit(world.mine)
    client.force_login(world.channel_manager)
    review = client.get(reverse("manage:claims") + "?show=clean").content.decode()
    url = reverse("dealers:claim", args=[claim.pk])
    assert f'href="{url}"' in review
    page = client.get(url).content.decode()
    assert f'href="{reverse("manage:claims")}"' in page  # back to the review, not a 403
    assert "Registered; no conflicts found." in page


def test_renew_and_withdraw_are_the_claiming_dealers_own_actions(client, world):
    claim = submit(world.mine)
    client.force_login(world.channel_manager)
    page = client.get(reverse("dealers:claim", args=[claim.pk])).content.decode()
    assert reverse("dealers:claim_renew", args=[claim.pk]) not in page
    assert client.post(reverse("dealers:claim_renew", args=[claim.pk])).status_code == 403
    assert client.post(reverse("dealers:claim_withdraw", args=[claim.pk])).status_code == 403
    client.force_login(world.mine.user)
    page = client.get(reverse("dealers:claim", args=[claim.pk])).content.decode()
    assert reverse("dealers:claim_withdraw", args=[claim.pk]) in page

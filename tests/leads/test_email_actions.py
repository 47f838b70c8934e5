"""Accept and Reject straight from a dealer's new-lead e-mail: signed links bound to the
recipient, the lead, the action and the stint; a one-step page that acts on POST only,
signs nobody in, and refuses forwarded, replayed, void, tampered and expired links."""

import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from leads.models import Assignment, Lead, LeadEvent
from leads.services import email_actions
from leads.services.sla import sla_sweep
from portal.users.models import Notification, User
from portal.users.services import notifications_deliver, notifications_send_digests
from tests.leads.pipeline_world import make_world

pytestmark = pytest.mark.django_db

LINK = re.compile(r"https?://[^\s\"<>]*/leads/email/[^\s\"<>/]+/")


@pytest.fixture
def world():
    return make_world()


def emailed_links(user: User) -> list[str]:
    """The action links in the e-mails ``user`` received (HTML part), in order."""
    links = []
    for message in mail.outbox:
        if message.to == [user.email]:
            html = message.alternatives[0][0]
            links += LINK.findall(html)
    return links


def path_of(link: str) -> str:
    return "/" + link.split("://", 1)[1].split("/", 1)[1]


@pytest.fixture
def lead_and_links(world):
    lead = world.lead()
    assert lead.owner_dealer == world.dealer and lead.status == Lead.Status.NEW
    notifications_deliver()
    accept, reject = (path_of(link) for link in emailed_links(world.user))
    return lead, accept, reject


def test_a_new_lead_email_to_a_dealer_carries_accept_and_reject(world, lead_and_links):
    lead, accept, reject = lead_and_links
    message = next(m for m in mail.outbox if m.to == [world.user.email])
    assert "Accept: http" in message.body and "Reject: http" in message.body
    assert accept != reject
    assert email_actions.read_action(accept.split("/")[-2]).action == "accept"
    # Only dealer people of the owning dealer get buttons; nobody else's e-mail has them.
    assert emailed_links(world.outsider) == []


def test_the_daily_digest_lists_the_waiting_lead_with_the_same_buttons(world):
    User.objects.filter(pk=world.user.pk).update(email_frequency=User.EmailFrequency.DAILY)
    world.lead()
    Notification.objects.filter(recipient=world.user).update(send_email=False)
    mail.outbox.clear()
    assert notifications_send_digests() >= 1
    digest = next(m for m in mail.outbox if m.to == [world.user.email])
    assert len(LINK.findall(digest.alternatives[0][0])) == 2
    assert "Accept: http" in digest.body


def test_a_get_changes_nothing_and_the_post_accepts_without_signing_in(
    client, world, lead_and_links
):
    lead, accept, _reject = lead_and_links
    page = client.get(accept)
    assert page.status_code == 200
    assert lead.company_name in page.content.decode()
    lead.refresh_from_db()
    assert lead.status == Lead.Status.NEW

    tomorrow = timezone.localdate() + timedelta(days=1)
    done = client.post(
        accept, {"next_step": "Call the buyer", "next_step_on": tomorrow.isoformat()}
    )
    assert done.status_code == 200
    assert "is yours now" in done.content.decode()
    lead.refresh_from_db()
    assert (lead.status, lead.next_step) == (Lead.Status.ACCEPTED, "Call the buyer")
    event = lead.events.get(kind=LeadEvent.Kind.ACCEPTED)
    assert (event.actor, event.data["via"]) == (world.user, "email")
    # Nobody was signed in: the link acted on that one lead and opens nothing else.
    assert "_auth_user_id" not in client.session
    assert "/login/" in client.get(reverse("leads:detail", args=[lead.pk]))["Location"]
    assert "/login/" in client.get(reverse("leads:inbox"))["Location"]


def test_the_reject_link_asks_for_the_reason_and_gives_the_lead_back(client, world, lead_and_links):
    lead, _accept, reject = lead_and_links
    refused = client.post(reject, {"reason": ""})
    assert refused.status_code == 400
    assert Lead.objects.get(pk=lead.pk).owner_dealer == world.dealer

    assert client.post(reject, {"reason": "no_budget"}).status_code == 200
    stint = Assignment.objects.get(lead=lead, owner_dealer=world.dealer)
    assert stint.end_reason == Assignment.EndReason.REJECTED
    event = lead.events.get(kind=LeadEvent.Kind.REJECTED)
    assert (event.actor, event.data["via"]) == (world.user, "email")


def test_an_accept_without_a_next_step_shows_the_error_and_changes_nothing(client, lead_and_links):
    lead, accept, _reject = lead_and_links
    response = client.post(accept, {"next_step": "", "next_step_on": ""})
    assert response.status_code == 400
    assert response.context["form"].errors.keys() == {"next_step", "next_step_on"}
    assert Lead.objects.get(pk=lead.pk).status == Lead.Status.NEW


def test_a_forwarded_link_is_refused_to_someone_elses_session(client, world, lead_and_links):
    lead, accept, reject = lead_and_links
    client.force_login(world.colleague)
    assert client.get(accept).status_code == 403
    tomorrow = timezone.localdate() + timedelta(days=1)
    response = client.post(accept, {"next_step": "Mine now", "next_step_on": tomorrow})
    assert response.status_code == 403
    assert "sent to someone else" in response.content.decode()
    assert client.post(reject, {"reason": "no_budget"}).status_code == 403
    assert Lead.objects.get(pk=lead.pk).status == Lead.Status.NEW
    # Its own recipient, signed in, may use it.
    client.force_login(world.user)
    assert client.get(accept).status_code == 200


def test_a_used_link_does_not_act_again(client, lead_and_links):
    lead, accept, reject = lead_and_links
    tomorrow = (timezone.localdate() + timedelta(days=1)).isoformat()
    client.post(accept, {"next_step": "Call", "next_step_on": tomorrow})
    for link in (accept, reject):
        again = client.get(link)
        assert again.status_code == 410
        assert "already been answered" in again.content.decode()
    assert client.post(reject, {"reason": "no_budget"}).status_code == 410
    assert Lead.objects.get(pk=lead.pk).status == Lead.Status.ACCEPTED


def test_a_link_is_void_once_the_lead_was_recycled(client, world):
    tuesday = datetime(2026, 11, 10, 9, 0, tzinfo=ZoneInfo("Europe/Amsterdam"))
    with time_machine.travel(tuesday, tick=False):
        lead = world.lead()
    with time_machine.travel(tuesday + timedelta(days=3), tick=False):  # e-mailed late
        notifications_deliver()
        accept = path_of(emailed_links(world.user)[0])
        assert client.get(accept).status_code == 200
    # Five working days without an update: the lead goes to the next eligible owner.
    with time_machine.travel(tuesday + timedelta(days=7, hours=1), tick=False):
        sla_sweep()
        lead.refresh_from_db()
        assert lead.owner_dealer != world.dealer
        response = client.get(accept)
    assert response.status_code == 410
    assert "no longer with your dealer" in response.content.decode()


def test_a_tampered_link_is_refused(client, lead_and_links):
    _lead, accept, _reject = lead_and_links
    token = accept.split("/")[-2]
    tampered = accept.replace(token, token[:-2] + ("AA" if token[-2:] != "AA" else "BB"))
    response = client.get(tampered)
    assert response.status_code == 400
    assert "not valid" in response.content.decode()
    # A valid signature of another kind (another salt) is no action link either.
    from django.core import signing

    forged = signing.dumps({"u": 1, "l": 1, "a": "accept", "s": 1}, salt="something else")
    assert client.get(reverse("leads:email_action", args=[forged])).status_code == 400


def test_a_link_expires_after_seven_days(client, lead_and_links):
    lead, accept, _reject = lead_and_links
    with time_machine.travel(timezone.now() + timedelta(days=7, minutes=1)):
        response = client.get(accept)
    assert response.status_code == 400
    assert "expired" in response.content.decode()
    assert Lead.objects.get(pk=lead.pk).status == Lead.Status.NEW


def test_the_scorecards_count_answers_from_the_email(client, world, lead_and_links):
    _lead, accept, _reject = lead_and_links
    tomorrow = (timezone.localdate() + timedelta(days=1)).isoformat()
    client.post(accept, {"next_step": "Call", "next_step_on": tomorrow})
    client.force_login(world.admin)
    page = client.get(reverse("dealers:scorecard")).content.decode()
    assert "1 accepted (1 from the e-mail)" in page
    assert "0 rejected (0 from the e-mail)" in page


def test_the_page_speaks_the_recipients_language(client, world, lead_and_links):
    _lead, accept, _reject = lead_and_links
    User.objects.filter(pk=world.user.pk).update(language="de")
    page = client.get(accept).content.decode()
    assert "Lead annehmen" in page

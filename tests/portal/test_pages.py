"""Every role lands on its own start page; error pages use the portal layout."""

import re

import pytest
from django.urls import reverse

from leads.models import Lead
from portal.messages import message
from portal.users.models import Notification, Role
from portal.users.services import notify
from tests.factories import DealerFactory, DealerMemberFactory, StaffFactory

pytestmark = pytest.mark.django_db


def without_tokens(html: bytes) -> bytes:
    return re.sub(rb'(csrfmiddlewaretoken" value="|X-CSRFToken": ")[^"]+', rb"\1", html)


def test_anonymous_is_sent_to_login(client):
    response = client.get(reverse("home"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


@pytest.mark.parametrize(
    ("role", "template", "text"),
    [
        (Role.CHANNEL_MANAGER, "home/channel_manager.html", b"Channel overview"),
        (Role.INTERNAL_SALES, "home/sales.html", b"My open leads"),
        (Role.SALES_MANAGER, "home/sales.html", b"Your team's open leads"),
    ],
)
def test_staff_home_per_role(client, role, template, text):
    client.force_login(StaffFactory(role=role).user)
    response = client.get(reverse("home"))
    assert response.status_code == 200
    assert template in [t.name for t in response.templates]
    assert text in response.content


def test_dealer_home_shows_its_own_counts(client):
    member = DealerMemberFactory()
    other = DealerFactory()
    Lead.objects.create(company_name="Mine", country="NL", source="api", owner_dealer=member.dealer)
    Lead.objects.create(company_name="Theirs", country="NL", source="api", owner_dealer=other)
    client.force_login(member.user)
    response = client.get(reverse("home"))
    assert response.status_code == 200
    assert response.context["counts"]["open"] == 1
    assert member.dealer.name.encode() in response.content
    # navigation shows dealer items only
    assert b"Channel overview" not in response.content


def test_sales_manager_home_shows_his_teams_leads_and_escalations_not_the_channels(client):
    """His team is the reps whose escalations come to him: those who report to him and
    those who report to nobody. The channel's dealer leads and another manager's team
    are not his."""
    manager = StaffFactory(role=Role.SALES_MANAGER, user__name="Mark Manager").user
    reports = StaffFactory(role=Role.INTERNAL_SALES, manager=manager).user
    nobodys = StaffFactory(role=Role.SENIOR_REP).user
    elsewhere = StaffFactory(
        role=Role.INTERNAL_SALES, manager=StaffFactory(role=Role.SALES_MANAGER).user
    ).user

    def lead(name, **owner):
        return Lead.objects.create(company_name=name, country="NL", source="api", **owner)

    lead("Team One", owner_user=reports)
    escalated = lead("Escalated Two", owner_user=nobodys)
    lead("Not His", owner_user=elsewhere)
    lead("Channel Lead", owner_dealer=DealerFactory())
    notify(
        recipients=[manager],
        kind=Notification.Kind.ESCALATION,
        subject=message("Escalation: %(company)s needs attention", company=escalated.company_name),
        lead=escalated,
    )
    client.force_login(manager)
    response = client.get(reverse("home"))
    assert response.status_code == 200
    assert response.context["counts"]["open"] == 2
    page = response.content.decode()
    assert "My open leads" not in page
    assert "Your team's open leads" in page
    assert "Escalated to you" in page and "Escalated Two" in page
    assert "Not His" not in page and "Channel Lead" not in page
    # a rep still sees their own leads as theirs
    client.force_login(reports)
    response = client.get(reverse("home"))
    assert response.context["counts"]["open"] == 1
    assert "My open leads" in response.content.decode()


def test_another_dealers_lead_is_a_404_like_a_missing_one(client):
    member = DealerMemberFactory()
    other = Lead.objects.create(
        company_name="Theirs", country="NL", source="api", owner_dealer=DealerFactory()
    )
    mine = Lead.objects.create(
        company_name="Mine", country="NL", source="api", owner_dealer=member.dealer
    )
    client.force_login(member.user)
    assert client.get(reverse("leads:detail", args=[mine.pk])).status_code == 200
    theirs_url = reverse("leads:detail", args=[other.pk])
    missing_url = reverse("leads:detail", args=[10**9])
    theirs, missing = client.get(theirs_url), client.get(missing_url)
    assert theirs.status_code == missing.status_code == 404
    assert without_tokens(theirs.content).replace(theirs_url.encode(), b"URL") == without_tokens(
        missing.content
    ).replace(missing_url.encode(), b"URL")


def test_404_page_uses_the_layout(client):
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    assert b"Page not found" in response.content

"""Every role lands on its own start page; error pages use the portal layout."""

import re

import pytest
from django.urls import reverse

from leads.models import Lead
from portal.users.models import Role
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
        (Role.SALES_MANAGER, "home/sales.html", b"My open leads"),
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

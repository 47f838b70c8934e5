"""Reads shared by pages and the API: who sees which claims, and the review queue with
both sides of each conflict."""

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from dealers import selectors, services
from leads.services.cleaning import clean_lead_fields
from leads.services.intake import lead_intake
from tests.dealers.conftest import company
from tests.factories import (
    AccountFactory,
    InstalledProductFactory,
    StaffFactory,
    UserFactory,
    territory_with,
)

pytestmark = pytest.mark.django_db

T0 = datetime(2026, 3, 2, 10, 0, tzinfo=ZoneInfo("Europe/Amsterdam"))


def test_who_sees_which_claims(world):
    mine = services.claim_submit(
        dealer=world.mine.dealer, submitted_by=world.mine.admin, data=company("Mine B.V.")
    )
    theirs = services.claim_submit(
        dealer=world.theirs.dealer, submitted_by=world.theirs.admin, data=company("Theirs B.V.")
    )
    assert list(selectors.claims_visible_to(world.mine.user)) == [mine]
    assert list(selectors.claims_visible_to(world.theirs.admin)) == [theirs]
    assert set(selectors.claims_visible_to(world.channel_manager)) == {mine, theirs}
    assert set(selectors.claims_visible_to(world.internal_sales)) == {mine, theirs}
    assert not selectors.claims_visible_to(UserFactory()).exists()
    world.mine.user.is_active = False
    assert not selectors.claims_visible_to(world.mine.user).exists()


def test_the_review_queue_shows_both_sides_in_constant_queries(world):
    customer = InstalledProductFactory(account=AccountFactory(legal_name="Customer B.V.")).account
    held = services.claim_submit(
        dealer=world.theirs.dealer, submitted_by=world.theirs.admin, data=company("Held B.V.")
    )
    territory_with(name="Rijnmond", ranges=[(3000, 3299)], owners=[(world.theirs.dealer, 1)])
    lead = lead_intake(
        data=clean_lead_fields(
            {
                "company_name": "Leady B.V.",
                "country": "NL",
                "postcode": "3011",
                "contact_email": "info@leady.example",
            }
        ),
        source="api",
    ).lead
    for name in ("Customer B.V.", "Held B.V.", "Leady B.V."):
        services.claim_submit(
            dealer=world.mine.dealer, submitted_by=world.mine.admin, data=company(name)
        )
    StaffFactory()  # unrelated rows change nothing

    queue = list(selectors.claims_for_review())
    with CaptureQueriesContext(connection) as queries:
        sides = selectors.conflict_sides(queue)

    assert len(queries) == 3
    assert [c.company_name for c in queue] == ["Customer B.V.", "Held B.V.", "Leady B.V."]
    customer_side, claim_side, lead_side = (sides[c.pk] for c in queue)
    assert customer_side[0]["account"] == customer
    assert claim_side[0]["claim"] == held
    assert claim_side[0]["claim"].dealer == world.theirs.dealer
    assert lead_side[0]["lead"] == lead
    assert lead_side[0]["lead"].owner_dealer == world.theirs.dealer

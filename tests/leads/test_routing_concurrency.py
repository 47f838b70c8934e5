"""Weighted shares stay exact when many leads arrive at once (real threads, PostgreSQL)."""

from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection

from leads.models import Lead
from leads.services.cleaning import clean_lead_fields
from leads.services.intake import lead_intake
from tests.factories import DealerFactory, territory_with

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def post_lead(number: int) -> int:
    try:
        data = clean_lead_fields(
            {
                "company_name": f"Concurrent {number} B.V.",
                "country": "NL",
                "postcode": "3011",
                "contact_email": f"buyer{number}@company{number}.example",
            }
        )
        return lead_intake(data=data, source="api").lead.owner_dealer_id
    finally:
        connection.close()


def test_100_concurrent_leads_split_50_50_between_equal_dealers():
    a, b = DealerFactory(), DealerFactory()
    territory_with(name="NL Rotterdam", ranges=[(3000, 3099)], owners=[(a, 1), (b, 1)])
    with ThreadPoolExecutor(max_workers=16) as pool:
        owners = Counter(pool.map(post_lead, range(100)))
    assert sum(owners.values()) == 100
    assert Lead.objects.count() == 100
    assert abs(owners[a.pk] - 50) <= 1, owners
    assert abs(owners[b.pk] - 50) <= 1, owners


def test_concurrent_leads_follow_unequal_weights():
    a, b = DealerFactory(), DealerFactory()
    territory_with(name="NL Rotterdam", ranges=[(3000, 3099)], owners=[(a, 3), (b, 1)])
    with ThreadPoolExecutor(max_workers=16) as pool:
        owners = Counter(pool.map(post_lead, range(80)))
    assert abs(owners[a.pk] - 60) <= 1, owners
    assert abs(owners[b.pk] - 20) <= 1, owners

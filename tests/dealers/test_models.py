"""Claims: the database allows at most one approved claim per company."""

from datetime import timedelta

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from dealers.models import Claim
from tests.factories import AccountFactory, DealerFactory

pytestmark = pytest.mark.django_db


def claim(account, dealer, status=Claim.Status.APPROVED):
    now = timezone.now()
    approved = status == Claim.Status.APPROVED
    return Claim.objects.create(
        dealer=dealer,
        account=account,
        company_name=account.legal_name,
        country=account.country,
        status=status,
        approved_at=now if approved else None,
        expires_at=now + timedelta(days=90) if approved else None,
    )


def test_a_second_approved_claim_on_the_same_company_is_refused_by_the_database():
    account = AccountFactory()
    claim(account, DealerFactory())
    with pytest.raises(IntegrityError), transaction.atomic():
        claim(account, DealerFactory())


def test_pending_expired_and_other_companies_do_not_conflict():
    account = AccountFactory()
    claim(account, DealerFactory())
    claim(account, DealerFactory(), status=Claim.Status.PENDING)
    claim(account, DealerFactory(), status=Claim.Status.EXPIRED)
    claim(AccountFactory(), DealerFactory())
    assert Claim.objects.filter(status=Claim.Status.APPROVED).count() == 2


def test_an_approved_claim_needs_its_period():
    with pytest.raises(IntegrityError), transaction.atomic():
        Claim.objects.create(
            dealer=DealerFactory(),
            account=AccountFactory(),
            company_name="X",
            country="NL",
            status=Claim.Status.APPROVED,
        )


def test_dealer_gets_its_own_permission_group():
    dealer = DealerFactory(name="Van Dijk Techniek", slug="van-dijk")
    assert dealer.group.name == "dealer:van-dijk"


def test_weight_override_applies_until_its_end_date():
    dealer = DealerFactory(performance_weight=1.2)
    assert dealer.effective_weight() == pytest.approx(1.2)
    today = timezone.localdate()
    dealer.weight_override = 0.5
    dealer.weight_override_reason = "Coaching period"
    dealer.weight_override_until = today + timedelta(days=1)
    assert dealer.effective_weight(today) == pytest.approx(0.5)
    assert dealer.effective_weight(today + timedelta(days=2)) == pytest.approx(1.2)

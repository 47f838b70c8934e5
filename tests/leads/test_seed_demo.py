"""The demo data set: realistic, consistent with the routing rules, and idempotent."""

import pytest
from django.core.management import call_command
from django.db.models import Count

from dealers.models import Claim, Dealer
from leads.models import Account, Assignment, Lead, LeadEvent, LeadGroupObjectPermission
from portal.users.models import User
from territories.models import Territory

pytestmark = pytest.mark.django_db

SMALL = {"accounts": 150, "claims": 20, "leads": 400, "quiet_logins": True}
MODELS = [
    User,
    Dealer,
    Territory,
    Account,
    Claim,
    Lead,
    Assignment,
    LeadEvent,
    LeadGroupObjectPermission,
]


def counts():
    return {model.__name__: model.objects.count() for model in MODELS}


def test_seed_demo_twice_leaves_the_same_counts(capsys):
    call_command("seed_demo", **SMALL)
    first = counts()
    call_command("seed_demo", **SMALL)
    assert counts() == first
    assert "nothing added" in capsys.readouterr().out
    assert first["Dealer"] == 40
    assert first["Lead"] == 400
    assert first["Claim"] == 20


def test_seed_demo_prints_the_logins(capsys):
    call_command("seed_demo", accounts=50, claims=5, leads=50)
    out = capsys.readouterr().out
    assert "demo-portal-2026" in out
    assert "claudia.jansen@demo.dealerportal.eu" in out
    assert "admin.rijnmond-industrie@demo.dealerportal.eu" in out


def test_demo_history_is_consistent():
    call_command("seed_demo", **SMALL)
    # Every lead has exactly one open or closed stint per owner change, and its current
    # owner's stint is the last one.
    for lead in Lead.objects.prefetch_related("assignments")[:100]:
        stints = list(lead.assignments.all())
        assert stints, lead
        last = stints[-1]
        assert (last.owner_dealer_id, last.owner_user_id, last.owner_queue_id) == (
            lead.owner_dealer_id,
            lead.owner_user_id,
            lead.owner_queue_id,
        )
        assert all(s.ended_at for s in stints[:-1])
    statuses = dict(Lead.objects.values_list("status").annotate(n=Count("pk")))
    assert {"new", "accepted", "won", "lost"} <= set(statuses)
    rules = set(Lead.objects.values_list("routing_rule", flat=True))
    assert {"territory", "installed_base"} <= rules
    # Dealers see their leads through object permissions on their group.
    dealer_leads = Lead.objects.filter(owner_dealer__isnull=False).count()
    assert LeadGroupObjectPermission.objects.count() == 2 * dealer_leads
    # Some open dealer leads wait with running clocks (the timers of the demo).
    assert Lead.objects.filter(status="new", recycle_due_at__isnull=False).exists()


def test_out_of_office_rep_has_a_backup():
    call_command("seed_demo", **SMALL)
    anna = User.objects.get(email="anna.schmidt@demo.dealerportal.eu").staffprofile
    assert anna.backup.name == "Thomas Becker"
    assert anna.is_out_of_office()

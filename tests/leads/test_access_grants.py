"""One module writes a lead's object permissions and its dealer assignee
(``leads.services.access_grants``), one module a claim's object permissions
(``dealers.services.claim_grants``): a source check that nothing else does, and the
lead functions' behaviour (the claim function's is in ``tests/dealers/test_services.py``)."""

import ast
from pathlib import Path

import pytest
from django.utils import timezone

from leads.access import ACT, VIEW
from leads.models import LeadGroupObjectPermission, LeadUserObjectPermission
from leads.services import access_grants
from portal.users.models import User
from tests.factories import StaffFactory
from tests.leads.pipeline_world import make_world

ROOT = Path(__file__).resolve().parents[2]
HOME = Path("leads/services/access_grants.py")
CLAIM_HOME = Path("dealers/services/claim_grants.py")
APPS = ("portal", "dealers", "leads", "territories", "bench")
GUARDIAN_WRITERS = {"assign_perm", "remove_perm", "bulk_assign_perm", "bulk_remove_perm"}
LEAD_PERMISSION_MODELS = {"LeadGroupObjectPermission", "LeadUserObjectPermission"}
GENERIC_MODELS = {"UserObjectPermission", "GroupObjectPermission"}
CLAIM_PERMISSION_MODELS = {"ClaimGroupObjectPermission", "ClaimUserObjectPermission"}


def source_files():
    for app in APPS:
        for path in sorted((ROOT / app).rglob("*.py")):
            relative = path.relative_to(ROOT)
            if "migrations" not in relative.parts:
                yield relative


def _name(node: ast.AST) -> str | None:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    return None


def permission_writes(tree: ast.AST) -> list[str]:
    """What in ``tree`` could write a lead's object permissions or its dealer assignee:
    any use of the lead permission tables (or guardian's generic ones), guardian's
    writing shortcuts, an assignment to ``dealer_assignee`` or an ``update()`` of it."""
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("guardian"):
            found += [a.name for a in node.names if a.name in GUARDIAN_WRITERS | GENERIC_MODELS]
        if isinstance(node, ast.ImportFrom):
            found += [a.name for a in node.names if a.name in LEAD_PERMISSION_MODELS]
        if isinstance(node, ast.Name) and node.id in LEAD_PERMISSION_MODELS | GENERIC_MODELS:
            found.append(node.id)
        if isinstance(node, ast.Call) and _name(node.func) in GUARDIAN_WRITERS:
            found.append(_name(node.func))
        targets = []
        if isinstance(node, ast.Assign):
            targets = node.targets
        elif isinstance(node, ast.AugAssign | ast.AnnAssign):
            targets = [node.target]
        found += [
            "dealer_assignee ="
            for target in targets
            if isinstance(target, ast.Attribute)
            and target.attr in ("dealer_assignee", "dealer_assignee_id")
        ]
        if (
            isinstance(node, ast.Call)
            and _name(node.func) == "update"
            and {k.arg for k in node.keywords} & {"dealer_assignee", "dealer_assignee_id"}
        ):
            found.append("update(dealer_assignee)")
    return found


def test_only_access_grants_writes_lead_permissions_and_the_assignee():
    offenders = {}
    for path in source_files():
        if path == HOME or path.with_suffix("").parts[:2] == ("leads", "models"):
            continue  # the models define the permission tables
        found = permission_writes(ast.parse((ROOT / path).read_text(), str(path)))
        if found:
            offenders[str(path)] = found
    assert offenders == {}


def claim_permission_writes(tree: ast.AST) -> list[str]:
    """What in ``tree`` could write a claim's object permissions: any import or use of
    the claim permission tables (guardian's shortcuts and generic tables are found by
    ``permission_writes``, wherever they are)."""
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            found += [a.name for a in node.names if a.name in CLAIM_PERMISSION_MODELS]
        if isinstance(node, ast.Name | ast.Attribute) and _name(node) in CLAIM_PERMISSION_MODELS:
            found.append(_name(node))
    return found


def test_only_claim_grants_writes_claim_permissions():
    offenders = {}
    for path in source_files():
        if path in (CLAIM_HOME, Path("dealers/models.py")):
            continue  # the models define the permission tables
        found = claim_permission_writes(ast.parse((ROOT / path).read_text(), str(path)))
        if found:
            offenders[str(path)] = found
    assert offenders == {}


def test_the_check_finds_a_write():
    code = (
        "from guardian.shortcuts import assign_perm\n"
        "from leads.models import LeadUserObjectPermission\n"
        "LeadUserObjectPermission.objects.create(user=u)\n"
        "lead.dealer_assignee = None\n"
        "Lead.objects.filter(pk=1).update(dealer_assignee=None)\n"
        "remove_perm('view_lead', u, lead)\n"
    )
    assert sorted(permission_writes(ast.parse(code))) == sorted(
        [
            "assign_perm",
            "LeadUserObjectPermission",
            "LeadUserObjectPermission",
            "dealer_assignee =",
            "update(dealer_assignee)",
            "remove_perm",
        ]
    )


def test_the_claim_check_finds_a_write():
    code = (
        "from dealers.models import ClaimGroupObjectPermission\n"
        "ClaimGroupObjectPermission.objects.bulk_create([])\n"
        "models.ClaimUserObjectPermission.objects.create(user=u)\n"
    )
    assert sorted(claim_permission_writes(ast.parse(code))) == sorted(
        [
            "ClaimGroupObjectPermission",
            "ClaimGroupObjectPermission",
            "ClaimUserObjectPermission",
        ]
    )


# --- behaviour -------------------------------------------------------------------------


@pytest.fixture
def world(db):
    return make_world()


def fresh(user: User) -> User:
    """The user without cached permissions; ``has_perm(perm, lead)`` asks guardian."""
    return User.objects.get(pk=user.pk)


def test_grant_owners_gives_the_dealers_group_and_a_user_view_and_act(world):
    dealer_lead, rep_lead, queue_lead = world.lead(), world.lead(), world.lead()
    rep = StaffFactory().user
    leads = [dealer_lead, rep_lead, queue_lead]
    access_grants.revoke_owners(leads)
    assert not LeadGroupObjectPermission.objects.filter(content_object__in=leads).exists()

    access_grants.grant_owners(
        [
            (dealer_lead.pk, "dealer", world.dealer.pk),
            (rep_lead.pk, "user", rep.pk),
            (queue_lead.pk, "queue", "pool"),
        ]
    )

    for perm in (VIEW, ACT):
        assert fresh(world.user).has_perm(perm, dealer_lead)
        assert fresh(rep).has_perm(perm, rep_lead)
        assert not fresh(world.outsider).has_perm(perm, dealer_lead)
    assert not LeadGroupObjectPermission.objects.filter(content_object=queue_lead).exists()
    assert not LeadUserObjectPermission.objects.filter(content_object=queue_lead).exists()


def test_revoke_owners_clears_the_assignee_and_every_permission(world):
    lead = world.lead()
    access_grants.grant_assignee(lead, world.colleague)

    access_grants.revoke_owners([lead])

    assert lead.dealer_assignee is None
    assert not LeadGroupObjectPermission.objects.filter(content_object=lead).exists()
    assert not LeadUserObjectPermission.objects.filter(content_object=lead).exists()


def test_grant_assignee_moves_the_right_to_act_and_back(world):
    lead = world.lead()

    access_grants.grant_assignee(lead, world.colleague)
    lead.refresh_from_db()
    assert lead.dealer_assignee == world.colleague
    assert fresh(world.colleague).has_perm(ACT, lead)
    assert not fresh(world.user).has_perm(ACT, lead)
    assert fresh(world.user).has_perm(VIEW, lead)

    access_grants.grant_assignee(lead, None)
    lead.refresh_from_db()
    assert lead.dealer_assignee is None
    assert fresh(world.user).has_perm(ACT, lead)
    assert not LeadUserObjectPermission.objects.filter(content_object=lead).exists()


def test_revoke_assignee_returns_many_leads_to_the_team(world):
    leads = [world.lead(), world.lead()]
    for lead in leads:
        access_grants.grant_assignee(lead, world.colleague)

    access_grants.revoke_assignee(
        user=world.colleague,
        dealer_id=world.dealer.pk,
        lead_ids=[lead.pk for lead in leads],
        now=timezone.now(),
    )

    for lead in leads:
        lead.refresh_from_db()
        assert lead.dealer_assignee is None
        assert fresh(world.user).has_perm(ACT, lead)
        assert not LeadUserObjectPermission.objects.filter(content_object=lead).exists()

"""Admin: staff make integration keys (shown once) and read the audits; every list opens."""

import re

import pytest
from django.contrib import admin
from django.urls import reverse

from leads.models import ApiKey, Integration
from leads.services.api_keys import api_key_check
from portal.users.models import Role
from tests.factories import StaffFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def manager(client):
    user = StaffFactory(role=Role.CHANNEL_MANAGER).user
    user.is_superuser = True
    user.save()
    client.force_login(user)
    return user


def test_an_integration_key_is_shown_once_and_works(client, manager):
    integration = Integration.objects.create(name="Website", kind=Integration.Kind.WEB_FORM)
    response = client.post(
        reverse("admin:leads_integration_changelist"),
        {"action": "create_api_key", "_selected_action": [integration.pk]},
        follow=True,
    )
    key = re.search(rb"dp_[0-9a-f]+\.[\w-]+", response.content).group().decode()
    assert api_key_check(key).integration == integration
    assert ApiKey.objects.get().hashed_key != key  # only the hash is stored


@pytest.mark.parametrize(
    "model",
    [
        m
        for m in admin.site._registry
        if m._meta.app_label in ("leads", "dealers", "territories", "users")
    ],
    ids=lambda m: m._meta.label,
)
def test_every_admin_list_opens(client, manager, model):
    url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
    assert client.get(url, follow=True).status_code == 200


def test_the_policy_admin_shows_the_routing_fields_read_only_and_points_to_their_preview(
    client, manager
):
    """Rule order, enterprise threshold and team fallback move leads: they change on the
    routing policy page, which previews them first; the admin shows them and keeps the
    rest of the policy editable."""
    from decimal import Decimal

    from leads.models import Policy

    policy = Policy.current()
    url = reverse("admin:leads_policy_change", args=[policy.pk])
    response = client.get(url)
    form = response.context["adminform"].form
    for name in ("rule_order", "enterprise_threshold", "team_fallback"):
        assert name not in form.fields
    assert "claim_days" in form.fields and "hot_contact_hours" in form.fields
    page = response.content.decode()
    assert f'href="{reverse("manage:routing_policy")}"' in page
    assert 'id="routing-policy-link"' in page
    assert "Installed base →" in page  # the rule order, by name

    data = {name: form.initial.get(name) for name in form.fields}
    data = {k: ("on" if v is True else v) for k, v in data.items() if v not in (None, False)}
    data |= {
        "claim_days": "60",
        "rule_order": '["territory"]',
        "enterprise_threshold": "1",
        "audit-changeevent-content_type-object_id-TOTAL_FORMS": "0",
        "audit-changeevent-content_type-object_id-INITIAL_FORMS": "0",
    }
    response = client.post(url, data)
    assert response.status_code == 302
    policy.refresh_from_db()
    assert policy.claim_days == 60
    assert policy.enterprise_threshold == Decimal("250000")
    assert policy.rule_order == Policy().rule_order
    assert policy.team_fallback is True


@pytest.mark.parametrize(
    ("language", "link"),
    [("nl", "Open de pagina Routeringsbeleid"), ("de", "Seite Zuteilungsregeln öffnen")],
)
def test_the_policy_admin_points_to_the_routing_page_in_dutch_and_german(
    client, manager, language, link
):
    from leads.models import Policy

    manager.language = language
    manager.save(update_fields=["language"])
    url = reverse("admin:leads_policy_change", args=[Policy.current().pk])
    page = client.get(url, HTTP_ACCEPT_LANGUAGE=language).content.decode()
    assert link in page

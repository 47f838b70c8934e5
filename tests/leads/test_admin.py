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

"""Walk every URL pattern of the project as a dealer and check that nothing of another
dealer leaks, and that no staff page opens for a dealer.

Every pattern is requested with GET; each id in a pattern is tried with the ids of
the competitor's lead, claim, notification, token, dealer, membership and user, each
slug with the competitor's slug. Whatever the answer (a page, a redirect, 403, 404,
405), it must not contain the competitor's name, people, customers or contacts.
New pages are covered as soon as their URL exists."""

import itertools
import re

import pytest
from django.urls import NoReverseMatch, URLPattern, URLResolver, get_resolver, reverse

from dealers.services.claims import claim_submit
from leads.services.api_keys import api_key_create
from portal.context_processors import NAVIGATION
from portal.messages import message
from portal.users.models import Role
from portal.users.services import notify
from tests.factories import DealerMemberFactory
from tests.leads.pipeline_world import make_world

pytestmark = pytest.mark.django_db


def nav_entries():
    """Every entry of the navigation, menus unfolded."""
    for name, label, icon, roles, *children in NAVIGATION:
        if children:
            yield from children[0]
        else:
            yield name, label, icon, roles


STAFF_PREFIXES = ("/manage/", "/admin/")
# Pages that only exist to answer a method other than GET, or log the user out.
SKIP = {"account_logout", "set_language"}


def walk(resolvers, prefix="", namespace=""):
    """(namespaced name or None, pattern object, route prefix) for every URL pattern."""
    for entry in resolvers:
        if isinstance(entry, URLResolver):
            ns = namespace
            if entry.namespace:
                ns = f"{namespace}{entry.namespace}:"
            yield from walk(entry.url_patterns, prefix + str(entry.pattern), ns)
        elif isinstance(entry, URLPattern):
            name = f"{namespace}{entry.name}" if entry.name else None
            yield name, entry, prefix + str(entry.pattern)


def kwarg_names(route: str) -> list[str]:
    converters = re.findall(r"<(?:(\w+):)?(\w+)>", route)
    groups = re.findall(r"\(\?P<(\w+)>", route)
    return [name for _conv, name in converters] + groups


def candidate_urls(name, route, values) -> set[str]:
    """Every URL for this pattern with the competitor's ids and slugs filled in."""
    if name is None or name.split(":")[-1] in SKIP:
        return set()
    names = kwarg_names(route)
    if not names:
        try:
            return {reverse(name)}
        except NoReverseMatch:
            return set()
    if route.startswith("admin/"):
        values = values[:1]  # the admin sends every non-staff user to its login
    urls = set()
    for combination in itertools.product(values, repeat=len(names)):
        try:
            urls.add(reverse(name, kwargs=dict(zip(names, combination, strict=True))))
        except NoReverseMatch:
            continue
    return urls


@pytest.fixture
def competitor():
    """Dealer B's secrets, and the dealer A people who must never see them."""
    world = make_world()
    world.other_dealer.name = "Geheim Concurrent Handel B.V."
    world.other_dealer.save()
    admin_b = DealerMemberFactory(
        dealer=world.other_dealer,
        role=Role.DEALER_ADMIN,
        user__name="Vera Verborgen",
        user__email="vera@geheim-concurrent.example",
    ).user
    lead = world.lead(
        postcode="3111 AA",
        company_name="Klant Van De Concurrent B.V.",
        contact_name="Karel Kwetsbaar",
        contact_email="karel@klant-concurrent.example",
    )
    assert lead.owner_dealer == world.other_dealer
    claim = claim_submit(
        dealer=world.other_dealer,
        submitted_by=admin_b,
        data={"company_name": "Geclaimde Prospect B.V.", "country": "NL", "postcode": "3112 AA"},
    )
    note = notify(recipients=[admin_b], kind="info", subject=message("Geheime melding"))[0]
    token, _secret = api_key_create(name="Geheime koppeling", user=admin_b)
    ids = {
        lead.pk,
        claim.pk,
        claim.account_id,
        note.pk,
        token.pk,
        world.other_dealer.pk,
        admin_b.pk,
        admin_b.dealermembership.pk,
        world.outsider.pk,
    }
    secrets = [
        "Geheim Concurrent Handel",
        "Vera Verborgen",
        "vera@geheim-concurrent.example",
        "Olga Outsider",
        "Klant Van De Concurrent",
        "Karel Kwetsbaar",
        "karel@klant-concurrent.example",
        "Geclaimde Prospect",
        "Geheime melding",
        "Geheime koppeling",
    ]
    values = [lead.pk, *sorted(ids - {lead.pk}), world.other_dealer.slug]
    return world, values, secrets


@pytest.mark.parametrize("who", ["user", "admin"])
def test_no_page_leaks_another_dealers_data(client, competitor, who):
    world, values, secrets = competitor
    client.force_login(getattr(world, who))
    checked = 0
    for name, _pattern, route in walk(get_resolver().url_patterns):
        for url in sorted(candidate_urls(name, route, values)):
            response = client.get(url)
            checked += 1
            body = response.content.decode(errors="replace")
            for secret in secrets:
                assert secret not in body, f"{url} ({response.status_code}) shows {secret!r}"
            if url.startswith(STAFF_PREFIXES):
                assert response.status_code in (302, 403, 404, 405), (
                    f"staff page {url} answered {response.status_code} to a dealer"
                )
                if response.status_code == 302:
                    assert "/login/" in response["Location"], f"{url} → {response['Location']}"
    assert checked > 30, checked  # the walk really walked


def test_no_staff_page_of_the_navigation_opens_for_a_dealer(client, competitor):
    world, _values, _secrets = competitor
    # A page both sides use, each seeing its own (the webhooks), is in a dealer's menu
    # too; it is not a staff page.
    dealers_pages = {
        name
        for name, _label, _icon, roles in nav_entries()
        if roles is not None and set(roles) & set(Role.dealer_roles())
    }
    staff_pages = [
        name
        for name, _label, _icon, roles in nav_entries()
        if roles is not None
        and not set(roles) & set(Role.dealer_roles())
        and name not in dealers_pages
    ]
    assert "leads:mine" in staff_pages
    for user in (world.user, world.admin):
        client.force_login(user)
        for name in staff_pages:
            try:
                url = reverse(name)
            except NoReverseMatch:
                continue  # not built yet
            status = client.get(url).status_code
            assert status in (302, 403, 404), f"{name} answered {status} to a dealer"


def test_the_walk_finds_the_lead_pages():
    names = {name for name, _pattern, _route in walk(get_resolver().url_patterns)}
    assert {"leads:inbox", "leads:detail", "leads:mine", "notifications"} <= names

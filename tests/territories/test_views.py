"""The channel manager's territory pages: access, query counts, edit, import, export,
coverage."""

from decimal import Decimal

import pytest
from django.contrib.admin.models import LogEntry
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from portal.users.models import Role
from territories.models import Territory
from tests.factories import DealerFactory, DealerMemberFactory, StaffFactory, territory_with
from tests.spreadsheets import downloaded_cells, live_cells

pytestmark = pytest.mark.django_db


@pytest.fixture
def manager(client):
    user = StaffFactory(role=Role.CHANNEL_MANAGER).user
    client.force_login(user)
    return user


@pytest.fixture
def territory():
    return territory_with(
        name="NL Rijnmond", ranges=[(3000, 3099)], owners=[(DealerFactory(name="Alpha"), 1)]
    )


def pages(territory):
    return [
        ("get", reverse("manage:territories")),
        ("get", reverse("manage:territory_create")),
        ("get", reverse("manage:territory_import")),
        ("get", reverse("manage:territory_export")),
        ("get", reverse("manage:territory_coverage")),
        ("get", reverse("manage:territory_detail", args=[territory.pk])),
        ("get", reverse("manage:territory_edit", args=[territory.pk])),
    ]


def test_the_channel_manager_opens_every_page(client, manager, territory):
    for _method, url in pages(territory):
        assert client.get(url).status_code == 200, url


@pytest.mark.parametrize(
    "who", ["anonymous", "dealer_admin", Role.INTERNAL_SALES, Role.SALES_MANAGER]
)
def test_nobody_else_opens_them(client, territory, who):
    if who == "dealer_admin":
        client.force_login(DealerMemberFactory(role=Role.DEALER_ADMIN).user)
    elif who != "anonymous":
        client.force_login(StaffFactory(role=who).user)
    for _method, url in pages(territory):
        response = client.get(url)
        if who == "anonymous":
            assert response.status_code == 302 and "/login/" in response["Location"]
        else:
            assert response.status_code == 403, url


def test_the_wrong_method_is_405(client, manager, territory):
    assert client.post(reverse("manage:territory_export")).status_code == 405
    assert client.post(reverse("manage:territory_coverage")).status_code == 405
    assert client.post(reverse("manage:territories")).status_code == 405
    assert client.put(reverse("manage:territory_edit", args=[territory.pk])).status_code == 405


def test_a_manager_limited_to_countries_sees_only_those(client, territory):
    manager = StaffFactory(role=Role.CHANNEL_MANAGER, countries=["DE"]).user
    client.force_login(manager)
    assert client.get(reverse("manage:territory_detail", args=[territory.pk])).status_code == 404
    assert b"NL Rijnmond" not in client.get(reverse("manage:territories")).content
    coverage = client.get(reverse("manage:territory_coverage")).content.decode()
    assert "Checked: DE." in coverage and "NL Rijnmond" not in coverage


def count_queries(client, url) -> int:
    """Queries of one warm request: a first, unmeasured request fills the caches
    (session, content types, the routing world) a test run may or may not have
    filled already, so the count does not depend on which tests ran before."""
    assert client.get(url).status_code == 200
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


def test_the_list_query_count_does_not_grow_with_territories(client, manager, territory):
    url = reverse("manage:territories")
    few = count_queries(client, url)
    for n in range(8):
        territory_with(
            name=f"T{n}", ranges=[(4000 + n * 10, 4005 + n * 10)], owners=[(DealerFactory(), 1)]
        )
    assert count_queries(client, url) == few


def test_the_detail_query_count_does_not_grow_with_owners(client, manager, territory):
    url = reverse("manage:territory_detail", args=[territory.pk])
    few = count_queries(client, url)
    for _n in range(5):
        territory.owners.create(dealer=DealerFactory(), weight=1)
    assert count_queries(client, url) == few


def form_data(territory, **changes):
    data = {
        "name": territory.name,
        "country": "NL",
        "postcodes": "3000-3099",
        "is_active": "on",
        "notes": "",
        "owners-TOTAL_FORMS": "3",
        "owners-INITIAL_FORMS": "1",
        "owners-0-owner": f"dealer:{territory.owners.get().dealer_id}",
        "owners-0-weight": "1",
        "owners-1-owner": "",
        "owners-1-weight": "1",
        "owners-2-owner": "",
        "owners-2-weight": "1",
    }
    data.update(changes)
    return data


def test_editing_owners_and_weights_saves_audits_and_says_the_counters_restart(
    client, manager, territory
):
    beta = DealerFactory(name="Beta")
    url = reverse("manage:territory_edit", args=[territory.pk])
    response = client.post(
        url,
        form_data(territory, **{"owners-0-weight": "2", "owners-1-owner": f"dealer:{beta.pk}"}),
        follow=True,
    )
    assert response.redirect_chain[-1][0] == reverse("manage:territory_detail", args=[territory.pk])
    weights = {o.dealer.name: o.weight for o in territory.owners.select_related("dealer")}
    assert weights == {"Alpha": Decimal("2"), "Beta": Decimal("1")}
    page = response.content.decode()
    assert "share counters start again from zero" in page
    assert "Added territory owner" in page  # the audit list on the page
    assert LogEntry.objects.filter(object_id=str(territory.pk), user=manager).count() == 1


def test_bad_input_shows_the_form_again_and_saves_nothing(client, manager, territory):
    url = reverse("manage:territory_edit", args=[territory.pk])
    response = client.post(
        url,
        form_data(
            territory,
            postcodes="3000-3099; 3050-3060",
            **{"owners-1-owner": f"dealer:{territory.owners.get().dealer_id}"},
        ),
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert "overlap" in page
    assert "Each owner can be listed only once." in page
    assert [(r.start, r.end) for r in territory.ranges.all()] == [(3000, 3099)]
    assert not LogEntry.objects.exists()


def test_creating_a_territory(client, manager):
    alpha = DealerFactory()
    response = client.post(
        reverse("manage:territory_create"),
        {
            "name": "LU Luxembourg",
            "country": "LU",
            "postcodes": "",
            "sectors": ["food", "automotive"],
            "is_active": "on",
            "owners-TOTAL_FORMS": "2",
            "owners-INITIAL_FORMS": "0",
            "owners-0-owner": f"dealer:{alpha.pk}",
            "owners-0-weight": "1.5",
            "owners-1-owner": "",
            "owners-1-weight": "1",
        },
    )
    created = Territory.objects.get(name="LU Luxembourg")
    assert response.status_code == 302
    assert created.sectors == ["automotive", "food"]
    assert not created.ranges.exists()
    assert created.owners.get().weight == Decimal("1.5")


def import_file(client, content: bytes):
    """Upload (check and preview), then Apply the file the preview carries."""
    upload = SimpleUploadedFile("t.csv", content, content_type="text/csv")
    response = client.post(reverse("manage:territory_import"), {"file": upload})
    assert response.status_code == 200
    apply_form = response.context["apply_form"]
    if apply_form is None:
        return response
    signed = apply_form.initial["content"]
    return client.post(reverse("manage:territory_import"), {"content": signed})


def test_export_and_import_through_the_pages(client, manager, territory):
    export = client.get(reverse("manage:territory_export"))
    assert export["Content-Type"].startswith("text/csv")
    text = export.content.decode().replace("3000-3099", "3000-3199")
    upload = SimpleUploadedFile("t.csv", text.encode(), content_type="text/csv")
    response = client.post(reverse("manage:territory_import"), {"file": upload})
    assert response.status_code == 200 and b"this is what saving would do" in response.content
    assert 'id="whatif"' in response.content.decode()
    assert [(r.start, r.end) for r in territory.ranges.all()] == [(3000, 3099)]
    response = import_file(client, text.encode())
    assert b"Imported: 0 new, 1 changed, 0 unchanged." in response.content
    assert [(r.start, r.end) for r in territory.ranges.all()] == [(3000, 3199)]


def test_the_export_shows_formulas_as_text_and_imports_back_unchanged(client, manager):
    evil = territory_with(
        name='=HYPERLINK("http://evil.example","x")',
        ranges=[(3000, 3099)],
        owners=[(DealerFactory(name="Alpha"), 1)],
    )
    evil.notes = "@SUM(1+1)"
    evil.save()
    export = client.get(reverse("manage:territory_export"))
    rows = downloaded_cells(export)
    assert rows[1][0] == "'" + evil.name
    assert rows[1][-1] == "'@SUM(1+1)"
    assert not live_cells(rows)
    response = import_file(client, export.content)
    assert b"Imported: 0 new, 0 changed, 1 unchanged." in response.content
    assert Territory.objects.get().notes == "@SUM(1+1)"


def test_a_broken_upload_is_a_clear_message(client, manager):
    response = import_file(client, b"title\nx\n")
    assert response.status_code == 200
    assert b"missing: name, country" in response.content
    assert response.context["preview"] is None


def test_the_coverage_page_shows_gaps_overlaps_and_paused_owners(client, manager, territory):
    paused = DealerFactory(name="Sleepy B.V.", status="paused")
    territory_with(name="NL Paused", ranges=[(5000, 5999)], owners=[(paused, 1)])
    territory_with(name="NL Overlap", ranges=[(3050, 3060)], owners=[(DealerFactory(), 1)])
    page = client.get(reverse("manage:territory_coverage")).content.decode()
    assert "NL Paused" in page and "Sleepy B.V.: paused" in page
    assert "3050-3060 → NL Overlap" in page
    assert "1000–2999" in page  # the gap before Rijnmond

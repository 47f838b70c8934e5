"""POST /api/v1/leads/batch/: many leads in one request, each answered as the single
endpoint would, idempotent by external id, a bad item never failing the others."""

import copy
from collections import Counter

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from leads.api.views import BATCH_EXAMPLE
from leads.models import Assignment, DuplicateSubmission, Integration, Lead, LeadEvent
from leads.services.api_keys import api_key_create
from leads.services.intake import BATCH_MAX
from tests.factories import DealerFactory, territory_with
from tests.query_plans import full_reads

pytestmark = pytest.mark.django_db
URL = "/api/v1/leads/batch/"
SINGLE = "/api/v1/leads/"


@pytest.fixture
def world():
    a, b = DealerFactory(name="Rijnmond Techniek"), DealerFactory(name="Maasstad Machines")
    territory_with(name="NL Rijnmond", ranges=[(3000, 3299)], owners=[(a, 1), (b, 1)])
    return {"a": a, "b": b}


@pytest.fixture
def api(client):
    integration = Integration.objects.create(name="CRM sync", kind=Integration.Kind.MARKETING)
    _key, secret = api_key_create(name="crm", integration=integration)

    def post(payload, url=URL):
        return client.post(
            url, payload, content_type="application/json", HTTP_AUTHORIZATION=f"Api-Key {secret}"
        )

    return post


def lead(n: int, **fields) -> dict:
    return {
        "external_id": f"crm-{n}",
        "company_name": f"Havenbedrijf {n} B.V.",
        "country": "NL",
        "postcode": "3011 AB",
        "contact_name": "Jan de Vries",
        "contact_email": f"jan@havenbedrijf-{n}.example",
        "interest": "demo",
        "estimated_value": "45000",
        **fields,
    }


def test_mixed_good_duplicate_and_bad_items_each_get_their_own_answer(world, api):
    known = api(lead(1), url=SINGLE).json()
    items = [
        lead(1),  # already posted through the single endpoint (same source: marketing)
        lead(2),
        lead(3, postcode="ABC"),  # a field error
        lead(4, contact_email=""),  # neither e-mail nor phone
        lead(5, external_id=""),  # a batch item needs an id
        lead(6, contact_email="jan@havenbedrijf-2.example"),  # repeats item 2's contact
        lead(2),  # the same item twice in one batch
        lead(7, colour="blue"),  # a field the API does not take
    ]
    response = api({"leads": items})

    assert response.status_code == 207
    body = response.json()
    statuses = [r["status"] for r in body["results"]]
    assert statuses == [200, 201, 400, 400, 400, 200, 200, 400]
    assert [r["index"] for r in body["results"]] == list(range(len(items)))
    results = body["results"]
    assert results[0]["lead"]["id"] == known["id"]
    assert results[1]["lead"]["owner"]["kind"] == "dealer" and results[1]["lead"]["rule"]
    assert results[1]["lead"]["deadlines"]["first_update_due_at"]
    assert "postcode" in results[2]["errors"]
    assert results[4]["errors"]["external_id"]
    assert results[5]["lead"]["id"] == results[1]["lead"]["id"]
    assert results[5]["lead"]["duplicate"] is True
    assert results[6]["lead"]["id"] == results[1]["lead"]["id"]
    assert results[7]["errors"] == {"colour": ["Unknown field."]}
    assert (body["created"], body["existing"], body["invalid"]) == (1, 3, 4)
    assert Lead.objects.count() == 2
    assert DuplicateSubmission.objects.count() == 1


def test_the_same_batch_again_adds_nothing(world, api):
    items = [lead(n) for n in range(20)] + [lead(20, contact_email="jan@havenbedrijf-3.example")]
    first = api({"leads": items}).json()
    tables = (Lead, Assignment, LeadEvent, DuplicateSubmission)
    counts = [model.objects.count() for model in tables]

    again = api({"leads": copy.deepcopy(items)}).json()

    assert [model.objects.count() for model in tables] == counts
    assert (first["created"], first["existing"]) == (20, 1)
    assert (again["created"], again["existing"]) == (0, 21)
    assert [r["lead"]["id"] for r in again["results"]] == [
        r["lead"]["id"] for r in first["results"]
    ]
    assert again["results"][20]["lead"]["duplicate"] is True


def test_a_full_batch_of_500_is_routed_set_wise_and_split_fairly(world, api):
    items = [lead(n, postcode=f"30{n % 100:02d}") for n in range(BATCH_MAX)]
    with CaptureQueriesContext(connection) as queries:
        response = api({"leads": items})

    body = response.json()
    assert body["created"] == BATCH_MAX
    assert len(queries) < 100  # set-wise: 36 on PostgreSQL, 79 on SQLite; not a few per lead
    owners = Counter(r["lead"]["owner"]["name"] for r in body["results"])
    assert owners == {"Rijnmond Techniek": 250, "Maasstad Machines": 250}
    assert Assignment.objects.filter(ended_at__isnull=True).count() == BATCH_MAX
    assert set(Lead.objects.values_list("source", flat=True)) == {Lead.Source.MARKETING}


def test_repeats_of_open_leads_are_answered_in_a_constant_number_of_queries(world, api):
    """Each repeat is answered with its open lead's whole body (owner, reason,
    deadlines), read for all of them at once, not a field at a time per item."""
    first = api({"leads": [lead(n) for n in range(40)]}).json()
    assert first["created"] == 40

    def repeats(count: int, start: int):
        items = [
            lead(n, external_id=f"web-{start + n}", company_name=f"Other name {start + n}")
            for n in range(count)
        ]
        with CaptureQueriesContext(connection) as queries:
            body = api({"leads": items}).json()
        assert body["existing"] == count
        return body, len(queries)

    few, few_queries = repeats(21, 100)  # (20 rows and more are written with COPY)
    many, many_queries = repeats(40, 200)
    assert many_queries == few_queries
    single = {r["lead"]["id"]: r["lead"] for r in first["results"]}
    for result in many["results"]:
        assert result["lead"]["duplicate"] is True
        original = single[result["lead"]["id"]]
        assert result["lead"]["owner"] == original["owner"]
        assert result["lead"]["reason"] == original["reason"]


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({}, "leads"),
        ({"leads": []}, "leads"),
        ({"leads": "everything"}, "leads"),
        ({"leads": [5]}, "leads"),
        ({"leads": [lead(1)], "dry_run": True}, "dry_run"),
        ({"leads": [lead(n) for n in range(BATCH_MAX + 1)]}, "leads"),
    ],
)
def test_what_is_no_batch_is_a_400_and_writes_nothing(world, api, payload, field):
    response = api(payload)
    assert response.status_code == 400
    assert field in response.json()
    assert Lead.objects.count() == 0


def test_a_batch_needs_an_integration_key(world, client):
    response = client.post(URL, {"leads": [lead(1)]}, content_type="application/json")
    assert response.status_code in (401, 403)
    assert Lead.objects.count() == 0


@pytest.mark.postgres
def test_an_item_the_database_refuses_is_reported_and_the_others_go_in(world, api):
    """A trigger refuses one company's lead: that item is answered 409, the rest 201."""
    with connection.cursor() as cursor:
        cursor.execute(
            """
            CREATE FUNCTION refuse_one() RETURNS trigger AS $$
            BEGIN
                IF NEW.company_name = 'Havenbedrijf 3 B.V.' THEN
                    RAISE EXCEPTION 'refused for the test';
                END IF;
                RETURN NEW;
            END $$ LANGUAGE plpgsql;
            CREATE TRIGGER refuse_one BEFORE INSERT ON leads_lead
            FOR EACH ROW EXECUTE FUNCTION refuse_one();
            """
        )
    body = api({"leads": [lead(n) for n in range(6)]}).json()

    assert [r["status"] for r in body["results"]] == [201, 201, 201, 409, 201, 201]
    assert "refused for the test" in body["results"][3]["errors"]["detail"][0]
    assert Lead.objects.count() == 5


@pytest.mark.postgres
def test_every_lookup_of_a_full_batch_uses_an_index(world, api):
    """Of a list of over 100 ids PostgreSQL cannot tell that none is empty, the condition
    of the partial indexes on ``external_id``: a lookup that does not say so read every
    lead, and the batch API slowed as the table grew (2,905 leads/s at first, 1,904 after
    200,000)."""
    api({"leads": [lead(n) for n in range(150)]})
    repeats = [lead(n, external_id=f"web-{n}", company_name=f"Other {n}") for n in range(150)]
    api({"leads": repeats})
    items = [lead(n) for n in range(300, 450)] + repeats[:50] + [lead(n) for n in range(50)]
    with CaptureQueriesContext(connection) as queries:
        body = api({"leads": items[:BATCH_MAX]}).json()
    assert body["created"] == 150 and body["existing"] == 100

    tables = {"leads_lead", "leads_duplicatesubmission", "leads_account"}
    assert full_reads(queries.captured_queries, tables) == []


def test_the_documented_example_is_routed_as_it_reads(world, api):
    """The schema's example batch is one an integrator may copy: every item routed."""
    body = api(BATCH_EXAMPLE).json()
    assert [r["status"] for r in body["results"]] == [201] * len(BATCH_EXAMPLE["leads"])

"""CSV import: row-level report, good rows kept and routed, idempotent, in the background."""

import io

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone, translation
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from leads.models import DuplicateSubmission, ImportJob, Lead, LeadEvent
from leads.services import duplicates, imports
from leads.services.cleaning import clean_lead_fields
from leads.services.imports import import_jobs_run_pending, import_leads
from leads.services.intake import new_lead
from portal.messages import render_message
from portal.users.models import Role
from tests.factories import DealerFactory, DealerMemberFactory, StaffFactory, territory_with
from tests.spreadsheets import downloaded_cells, live_cells

pytestmark = pytest.mark.django_db

CSV = """external_id,company,contact,email,country,postcode,city,sector,value,interest
fair-1,Van Leeuwen Verpakkingen B.V.,Sanne van Leeuwen,sanne@vanleeuwen.example,NL,3011 AB,Rotterdam,packaging,45000,demo
fair-2,Maas Logistiek B.V.,Piet Maas,piet@maas.example,NL,3012,Rotterdam,logistics,,content
fair-3,Broken Postcode B.V.,Anna,anna@broken.example,NL,12,Rotterdam,,,
fair-4,Nowhere GmbH,Jonas,jonas@nowhere.example,XX,,,,,
fair-5,,Nobody,nobody@example.example,NL,3013,Rotterdam,,,
fair-6,Hamburg Hafen GmbH,Jan,jan@hafen.example,DE,20095,Hamburg,logistics,100000,price
"""


@pytest.fixture
def rotterdam():
    dealer = DealerFactory(name="Rijnmond Techniek")
    territory_with(name="NL Rijnmond", ranges=[(3000, 3299)], owners=[(dealer, 1)])
    return dealer


def run(text: str, **kwargs):
    return import_leads(stream=io.BytesIO(text.encode()), **kwargs)


def test_bad_rows_are_reported_with_line_and_reason_and_good_rows_kept(rotterdam):
    report = run(CSV)
    assert report.total_rows == 6
    assert report.created == 3
    assert report.error_rows == 3
    lines = {e["line"]: e["errors"] for e in report.errors}
    assert set(lines) == {4, 5, 6}
    assert "postcode" in lines[4]
    assert "country" in lines[5]
    assert "company_name" in lines[6]
    leads = {lead.external_id: lead for lead in Lead.objects.all()}
    assert leads["fair-1"].owner_dealer == rotterdam
    assert leads["fair-1"].temperature == "hot"
    assert leads["fair-6"].owner_queue_id == "pool"  # no territory in DE: never ownerless
    assert all(lead.events.get(kind="created").data["line"] for lead in leads.values())


def test_sector_language_and_temperature_may_be_written_as_words_in_en_nl_or_de(rotterdam):
    report = run(
        "company,email,country,postcode,sector,language,temperature\n"
        "Eins GmbH,a@eins.example,NL,3011,Maschinenbau,Deutsch,heiß\n"
        "Twee B.V.,b@twee.example,NL,3011,VOEDING & DRANKEN,nederlands,Koud\n"
        "Three Ltd,c@three.example,NL,3011,Automotive,EN,Hot (demo or price requested)\n"
        "Vier B.V.,d@vier.example,NL,3011,industrial,,\n"
    )
    assert report.created == 3
    leads = {x.company_name: x for x in Lead.objects.all()}
    assert (leads["Eins GmbH"].sector, leads["Eins GmbH"].language) == ("machinery", "de")
    assert leads["Eins GmbH"].temperature == "hot"
    assert (leads["Twee B.V."].sector, leads["Twee B.V."].temperature) == ("food", "cold")
    assert (leads["Three Ltd"].sector, leads["Three Ltd"].language) == ("automotive", "en")
    ((problem,),) = [list(e["errors"].items()) for e in report.errors if e["line"] == 5]
    assert problem[0] == "sector" and "industrial" in render_message(problem[1][0])


def test_import_problems_name_fields_by_their_label():
    job = ImportJob(
        errors=[{"line": 3, "errors": {"company_name": ["Required."], "__all__": ["Odd row."]}}]
    )
    assert job.problems == [
        {
            "line": 3,
            "items": [
                {"label": "Company", "messages": ["Required."]},
                {"label": "", "messages": ["Odd row."]},
            ],
        }
    ]


def test_import_problems_are_read_in_each_readers_language(rotterdam):
    """The report is written once (by a worker, in English) and read later by people
    of any language: the problems are stored as messages."""
    report = run("company,country\nNergens B.V.,XX\n")
    job = ImportJob(errors=report.errors)
    with translation.override("nl"):
        ((dutch,),) = [row["items"][0]["messages"] for row in job.problems]
    with translation.override("de"):
        ((german,),) = [row["items"][0]["messages"] for row in job.problems]
    assert dutch.startswith("Onbekende landcode XX"), dutch
    assert german.startswith("Unbekannter Ländercode XX"), german


def test_importing_the_same_file_twice_adds_nothing(rotterdam):
    run(CSV)
    counts = (Lead.objects.count(), LeadEvent.objects.count())
    report = run(CSV)
    assert report.created == 0
    assert report.existing == 3
    assert (Lead.objects.count(), LeadEvent.objects.count()) == counts


def test_rows_without_external_id_are_idempotent_by_content(rotterdam):
    text = "company;email;country;postcode\nVan Dijk B.V.;info@vandijk.example;NL;3011\nDe Boer B.V.;info@deboer.example;NL;3014\n"
    assert run(text).created == 2
    assert run(text).created == 0
    assert Lead.objects.count() == 2


def test_a_repeat_contact_in_the_file_is_attached_not_routed_twice(rotterdam):
    text = (
        "company,email,country,postcode\n"
        "Van Dijk B.V.,info@vandijk.example,NL,3011\n"
        "Van Dijk B.V.,sales@vandijk.example,NL,3011\n"
    )
    report = run(text)
    assert (report.created, report.duplicates) == (1, 1)
    lead = Lead.objects.get()
    assert lead.events.filter(kind="duplicate").count() == 1


def test_importing_a_file_with_a_repeat_twice_adds_nothing(rotterdam):
    """The repeat row was attached to the lead the first time: the second import knows
    its external id too (before, it was attached again: a second duplicate event)."""
    text = (
        "company,email,country,postcode\n"
        "Van Dijk B.V.,info@vandijk.example,NL,3011\n"
        "Van Dijk B.V.,sales@vandijk.example,NL,3011\n"
    )
    run(text)
    counts = (Lead.objects.count(), LeadEvent.objects.count(), DuplicateSubmission.objects.count())
    report = run(text)
    assert (report.created, report.duplicates, report.existing) == (0, 0, 2)
    assert (
        Lead.objects.count(),
        LeadEvent.objects.count(),
        DuplicateSubmission.objects.count(),
    ) == counts


def test_batches_do_not_change_the_outcome(rotterdam):
    rows = "".join(
        f"ext-{i},Company {i} B.V.,c{i}@company{i}.example,NL,30{i % 100:02d}\n" for i in range(57)
    )
    report = run("external_id,company,email,country,postcode\n" + rows, batch_size=10)
    assert report.created == 57
    assert Lead.objects.filter(owner_dealer=rotterdam).count() == 57


def test_a_file_without_header_is_refused_with_a_message():
    with pytest.raises(ValidationError, match="first line must name the columns"):
        run("foo,bar\n1,2\n")


def test_the_command_prints_the_report(rotterdam, tmp_path, capsys):
    path = tmp_path / "leads.csv"
    path.write_text(CSV)
    call_command("import_leads", str(path))
    captured = capsys.readouterr()
    assert "6 rows: 3 leads created" in captured.out
    assert "line 4: postcode" in captured.err


def test_upload_page_runs_in_the_background_with_progress(client, rotterdam, settings):
    manager = StaffFactory(role=Role.CHANNEL_MANAGER).user
    client.force_login(manager)
    upload = SimpleUploadedFile("fair.csv", CSV.encode(), content_type="text/csv")
    settings.MEDIA_ROOT = str(settings.BASE_DIR / "var" / "test-media")
    response = client.post(reverse("manage:import"), {"file": upload})
    job = ImportJob.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("manage:import_detail", args=[job.pk])
    assert job.status == "pending"  # nothing ran inside the request
    assert import_jobs_run_pending() == 1
    job.refresh_from_db()
    assert (job.status, job.total_rows, job.created_leads, job.error_rows) == ("done", 6, 3, 3)
    page = client.get(reverse("manage:import_detail", args=[job.pk]))
    assert b"Rows not imported" in page.content
    # fields are named as people know them, not by their column in the database
    assert "Company:" in page.content.decode() and "company_name" not in page.content.decode()
    assert b'data-width="100"' in page.content
    partial = client.get(reverse("manage:import_detail", args=[job.pk]), HTTP_HX_REQUEST="true")
    assert b"<html" not in partial.content


def test_the_example_file_is_safe_to_open_and_imports_as_it_reads(client, rotterdam):
    client.force_login(StaffFactory(role=Role.CHANNEL_MANAGER).user)
    example = client.get(reverse("manage:import_example"))
    assert example["Content-Disposition"] == 'attachment; filename="leads-example.csv"'
    rows = downloaded_cells(example)
    # a spreadsheet would read "+31 10 123 4567" as a formula; the quote keeps it text
    assert rows[1][rows[0].index("phone")] == "'+31 10 123 4567"
    assert not live_cells(rows)
    report = import_leads(stream=io.BytesIO(example.content))
    assert (report.created, report.error_rows) == (1, 0)
    assert Lead.objects.get().contact_phone == "+31 10 123 4567"


def test_only_channel_managers_import(client):
    member = DealerMemberFactory()
    client.force_login(member.user)
    assert client.get(reverse("manage:import")).status_code == 403
    client.force_login(StaffFactory(role=Role.INTERNAL_SALES).user)
    assert client.get(reverse("manage:import")).status_code == 403


def test_upload_of_a_non_csv_is_refused(client):
    client.force_login(StaffFactory(role=Role.CHANNEL_MANAGER).user)
    upload = SimpleUploadedFile("leads.xlsx", b"PK..", content_type="application/octet-stream")
    response = client.post(reverse("manage:import"), {"file": upload})
    assert response.status_code == 200
    assert b"Upload a .csv file" in response.content
    assert ImportJob.objects.count() == 0


@pytest.mark.django_db
def test_fast_instances_hold_what_the_constructor_gives():
    """The import builds leads without ``Model.__init__``: they must hold the same
    values, with fresh mutable and callable defaults each."""
    from portal.db import Instances

    make = Instances(Lead)
    assert make.fast  # Lead has no init receivers
    fast = make(company_name="Fast B.V.", country="NL", estimated_value=None)
    slow = Lead(company_name="Fast B.V.", country="NL", estimated_value=None)
    skip = {"_state", "created_at", "updated_at", "status_changed_at"}
    assert {k: v for k, v in fast.__dict__.items() if k not in skip} == {
        k: v for k, v in slow.__dict__.items() if k not in skip
    }
    assert fast._state.adding and fast.pk is None and fast.country.code == "NL"
    other = make(company_name="Other GmbH", country="DE")
    other.qualification["fit"] = True
    assert fast.qualification == {}
    assert fast.routing_candidates is not other.routing_candidates


# --- an import never stops on a row -----------------------------------------------------

HEADER = "external_id,company,email,country,postcode,value\n"
GOOD = "good-{n},Goede Zaken {n} B.V.,info@goed{n}.example,NL,3011 AB,1000\n"


def test_no_row_stops_an_import_and_each_problem_is_reported_on_its_line(rotterdam):
    text = (
        HEADER
        + GOOD.format(n=1)
        + "nan,NaN Machines B.V.,a@nan.example,NL,3011 AB,NaN\n"  # line 3
        + "inf,Inf Machines B.V.,a@inf.example,NL,3011 AB,Infinity\n"  # line 4
        + "big,Big Machines B.V.,a@big.example,NL,3011 AB,1e20\n"  # line 5
        + GOOD.format(n=2)
        + f"long,{'L' * 10_000},a@long.example,NL,3011 AB,\n"  # line 7
        + "nul,Nul\x00 Machines B.V.,a@nul.example,NL,3011 AB,\n"  # line 8
        + f'huge,"{"H" * 200_000}",a@huge.example,NL,3011 AB,\n'  # line 9: too big to read
        + GOOD.format(n=3)
    )

    report = run(text)

    problems = {e["line"]: e["errors"] for e in report.errors}
    assert set(problems) == {3, 4, 5, 7, 8, 9}
    assert {line: list(errors) for line, errors in problems.items() if line != 9} == {
        3: ["estimated_value"],
        4: ["estimated_value"],
        5: ["estimated_value"],
        7: ["company_name"],
        8: ["company_name"],
    }
    assert "could not be read" in render_message(problems[9]["__all__"][0])
    assert report.created == 3
    assert sorted(Lead.objects.values_list("external_id", flat=True)) == [
        "good-1",
        "good-2",
        "good-3",
    ]


@pytest.fixture
def database_refuses_a_company():
    """A real database error for one company name: a trigger that refuses its row."""
    from django.db import connection

    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "CREATE FUNCTION refuse_lead() RETURNS trigger AS $$ BEGIN "
                "IF NEW.company_name = 'Refused B.V.' THEN RAISE EXCEPTION 'refused row'; "
                "END IF; RETURN NEW; END $$ LANGUAGE plpgsql"
            )
            cursor.execute(
                "CREATE TRIGGER refuse_lead BEFORE INSERT ON leads_lead "
                "FOR EACH ROW EXECUTE FUNCTION refuse_lead()"
            )
        else:
            cursor.execute(
                "CREATE TRIGGER refuse_lead BEFORE INSERT ON leads_lead "
                "WHEN NEW.company_name = 'Refused B.V.' BEGIN SELECT RAISE(ABORT, 'refused row'); END"
            )
    yield
    with connection.cursor() as cursor:
        cursor.execute(
            "DROP TRIGGER refuse_lead"
            + (" ON leads_lead" if connection.vendor == "postgresql" else "")
        )
        if connection.vendor == "postgresql":
            cursor.execute("DROP FUNCTION refuse_lead()")


@pytest.mark.parametrize("batch_size", [500, 3])
def test_a_row_the_database_refuses_is_reported_and_the_rest_goes_in(
    rotterdam, database_refuses_a_company, batch_size
):
    rows = [GOOD.format(n=n) for n in range(1, 8)]
    rows.insert(4, "refused,Refused B.V.,a@refused.example,NL,3011 AB,\n")  # line 6

    report = run(HEADER + "".join(rows), batch_size=batch_size)

    assert [e["line"] for e in report.errors] == [6]
    assert "refused row" in render_message(report.errors[0]["errors"]["__all__"][0])
    assert report.created == Lead.objects.count() == 7
    assert all(lead.events.filter(kind="created").count() == 1 for lead in Lead.objects.all())


# --- the import in worker processes ------------------------------------------------


def spread_over_the_file() -> str:
    """20 companies, each three times, a whole file apart (so in different batches);
    a row sharing its name with company 3 and its e-mail domain with company 7; a bad
    row. However the rows are spread over processes, each company is one lead."""
    rows = ["external_id,company,email,country,postcode"]
    for n in range(3):
        rows += [
            f"c{k}-{n},Jansen {k} Techniek B.V.,p{n}@jansen{k}.example,NL,30{k:02d}"
            for k in range(20)
        ]
    rows.append("joiner,Jansen 3 Techniek B.V.,x@jansen7.example,NL,3003")
    rows.append("bad,Kapot B.V.,a@kapot.example,NL,12")
    return "\n".join(rows) + "\n"


@pytest.mark.parametrize("processes", [1, pytest.param(2, marks=pytest.mark.postgres)])
@pytest.mark.django_db(transaction=True)
def test_worker_processes_route_and_attach_as_one_process_does(rotterdam, processes, monkeypatch):
    started = []

    class Recorded(imports.Partitioned):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            started.append(len(self.workers))

    monkeypatch.setattr(imports, "Partitioned", Recorded)
    report = run(spread_over_the_file(), batch_size=7, processes=processes)
    assert started == ([] if processes == 1 else [processes])

    assert (report.created, report.duplicates, report.existing) == (20, 41, 0)
    assert [e["line"] for e in report.errors] == [63]
    leads = Lead.objects.all()
    assert sorted(lead.external_id for lead in leads) == sorted(f"c{k}-0" for k in range(20))
    assert len({lead.company_normalized for lead in leads}) == 20  # no company twice
    attached = dict(DuplicateSubmission.objects.values_list("external_id", "lead__external_id"))
    for k in range(20):
        assert attached[f"c{k}-1"] == attached[f"c{k}-2"] == f"c{k}-0"
    assert attached["joiner"] in {"c3-0", "c7-0"}
    assert all(lead.owner_dealer == rotterdam for lead in leads)

    counts = (Lead.objects.count(), LeadEvent.objects.count(), DuplicateSubmission.objects.count())
    again = run(spread_over_the_file(), batch_size=7, processes=processes)
    assert (again.created, again.duplicates, again.existing, again.error_rows) == (0, 0, 61, 1)
    assert (
        Lead.objects.count(),
        LeadEvent.objects.count(),
        DuplicateSubmission.objects.count(),
    ) == counts


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_workers_never_use_or_end_a_connection_of_the_parent(rotterdam, monkeypatch):
    """A connection the parent still holds when the workers fork (seen once in a test
    run) stays the parent's: the workers open their own (sharing it, they read each
    other's answers: "the last operation didn't produce records (command status:
    BEGIN)") and do not end its session when they stop."""
    from django.db import connection, connections

    monkeypatch.setattr(connections, "close_all", lambda: None)
    connection.ensure_connection()
    session = connection.connection

    report = run(spread_over_the_file(), batch_size=7, processes=2)

    assert (report.created, report.duplicates) == (20, 41)
    assert connection.connection is session
    assert Lead.objects.count() == 20  # the parent's session still answers


def test_inside_a_transaction_the_import_stays_in_this_process(rotterdam, monkeypatch):
    """Worker processes could not see the surrounding transaction's rows (nor it
    theirs): the import then routes in this process, as with one."""
    monkeypatch.setattr(imports, "Partitioned", None)  # would fail if used
    report = run(CSV, processes=4)
    assert (report.created, report.error_rows) == (3, 3)


def test_the_command_takes_the_number_of_processes(rotterdam, tmp_path, capsys):
    path = tmp_path / "leads.csv"
    path.write_text(CSV)
    call_command("import_leads", str(path), "--processes", "2")
    assert "6 rows: 3 leads created" in capsys.readouterr().out


COMPANIES = st.sampled_from(
    [
        "Van Leeuwen Verpakkingen B.V.",
        "  van leeuwen verpakkingen bv ",
        "Müller & Söhne GmbH & Co. KG",
        "Firma De Boer",
        "ACME",
        "",
    ]
)
EMAILS = st.sampled_from(
    ["", "Sanne@VanLeeuwen.example", " info@gmail.com", "a.b@mueller-soehne.de ", "x@y"]
)
WEBSITES = st.sampled_from(
    ["", "https://www.vanleeuwen.example/contact", "WWW.Mueller-Soehne.DE", "gmail.com", "?"]
)
VATS = st.sampled_from(["", "NL001234567B01", "nl 0012.34.567.b01", "DE136695976", "XX1"])


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    company=COMPANIES,
    email=EMAILS,
    website=WEBSITES,
    vat=VATS,
    country=st.sampled_from(["NL", " nl", "DE", "be", "XX", ""]),
    external_id=st.sampled_from(["", " ext-1 ", "ext-2"]),
)
def test_a_rows_keys_are_the_identifiers_its_cleaned_lead_has(
    company, email, website, vat, country, external_id
):
    """The import's processes are chosen by ``row_keys`` before a row is cleaned: they
    must be exactly what the duplicate finder recognises the lead by, or two rows of one
    company could be routed at once in two processes."""
    row = {
        "company_name": company,
        "contact_email": email,
        "website": website,
        "vat_number": vat,
        "country": country,
        "contact_phone": "+31 10 123 4567",
        "external_id": external_id,
    }
    try:
        data = clean_lead_fields(imports.row_to_data(row))
    except ValidationError:
        return  # reported by the worker; its keys do not matter
    data["external_id"] = data.get("external_id") or imports.content_id(row)
    lead = new_lead(data, source=Lead.Source.CSV, now=timezone.now(), confirm=False)
    expected = duplicates.identity(lead) | {("external_id", lead.external_id)}
    assert imports.row_keys(row) == expected


@pytest.mark.postgres
def test_the_statistics_refresh_renews_the_lookup_columns_of_the_lead_table(rotterdam):
    """A big import re-analyses the lead table's lookup columns only; each is a column of
    the table (a renamed one would make the refresh fail, and every import with it)."""
    from django.db import connection

    assert set(imports.LOOKUP_COLUMNS) <= {f.column for f in Lead._meta.concrete_fields}
    import_leads(stream=io.BytesIO(CSV.encode()))
    imports._refresh_statistics()
    with connection.cursor() as cursor:
        cursor.execute("SELECT attname FROM pg_stats WHERE tablename = 'leads_lead'")
        analysed = {name for (name,) in cursor.fetchall()}
    assert set(imports.LOOKUP_COLUMNS) <= analysed


# Any text a spreadsheet cell can hold, line ends and the Unicode line separators
# ("\u2028", "\x85", form feed…) included: pasted text carries them.
CELLS = st.text(
    st.characters(codec="utf-8", exclude_categories=("Cs",))
    | st.sampled_from('\r\n\u2028\x85\x0c;,"'),
    max_size=12,
)


@settings(max_examples=150, deadline=None)
@given(rows=st.lists(st.lists(CELLS, min_size=3, max_size=3), min_size=1, max_size=4))
def test_every_cell_a_spreadsheet_writes_is_read_back_on_its_own_row(rows):
    """A cell holding a line break or a Unicode line separator stays one cell of one row
    (read before 2026-12-06 with a reader that split records at "\u2028" and "\x85")."""
    import csv

    out = io.StringIO(newline="")
    writer = csv.writer(out)
    writer.writerow(["company", "country", "message"])
    writer.writerows(rows)
    stream = io.BytesIO(out.getvalue().encode())
    read = [row for _line, row in imports.read_rows(stream)]
    expected = [
        [imports.spreadsheet_text(v.strip()) for v in row]
        for row in rows
        if any(v.strip() for v in row)
    ]
    assert [list(row.values()) for row in read] == expected
    assert not stream.closed  # the caller's to close

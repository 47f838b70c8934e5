"""Accounts and installed base as a CSV file on the Import page: the same door as the
accounts API (``accounts_upsert``), one row per installed product, idempotent, each
account written whole or not at all, problems reported on their lines in the reader's
language."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from leads.models import Account, ImportJob, InstalledProduct
from leads.services import account_imports
from leads.services.account_imports import import_accounts
from leads.services.imports import import_jobs_run_pending
from portal.users.models import Role
from tests.factories import DealerFactory, DealerMemberFactory, StaffFactory, territory_with
from tests.leads.pipeline_world import new_lead

pytestmark = pytest.mark.django_db

HEADER = (
    "external_id,legal_name,domain,vat_number,coc_number,country,postcode,parent_external_id,"
    "account_manager_email,serving_dealer_external_id,product,serial,installed_on\n"
)
# The subsidiary comes before its parent; the parent has two installed products.
CSV = HEADER + (
    "sub-1,Van Dijk Service B.V.,vandijk-service.example,,,NL,3012 CD,top-1,,,,,\n"
    "top-1,Van Dijk Techniek B.V.,vandijk-techniek.example,NL 0044.95.445.B01,,NL,3011 ab,,"
    "Eva@Maker.example,DLR-7,CNC 5-axis,SN-1,31-12-2023\n"
    "top-1,Van Dijk Techniek B.V.,vandijk-techniek.example,NL 0044.95.445.B01,,NL,3011 ab,,"
    "Eva@Maker.example,DLR-7,Press 200t,SN-2,31.12.2024\n"
)
BAD = HEADER + (
    "good-1,Goed B.V.,goed.example,,,NL,3013,,,,Laser,,2024-12-31\n"  # line 2
    "bad-vat,Foute BTW B.V.,,NL123,,NL,3014,,,,,,\n"  # line 3
    "bad-date,Datum B.V.,,,,NL,3015,,,,Drill,,2024-12-31\n"  # line 4
    "bad-date,Datum B.V.,,,,NL,3015,,,,Drill 2,,31-31-2024\n"  # line 5
    "bad-manager,Niemand B.V.,,,,NL,3016,,nobody@maker.example,,,,\n"  # line 6
    ",Zonder Id B.V.,,,,NL,3017,,,,,,\n"  # line 7
    "bad-country,Nowhere Ltd,,,,XX,,,,,,,\n"  # line 8
    "orphan,Wees B.V.,,,,NL,3018,bad-vat,,,,,\n"  # line 9: its parent is refused
    "no-date,Ohne Datum GmbH,,,,DE,20095,,,,Press,SN-9,\n"  # line 10
    "good-2,Auch Gut GmbH,,,,de,20095,,,,Press,SN-10,1.2.2020\n"  # line 11
)


@pytest.fixture
def world():
    eva = StaffFactory(
        role=Role.INTERNAL_SALES, is_account_manager=True, user__email="eva@maker.example"
    ).user
    dealer = DealerFactory(name="Rijnmond Techniek", external_id="DLR-7")
    territory_with(name="NL Rijnmond", ranges=[(3000, 3099)], owners=[(dealer, 1)])
    return {"eva": eva, "dealer": dealer}


def run(text: str, encoding: str = "utf-8", **kwargs):
    return import_accounts(stream=io.BytesIO(text.encode(encoding)), **kwargs)


def upload(client, text: bytes, name: str = "accounts.csv"):
    file = SimpleUploadedFile(name, text, content_type="text/csv")
    return client.post(reverse("manage:import_accounts"), {"accounts-file": file})


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)


def test_a_channel_manager_uploads_accounts_parents_and_installed_base(client, world, media):
    manager = StaffFactory(role=Role.CHANNEL_MANAGER).user
    client.force_login(manager)
    response = upload(client, CSV.encode())
    job = ImportJob.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("manage:import_detail", args=[job.pk])
    assert (job.kind, job.status) == ("accounts", "pending")  # nothing ran in the request
    assert import_jobs_run_pending() == 1
    job.refresh_from_db()
    assert (job.status, job.total_rows, job.processed_rows) == ("done", 3, 3)
    assert (job.created_accounts, job.updated_accounts, job.installed_products) == (2, 0, 2)
    assert job.error_rows == 0 and job.errors == []

    top, sub = Account.objects.get(external_id="top-1"), Account.objects.get(external_id="sub-1")
    assert sub.parent == top
    assert (top.vat_number, top.postcode, top.website_domain) == (
        "NL004495445B01",
        "3011 AB",
        "vandijk-techniek.example",
    )
    assert (top.account_manager, top.serving_dealer) == (world["eva"], world["dealer"])
    products = top.installed_base.order_by("installed_on")
    assert [(p.product, p.serial_number, p.installed_on.isoformat()) for p in products] == [
        ("CNC 5-axis", "SN-1", "2023-12-31"),
        ("Press 200t", "SN-2", "2024-12-31"),
    ]
    assert not sub.installed_base.exists()
    page = client.get(reverse("manage:import_detail", args=[job.pk]))
    assert b"accounts created" in page.content and b"Rows not imported" not in page.content
    assert b"Accounts and installed base" in client.get(reverse("manage:import")).content

    # The subsidiary's lead goes to the parent's account manager (as after an API sync).
    lead = new_lead(
        company_name="Van Dijk Service B.V.",
        website="https://vandijk-service.example",
        contact_email="inkoop@vandijk-service.example",
        postcode="3012 CD",
    )
    assert lead.account == sub
    assert (lead.owner_user, lead.routing_rule) == (world["eva"], "installed_base")


def test_importing_the_same_file_again_changes_nothing(world):
    first = run(CSV)
    assert (first.created, first.updated, first.products, first.error_rows) == (2, 0, 2, 0)
    before = sorted(
        InstalledProduct.objects.values_list("account__external_id", "product", "installed_on")
    )
    again = run(CSV)
    assert (again.created, again.updated, again.products, again.error_rows) == (0, 2, 2, 0)
    assert Account.objects.count() == 2
    after = sorted(
        InstalledProduct.objects.values_list("account__external_id", "product", "installed_on")
    )
    assert after == before
    # A file without the product columns keeps the installed base.
    run("external_id,legal_name,country,postcode\ntop-1,Van Dijk Techniek B.V.,NL,3011 AB\n")
    assert Account.objects.get(external_id="top-1").installed_base.count() == 2


def test_bad_rows_are_reported_on_their_lines_and_the_good_accounts_go_in(world):
    report = run(BAD, batch_size=3)
    assert (report.total_rows, report.created, report.products) == (10, 2, 2)
    assert report.error_rows == 8
    assert [p["line"] for p in report.errors] == [3, 5, 6, 7, 8, 9, 10]  # in file order
    problems = {p["line"]: p for p in report.errors}
    assert "vat_number" in problems[3]["errors"]
    # the bad date is on the second row of its account; both rows wait
    assert "installed_on" in problems[5]["errors"] and problems[5]["lines"] == [4, 5]
    assert "account_manager" in problems[6]["errors"]
    assert "external_id" in problems[7]["errors"]
    assert "country" in problems[8]["errors"]
    assert "parent" in problems[9]["errors"]
    assert "installed_on" in problems[10]["errors"]  # the API's own "required"
    assert set(Account.objects.values_list("external_id", flat=True)) == {"good-1", "good-2"}
    assert Account.objects.get(external_id="good-2").country == "DE"
    job = ImportJob(kind=ImportJob.Kind.ACCOUNTS, errors=report.errors, error_rows=8)
    assert not job.problems_cut  # 7 problems cover the 8 rows
    labels = {row["line"]: row["items"][0]["label"] for row in job.problems}
    assert (labels[3], labels[5], labels[9]) == ("VAT number", "Installed on", "Parent company")


def test_a_semicolon_separated_windows_1252_file_from_excel(world):
    text = (
        "external_id;legal_name;country;postcode;product;serial;installed_on\r\n"
        "de-1;Müller Maschinenbau GmbH;DE;80331;Fräse;F-1;31.12.2024\r\n"
        "de-1;Müller Maschinenbau GmbH;DE;80331;Säge;;01.02.2020\r\n"
    )
    report = run(text, encoding="cp1252")
    assert (report.created, report.products, report.error_rows) == (1, 2, 0), report.errors
    account = Account.objects.get(external_id="de-1")
    assert account.legal_name == "Müller Maschinenbau GmbH"
    assert sorted(account.installed_base.values_list("product", flat=True)) == ["Fräse", "Säge"]
    # and UTF-8 with a BOM, as Excel's "CSV UTF-8" writes it
    bom = "\ufeff" + text.replace("de-1", "de-2")
    assert run(bom, encoding="utf-8").created == 1
    assert Account.objects.get(external_id="de-2").legal_name == "Müller Maschinenbau GmbH"


def test_a_dealer_and_other_staff_may_not_import_accounts(client, media):
    for user in (DealerMemberFactory().user, StaffFactory(role=Role.INTERNAL_SALES).user):
        client.force_login(user)
        assert upload(client, CSV.encode()).status_code == 403
        assert client.get(reverse("manage:import_accounts_example")).status_code == 403
    assert not ImportJob.objects.exists() and not Account.objects.exists()


def test_a_file_without_the_needed_columns_is_refused_at_once(client, media):
    client.force_login(StaffFactory(role=Role.CHANNEL_MANAGER).user)
    response = upload(client, b"company,country\nX B.V.,NL\n")
    assert response.status_code == 200
    assert b"at least external_id, legal_name and country" in response.content
    assert not ImportJob.objects.exists()


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        ("nl", ["Niet geïmporteerde rijen", "Niemand bij de fabrikant heeft dit e-mailadres."]),
        ("de", ["Nicht importierte Zeilen", "Niemand beim Hersteller hat diese E-Mail-Adresse."]),
    ],
)
def test_the_report_reads_in_dutch_and_german(client, world, media, language, expected):
    manager = StaffFactory(role=Role.CHANNEL_MANAGER, user__language=language).user
    client.force_login(manager)
    upload(client, BAD.encode())
    import_jobs_run_pending()
    job = ImportJob.objects.get()
    page = client.get(reverse("manage:import_detail", args=[job.pk])).content.decode()
    for text in expected:
        assert text in page
    assert "Nobody at the manufacturer" not in page and "Rows not imported" not in page


def test_the_example_file_imports_as_it_reads(client, world):
    client.force_login(StaffFactory(role=Role.CHANNEL_MANAGER).user)
    example = client.get(reverse("manage:import_accounts_example"))
    assert example["Content-Disposition"] == 'attachment; filename="accounts-example.csv"'
    report = import_accounts(stream=io.BytesIO(example.content))
    assert (report.created, report.products, report.error_rows) == (2, 3, 0), report.errors
    assert Account.objects.get(external_id="crm-101").parent.external_id == "crm-100"


def test_thousands_of_rows_in_batches(world):
    rows = "".join(
        f"acc-{n},Company {n} B.V.,company{n}.example,,,NL,{1000 + n % 8000} AB,"
        f"{'acc-0' if n else ''},,,Press,SN-{n},2024-01-01\n"
        for n in range(3000)
    )
    report = run(HEADER + rows)
    assert (report.created, report.products, report.error_rows) == (3000, 3000, 0)
    assert Account.objects.filter(parent__external_id="acc-0").count() == 2999
    assert account_imports.BATCH < 3000

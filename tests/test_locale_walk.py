"""Every page in Dutch and German, as each kind of demo user reads it.

The demo data set is seeded once for this module (smaller than ``seed_demo``'s
default, with more than 1,000 leads so ids have four digits) at a fixed moment.
Each user of the demo's roles reads the portal in Dutch and in German: the walk of
``tests/page_walk.py`` opens every page they reach (every URL pattern, then the links
and GET forms of each page), and ``tests/locale_check.py`` reads what is on it. A
page fails on:

- an English word outside the short allow-list (``locale_check.ALLOWED``);
- an ISO date, an English number (``12,000``, ``2.00``) or ``50%`` without a space;
- a Dutch month with a capital letter;
- a number with a thousands separator where a machine reads it back (a link, a form
  value, an element id);
- a link that answers 404.

Every URL pattern must be reached: one no page links to is opened with a made-up id
and must then answer 405 (it only takes a POST), a download, or a page (checked too).
"""

import datetime as dt
import time
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.files.base import ContentFile
from django.core.management import call_command
from django.core.management.color import no_style
from django.db import connection, transaction
from django.test.utils import override_settings
from django.urls import get_resolver, reverse
from django.utils import timezone, translation

from dealers import allocation
from dealers.models import Dealer, DealerMembership
from dealers.services.claims import claim_reject, claim_submit
from leads.models import ImportJob, Lead
from leads.services.cleaning import clean_lead_fields
from leads.services.email_actions import action_token
from leads.services.imports import import_job_run
from leads.services.intake import lead_intake
from leads.services.sla import sla_sweep
from portal.users.models import Notification, Role, User
from portal.users.services import notifications_deliver, notifications_send_digests, user_invite
from tests.factories import AccountFactory, DealerFactory, TerritoryFactory, UserFactory
from tests.locale_check import (
    data_phrases,
    findings,
    grouped_numbers_in_attributes,
    visible_text,
)
from tests.page_walk import crawl, unreached
from tests.test_url_walk import kwarg_names, walk

# A Tuesday morning in working hours; the clock ticks from there.
NOW = dt.datetime(2026, 11, 24, 10, 0, tzinfo=ZoneInfo("Europe/Amsterdam"))
DEMO = {"accounts": 300, "claims": 40, "leads": 1100, "quiet_logins": True}
# One demo user of each kind (leads/demo/reference.py).
USERS = {
    "channel manager": "claudia.jansen@demo.dealerportal.eu",
    "sales manager": "mark.deboer@demo.dealerportal.eu",
    "senior rep": "sophie.wagner@demo.dealerportal.eu",
    "account manager": "eva.visser@demo.dealerportal.eu",
    "internal sales": "anna.schmidt@demo.dealerportal.eu",
    "dealer admin": "admin.rijnmond-industrie@demo.dealerportal.eu",
    "dealer user": "user1.rijnmond-industrie@demo.dealerportal.eu",
}
# Pages the demo has no way to reach, and why.
NOT_IN_THE_DEMO = {
    # Needs a user with two-factor authentication set up (staff MFA is off here).
    "mfa_download_recovery_codes",
}
IMPORT_FILE = (
    "company,country,postcode,contact,email,value\n"
    "Vlietland Machinebouw B.V.,NL,3011 AB,Sanne de Vries,sanne@vlietland.example,12000\n"
    "Nergens B.V.,XX,,,,\n"
)
# An accounts import with a row of each kind of problem (its report is read too).
ACCOUNTS_FILE = (
    "external_id,legal_name,country,postcode,parent_external_id,product,serial,installed_on\n"
    "crm-9001,Vlietland Holding B.V.,NL,3011 AB,,Persmachine,SN-1,31-12-2023\n"
    "crm-9002,Vlietland Service B.V.,NL,3012 CD,crm-9001,,,\n"
    "crm-9003,Nergens B.V.,XX,,,,,\n"
    "crm-9004,Datum B.V.,NL,3013,,Boor,,31-31-2024\n"
    "crm-9004,Datum B.V.,NL,3013,crm-9003,Boor,,31-12-2024\n"
)


def _ids_from_a_thousand() -> None:
    """Dealers, people, accounts and territories get four-digit ids, on SQLite as on
    PostgreSQL (whose sequences other tests have moved on), so an id written with a
    thousands separator ("dealer:1.166") shows in every run."""
    made = [DealerFactory(pk=1000), UserFactory(pk=1000), AccountFactory(pk=1000)]
    made.append(TerritoryFactory(pk=1000))
    with connection.cursor() as cursor:
        for sql in connection.ops.sequence_reset_sql(no_style(), [type(m) for m in made]):
            cursor.execute(sql)  # PostgreSQL; SQLite's AUTOINCREMENT remembers by itself
    for obj in reversed(made):
        obj.delete()


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker, tmp_path_factory):
    """The demo data set, a leads and an accounts import and a weight override, rolled
    back after the module."""
    fast = override_settings(
        PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"],
        MEDIA_ROOT=str(tmp_path_factory.mktemp("media")),
    )
    with django_db_blocker.unblock(), fast, time_machine.travel(NOW, tick=False):
        atomic = transaction.atomic()
        atomic.__enter__()
        try:
            started = time.monotonic()
            _ids_from_a_thousand()
            call_command("seed_demo", **DEMO)
            channel = User.objects.get(email=USERS["channel manager"])
            job = ImportJob.objects.create(
                name="beurs.csv",
                file=ContentFile(IMPORT_FILE.encode(), name="beurs.csv"),
                created_by=channel,
            )
            import_job_run(job=job)
            accounts = ImportJob.objects.create(
                name="accounts.csv",
                kind=ImportJob.Kind.ACCOUNTS,
                file=ContentFile(ACCOUNTS_FILE.encode(), name="accounts.csv"),
                created_by=channel,
            )
            import_job_run(job=accounts)
            dealer = Dealer.objects.filter(status=Dealer.Status.ACTIVE).order_by("pk").first()
            allocation.weight_override_set(
                dealer=dealer,
                actor=channel,
                weight="2",
                until=NOW.date() + dt.timedelta(days=60),
                reason="Proef met een extra monteur",
            )
            seeded = time.monotonic() - started
            yield data_phrases(), seeded
        finally:
            transaction.set_rollback(True)
            atomic.__exit__(None, None, None)


def _email_action_urls(language: str) -> list[str]:
    """The Accept and Reject pages of a new lead's e-mail to one of its dealer's people,
    who reads in ``language``."""
    lead = Lead.objects.filter(status=Lead.Status.NEW, owner_dealer__isnull=False).first()
    member = lead.owner_dealer.memberships.select_related("user").first().user
    member.language = language
    member.save(update_fields=["language"])
    return [
        reverse("leads:email_action", args=[action_token(user=member, lead=lead, action=action)])
        for action in ("accept", "reject")
    ]


FROM_EMAILS = {"leads:email_action": _email_action_urls}


def _open_directly(client, name: str, route: str):
    """A pattern no page links to, with made-up ids."""
    kwargs = {key: 1 if f"int:{key}" in route else "x" for key in kwarg_names(route)}
    return client.get(reverse(name, kwargs=kwargs))


def read_as(client, email: str, language: str, data) -> tuple[list[str], set[str], int]:
    """(problems, views opened, pages) of one user's walk."""
    user = User.objects.get(email=email)
    user.language = language
    user.save(update_fields=["language"])
    client.force_login(user)
    problems, views, pages = [], set(), 0
    for page in crawl(client):
        pages += 1
        views.add(page.view)
        where = f"{email.split('@')[0]} {page.url}"
        if page.status == 404 and page.found_on:
            problems.append(f"{where}: a link on {page.found_on} answers 404")
        if not page.html:
            continue
        problems += [f"{where}: {f}" for f in findings(visible_text(page.html), language, data)]
        problems += [f"{where}: {f}" for f in grouped_numbers_in_attributes(page.html)]
    client.logout()
    return problems, views, pages


@pytest.mark.django_db
@pytest.mark.parametrize("language", ["nl", "de"])
def test_every_page_reads_in_the_readers_language(client, demo, language, capsys):
    data, seeded = demo
    problems, reached, pages = [], set(), 0
    started = time.monotonic()
    with time_machine.travel(NOW + dt.timedelta(minutes=5), tick=True):
        for email in USERS.values():
            found, views, opened = read_as(client, email, language, data)
            problems += found
            reached |= views
            pages += opened
        # Patterns no page links to: only a POST, a download, or a page read here too.
        channel = User.objects.get(email=USERS["channel manager"])
        client.force_login(channel)
        routes = {name: route for name, _pattern, route in walk(get_resolver().url_patterns)}
        for name in sorted(unreached(reached) - NOT_IN_THE_DEMO - set(FROM_EMAILS)):
            response = _open_directly(client, name, routes[name])
            pages += 1
            kind = response.get("Content-Type", "")
            if response.status_code == 405 or "html" not in kind:
                continue
            if response.status_code != 200:
                problems.append(
                    f"{name}: no page links to it and it answers {response.status_code}"
                )
                continue
            html = response.content.decode()
            problems += [f"{name}: {f}" for f in findings(visible_text(html), language, data)]
        # Pages only an e-mail's link opens, as its recipient reads them (no session).
        client.logout()
        for name, urls in FROM_EMAILS.items():
            for url in urls(language):
                response = client.get(url)
                pages += 1
                if response.status_code != 200:
                    problems.append(f"{name}: {url} answers {response.status_code}")
                    continue
                html = response.content.decode()
                problems += [f"{name}: {f}" for f in findings(visible_text(html), language, data)]
    with capsys.disabled():
        print(
            f"\nlocale walk ({language}): {pages} pages for {len(USERS)} users in "
            f"{time.monotonic() - started:.1f} s (demo seeded in {seeded:.1f} s)"
        )
    assert pages > 300, pages  # the walk really walked
    assert not problems, f"{len(problems)} problems:\n" + "\n".join(sorted(set(problems)))


def _write_every_kind_of_email(language: str, channel: User, capture) -> None:
    """Events that e-mail people, through the real services: a week of the SLA sweep
    (new leads, reminders, escalations, recycles, claim reminders and expiries), a
    prospect's inquiry after hours (its confirmation), a claim that needs review and is
    rejected, an invitation, and a daily digest."""
    start = NOW + dt.timedelta(minutes=1)
    for step in range(0, 8 * 24, 6):
        with time_machine.travel(start + dt.timedelta(hours=step), tick=False):
            sla_sweep(now=timezone.now())
    saturday = dt.datetime(2026, 12, 5, 11, 0, tzinfo=ZoneInfo("Europe/Amsterdam"))
    with time_machine.travel(saturday, tick=False):
        inquiry = {
            "company_name": "Zaterdag Techniek B.V.",
            "country": "NL",
            "postcode": "3011 AB",
            "contact_name": "Sanne Zaterdag",
            "contact_email": "sanne@zaterdag.example",
            "interest": "demo",
            "language": language,
        }
        with capture(execute=True):
            lead_intake(data=clean_lead_fields(inquiry), source=Lead.Source.WEB_FORM)
        lead = Lead.objects.filter(owner_dealer__isnull=False, status="new").first()
        rival = (
            DealerMembership.objects.filter(role=Role.DEALER_ADMIN)
            .exclude(dealer_id=lead.owner_dealer_id)
            .select_related("dealer", "user")
            .first()
        )
        with capture(execute=True):
            claim = claim_submit(
                dealer=rival.dealer,
                submitted_by=rival.user,
                data={"company_name": lead.company_name, "country": lead.country_code},
            )
        assert claim.status == "pending", claim.status
        with capture(execute=True):
            claim_reject(claim=claim, actor=channel, reason="Er loopt al een lead")
        with capture(execute=True):
            user_invite(email="nieuw@rijnmond.example", name="Nina Nieuw", invited_by=rival.user)
            User.objects.filter(email="nieuw@rijnmond.example").update(language=language)
        User.objects.filter(email=USERS["dealer admin"]).update(
            email_frequency=User.EmailFrequency.DAILY
        )
        with capture(execute=True):
            notifications_send_digests(now=timezone.now() + dt.timedelta(hours=1))
        with capture(execute=True):
            notifications_deliver()


@pytest.mark.django_db
@pytest.mark.parametrize("language", ["nl", "de"])
def test_every_email_reads_in_the_readers_language(
    demo, language, mailoutbox, django_capture_on_commit_callbacks
):
    """Every kind of e-mail, as the real senders write them for a reader of
    ``language``."""
    data, _seeded = demo
    User.objects.update(language=language, email_frequency=User.EmailFrequency.IMMEDIATE)
    channel = User.objects.get(email=USERS["channel manager"])
    _write_every_kind_of_email(language, channel, django_capture_on_commit_callbacks)
    subjects = {s.get("msgid") for s in Notification.objects.values_list("subject", flat=True)}
    assert len(subjects) >= 8, subjects
    assert any(m.to == ["sanne@zaterdag.example"] for m in mailoutbox)
    problems = []
    for mail in mailoutbox:
        html = next((body for body, kind in mail.alternatives if kind == "text/html"), "")
        chunks = [mail.subject, *mail.body.splitlines(), *visible_text(html)]
        where = f"{mail.subject!r} to {mail.to[0]}"
        problems += [f"{where}: {f}" for f in findings([c for c in chunks if c], language, data)]
    assert not problems, f"{len(problems)} problems:\n" + "\n".join(sorted(set(problems)))


def test_the_checks_can_fail():
    """What the walk reads for: each kind of problem is found."""
    with translation.override("de"):
        html = (
            '<p>Next step: call (2026-12-04)</p><td>€ 12,000</td><span title="2.00 h">x</span>'
            '<td>50.2%</td><a href="/leads/1.234/">Lead</a><p>nicht auf automotive spezialisiert</p>'
        )
        found = "\n".join(findings(visible_text(html), "de"))
    for expected in ("English", "ISO date", "thousands comma", "decimal point", "automotive"):
        assert expected in found, found
    assert "percent without space" in found
    assert grouped_numbers_in_attributes(html) == ["<a href='/leads/1.234/'>"]
    assert "capital month" in "\n".join(findings(["op 4 December"], "nl"))
    assert "capital month" in "\n".join(findings(["sinds 6 Sep 2026"], "nl"))
    assert not findings(["Volgende stap: bellen (04-12-2026) · € 12.000 · 50,2 %"], "nl")

"""One format per language: amounts, decimals, counts, percentages, dates in text,
and names (sectors, countries, rules, queues) in the reader's language, on pages, in
tables and in stored messages."""

import datetime as dt
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.template import Context, Template
from django.urls import reverse
from django.utils import translation

from leads import routing
from leads.routing.messages import (
    N_SHARE_CHOSEN,
    N_TERRITORY_SECTOR_MISMATCH,
    R_CLAIM,
    R_DEAL_SIZE,
    R_FALLBACK_POOL,
)
from leads.services import pipeline
from portal import l10n
from portal.messages import render_message
from portal.users.models import Role
from tests.factories import DealerFactory, StaffFactory
from tests.leads.pipeline_world import make_world

NBSP = "\N{NO-BREAK SPACE}"
MORNING = dt.datetime(2026, 11, 24, 10, 0, tzinfo=ZoneInfo("Europe/Amsterdam"))


@pytest.mark.parametrize(
    ("language", "amount", "decimal", "count", "share"),
    [
        ("en", "€ 12,000", "1.00", "2,924", "50.2 %"),
        ("nl", "€ 12.000", "1,00", "2.924", "50,2 %"),
        ("de", "€ 12.000", "1,00", "2.924", "50,2 %"),
    ],
)
def test_one_format_per_language(language, amount, decimal, count, share):
    with translation.override(language):
        assert l10n.amount(Decimal("12000.00")).replace(NBSP, " ") == amount
        assert l10n.number(Decimal("1"), 2) == decimal
        assert l10n.percent(50.24).replace(NBSP, " ") == share
        # a count in a template gets the separator of its own (USE_THOUSAND_SEPARATOR)
        assert Template("{{ n }}").render(Context({"n": 2924})) == count
        # and an id a machine reads back does not
        assert Template("{{ n|unlocalize }}").render(Context({"n": 2924})) == "2924"


def test_hours_and_cents():
    with translation.override("de"):
        assert l10n.hours(9.44) == "9,4 Std."
        assert l10n.amount(Decimal("12.50")).endswith("12,50")
    with translation.override("nl"):
        assert l10n.hours(9.44) == "9,4 u"


def test_names_in_the_readers_language():
    with translation.override("de"):
        assert l10n.sector_name("automotive") == "Automobilindustrie"
        assert l10n.country_name("NL") == "Niederlande"
        assert l10n.rule_name("territory") == "Gebiet"
        assert l10n.term("Channel pool") == "Channel-Pool"
    with translation.override("nl"):
        assert l10n.rule_name("fallback") == "Terugval"
        assert l10n.sector_name("unknown-code") == "unknown-code"


def test_every_routing_rule_has_a_name():
    from portal.choices import RULE_LABELS

    assert {rule.value for rule in routing.Rule} <= set(RULE_LABELS)


def test_the_engines_typed_params_are_shown_per_reader():
    """The engine writes amounts, percentages, dates, sectors and countries as typed
    values; each reader sees them in their own format and language."""
    reasons = [
        routing.Message(
            N_TERRITORY_SECTOR_MISMATCH,
            {
                "owner": "Schwaben Holztechnik GmbH",
                "territory": "DE Süd",
                "sectors": {"sectors": ["furniture"]},
                "sector": {"sector": "automotive"},
            },
        ),
        routing.Message(
            N_SHARE_CHOSEN,
            {
                "owner": "Anna Schmidt",
                "share": {"percent": "49.8"},
                "target": {"percent": "50.0"},
                "count": 1112,
                "total": 2225,
            },
        ),
        routing.Message(
            R_DEAL_SIZE,
            {"value": {"amount": "300000"}, "threshold": {"amount": "250000"}, "owner": "S"},
        ),
        routing.Message(R_CLAIM, {"dealer": "D", "company": "C", "until": {"date": "2027-02-15"}}),
        routing.Message(R_FALLBACK_POOL, {"queue": {"term": "Channel pool"}}),
    ]
    stored = [{"msgid": r.msgid, "params": dict(r.params)} for r in reasons]
    with translation.override("de"):
        shown = [render_message(s) for s in stored]
    assert "Möbel" in shown[0] and "Automobilindustrie" in shown[0], shown[0]
    assert "furniture" not in shown[0] and "automotive" not in shown[0]
    assert f"49,8{NBSP}%" in shown[1] and f"50,0{NBSP}%" in shown[1], shown[1]
    assert "1.112" in shown[1] and "2.225" in shown[1]
    assert f"€{NBSP}300.000" in shown[2] and f"€{NBSP}250.000" in shown[2], shown[2]
    assert "15.02.2027" in shown[3], shown[3]
    assert "Channel-Pool" in shown[4], shown[4]
    # Without Django the engine writes the same in plain English (its own tests read it).
    assert reasons[2].render().startswith("Estimated value €300,000")
    assert "49.8%" in reasons[1].render()


@pytest.mark.django_db
def test_the_next_step_date_of_an_accepted_lead_is_read_in_the_readers_format():
    with time_machine.travel(MORNING, tick=False):
        world = make_world()
        lead = world.lead()
        pipeline.lead_accept(
            lead=lead, actor=world.user, next_step="Bellen", next_step_on=dt.date(2026, 12, 4)
        )
    reason = lead.events.get(kind="accepted").reason
    with translation.override("nl"):
        assert render_message(reason) == "Volgende stap: Bellen (4-12-2026)."
    with translation.override("de"):
        assert "(04.12.2026)" in render_message(reason)


@pytest.mark.django_db
def test_the_inbox_shows_amounts_as_the_lead_page_does(client):
    world = make_world()
    lead = world.lead(estimated_value="12000")
    world.user.language = "nl"
    world.user.save(update_fields=["language"])
    client.force_login(world.user)
    inbox = client.get(reverse("leads:inbox")).content.decode()
    page = client.get(reverse("leads:detail", args=[lead.pk])).content.decode()
    assert f"€{NBSP}12.000" in inbox and "12,000" not in inbox
    assert f"€{NBSP}12.000" in page


@pytest.mark.django_db
def test_a_weight_override_is_confirmed_in_the_managers_format(client):
    dealer = DealerFactory(name="Alpha Techniek B.V.", countries=["NL"])
    manager = StaffFactory(role=Role.CHANNEL_MANAGER).user
    manager.language = "nl"
    manager.save(update_fields=["language"])
    client.force_login(manager)
    with time_machine.travel(MORNING, tick=False):
        response = client.post(
            reverse("manage:allocation_dealer", args=[dealer.pk]),
            {"weight": "2", "until": "2027-01-31", "reason": "Proef"},
            follow=True,
        )
    page = response.content.decode()
    assert "Alpha Techniek B.V." in page
    assert "gewicht 2,00 tot en met 31-1-2027" in page, page
    assert "2027-01-31" not in page and "2.00" not in page


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("language", "germany"), [("nl", "Duitsland"), ("de", "Deutschland"), ("en", "Germany")]
)
def test_the_claim_form_lists_the_countries_in_the_readers_language(client, language, germany):
    world = make_world()
    world.admin.language = language
    world.admin.save(update_fields=["language"])
    client.force_login(world.admin)
    page = client.get(reverse("dealers:claims")).content.decode()
    assert f'<option value="DE">{germany}</option>' in page
    # our markets first
    assert page.index('value="NL"') < page.index('value="AF"')

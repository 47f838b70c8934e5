"""Territory writes: save with audit, share counters reset on owner or weight changes,
CSV export and import."""

from collections import Counter
from decimal import Decimal

import pytest
from django.contrib.admin.models import LogEntry
from django.core.cache import cache
from django.core.exceptions import ValidationError

from leads.models import ShareCounter
from leads.services.routing import LOCK_OWNER
from leads.world import VERSION_KEY
from territories import services
from territories.models import Territory
from territories.services import OwnerSpec, parse_ranges, territory_save
from tests.factories import DealerFactory, StaffFactory, territory_with
from tests.leads.pipeline_world import new_lead

pytestmark = pytest.mark.django_db


@pytest.fixture
def manager():
    return StaffFactory(role="channel_manager").user


def save(territory, actor, **changes):
    fields = {
        "name": territory.name,
        "country": territory.country.code,
        "sectors": list(territory.sectors),
        "is_active": territory.is_active,
        "notes": territory.notes,
        "ranges": [(r.start, r.end) for r in territory.ranges.all()],
        "owners": [
            OwnerSpec("dealer", o.dealer_id, o.weight)
            if o.dealer_id
            else OwnerSpec("user", o.user_id, o.weight)
            for o in territory.owners.all()
        ],
    }
    return territory_save(territory=territory, actor=actor, **{**fields, **changes})


def test_parse_ranges_reads_what_people_type():
    assert parse_ranges("3000-3099; 3100 – 3199\n3300", "NL") == [
        (3000, 3099),
        (3100, 3199),
        (3300, 3300),
    ]
    assert parse_ranges("01067-01099", "DE") == [(1067, 1099)]
    assert parse_ranges("", "NL") == []


@pytest.mark.parametrize(
    ("text", "country", "message"),
    [
        ("3000-3099; 3050-3150", "NL", "overlap"),
        ("0999-1200", "NL", "run from 1000 to 9999"),
        ("3099-3000", "NL", "end at or after"),
        ("abc", "NL", "is not a postcode range"),
        ("75001", "FR", "routed by country only"),
    ],
)
def test_parse_ranges_explains_bad_input(text, country, message):
    with pytest.raises(ValidationError) as error:
        parse_ranges(text, country)
    assert message in " ".join(error.value.messages)


def test_creating_a_territory_is_audited_and_invalidates_the_routing_world(
    manager, django_capture_on_commit_callbacks
):
    dealer = DealerFactory()
    cache.set(VERSION_KEY, "before")
    with django_capture_on_commit_callbacks(execute=True):
        result = territory_save(
            territory=None,
            actor=manager,
            name="NL Rijnmond",
            country="NL",
            sectors=[],
            is_active=True,
            notes="",
            ranges=[(3000, 3099)],
            owners=[OwnerSpec("dealer", dealer.pk, Decimal("2"))],
        )
    territory = result.territory
    assert result.created
    assert [(r.start, r.end) for r in territory.ranges.all()] == [(3000, 3099)]
    assert [(o.dealer_id, o.weight) for o in territory.owners.all()] == [(dealer.pk, 2)]
    assert cache.get(VERSION_KEY) != "before"
    entry = LogEntry.objects.get(object_id=str(territory.pk))
    assert entry.is_addition() and entry.user == manager
    assert "3000-3099" in entry.get_change_message()


def test_a_name_in_use_is_refused(manager):
    territory_with(name="NL Rijnmond")
    with pytest.raises(ValidationError) as error:
        territory_save(
            territory=None,
            actor=manager,
            name="nl rijnmond",
            country="NL",
            sectors=[],
            is_active=True,
            notes="",
            ranges=[],
            owners=[],
        )
    assert "name" in error.value.message_dict
    assert Territory.objects.count() == 1


def test_a_weight_change_resets_the_share_counters_so_the_new_split_converges(manager):
    alpha, beta = DealerFactory(name="Alpha"), DealerFactory(name="Beta")
    territory = territory_with(
        name="NL Rijnmond", ranges=[(3000, 3099)], owners=[(alpha, 1), (beta, 1)]
    )
    other = territory_with(name="Elsewhere", ranges=[(9000, 9099)], owners=[(alpha, 1)])
    ShareCounter.objects.create(scope=f"territory:{other.pk}", owner=f"dealer:{alpha.pk}", count=5)
    ShareCounter.objects.create(
        scope=f"sector:{territory.pk}:food", owner=f"dealer:{alpha.pk}", count=3
    )
    owners = Counter(new_lead(postcode="3011 AB").owner_dealer for _ in range(4))
    assert owners == {alpha: 2, beta: 2}

    result = save(
        territory,
        manager,
        owners=[
            OwnerSpec("dealer", alpha.pk, Decimal("3")),
            OwnerSpec("dealer", beta.pk, Decimal("1")),
        ],
    )
    assert result.shares_reset
    assert not ShareCounter.objects.filter(scope__startswith=f"sector:{territory.pk}:").exists()
    assert not ShareCounter.objects.filter(scope=f"territory:{territory.pk}").exclude(
        owner=LOCK_OWNER
    )
    # Other territories keep their counts.
    assert ShareCounter.objects.get(scope=f"territory:{other.pk}").count == 5
    # Without the reset alpha would get all of the next four (6:2 over eight); with
    # it the next four already split 3:1.
    owners = Counter(new_lead(postcode="3011 AB").owner_dealer for _ in range(4))
    assert owners == {alpha: 3, beta: 1}
    change = LogEntry.objects.filter(object_id=str(territory.pk)).latest("pk")
    assert f"{alpha.name}: 1.00 → 3" in change.get_change_message()


def test_changing_only_the_postcodes_keeps_the_counters(manager):
    alpha = DealerFactory()
    territory = territory_with(name="T", ranges=[(3000, 3099)], owners=[(alpha, 1)])
    ShareCounter.objects.create(
        scope=f"territory:{territory.pk}", owner=f"dealer:{alpha.pk}", count=7
    )
    result = save(territory, manager, ranges=[(3000, 3199)])
    assert not result.shares_reset and result.changes
    assert ShareCounter.objects.get(scope=f"territory:{territory.pk}").count == 7
    assert [(r.start, r.end) for r in territory.ranges.all()] == [(3000, 3199)]


def test_saving_without_changes_writes_no_audit(manager):
    territory = territory_with(name="T", ranges=[(3000, 3099)], owners=[(DealerFactory(), 1)])
    result = save(territory, manager)
    assert not result.changed
    assert not LogEntry.objects.exists()


def test_export_then_import_round_trips_and_check_only_changes_nothing(manager):
    alpha = DealerFactory(name="Alpha", slug="alpha")
    rep = StaffFactory(user__email="rita@example.com").user
    territory_with(
        name="NL Rijnmond",
        ranges=[(3000, 3099), (3200, 3299)],
        owners=[(alpha, 1.5), (rep, 1)],
        sectors=["food"],
    )
    text = services.territories_export(Territory.objects.all()).export("csv")
    assert "NL Rijnmond,NL,food,yes,3000-3099; 3200-3299,alpha=1.5; rita@example.com=1," in text
    unchanged = services.territories_import_csv(text=text, actor=manager, apply=True)
    assert (unchanged.unchanged, unchanged.changed, unchanged.errors) == (["NL Rijnmond"], [], [])

    edited = text.replace("alpha=1.5", "alpha=2") + "DE Berlin,DE,,yes,10000-14999,alpha=1,\n"
    check = services.territories_import_csv(text=edited, actor=manager, apply=False)
    assert (check.changed, check.created, check.applied) == (["NL Rijnmond"], ["DE Berlin"], False)
    assert not Territory.objects.filter(name="DE Berlin").exists()
    assert Territory.objects.get(name="NL Rijnmond").owners.get(dealer=alpha).weight == Decimal(
        "1.5"
    )
    assert not LogEntry.objects.exists()

    applied = services.territories_import_csv(text=edited, actor=manager, apply=True)
    assert applied.applied
    assert Territory.objects.get(name="NL Rijnmond").owners.get(dealer=alpha).weight == 2
    berlin = Territory.objects.get(name="DE Berlin")
    assert [(r.start, r.end) for r in berlin.ranges.all()] == [(10000, 14999)]


def test_an_import_with_an_error_saves_nothing_and_names_the_lines(manager):
    DealerFactory(slug="alpha")
    text = (
        "name;country;postcodes;owners\n"
        "Good;NL;3000-3099;alpha=1\n"
        "Bad;XX;3000-3099;alpha=1\n"
        'Worse;NL;3000-3099;"nobody=1; alpha=abc"\n'
    )
    report = services.territories_import_csv(text=text, actor=manager, apply=True)
    assert not report.applied
    lines = dict(report.errors)
    assert set(lines) == {3, 4}
    assert "XX" in " ".join(lines[3])
    assert "nobody" in " ".join(lines[4]) and "number" in " ".join(lines[4])
    assert not Territory.objects.exists()


def test_an_import_without_the_required_columns_is_refused(manager):
    with pytest.raises(ValidationError):
        services.territories_import_csv(text="title,land\nx,NL\n", actor=manager, apply=True)


def test_a_channel_manager_cannot_import_other_countries(manager):
    DealerFactory(slug="alpha")
    text = "name,country,owners\nDE Berlin,DE,alpha=1\n"
    report = services.territories_import_csv(
        text=text, actor=manager, apply=True, allowed_countries={"NL"}
    )
    assert report.errors and not Territory.objects.exists()

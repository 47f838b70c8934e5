"""One lead's life from arrival to today: routed by the real engine with the real
deadlines, then lived through by its simulated owners, written through the hand-over's
row writers (``leads.services.routing.handover``)."""

import dataclasses
import math
import random
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal

from leads import routing
from leads.demo import companies
from leads.demo.history.people import (
    REP_BEHAVIOUR,
    Behaviour,
    office,
    office_day_after,
    office_hours_after,
    office_moment,
)
from leads.matching.normalize import normalize_company_name
from leads.models import (
    Account,
    Assignment,
    Lead,
    LeadEvent,
    Queue,
)
from leads.routing.messages import R_FALLBACK_POOL
from leads.services import calendars
from leads.services.pipeline import REASON_SENTENCES, CloseReason
from leads.services.routing.decide import candidate_json, message_json
from leads.services.routing.handover import hand_over_event, owner_json, set_owner, stint_row
from leads.services.sla.sweep import CONTACT_MISSED
from leads.sla import deadlines
from portal.messages import message, moment, term, text
from portal.users.models import User

DEMO_PREFIX = "demo-"
HISTORY_DAYS = 182


REJECT_REASONS = [
    CloseReason.NOT_OUR_PRODUCT_LINE,
    CloseReason.NO_BUDGET,
    CloseReason.NO_CONTACT,
    CloseReason.COMPETITOR_CUSTOMER,
    CloseReason.DUPLICATE,
    CloseReason.NOT_A_LEAD,
]
# The next step a dealer types when accepting a lead, in the dealer's language.
NEXT_STEPS = {
    "nl": ["Deze week bellen", "Demo op locatie plannen", "Offerte sturen"],
    "de": ["Diese Woche anrufen", "Vorführung vor Ort planen", "Angebot schicken"],
    "en": ["Call this week", "Plan a demo on site", "Send a quote"],
}
LOST_REASONS = ["no_budget", "competitor_customer", "no_contact", "not_our_product", "other"]
SOURCES = [
    (Lead.Source.WEB_FORM, 45),
    (Lead.Source.MARKETING, 20),
    (Lead.Source.API, 10),
    (Lead.Source.CSV, 8),
    (Lead.Source.EVENT, 8),
    (Lead.Source.DEALER, 5),
    (Lead.Source.PHONE, 4),
]
ENTERED_BY_PEOPLE = {Lead.Source.DEALER, Lead.Source.PHONE}


@dataclass
class World:
    """What the lead simulation needs, loaded once."""

    now: object
    context: routing.RoutingContext
    terms: deadlines.SlaTerms
    accounts: list[Account]
    account_facts: dict[int, routing.AccountFacts]
    claims: dict[int, list[routing.ClaimFacts]]
    behaviour: dict[int, Behaviour]
    counts: dict = field(default_factory=lambda: defaultdict(int))
    open_by_company: dict = field(default_factory=dict)
    channel_manager: User | None = None
    dealer_groups: dict = field(default_factory=dict)
    dealer_countries: dict = field(default_factory=dict)
    places: dict = field(default_factory=dict)  # (kind, id) -> the owner's calendar
    dealer_languages: dict = field(default_factory=dict)
    users: dict = field(default_factory=dict)


class LeadSimulation:
    """Creates one lead's life from arrival to today."""

    def __init__(self, world: World, rng: random.Random):
        self.world = world
        self.rng = rng

    def arrival(self) -> object:
        rng, now = self.rng, self.world.now
        # More leads recently (marketing grows), on weekdays and in office hours.
        days_ago = int(HISTORY_DAYS * (rng.random() ** 1.3))
        moment = now - timedelta(days=days_ago)
        moment = moment.replace(
            hour=rng.choice([7, 8, 9, 9, 10, 10, 11, 11, 13, 14, 14, 15, 16, 17, 19, 21]),
            minute=rng.randint(0, 59),
        )
        if moment.weekday() >= 5 and rng.random() < 0.7:
            moment -= timedelta(days=moment.weekday() - 4)
        return min(moment, now - timedelta(minutes=rng.randint(5, 600)))

    def entered_by_hand(self, created: datetime, country: str) -> datetime:
        """A lead someone typed in (a dealer's registration, a phone call) arrives in
        that person's office hours, on or before the day drawn."""
        cal, now = office(country), self.world.now
        moment = office_moment(created.astimezone(cal.tz).date(), cal, self.rng, forward=False)
        while moment >= now:
            day = moment.date() - timedelta(days=1)
            moment = office_moment(day, cal, self.rng, forward=False)
        return moment

    def company(self):
        rng = self.rng
        if self.world.accounts and rng.random() < 0.55:
            account = rng.choice(self.world.accounts)
            return (
                account,
                account.legal_name,
                account.country.code,
                account.postcode,
                account.postcode_number,
                account.city,
                account.sector,
                account.vat_number,
                account.website_domain,
            )
        country = companies.pick_country(rng)
        name, sector = companies.company_name(rng, country)
        code, number, city = companies.postcode(rng, country)
        vat = companies.vat_number(rng, country) if rng.random() < 0.3 else ""
        return None, name, country, code, number, city, sector, vat, companies.domain(name, country)

    def build(self, index: int):
        rng = self.rng
        created = self.arrival()
        account, name, country, code, number, city, sector, vat, web = self.company()
        contact, role = companies.person(rng, country)
        temperature = rng.choices(["hot", "warm", "cold"], [25, 55, 20])[0]
        sales_ready = rng.random() > 0.08
        value = Decimal(rng.choice([8, 12, 20, 35, 50, 75, 120, 180, 260, 400])) * 1000
        if rng.random() < 0.04:
            code, number = "", None  # no postcode given
        source = rng.choices([s for s, _w in SOURCES], [w for _s, w in SOURCES])[0]
        if source in ENTERED_BY_PEOPLE:
            created = self.entered_by_hand(created, country)
        lead = Lead(
            company_name=name,
            company_normalized=normalize_company_name(name),
            website=web if rng.random() < 0.6 else "",
            website_domain="",
            vat_number=vat,
            country=country,
            postcode=code,
            postcode_number=number,
            city=city,
            sector=sector if sector != "other" else "",
            account_id=account.pk if account else None,
            contact_name=contact,
            contact_email=f"{contact.split()[0].lower()}.{index}@{web.split('.')[0] if '.' in web else 'example'}.example",
            contact_phone=companies.phone_number(rng, country, city),
            contact_role=role,
            message=rng.choice(companies.MESSAGES[companies.LANGUAGE[country]]),
            language=companies.LANGUAGE[country],
            estimated_value=value,
            temperature=temperature,
            sales_ready=sales_ready,
            qualification={
                "fits_profile": True,
                "decision_level": sales_ready,
                "need": True,
                "evaluation_3m": sales_ready,
                "purchase_6m": sales_ready,
                "talk_2w": True,
            },
            source=source,
            external_id=f"{DEMO_PREFIX}{index:07d}",
            created_at=created,
        )
        lead.fill_lookup_columns()
        lead.contact_email = lead.contact_email.lower()
        facts_ = routing.LeadFacts(
            company_name=name,
            country=country,
            postcode=code or None,
            postcode_number=number,
            sector=lead.sector or None,
            estimated_value=value,
            temperature=temperature,
            sales_ready=sales_ready,
            missing_qualification=()
            if sales_ready
            else ("decision-level contact", "purchase within 6 months"),
        )
        company_key = account.pk if account else lead.company_normalized
        return lead, facts_, account, company_key

    def route(self, facts_: routing.LeadFacts, account, company_key, at, excluded=frozenset()):
        world = self.world
        if excluded:
            facts_ = dataclasses.replace(facts_, excluded_owners=frozenset(excluded))
        open_lead = world.open_by_company.get(company_key)
        decision = routing.route(
            facts_,
            context=world.context,
            account=world.account_facts.get(account.pk) if account else None,
            claims=world.claims.get(account.pk, ()) if account else (),
            open_leads=[open_lead] if open_lead else [],
            counts=world.counts,
            now=at,
        )
        if decision.share_key is not None:
            world.counts[decision.share_key] += 1
        return decision


def simulate(sim: LeadSimulation, index: int, out: dict) -> None:
    """Route and live through one lead; append rows to ``out``."""
    world, rng = sim.world, sim.rng
    now, terms = world.now, world.terms
    lead, facts_, account, company_key = sim.build(index)
    lead_events, lead_stints = [], []
    country = lead.country
    country_code = getattr(country, "code", country)
    at = lead.created_at
    decision = sim.route(facts_, account, company_key, at)
    excluded: set = set()
    previous = None
    status = "new"
    final_deadlines = deadlines.NONE
    while True:
        owner = decision.owner
        # The hand-over's own writers (the owner, the stint, the event): a new lead's
        # first event is "created", with its owner. The lead gets its id when written.
        reason = message_json(decision.reason)
        set_owner(
            lead,
            owner,
            rule=decision.rule,
            reason=reason,
            candidates=[candidate_json(c) for c in decision.candidates],
            at=at,
        )
        lead_events.append(
            LeadEvent(
                **hand_over_event(
                    lead,
                    owner,
                    rule=decision.rule,
                    reason=reason,
                    at=at,
                    from_owner=owner_json(previous) if previous else None,
                    created=None if lead_events else {"source": lead.source},
                )
            )
        )
        stint = Assignment(**stint_row(lead, rule=decision.rule, at=at, sla_due_at=None))
        lead_stints.append(stint)
        if owner.kind == "queue":
            status = "nurture" if owner.id == Queue.NURTURE else "new"
            break
        clock_country, clock_region = calendars.place_of(
            world.places, owner.kind, owner.id, country
        )
        stint_deadlines = deadlines.stint_deadlines(
            owner_kind=owner.kind,
            temperature=lead.temperature,
            country=clock_country,
            region=clock_region,
            start=at,
            terms=terms,
        )
        stint.sla_due_at = stint_deadlines.first_update_due_at
        if owner.kind == "dealer":
            behaviour = world.behaviour.get(owner.id, REP_BEHAVIOUR)
            cal = office(world.dealer_countries.get(owner.id, country_code))
        else:
            behaviour, cal = REP_BEHAVIOUR, office(country_code)
        due = stint_deadlines.first_update_due_at
        first = None
        if rng.random() >= behaviour.ignore:
            hours = rng.lognormvariate(math.log(behaviour.median_hours), behaviour.spread)
            first = office_hours_after(at, min(hours, 80.0), cal)
            if owner.kind == "dealer" and first >= stint_deadlines.recycle_due_at:
                first = None  # too late: the lead was recycled before
        # The sweep escalates a hot or warm lead not contacted by its deadline.
        missed = first is None or first > due
        if owner.kind == "user" and lead.temperature in CONTACT_MISSED and due <= now and missed:
            lead_events.append(
                LeadEvent(
                    kind="escalation",
                    at=due,
                    to_owner=owner_json(owner),
                    reason=message(
                        CONTACT_MISSED[lead.temperature], owner=owner.name, due=moment(due)
                    ),
                    data={"stage": "contact", "notified": []},
                )
            )
        if first is None or first > now:
            # Still waiting for a first update, or it never came.
            if owner.kind == "dealer" and stint_deadlines.reminder_due_at <= now:
                lead_events.append(
                    LeadEvent(
                        kind="reminder",
                        at=stint_deadlines.reminder_due_at,
                        to_owner=owner_json(owner),
                        reason=message(
                            "No status update within %(days)s working days.",
                            days=terms.dealer_first_update_days,
                        ),
                    )
                )
            if owner.kind == "dealer" and stint_deadlines.recycle_due_at <= now:
                at = stint_deadlines.recycle_due_at
                stint.ended_at, stint.end_reason = at, Assignment.EndReason.RECYCLED
                lead_events.append(
                    LeadEvent(
                        kind="recycled",
                        at=at,
                        from_owner=owner_json(owner),
                        reason=message(
                            "No update within %(days)s working days: the lead goes to the next eligible dealer",
                            days=terms.dealer_recycle_days,
                        ),
                    )
                )
                excluded.add(owner.key)
                previous = owner
                if len(lead_stints) >= 3:
                    decision = routing.Decision(
                        world.context.policy.pool_queue,
                        "fallback",
                        routing.Message(
                            R_FALLBACK_POOL,
                            {"queue": term(world.context.policy.pool_queue.name)},
                        ),
                    )
                else:
                    decision = sim.route(facts_, account, company_key, at, excluded)
                continue
            # Clocks still running (reminder already fired if its time passed).
            final_deadlines = deadlines.Deadlines(
                first_update_due_at=due,
                reminder_due_at=stint_deadlines.reminder_due_at
                if stint_deadlines.reminder_due_at and stint_deadlines.reminder_due_at > now
                else None,
                escalation_due_at=stint_deadlines.escalation_due_at
                if stint_deadlines.escalation_due_at and stint_deadlines.escalation_due_at > now
                else None,
                recycle_due_at=stint_deadlines.recycle_due_at,
            )
            if owner.kind == "user" and due <= now:
                final_deadlines = deadlines.Deadlines(
                    first_update_due_at=due, escalation_due_at=None
                )
            break
        stint.first_update_at = first
        stint.first_update_hours = round(
            deadlines.working_hours(at, first, clock_country, terms, clock_region), 2
        )
        stint.first_update_in_sla = first <= due
        actor = _actor(world, owner, rng)
        if owner.kind == "dealer" and rng.random() < behaviour.reject:
            code = rng.choice(REJECT_REASONS)
            lead_events.append(
                LeadEvent(
                    kind="rejected",
                    at=first,
                    actor_id=actor,
                    from_owner=owner_json(owner),
                    reason=message(REASON_SENTENCES[code]),  # as lead_reject writes it
                    data={"reason": str(code), "note": ""},
                )
            )
            stint.ended_at, stint.end_reason = first, Assignment.EndReason.REJECTED
            excluded.add(owner.key)
            previous, at = owner, first
            if len(lead_stints) >= 3:
                decision = routing.Decision(
                    world.context.policy.pool_queue,
                    "fallback",
                    routing.Message(
                        R_FALLBACK_POOL,
                        {"queue": term(world.context.policy.pool_queue.name)},
                    ),
                )
            else:
                decision = sim.route(facts_, account, company_key, at, excluded)
            continue
        language = (
            world.dealer_languages.get(owner.id, lead.language)
            if owner.kind == "dealer"
            else lead.language
        )
        step = rng.choice(NEXT_STEPS.get(language, NEXT_STEPS["en"]))
        status = _pipeline(lead, stint, first, behaviour, actor, lead_events, rng, now, cal, step)
        break
    lead.status = status
    lead.status_changed_at = max(e.at for e in lead_events)
    for key, value in final_deadlines.as_fields().items():
        setattr(lead, key, value if status == "new" else None)
    if lead.is_open and lead.owner_queue_id != Queue.NURTURE:
        world.open_by_company[company_key] = routing.OpenLeadFacts(
            index, _ref(world, lead), lead.created_at
        )
    elif world.open_by_company.get(company_key) and world.open_by_company[company_key].id == index:
        del world.open_by_company[company_key]
    out["leads"].append(lead)
    out["events"].append(lead_events)
    out["stints"].append(lead_stints)


def _ref(world: World, lead: Lead) -> routing.OwnerRef:
    if lead.owner_dealer_id:
        return world.context.dealer_refs[lead.owner_dealer_id]
    if lead.owner_user_id:
        return world.context.rep_refs[lead.owner_user_id]
    return world.context.policy.pool_queue


def _actor(world: World, owner: routing.OwnerRef, rng: random.Random) -> int | None:
    if owner.kind == "user":
        return owner.id
    members = _dealer_members(owner.id)
    return rng.choice(members) if members else None


_members_cache: dict[int, list[int]] = {}


def _dealer_members(dealer_id: int) -> list[int]:
    if dealer_id not in _members_cache:
        from dealers.models import DealerMembership

        _members_cache[dealer_id] = list(
            DealerMembership.objects.filter(dealer_id=dealer_id).values_list("user_id", flat=True)
        )
    return _members_cache[dealer_id]


def _pipeline(lead, stint, first, behaviour, actor, events, rng, now, cal, step) -> str:
    """Accept with the next ``step``, then move through the pipeline as far as time
    allows, each step in the actor's office hours (``cal``)."""
    events.append(
        LeadEvent(
            kind="accepted",
            at=first,
            actor_id=actor,
            reason=text(step),
            data={"next_step": step},
        )
    )
    status, moment = "accepted", first
    steps = [("contacted", (1, 6)), ("meeting", (3, 15)), ("proposal", (5, 20))]
    reach = 0.8
    for step, (lo, hi) in steps:
        nxt = office_day_after(moment, rng.uniform(lo, hi), cal, rng)
        if nxt > now:
            return status
        if rng.random() > reach:
            moment = nxt
            break  # lost along the way
        kind = "contact" if step == "contacted" else "status"
        events.append(
            LeadEvent(kind=kind, at=nxt, actor_id=actor, data={"from": status, "to": step})
        )
        status, moment = step, nxt
    else:
        closing = office_day_after(moment, rng.uniform(5, 30), cal, rng)
        if closing > now:
            return status
        if rng.random() < behaviour.conversion / reach**3:
            lead.won_value = (lead.estimated_value or Decimal(0)) * Decimal(
                rng.choice(["0.8", "0.9", "1.0", "1.1"])
            )
            stint.won_value = lead.won_value
            stint.ended_at, stint.end_reason = closing, Assignment.EndReason.WON
            events.append(
                LeadEvent(
                    kind="status",
                    at=closing,
                    actor_id=actor,
                    data={"from": status, "to": "won", "value": str(lead.won_value)},
                )
            )
            lead.closed_at = closing
            return "won"
        moment = closing
    closing = moment
    lead.close_reason = rng.choice(LOST_REASONS)
    stint.ended_at, stint.end_reason = closing, Assignment.EndReason.LOST
    events.append(
        LeadEvent(
            kind="status",
            at=closing,
            actor_id=actor,
            data={"from": status, "to": "lost", "reason": lead.close_reason},
        )
    )
    lead.closed_at = closing
    return "lost"

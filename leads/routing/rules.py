"""The rules in their precedence (see "Precedence" in ``leads.routing``) and
:func:`route`, which runs them in the policy's order and always returns an owner."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime

from leads.routing.candidates import _Candidates
from leads.routing.context import RoutingContext, _Territory
from leads.routing.decision import Decision
from leads.routing.facts import (
    SCOPE_INTERNAL_SALES,
    SCOPE_SENIOR,
    AccountFacts,
    ClaimFacts,
    CountKey,
    LeadFacts,
    OpenLeadFacts,
    OwnerKey,
    OwnerRef,
)
from leads.routing.messages import (
    N_CLAIM_EXPIRED,
    N_CLAIM_NOT_YET,
    N_NOT_SPECIALISED,
    N_OUTSIDE_COUNTRY,
    N_QUEUE_NOT_FOLLOWED,
    N_TERRITORY_NEEDS_SECTOR,
    N_TERRITORY_SECTOR_MISMATCH,
    R_CLAIM,
    R_CUSTOMER_BACKUP,
    R_CUSTOMER_DEALER,
    R_CUSTOMER_MANAGER,
    R_DEAL_SIZE,
    R_FALLBACK_POOL,
    R_FALLBACK_TEAM,
    R_NURTURE,
    R_NURTURE_UNSPECIFIED,
    R_OPEN_WORK,
    R_OPEN_WORK_BACKUP,
    R_PARENT_BACKUP,
    R_PARENT_DEALER,
    R_PARENT_MANAGER,
    R_SECTOR_OWNER,
    R_SECTOR_TERRITORY,
    R_TERRITORY,
    R_TERRITORY_BAD_POSTCODE,
    R_TERRITORY_COUNTRY,
    R_TERRITORY_NO_POSTCODE,
    _country,
    _day,
    _money,
    _sector,
    _term,
)
from leads.routing.policy import Rule

# --- Routing ---------------------------------------------------------------------


def route(
    lead: LeadFacts,
    *,
    context: RoutingContext,
    account: AccountFacts | None,
    claims: Sequence[ClaimFacts],
    open_leads: Sequence[OpenLeadFacts],
    counts: Mapping[CountKey, int],
    now: datetime,
    loads: Mapping[int, int] | None = None,
) -> Decision:
    """Decide who owns ``lead`` at ``now`` (timezone-aware), and explain why.

    ``loads`` (dealer id → leads assigned in the last 7 days) overrides the
    snapshot in the context, so a long-lived context stays correct on capacity.

    ``account`` is the matched account or ``None``; ``claims`` the approved
    claims matched to the lead's company; ``open_leads`` the company's other
    open leads; ``counts`` the leads each owner received per share scope so far
    (missing keys count 0). Always returns a decision with an owner.
    """
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    router = _Router(lead, context, counts, now, loads)
    if not lead.sales_ready:
        return router.nurture()
    for rule in context.policy.rule_order:
        if rule is Rule.INSTALLED_BASE:
            decision = router.installed_base(account)
        elif rule is Rule.CLAIM:
            decision = router.claim(claims)
        elif rule is Rule.OPEN_WORK:
            decision = router.open_work(account, open_leads)
        elif rule is Rule.DEAL_SIZE:
            decision = router.deal_size()
        elif rule is Rule.SECTOR:
            decision = router.sector()
        elif rule is Rule.TERRITORY:
            decision = router.territory()
        else:
            decision = router.team_fallback()
        if decision is not None:
            return decision
    return router.pool()


def _products(account: AccountFacts) -> str:
    return "; ".join(f"{p.product}, {p.installed_on.year}" for p in account.installed_products)


def _account_chain(account: AccountFacts) -> list[AccountFacts]:
    chain = []
    node: AccountFacts | None = account
    while node is not None and len(chain) < 10:  # a guard against malformed data
        chain.append(node)
        node = node.parent
    return chain


class _Router(_Candidates):
    """One decision: the candidates and their notes, and the rules that decide."""

    __slots__ = ()

    def nurture(self) -> Decision:
        missing = self.lead.missing_qualification
        if missing:
            return self.decide(
                self.context.policy.nurture_queue,
                Rule.NURTURE,
                R_NURTURE,
                {"missing": ", ".join(missing)},
            )
        return self.decide(
            self.context.policy.nurture_queue, Rule.NURTURE, R_NURTURE_UNSPECIFIED, {}
        )

    def installed_base(self, account: AccountFacts | None) -> Decision | None:
        if account is None:
            return None
        chain = _account_chain(account)
        customer_at = next((i for i, a in enumerate(chain) if a.installed_products), None)
        if customer_at is None:
            return None
        customer = chain[customer_at]
        owning = next(
            (
                a
                for a in chain[customer_at:]
                if a.account_manager_id is not None or a.serving_dealer_id is not None
            ),
            None,
        )
        if owning is None:
            return None
        via_parent = owning is not account or customer is not account
        params = {
            "company": account.name,
            "parent": owning.name if owning is not account else customer.name,
            "products": _products(customer),
        }
        rule = Rule.INSTALLED_BASE
        if owning.account_manager_id is not None:
            found = self.eligible_rep(owning.account_manager_id, rule)
            if found is not None:
                ref = found[0]
                if ref.id == owning.account_manager_id:
                    msgid = R_PARENT_MANAGER if via_parent else R_CUSTOMER_MANAGER
                else:
                    msgid = R_PARENT_BACKUP if via_parent else R_CUSTOMER_BACKUP
                    params["manager"] = self.context.rep_refs[owning.account_manager_id].name
                return self.decide(ref, rule, msgid, params | {"owner": ref.name})
        if owning.serving_dealer_id is not None:
            ref = self.eligible_dealer(owning.serving_dealer_id, rule)
            if ref is not None:
                msgid = R_PARENT_DEALER if via_parent else R_CUSTOMER_DEALER
                return self.decide(ref, rule, msgid, params | {"owner": ref.name})
        return None

    def claim(self, claims: Sequence[ClaimFacts]) -> Decision | None:
        rule = Rule.CLAIM
        for claim in sorted(claims, key=lambda c: (c.approved_at, c.id)):
            if claim.expires_at <= self.now or claim.approved_at > self.now:
                ref = self.context.dealer_refs.get(claim.dealer_id) or OwnerRef(
                    "dealer", claim.dealer_id, f"Dealer #{claim.dealer_id}"
                )
                if claim.expires_at <= self.now:
                    msgid, when = N_CLAIM_EXPIRED, {"until": _day(claim.expires_at.date())}
                else:
                    msgid, when = N_CLAIM_NOT_YET, {"since": _day(claim.approved_at.date())}
                self.note(
                    ref, rule, msgid, {"owner": ref.name, "company": claim.company_name} | when
                )
                continue
            ref = self.eligible_dealer(claim.dealer_id, rule)
            if ref is not None:
                return self.decide(
                    ref,
                    rule,
                    R_CLAIM,
                    {
                        "dealer": ref.name,
                        "company": claim.company_name,
                        "until": _day(claim.expires_at.date()),
                    },
                )
        return None

    def open_work(
        self, account: AccountFacts | None, open_leads: Sequence[OpenLeadFacts]
    ) -> Decision | None:
        rule = Rule.OPEN_WORK
        company = account.name if account is not None else self.lead.company_name
        seen: set[OwnerKey] = set()
        for open_lead in sorted(open_leads, key=lambda o: (o.created_at, o.id)):
            owner = open_lead.owner
            if owner.key in seen:
                continue
            seen.add(owner.key)
            if owner.kind == "queue":
                self.note(owner, rule, N_QUEUE_NOT_FOLLOWED, {"owner": _term(owner.name)})
                continue
            if owner.kind == "dealer":
                ref = self.eligible_dealer(int(owner.id), rule)
                if ref is not None:
                    return self.decide(
                        ref, rule, R_OPEN_WORK, {"company": company, "owner": ref.name}
                    )
                continue
            found = self.eligible_rep(int(owner.id), rule)
            if found is not None:
                ref = found[0]
                if ref.key == owner.key:
                    return self.decide(
                        ref, rule, R_OPEN_WORK, {"company": company, "owner": ref.name}
                    )
                previous = self.context.rep_refs[int(owner.id)].name
                return self.decide(
                    ref,
                    rule,
                    R_OPEN_WORK_BACKUP,
                    {"company": company, "previous": previous, "owner": ref.name},
                )
        return None

    def deal_size(self) -> Decision | None:
        value = self.lead.estimated_value
        threshold = self.context.policy.enterprise_threshold
        if value is None or value <= threshold:
            return None
        rule = Rule.DEAL_SIZE
        slots = [
            slot
            for rep in self.context.seniors
            if (slot := self.rep_slot(rep.id, rule)) is not None
        ]
        if not slots:
            return None
        chosen = self.choose(slots, SCOPE_SENIOR, rule)
        return self.decide_slot(
            chosen,
            rule,
            R_DEAL_SIZE,
            {"value": _money(value), "threshold": _money(threshold)},
            share_scope=self.split_scope(slots, SCOPE_SENIOR),
        )

    def sector_mismatch(self, entry: _Territory, rule: str) -> bool:
        """Note the owners of a territory reserved for other sectors; True if so."""
        territory = entry.territory
        sector = self.lead.sector
        if not territory.sectors or sector in territory.sectors:
            return False
        sectors = {"sectors": sorted(territory.sectors)}
        for owner in entry.owners:
            params = {"owner": owner.ref.name, "territory": territory.name, "sectors": sectors}
            if sector is None:
                self.note(owner.ref, rule, N_TERRITORY_NEEDS_SECTOR, params)
            else:
                self.note(
                    owner.ref,
                    rule,
                    N_TERRITORY_SECTOR_MISMATCH,
                    params | {"sector": _sector(sector)},
                )
        return True

    def sector(self) -> Decision | None:
        sector = self.lead.sector
        if sector is None:
            return None
        rule = Rule.SECTOR
        for entry in self.context._covering(self.lead.country, self.lead.postcode_number):
            if self.sector_mismatch(entry, rule):
                continue
            territory = entry.territory
            reserved = sector in territory.sectors
            slots = []
            for owner in entry.owners:
                if not reserved and sector not in owner.sectors:
                    self.note(
                        owner.ref,
                        rule,
                        N_NOT_SPECIALISED,
                        {"owner": owner.ref.name, "sector": _sector(sector)},
                    )
                    continue
                slot = self.share_slot(owner, rule)
                if slot is not None:
                    slots.append(slot)
            if not slots:
                continue
            scope = ("sector", territory.id, sector)
            chosen = self.choose(slots, scope, rule)
            assert chosen.origin is not None
            msgid = (
                R_SECTOR_OWNER
                if sector in chosen.origin.sectors or not reserved
                else R_SECTOR_TERRITORY
            )
            return self.decide_slot(
                chosen,
                rule,
                msgid,
                {"sector": _sector(sector), "territory": territory.name},
                territory_id=territory.id,
                share_scope=self.split_scope(slots, scope),
            )
        return None

    def territory(self) -> Decision | None:
        rule = Rule.TERRITORY
        lead = self.lead
        for entry in self.context._covering(lead.country, lead.postcode_number):
            if self.sector_mismatch(entry, rule):
                continue
            territory = entry.territory
            slots = [s for o in entry.owners if (s := self.share_slot(o, rule)) is not None]
            if not slots:
                continue
            scope = ("territory", territory.id)
            chosen = self.choose(slots, scope, rule)
            params = {"territory": territory.name}
            if lead.postcode_number is None:
                params["country"] = _country(lead.country)
                if lead.postcode:
                    msgid = R_TERRITORY_BAD_POSTCODE
                    params["postcode"] = lead.postcode
                else:
                    msgid = R_TERRITORY_NO_POSTCODE
            else:
                params["postcode"] = lead.postcode or str(lead.postcode_number)
                if territory.ranges:
                    msgid = R_TERRITORY
                else:
                    msgid = R_TERRITORY_COUNTRY
                    params["country"] = _country(lead.country)
            return self.decide_slot(
                chosen,
                rule,
                msgid,
                params,
                territory_id=territory.id,
                share_scope=self.split_scope(slots, scope),
            )
        return None

    def team_fallback(self) -> Decision | None:
        if not self.context.policy.team_fallback:
            return self.pool()
        rule = Rule.FALLBACK
        country = self.lead.country
        slots = []
        for rep in self.context.internal_sales:
            if rep.countries and country not in rep.countries:
                ref = self.context.rep_refs[rep.id]
                self.note(
                    ref, rule, N_OUTSIDE_COUNTRY, {"owner": ref.name, "country": _country(country)}
                )
                continue
            slot = self.rep_slot(rep.id, rule)
            if slot is not None:
                slots.append(slot)
        if not slots:
            return self.pool()
        chosen = self.choose(slots, SCOPE_INTERNAL_SALES, rule)
        return self.decide_slot(
            chosen,
            rule,
            R_FALLBACK_TEAM,
            {},
            share_scope=self.split_scope(slots, SCOPE_INTERNAL_SALES),
        )

    def pool(self) -> Decision:
        queue = self.context.policy.pool_queue
        return self.decide(queue, Rule.FALLBACK, R_FALLBACK_POOL, {"queue": _term(queue.name)})

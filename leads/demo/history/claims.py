"""Demo claims: approved, pending, expired and one conflict, each with its history
and its permissions."""

import random
from datetime import timedelta
from decimal import Decimal

from django.db import transaction
from django.utils.translation import gettext_noop

from dealers.models import Claim, Dealer
from leads.demo import companies
from leads.demo.history.people import office, office_day_after, office_moment
from leads.models import (
    Account,
    Policy,
)
from portal.messages import message, text
from portal.users.models import Role, User

CLAIM_NOTE = "[demo] Met at the trade fair; preparing a quote."
# The one claim the demo shows a conflict with on purpose (README, "Demo data").
CONFLICT_DEALER = "Rijnmond Industrie Service B.V."
CONFLICT_NOTE = "[demo] Their plant manager asked us for a quote for a second line."


@transaction.atomic
def build_claims(*, count: int, staff: dict, dealers: dict, now) -> int:
    """About ``count`` claims by dealers on prospects in their own countries.

    Each was clean when it was registered: the claim check that the claim form and
    ``claim_submit`` run (``claim_check``) finds no conflict for it, so no claim is on
    an existing customer (or a subsidiary of one) or on a company another dealer
    holds. One claim shows such a conflict on purpose (``_build_conflict_claim``).
    Every dealer or staff action falls in that person's office hours."""
    from dealers.services.checks import claim_check
    from dealers.services.claim_grants import claim_permissions_grant

    existing = Claim.objects.filter(notes__startswith="[demo]").count()
    if existing >= count:
        return 0
    rng = random.Random(f"claims-{existing}")
    policy = Policy.current()
    conflict_missing = not Claim.objects.filter(notes=CONFLICT_NOTE).exists()
    prospects = list(
        Account.objects.filter(
            website_domain__endswith=".demo", installed_base__isnull=True, claims__isnull=True
        )
        .order_by("pk")
        .only("pk", "legal_name", "country", "postcode", "vat_number", "website_domain")
    )
    rng.shuffle(prospects)
    active = [d for d in dealers.values() if d.status == Dealer.Status.ACTIVE]
    admins = _dealer_admins(active)
    statuses = (
        [Claim.Status.APPROVED] * 60
        + [Claim.Status.PENDING] * 14
        + [Claim.Status.EXPIRED] * 14
        + [Claim.Status.REJECTED] * 6
        + [Claim.Status.WITHDRAWN] * 6
    )
    random.Random("claim-statuses").shuffle(statuses)  # a mix however few claims
    # How long ago each kind was registered: a pending claim waits days for review, an
    # expired one ran its whole period.
    approved_days = max(1, policy.claim_days - 7)
    days_back = {
        Claim.Status.PENDING: lambda: rng.randint(1, 12),
        Claim.Status.APPROVED: lambda: rng.randint(1, approved_days),
        Claim.Status.EXPIRED: lambda: policy.claim_days + rng.randint(1, 60),
        Claim.Status.REJECTED: lambda: rng.randint(10, 170),
        Claim.Status.WITHDRAWN: lambda: rng.randint(10, 170),
    }
    manager = staff["claudia.jansen"]
    claims = []
    for index in range(existing, count - (1 if conflict_missing else 0)):
        account = dealer = None
        while prospects:
            account = prospects.pop()
            candidates = [
                d for d in active if d.countries and d.countries[0].code == account.country.code
            ] or active
            dealer = rng.choice(candidates)
            if claim_check(dealer=dealer, data=_claim_fields(account), now=now).clean:
                break
            account = None  # e.g. a subsidiary of a customer: not a clean claim
        if account is None:
            break
        status = statuses[index % len(statuses)]
        cal = office(dealer.countries[0].code)
        day = (now - timedelta(days=days_back[status]())).astimezone(cal.tz).date()
        submitted = office_moment(day, cal, rng, forward=False)
        approved = expires = decided = None
        if status in (Claim.Status.APPROVED, Claim.Status.EXPIRED):
            approved = decided = submitted  # clean claims are approved automatically
            expires = approved + timedelta(days=policy.claim_days)
            if status == Claim.Status.APPROVED and expires <= now:
                expires = now + timedelta(days=rng.randint(5, 80))
        elif status == Claim.Status.REJECTED:
            decided = office_day_after(submitted, rng.uniform(1, 5), office("NL"), rng)
        elif status == Claim.Status.WITHDRAWN:
            decided = office_day_after(submitted, rng.uniform(1, 5), cal, rng)
        claims.append(
            Claim(
                dealer=dealer,
                account=account,
                **_claim_fields(account),
                contact_name=" ".join(companies.person(rng, account.country.code)[0:1]),
                expected_value=Decimal(rng.choice([15, 25, 40, 60, 90, 150])) * 1000,
                notes=CLAIM_NOTE,
                status=status,
                submitted_by=admins.get(dealer.pk),
                submitted_at=submitted,
                decided_by=manager if status == Claim.Status.REJECTED else None,
                decided_at=decided,
                decision_reason="Existing negotiations by direct sales"
                if status == Claim.Status.REJECTED
                else "",
                approved_at=approved,
                expires_at=expires,
                reminder_due_at=(
                    expires - timedelta(days=policy.claim_reminder_days)
                    if status == Claim.Status.APPROVED
                    and expires - timedelta(days=policy.claim_reminder_days) > now
                    else None
                ),
            )
        )
    Claim.objects.bulk_create(claims)
    claim_permissions_grant(claims)
    _claim_history(claims)
    added = len(claims)
    if conflict_missing and _build_conflict_claim(dealers=dealers, admins=admins, now=now):
        added += 1
    return added


def _claim_fields(account: Account) -> dict:
    """The company fields of a claim on ``account``, as the claim form sends them."""
    return {
        "company_name": account.legal_name,
        "website": account.website_domain,
        "vat_number": account.vat_number,
        "country": account.country.code,
        "postcode": account.postcode,
    }


def _dealer_admins(dealers: list[Dealer]) -> dict[int, User]:
    return {
        m.dealer_id: m.user
        for d in dealers
        for m in d.memberships.select_related("user").filter(role=Role.DEALER_ADMIN)[:1]
    }


def _build_conflict_claim(*, dealers: dict, admins: dict, now) -> Claim | None:
    """The demo's one deliberate conflict: a dealer registered a company that is
    already a customer (installed base, served directly or by another dealer). The
    claim check flags it, so the claim waits in the channel manager's review queue.
    Made by the real ``claim_submit``, registered on the last working day."""
    from dealers.services.claims import claim_submit

    dealer = dealers.get(CONFLICT_DEALER)
    if dealer is None or dealer.status != Dealer.Status.ACTIVE:
        return None
    country = dealer.countries[0].code
    customer = (
        Account.objects.filter(
            website_domain__endswith=".demo",
            country=country,
            parent__isnull=True,
            installed_base__isnull=False,
            claims__isnull=True,
        )
        .exclude(serving_dealer=dealer)
        .order_by("pk")
        .first()
    )
    if customer is None:
        return None
    rng = random.Random("conflict-claim")
    cal = office(country)
    day = (now - timedelta(days=1)).astimezone(cal.tz).date()
    return claim_submit(
        dealer=dealer,
        submitted_by=admins.get(dealer.pk),
        data={
            **_claim_fields(customer),
            "contact_name": companies.person(rng, country)[0],
            "expected_value": Decimal(60000),
            "notes": CONFLICT_NOTE,
        },
        now=office_moment(day, cal, rng, forward=False),
    )


def _claim_history(claims: list[Claim]) -> None:
    """The events the services would have written for each demo claim's life."""
    from dealers.models import ClaimEvent
    from dealers.services.claim_expiry import EXPIRED_REASON

    Kind, Status = ClaimEvent.Kind, Claim.Status
    events = []
    for claim in claims:
        events.append(
            ClaimEvent(
                claim=claim,
                kind=Kind.SUBMITTED,
                actor=claim.submitted_by,
                at=claim.submitted_at,
                reason=message(gettext_noop("Registered; no conflicts found.")),
            )
        )
        if claim.approved_at:
            events.append(
                ClaimEvent(
                    claim=claim,
                    kind=Kind.APPROVED,
                    at=claim.approved_at,
                    reason=message(gettext_noop("Approved automatically: no conflicts found.")),
                    data={"expires_at": claim.expires_at.isoformat()},
                )
            )
        if claim.status == Status.EXPIRED:
            events.append(
                ClaimEvent(
                    claim=claim, kind=Kind.EXPIRED, at=claim.expires_at, reason=EXPIRED_REASON
                )
            )
        elif claim.status == Status.REJECTED:
            events.append(
                ClaimEvent(
                    claim=claim,
                    kind=Kind.REJECTED,
                    actor=claim.decided_by,
                    at=claim.decided_at,
                    reason=text(claim.decision_reason),
                )
            )
        elif claim.status == Status.WITHDRAWN:
            events.append(
                ClaimEvent(
                    claim=claim,
                    kind=Kind.WITHDRAWN,
                    actor=claim.submitted_by,
                    at=claim.decided_at,
                    reason=message(gettext_noop("Withdrawn by the dealer.")),
                )
            )
    ClaimEvent.objects.bulk_create(events, batch_size=2000)

"""Dealer weights: the recency-weighted formula (pure), computing every dealer's weight
from its scorecards (read-only), and the writes: applying computed weights, setting and
ending overrides. The formula is documented in ``dealers.allocation``.

Every write records a ``WeightChange`` (performance recalculation, override, override
ended) with its actor (and their name, kept after their account is deleted) and reason,
and resets the share counters of the territories the dealer owns when its effective
weight changes, so the split converges to the new weights from the next lead instead of
first paying back the old counts (``territories.services.territory_shares_reset``).
Every write, a save or a queryset's bulk update, invalidates the cached routing world
through the signals of ``leads.signals`` (``leads.world`` says how); nothing here bumps
it by hand.
"""

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from dealers import scorecards
from dealers.models import Dealer, WeightChange
from dealers.scorecards import Scorecard
from portal.users.models import User
from territories.models import TerritoryOwner
from territories.services import territory_shares_reset

BUCKET_DAYS = 30
RECENCY = (3, 2, 1)  # newest 30 days first
WINDOW_DAYS = BUCKET_DAYS * len(RECENCY)
OVERRIDE_MAX = Decimal("10.00")
OVERRIDE_MAX_DAYS = 366
CENT = Decimal("0.01")


# --- the formula (pure) ------------------------------------------------------------


@dataclass(frozen=True)
class WeightInputs:
    """What the weight was computed from: recency-weighted rates, the sample size, the
    result, and whether the formula counted: not with too few settled stints, nor while
    no stint has reached its first-update deadline (``awaiting_follow_up``: follow-up
    has no data yet, which is not 0 %)."""

    follow_up: float | None
    conversion: float | None
    settled: int
    measured: int
    closed: int
    weight: Decimal
    counted: bool
    awaiting_follow_up: bool = False

    def as_json(self) -> dict:
        return {
            "formula": "recency-3-2-1",
            "follow_up": None if self.follow_up is None else round(self.follow_up, 4),
            "conversion": None if self.conversion is None else round(self.conversion, 4),
            "settled": self.settled,
            "measured": self.measured,
            "closed": self.closed,
            "counted": self.counted,
            "awaiting_follow_up": self.awaiting_follow_up,
            "weight": str(self.weight),
        }


def _weighted_rate(parts: Iterable[tuple[float, int, int]]) -> float | None:
    top = bottom = 0.0
    for factor, part, whole in parts:
        top += factor * part
        bottom += factor * whole
    return top / bottom if bottom else None


def recency_weight(
    buckets: Sequence[Scorecard],
    *,
    factors: Sequence[int] = RECENCY,
    current: Decimal = scorecards.NEUTRAL_WEIGHT,
) -> WeightInputs:
    """The performance weight from consecutive scorecard periods, newest first (the
    last 30 days, 30-60 and 60-90 days ago), each period's stints counting
    ``factors[i]`` times (3, 2, 1)::

        follow_up  = Σ f·in_sla / Σ f·measured
        conversion = Σ f·won    / Σ f·(won + lost)
        weight     = clamp(0.25, 2.00, (0.5 + follow_up) × (0.5 + conversion / 20 %))

    two decimals, half up; a missing conversion counts as 0. Below 10 settled stints
    (won, lost, rejected, recycled; unweighted, all periods) the weight is 1.00. While
    no stint has reached its first-update deadline (none measured), follow-up has no
    data yet and the weight stays ``current`` (the stored one). Equal periods give
    DESIGN.md's 90-day formula (``scorecards.performance_weight``)."""
    if len(buckets) != len(factors):
        raise ValueError("one recency factor per period")
    settled = sum(card.settled for card in buckets)
    measured = sum(card.measured for card in buckets)
    closed = sum(card.closed for card in buckets)
    follow_up = _weighted_rate(
        (f, card.followed_up_in_sla, card.measured)
        for f, card in zip(factors, buckets, strict=True)
    )
    conversion = _weighted_rate(
        (f, card.won, card.closed) for f, card in zip(factors, buckets, strict=True)
    )
    awaiting_follow_up = settled >= scorecards.MIN_SETTLED_STINTS and follow_up is None
    counted = settled >= scorecards.MIN_SETTLED_STINTS and not awaiting_follow_up
    if awaiting_follow_up:
        weight = current
    elif not counted:
        weight = scorecards.NEUTRAL_WEIGHT
    else:
        raw = (Decimal("0.5") + _decimal(follow_up)) * (
            Decimal("0.5") + _decimal(conversion) / scorecards.TARGET_CONVERSION
        )
        weight = min(scorecards.WEIGHT_MAX, max(scorecards.WEIGHT_MIN, raw))
    return WeightInputs(
        follow_up=follow_up,
        conversion=conversion,
        settled=settled,
        measured=measured,
        closed=closed,
        weight=weight.quantize(CENT, rounding=ROUND_HALF_UP),
        counted=counted,
        awaiting_follow_up=awaiting_follow_up,
    )


def _decimal(value: float | None) -> Decimal:
    return Decimal("0") if value is None else Decimal(str(round(value, 6)))


def combined(cards: Sequence[Scorecard], *, start: datetime, end: datetime) -> Scorecard:
    """Consecutive periods' scorecards of one dealer added up (the 90-day view). The
    median is not additive and is left out; open stints, pipeline and claims are the
    dealer's current ones, the same in every period."""
    first = cards[0]
    return Scorecard(
        dealer_id=first.dealer_id,
        dealer_name=first.dealer_name,
        start=start,
        end=end,
        received=sum(c.received for c in cards),
        measured=sum(c.measured for c in cards),
        followed_up_in_sla=sum(c.followed_up_in_sla for c in cards),
        recycled=sum(c.recycled for c in cards),
        rejected=sum(c.rejected for c in cards),
        won=sum(c.won for c in cards),
        lost=sum(c.lost for c in cards),
        won_value=sum((c.won_value for c in cards), Decimal("0")),
        open_stints=first.open_stints,
        pipeline_value=first.pipeline_value,
        claims=first.claims,
    )


# --- computing the weights ---------------------------------------------------------


@dataclass
class DealerWeight:
    """One dealer's weights: the stored performance weight, the one its scorecard gives
    today, the override, and what routing would use before and after applying."""

    dealer: Dealer
    card: Scorecard
    inputs: WeightInputs
    today: date

    @property
    def computed(self) -> Decimal:
        return self.inputs.weight

    @property
    def current(self) -> Decimal:
        return self.dealer.performance_weight

    @property
    def override_active(self) -> bool:
        return _override_active(self.dealer, self.today)

    @property
    def effective_now(self) -> Decimal:
        return self.dealer.weight_override if self.override_active else self.current

    @property
    def effective_after(self) -> Decimal:
        return self.dealer.weight_override if self.override_active else self.computed

    @property
    def changes(self) -> bool:
        return self.computed != self.current


def _override_active(dealer: Dealer, today: date) -> bool:
    return dealer.weight_override is not None and (
        dealer.weight_override_until is None or today <= dealer.weight_override_until
    )


def periods(now: datetime) -> list[tuple[datetime, datetime]]:
    """The three 30-day periods of the window, newest first."""
    return [
        (now - timedelta(days=BUCKET_DAYS * (i + 1)), now - timedelta(days=BUCKET_DAYS * i))
        for i in range(len(RECENCY))
    ]


def weights_compute(
    *, now: datetime, dealers: QuerySet[Dealer] | None = None
) -> list[DealerWeight]:
    """Every dealer's (of ``dealers``) weights, by name. Read-only: one query for the
    dealers and one grouped scorecard query per 30-day period (``dealer_scorecards``),
    however many dealers."""
    rows = list((dealers if dealers is not None else Dealer.objects.all()).order_by("name", "pk"))
    if not rows:
        return []
    ids = [d.pk for d in rows]
    by_period = [
        {
            c.dealer_id: c
            for c in scorecards.dealer_scorecards(start=s, end=e, now=now, dealer_ids=ids)
        }
        for s, e in periods(now)
    ]
    start, end = now - timedelta(days=WINDOW_DAYS), now
    today = timezone.localdate(now)
    result = []
    for dealer in rows:
        cards = [
            p.get(dealer.pk) or Scorecard(dealer.pk, dealer.name, start, end) for p in by_period
        ]
        result.append(
            DealerWeight(
                dealer=dealer,
                card=combined(cards, start=start, end=end),
                inputs=recency_weight(cards, current=dealer.performance_weight),
                today=today,
            )
        )
    return result


def computed_weight(*, dealer_id: int, now: datetime) -> DealerWeight:
    """One dealer's weights (its scorecard page)."""
    (found,) = weights_compute(now=now, dealers=Dealer.objects.filter(pk=dealer_id))
    return found


# --- writing -----------------------------------------------------------------------


def _reset_shares(dealer_ids: Iterable[int]) -> list[int]:
    """Reset the share counters of every territory these dealers own."""
    territory_ids = sorted(
        set(
            TerritoryOwner.objects.filter(dealer_id__in=list(dealer_ids)).values_list(
                "territory_id", flat=True
            )
        )
    )
    for territory_id in territory_ids:
        territory_shares_reset(territory_id=territory_id)
    return territory_ids


def weights_apply(
    *,
    actor: User | None,
    now: datetime | None = None,
    dealers: QuerySet[Dealer] | None = None,
    expected: Mapping[int, Decimal] | None = None,
) -> list[WeightChange]:
    """Store each dealer's computed performance weight (of ``dealers``, default all) where
    it differs from the stored one, with an audit row each, and reset the share counters
    of the territories whose owners' effective weights change.

    ``expected`` (dealer id → weight, as the preview showed them): when the scorecards
    changed since, nothing is written and ``ValidationError`` asks for a new preview."""
    now = now or timezone.now()
    with transaction.atomic():
        scope = dealers if dealers is not None else Dealer.objects.all()
        locked = Dealer.objects.select_for_update().filter(pk__in=scope.values("pk"))
        weights = weights_compute(now=now, dealers=locked)
        changing = [w for w in weights if w.changes]
        if expected is not None:
            stale = [
                w.dealer.name for w in weights if expected.get(w.dealer.pk, w.current) != w.computed
            ]
            if stale:
                raise ValidationError(
                    _(
                        "The scorecards changed since the preview (%(dealers)s). Look at the "
                        "new preview before applying."
                    )
                    % {"dealers": ", ".join(stale[:5])},
                    code="stale_preview",
                )
        if not changing:
            return []
        changes = [
            WeightChange(
                dealer=w.dealer,
                kind=WeightChange.Kind.PERFORMANCE,
                old_weight=w.current,
                new_weight=w.computed,
                reason=gettext_noop("Recalculated from the scorecard."),
                inputs={**w.card.as_inputs(), **w.inputs.as_json()},
                actor=actor,
                data=WeightChange.actor_data(actor),
                at=now,
            )
            for w in changing
        ]
        moved = [w.dealer.pk for w in changing if w.effective_now != w.effective_after]
        for w in changing:
            w.dealer.performance_weight = w.computed
        Dealer.objects.bulk_update([w.dealer for w in changing], ["performance_weight"])
        WeightChange.objects.bulk_create(changes)
        _reset_shares(moved)
    return changes


def _clean_override(weight, until, reason: str, today: date) -> tuple[Decimal, date, str]:
    errors: dict[str, list[str]] = {}
    try:
        value = Decimal(str(weight).strip().replace(",", "."))
        if not value.is_finite():
            raise InvalidOperation
    except (InvalidOperation, ValueError):
        errors["weight"] = [_("Give the weight as a number, e.g. 1.5.")]
        value = Decimal("0")
    else:
        if value < 0 or value > OVERRIDE_MAX:
            errors["weight"] = [
                _("Use a weight from 0 (no new leads) to %(max)s.") % {"max": OVERRIDE_MAX}
            ]
        value = value.quantize(CENT, rounding=ROUND_HALF_UP)
    if until is None:
        errors["until"] = [_("Give the date the override ends.")]
    elif until < today:
        errors["until"] = [_("The end date cannot be in the past.")]
    elif until > today + timedelta(days=OVERRIDE_MAX_DAYS):
        errors["until"] = [_("An override lasts at most a year; set it again when it ends.")]
    reason = (reason or "").strip()
    if not reason:
        errors["reason"] = [_("Say why: the dealer's scorecard and the audit show it.")]
    elif len(reason) > 300:
        errors["reason"] = [_("Keep the reason under 300 characters.")]
    if errors:
        raise ValidationError(errors)
    return value, until, reason


def weight_override_set(
    *,
    dealer: Dealer,
    actor: User,
    weight: Decimal | str | float,
    until: date | None,
    reason: str,
    now: datetime | None = None,
) -> WeightChange:
    """Replace the dealer's weight by ``weight`` until ``until`` (inclusive), with a
    reason. Audited; resets the share counters of the dealer's territories."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    value, until, reason = _clean_override(weight, until, reason, today)
    with transaction.atomic():
        dealer = Dealer.objects.select_for_update().get(pk=dealer.pk)
        old = Decimal(str(dealer.effective_weight(today))).quantize(CENT)
        dealer.weight_override = value
        dealer.weight_override_until = until
        dealer.weight_override_reason = reason
        dealer.save(
            update_fields=["weight_override", "weight_override_until", "weight_override_reason"]
        )
        change = WeightChange.objects.create(
            dealer=dealer,
            kind=WeightChange.Kind.OVERRIDE,
            old_weight=old,
            new_weight=value,
            reason=reason,
            until=until,
            inputs={"performance_weight": str(dealer.performance_weight)},
            actor=actor,
            data=WeightChange.actor_data(actor),
            at=now,
        )
        if old != value:
            _reset_shares([dealer.pk])
    return change


def _end_override(
    dealer: Dealer, *, actor: User | None, reason: str, now: datetime
) -> WeightChange:
    """Clear the override; reset the shares when routing used a different weight until
    now (an override that ended at midnight did, until then)."""
    old = dealer.weight_override
    dealer.weight_override = None
    dealer.weight_override_until = None
    dealer.weight_override_reason = ""
    dealer.save(
        update_fields=["weight_override", "weight_override_until", "weight_override_reason"]
    )
    if old != dealer.performance_weight:
        _reset_shares([dealer.pk])
    return WeightChange.objects.create(
        dealer=dealer,
        kind=WeightChange.Kind.OVERRIDE_ENDED,
        old_weight=old,
        new_weight=dealer.performance_weight,
        reason=reason,
        actor=actor,
        data=WeightChange.actor_data(actor),
        at=now,
    )


def weight_override_clear(
    *, dealer: Dealer, actor: User, reason: str = "", now: datetime | None = None
) -> WeightChange:
    """End the dealer's override now: the performance weight applies again."""
    now = now or timezone.now()
    with transaction.atomic():
        dealer = Dealer.objects.select_for_update().get(pk=dealer.pk)
        if dealer.weight_override is None:
            raise ValidationError(_("This dealer has no override to end."), code="no_override")
        change = _end_override(
            dealer,
            actor=actor,
            reason=(reason or "").strip()[:300] or gettext_noop("Ended by the channel manager."),
            now=now,
        )
    return change


def overrides_end_expired(*, now: datetime | None = None) -> list[WeightChange]:
    """Clear the overrides whose end date has passed (routing stopped using them at the
    end of that day), each with an audit row without actor. Running it twice changes
    nothing the second time."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    with transaction.atomic():
        expired = list(
            Dealer.objects.select_for_update()
            .filter(weight_override__isnull=False, weight_override_until__lt=today)
            .order_by("pk")
        )
        changes = [
            _end_override(
                dealer,
                actor=None,
                reason=gettext_noop("The override's end date passed."),
                now=now,
            )
            for dealer in expired
        ]
    return changes


def weight_history(dealer_ids: Iterable[int], *, limit: int = 50) -> list[WeightChange]:
    """The latest weight changes of these dealers, newest first (one query)."""
    return list(
        WeightChange.objects.filter(dealer_id__in=list(dealer_ids))
        .select_related("dealer", "actor")
        .order_by("-at", "-pk")[:limit]
    )

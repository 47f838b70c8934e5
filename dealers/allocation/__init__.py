"""Performance-based allocation (DESIGN.md "Performance weight", "Fairness"): each
dealer's weight from its scorecard, the channel manager's overrides, the what-if preview
before anything changes, and the fairness report.

- ``weights``: ``recency_weight`` (the formula, pure), ``weights_compute`` (read),
  ``weights_apply``, ``weight_override_set``, ``weight_override_clear``,
  ``overrides_end_expired`` (writes, audited as ``WeightChange`` rows);
- ``whatif``: ``whatif_preview`` (weights) and ``routing_change_preview`` (any change made
  with ``with_policy``, ``with_territory``, ``with_dealer_status``,
  ``with_dealer_capacity``, ``with_weights``;
  ``dealer_status_preview`` adds the open leads a pause would route again)
  replay the last N leads through the pure engine under today's and the proposed
  settings; write nothing;
- ``fairness``: ``fairness_report``, each owner's actual against target share.

The weight formula
------------------
The trailing 90 days are cut into three 30-day periods, newest first, and each period's
stints count with a recency factor of 3, 2 and 1::

    follow_up  = Σ f·in_sla / Σ f·measured          (f = 3, 2, 1 for the last, the
    conversion = Σ f·won    / Σ f·(won + lost)        middle and the oldest 30 days)
    weight     = clamp(0.25, 2.00, (0.5 + follow_up) × (0.5 + conversion / 20 %))

rounded to two decimals. A dealer with fewer than 10 settled stints (won, lost, rejected
or recycled, unweighted) over the 90 days keeps 1.00: too few to judge. With the same
figures in every period this is exactly DESIGN.md's formula over 90 days
(``dealers.scorecards.performance_weight``); a dealer that improved lately gains sooner,
one that slipped loses sooner. A missing conversion (nothing won or lost) counts as 0,
as in that function. Follow-up is missing only while none of the dealer's stints has
reached its first-update deadline (none measured): that is "no data yet", not 0 %, and
the weight stays as it is (the allocation page says so).

Import from here: ``from dealers.allocation import weights_apply``.
"""

from dealers.allocation.fairness import ScopeShares, ShareRow, fairness_report, share_deviation
from dealers.allocation.weights import (
    BUCKET_DAYS,
    OVERRIDE_MAX,
    RECENCY,
    WINDOW_DAYS,
    DealerWeight,
    WeightInputs,
    computed_weight,
    overrides_end_expired,
    recency_weight,
    weight_history,
    weight_override_clear,
    weight_override_set,
    weights_apply,
    weights_compute,
)
from dealers.allocation.whatif import (
    PREVIEW_DEFAULT,
    PREVIEW_MAX,
    LeadMove,
    OwnerShift,
    Preview,
    ReplayLead,
    StatusPreview,
    compare,
    dealer_status_preview,
    proposed_weights,
    replay,
    routing_change_preview,
    whatif_preview,
    with_dealer_capacity,
    with_dealer_status,
    with_policy,
    with_territory,
    with_weights,
)

__all__ = [
    "BUCKET_DAYS",
    "OVERRIDE_MAX",
    "PREVIEW_DEFAULT",
    "PREVIEW_MAX",
    "RECENCY",
    "WINDOW_DAYS",
    "DealerWeight",
    "LeadMove",
    "OwnerShift",
    "Preview",
    "ReplayLead",
    "ScopeShares",
    "ShareRow",
    "StatusPreview",
    "WeightInputs",
    "compare",
    "computed_weight",
    "dealer_status_preview",
    "fairness_report",
    "overrides_end_expired",
    "proposed_weights",
    "recency_weight",
    "replay",
    "routing_change_preview",
    "share_deviation",
    "weight_history",
    "weight_override_clear",
    "weight_override_set",
    "weights_apply",
    "weights_compute",
    "whatif_preview",
    "with_dealer_capacity",
    "with_dealer_status",
    "with_policy",
    "with_territory",
    "with_weights",
]

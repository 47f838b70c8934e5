"""What the pages that preview a routing change put in their template context for the
shared partial ``manage/performance/_whatif.html``: the allocation page (weights), a
territory's edit page, the territory CSV import (the whole file at once), a dealer's
status and capacity forms and the routing policy page. The partial
shows each moving lead's routing reason before and after (``LeadMove.before_reason`` and
``after_reason``, rendered with ``render_message`` as on the lead page)."""

from django.utils.translation import gettext as _

from dealers.allocation import Preview
from portal import l10n


def _owner_name(owner) -> str:
    """A queue in the reader's language (its name is stored in English)."""
    return l10n.term(owner.name) if owner.kind == "queue" else owner.name


def preview_chart(preview: Preview) -> dict:
    """The chart's data: the 20 owners whose lead count changes most."""
    shifted = preview.changed_owners[:20]
    return {
        "labels": [_owner_name(o.owner) for o in shifted],
        "before": [o.before for o in shifted],
        "after": [o.after for o in shifted],
        "text": {"before": _("Today's settings"), "after": _("Proposed")},
    }


def preview_context(
    preview: Preview | None, *, rerouted: int | None = None, claims_ended: int | None = None
) -> dict:
    """``preview``, its chart and (a dealer's status) how many open leads applying would
    route again now and (a termination) how many of the dealer's claims it would end."""
    if preview is None:
        return {"preview": None}
    return {
        "preview": preview,
        "preview_chart": preview_chart(preview),
        "rerouted": rerouted,
        "claims_ended": claims_ended,
    }

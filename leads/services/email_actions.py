"""Accept or reject a new lead straight from its e-mail (DESIGN.md, "Connections": e-mails
whose Accept/Reject links act on one lead without a password).

A new-lead e-mail to a dealer's people carries two links, each signed (Django's
``signing``, the site's secret key) and bound to the recipient, the lead, the action and
the lead's current stint with that dealer. A link:

- is valid for ``VALID_FOR`` (7 days) from the moment the e-mail was written;
- acts once: it needs the lead to be new and still in the same stint, so after the
  accept (or the reject) both links of that e-mail are spent;
- is void as soon as the lead leaves the dealer (rejected, recycled, reassigned);
- opens a one-step confirmation page: a GET changes nothing, the POST acts;
- acts for its recipient only: someone signed in as another person is refused, and
  without a session the link acts on that one lead and signs nobody in.

The actions are the pipeline's own (``lead_accept``, ``lead_reject``) with
``via="email"`` in their event, which the scorecards count.
"""

from dataclasses import dataclass
from datetime import timedelta

from django.core import signing
from django.urls import reverse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from leads import access, selectors
from leads.models import Assignment, Lead
from portal.users.models import Notification, User
from portal.users.services import EmailButton, absolute_url

SALT = "leads.email-action"
VALID_FOR = timedelta(days=7)
ACCEPT, REJECT = "accept", "reject"
ACTIONS = (ACCEPT, REJECT)
VIA_EMAIL = "email"


class LinkRefused(Exception):
    """A link that cannot act; ``reason`` is one of ``REASONS``."""

    def __init__(self, reason: str, lead: Lead | None = None):
        super().__init__(reason)
        self.reason, self.lead = reason, lead


REASONS = {
    "invalid": _("This link is not valid. It may have been cut off or changed."),
    "expired": _("This link has expired: links in e-mails work for 7 days."),
    "spent": _("This lead has already been answered, so the link no longer works."),
    "gone": _("This lead is no longer with your dealer, so the link no longer works."),
    "not_yours": _(
        "This link was sent to someone else. Sign out first if it was meant for you, or "
        "open the lead from your own e-mail."
    ),
}


@dataclass(frozen=True)
class EmailAction:
    user: User
    lead: Lead
    action: str


def _open_stint_id(lead: Lead) -> int | None:
    return (
        Assignment.objects.filter(lead=lead, ended_at__isnull=True)
        .values_list("pk", flat=True)
        .first()
    )


def action_token(*, user: User, lead: Lead, action: str) -> str:
    """A signed token for ``user`` to ``action`` ``lead`` in its current stint."""
    if action not in ACTIONS:
        raise ValueError(action)
    payload = {"u": user.pk, "l": lead.pk, "a": action, "s": _open_stint_id(lead)}
    return signing.dumps(payload, salt=SALT, compress=True)


def action_links(notification: Notification) -> dict[str, str]:
    """``{"accept": url, "reject": url}`` for a new-lead notification to a person of the
    dealer that owns the lead while it is new; otherwise no links."""
    lead, user = notification.lead, notification.recipient
    if notification.kind != Notification.Kind.ASSIGNED or lead is None:
        return {}
    membership = user.dealer_membership
    if membership is None or lead.owner_dealer_id != membership.dealer_id:
        return {}
    if lead.status != Lead.Status.NEW or not access.user_has_lead_perm(user, lead, access.ACT):
        return {}
    return {
        action: absolute_url(
            reverse("leads:email_action", args=[action_token(user=user, lead=lead, action=action)])
        )
        for action in ACTIONS
    }


def email_buttons(notification: Notification) -> list[EmailButton]:
    """Accept and Reject on a dealer's new-lead e-mail (``portal.users.services``' hook),
    labelled in the language the e-mail is written in."""
    links = action_links(notification)
    if not links:
        return []
    return [
        EmailButton(gettext("Accept"), links[ACCEPT], primary=True),
        EmailButton(gettext("Reject"), links[REJECT]),
    ]


def read_action(token: str, *, signed_in: User | None = None) -> EmailAction:
    """The action a link may still take, or ``LinkRefused`` saying why not."""
    try:
        payload = signing.loads(token, salt=SALT, max_age=VALID_FOR)
    except signing.SignatureExpired:
        raise LinkRefused("expired") from None
    except signing.BadSignature:
        raise LinkRefused("invalid") from None
    if not isinstance(payload, dict) or payload.get("a") not in ACTIONS:
        raise LinkRefused("invalid")
    user = User.objects.filter(pk=payload.get("u"), is_active=True).first()
    if user is None:
        raise LinkRefused("invalid")
    if signed_in is not None and signed_in.is_authenticated and signed_in.pk != user.pk:
        raise LinkRefused("not_yours")
    lead = selectors.lead_for_user(user, payload.get("l"))
    if lead is None or not access.user_has_lead_perm(user, lead, access.ACT):
        raise LinkRefused("gone")
    if _open_stint_id(lead) != payload.get("s"):
        raise LinkRefused("gone", lead)
    if lead.status != Lead.Status.NEW:
        raise LinkRefused("spent", lead)
    return EmailAction(user=user, lead=lead, action=payload["a"])

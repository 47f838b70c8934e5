"""Who is told about a claim, and where the message links: the channel managers when a
claim waits for review, the claimant's dealer (its active people) when it is decided
or ends."""

from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext_noop

from dealers.models import Claim
from dealers.services.team import dealer_recipients
from portal.messages import message
from portal.users.models import Notification, Role, User
from portal.users.services import notify


def claim_url(claim: Claim | int) -> str:
    """A claim's page, by claim or id ("" where the claim pages are not installed)."""
    try:
        return reverse("dealers:claim", args=[getattr(claim, "pk", claim)])
    except NoReverseMatch:
        return ""


def review_url() -> str:
    try:
        return reverse("manage:claims")
    except NoReverseMatch:
        return ""


def channel_managers():
    return User.objects.filter(is_active=True, staffprofile__role=Role.CHANNEL_MANAGER)


def notify_review(claim: Claim) -> None:
    notify(
        recipients=list(channel_managers()),
        kind=Notification.Kind.CLAIM,
        subject=message(
            gettext_noop("Claim to review: %(company)s by %(dealer)s"),
            company=claim.company_name,
            dealer=claim.dealer.name,
        ),
        body=message(
            gettext_noop("%(count)d possible conflict(s) found; please approve or reject it."),
            count=len(claim.conflicts),
        )
        if claim.conflicts
        else message(gettext_noop("No conflicts found; the policy asks you to review it.")),
        url=review_url(),
    )


def notify_dealer(claim: Claim, *, subject: dict, body: dict) -> None:
    notify(
        recipients=dealer_recipients(claim.dealer_id, claim.submitted_by),
        kind=Notification.Kind.CLAIM,
        subject=subject,
        body=body,
        url=claim_url(claim),
    )

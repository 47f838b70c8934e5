"""The dealer's team: invite colleagues, deactivate them (their open leads go back to
the whole team, where the dealer's admins act on them), reactivate them."""

from datetime import datetime

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from dealers.models import Dealer, DealerMembership
from leads.models import Lead, LeadEvent
from leads.services import access_grants
from portal.messages import message
from portal.users.models import Notification, Role, User
from portal.users.services import notify, user_invite


def dealer_recipients(dealer_id: int, *also: User | None) -> list[User]:
    """The dealer's admins plus the people named (the one who submitted the claim)."""
    admins = list(
        User.objects.filter(
            is_active=True,
            dealermembership__dealer_id=dealer_id,
            dealermembership__role=Role.DEALER_ADMIN,
        )
    )
    people = [u for u in also if u is not None and u.is_active]
    recipients = {u.pk: u for u in [*admins, *people]}
    if not recipients:
        recipients = {
            u.pk: u
            for u in User.objects.filter(is_active=True, dealermembership__dealer_id=dealer_id)
        }
    return list(recipients.values())


def dealer_people(dealer_ids: set) -> dict:
    """dealer id → {"snapshot": owner snapshot, "users": its active people} (everyone
    at the dealer is told of reminders and expiries)."""
    if not dealer_ids:
        return {}
    found = {
        pk: {"snapshot": {"kind": "dealer", "id": pk, "name": name}, "users": []}
        for pk, name in Dealer.objects.filter(pk__in=dealer_ids).values_list("pk", "name")
    }
    memberships = DealerMembership.objects.filter(
        dealer_id__in=dealer_ids, user__is_active=True
    ).select_related("user")
    for membership in memberships:
        found[membership.dealer_id]["users"].append(membership.user)
    return found


# --- the team -----------------------------------------------------------------------


def member_invite(
    *,
    dealer: Dealer,
    email: str,
    name: str,
    role: str = Role.DEALER_USER,
    invited_by: User,
    language: str | None = None,
) -> DealerMembership:
    """Create a colleague's account at ``dealer`` and e-mail the invitation (its link
    sets the password)."""
    email = (email or "").strip().lower()
    name = (name or "").strip()
    errors: dict[str, list[str]] = {}
    try:
        validate_email(email)
    except ValidationError:
        errors["email"] = [_("Enter a valid e-mail address.")]
    else:
        if User.objects.filter(email__iexact=email).exists():
            errors["email"] = [
                _(
                    "Someone with this e-mail address already has an account. Ask your channel manager."
                )
            ]
    if not name:
        errors["name"] = [_("The name is required.")]
    elif len(name) > 150:
        errors["name"] = [_("Use at most %(n)d characters.") % {"n": 150}]
    if role not in [r.value for r in Role.dealer_roles()]:
        errors["role"] = [_("Choose dealer user or dealer admin.")]
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        user = user_invite(
            email=email, name=name, invited_by=invited_by, language=language or dealer.language
        )
        return DealerMembership.objects.create(user=user, dealer=dealer, role=role)


def member_deactivate(
    *, membership: DealerMembership, actor: User, reason: str = "", now: datetime | None = None
) -> int:
    """Switch off a colleague's account. The open leads handled by that person go back
    to the dealer's admins (``dealer_assignee`` cleared, the person's object permissions
    on them removed, a "handed over" event on each). Returns how many leads returned."""
    now = now or timezone.now()
    if membership.user_id == actor.pk:
        raise ValidationError(_("You cannot deactivate your own account."), code="self")
    with transaction.atomic():
        user = User.objects.select_for_update().get(pk=membership.user_id)
        if not user.is_active:
            return 0
        user.is_active = False
        user.save(update_fields=["is_active"])
        leads = list(
            Lead.objects.select_for_update().filter(
                dealer_assignee=user,
                owner_dealer_id=membership.dealer_id,
                status__in=Lead.OPEN_STATUSES,
            )
        )
        ids = [lead.pk for lead in leads]
        # Back to the whole team, as when an admin hands a lead back.
        access_grants.revoke_assignee(
            user=user, dealer_id=membership.dealer_id, lead_ids=ids, now=now
        )
        why = message(
            gettext_noop("%(name)s no longer works here; the dealer's admins act on this lead."),
            name=user.name,
        )
        LeadEvent.objects.bulk_create(
            [
                LeadEvent(
                    lead=lead,
                    kind=LeadEvent.Kind.HANDED_OVER,
                    actor=actor,
                    at=now,
                    reason=why,
                    data={
                        "from_user_id": user.pk,
                        "to_user_id": None,
                        "deactivated": True,
                        **({"note": {"text": reason}} if reason else {}),
                    },
                )
                for lead in leads
            ]
        )
        if leads:
            notify(
                recipients=[u for u in dealer_recipients(membership.dealer_id) if u.pk != user.pk],
                kind=Notification.Kind.INFO,
                subject=message(
                    gettext_noop("%(count)d lead(s) returned from %(name)s"),
                    count=len(leads),
                    name=user.name,
                ),
                body=why,
                url="",
            )
    return len(leads)


def member_reactivate(*, membership: DealerMembership, actor: User) -> None:
    """Switch a colleague's account on again (leads are not given back automatically)."""
    user = membership.user
    if not user.is_active:
        user.is_active = True
        user.save(update_fields=["is_active"])  # routing sees the person again

"""Dealer management by the channel manager: create a dealer, invite its admin, pause,
terminate or reactivate it, set its weekly capacity.

Pausing or terminating a dealer routes each of its open leads again through the one
door (``leads.services.routing.lead_route``), in the same transaction as the status
change: every lead gets a "reassigned" event naming the reason, and the engine skips
the dealer from then on. Reactivating routes nothing back. Every change is audited as
an admin ``LogEntry`` on the dealer, kept as an immutable ``ChangeEvent`` (shown on the
dealer page and in the admin, where the dealer's weight changes join it: ``dealer_audit``).
"""

from datetime import datetime

from django.contrib.admin.models import ADDITION, CHANGE
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from dealers.models import Dealer, DealerMembership, WeightChange
from dealers.services.claim_expiry import claims_end_for_dealer
from leads.models import Assignment, Lead, LeadEvent
from leads.services.routing import lead_route
from portal.audit.models import ChangeEvent
from portal.audit.services import audit_log, audit_of
from portal.messages import message
from portal.users.models import Role, User
from portal.users.services import user_invite

STATUS_NOTES = {
    Dealer.Status.PAUSED: gettext_noop("%(dealer)s was paused: %(reason)s"),
    Dealer.Status.TERMINATED: gettext_noop("The agreement with %(dealer)s ended: %(reason)s"),
}


def unique_slug(name: str) -> str:
    base = slugify(name)[:70] or "dealer"
    slug, n = base, 2
    while Dealer.objects.filter(slug=slug).exists():
        slug, n = f"{base}-{n}", n + 1
    return slug


def dealer_create(
    *,
    actor: User,
    name: str,
    contact_email: str,
    countries: list[str],
    sectors: list[str] | None = None,
    weekly_capacity: int | None = None,
    phone: str = "",
    city: str = "",
    language: str = "en",
    home_country: str = "",
    region: str = "",
    slug: str = "",
    admin_name: str = "",
    admin_email: str = "",
) -> Dealer:
    """Create an active dealer and, when an e-mail is given, invite its first admin."""
    if slug and Dealer.objects.filter(slug=slug).exists():
        raise ValidationError({"slug": _("Another dealer already uses this short name.")})
    with transaction.atomic():
        dealer = Dealer(
            name=name.strip(),
            slug=slug or unique_slug(name),
            countries=countries,
            sectors=sectors or [],
            weekly_capacity=weekly_capacity,
            contact_email=contact_email,
            phone=phone,
            city=city,
            language=language,
            home_country=home_country,
            region=region,
        )
        dealer.full_clean(exclude=["group"])
        dealer.save()
        audit_log(actor, dealer, ADDITION, _("Dealer created."))
        if admin_email:
            dealer_invite_admin(dealer=dealer, email=admin_email, name=admin_name, invited_by=actor)
    return dealer


def dealer_update(*, dealer: Dealer, actor: User, **fields) -> list[str]:
    """Change a dealer's name, contact details, countries, sectors, language or working
    calendar (home country and region); returns the names of the fields that changed."""
    allowed = {
        "name",
        "contact_email",
        "phone",
        "city",
        "language",
        "countries",
        "sectors",
        "home_country",
        "region",
    }
    unknown = set(fields) - allowed
    if unknown:
        raise TypeError(f"dealer_update cannot change {sorted(unknown)}")
    with transaction.atomic():
        dealer = Dealer.objects.select_for_update().get(pk=dealer.pk)
        changed = []
        for attr, value in fields.items():
            current = getattr(dealer, attr)
            if attr == "countries":
                current = [c.code for c in current]
            if attr == "home_country":
                current = current.code or ""
            if attr in ("countries", "sectors"):
                current, value = sorted(current or []), sorted(value or [])
            if current != value:
                setattr(dealer, attr, value)
                changed.append(attr)
        if changed:
            dealer.full_clean(exclude=["group"])
            dealer.save()
            labels = [str(Dealer._meta.get_field(attr).verbose_name) for attr in changed]
            audit_log(actor, dealer, CHANGE, [{"changed": {"fields": labels}}])
        return changed


def dealer_invite_admin(
    *, dealer: Dealer, email: str, name: str, invited_by: User, role: str = Role.DEALER_ADMIN
) -> User:
    """Create the account of a dealer's admin and e-mail the invitation (after commit)."""
    email = (email or "").strip().lower()
    if User.objects.filter(email__iexact=email).exists():
        raise ValidationError(
            {"email": _("Someone with this e-mail address already has an account.")}
        )
    if role not in (Role.DEALER_ADMIN, Role.DEALER_USER):
        raise ValidationError({"role": _("Choose a dealer role.")})
    with transaction.atomic():
        user = user_invite(
            email=email, name=name.strip() or email, invited_by=invited_by, language=dealer.language
        )
        DealerMembership.objects.create(user=user, dealer=dealer, role=role)
        audit_log(
            invited_by,
            dealer,
            CHANGE,
            _("Invited %(name)s <%(email)s> as %(role)s.")
            % {"name": user.name, "email": email, "role": Role(role).label},
        )
    return user


def dealer_set_status(
    *, dealer: Dealer, status: str, actor: User, reason: str, now: datetime | None = None
) -> int:
    """Set the dealer's status. Pausing or terminating routes its open leads again, each
    through the one door with a "reassigned" event; terminating also ends its pending
    and approved claims. Returns how many leads were routed."""
    now = now or timezone.now()
    if status not in Dealer.Status.values:
        raise ValidationError({"status": _("Unknown status.")})
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError(
            {"reason": _("Give a reason: it is shown on every lead routed again.")}
        )
    with transaction.atomic():
        dealer = Dealer.objects.select_for_update().get(pk=dealer.pk)
        if dealer.status == status:
            raise ValidationError(
                {
                    "status": _("The dealer is already %(status)s.")
                    % {"status": dealer.get_status_display()}
                }
            )
        old = dealer.get_status_display()
        dealer.status = status
        dealer.save(update_fields=["status"])
        rerouted = 0
        if status in STATUS_NOTES:
            note = message(STATUS_NOTES[status], dealer=dealer.name, reason=reason)
            open_leads = Lead.objects.filter(
                owner_dealer=dealer, status__in=Lead.OPEN_STATUSES
            ).order_by("created_at", "pk")
            for lead in open_leads:
                lead_route(
                    lead=lead,
                    actor=actor,
                    now=now,
                    end_reason=Assignment.EndReason.REASSIGNED,
                    event_kind=LeadEvent.Kind.REASSIGNED,
                    note=note,
                )
                rerouted += 1
        ended = 0
        if status == Dealer.Status.TERMINATED:
            ended = claims_end_for_dealer(dealer=dealer, actor=actor, reason=reason, now=now)
        audit_log(
            actor,
            dealer,
            CHANGE,
            _(
                "Status %(old)s → %(new)s: %(reason)s (%(count)d open leads routed again, "
                "%(claims)d claims ended)."
            )
            % {
                "old": old,
                "new": dealer.get_status_display(),
                "reason": reason,
                "count": rerouted,
                "claims": ended,
            },
        )
    return rerouted


def dealer_set_capacity(*, dealer: Dealer, weekly_capacity: int | None, actor: User) -> Dealer:
    """New leads per 7 days the dealer can take (None: no limit; 0: none for now)."""
    if weekly_capacity is not None and weekly_capacity < 0:
        raise ValidationError({"weekly_capacity": _("The capacity cannot be negative.")})
    with transaction.atomic():
        dealer = Dealer.objects.select_for_update().get(pk=dealer.pk)
        if dealer.weekly_capacity == weekly_capacity:
            return dealer
        old = dealer.weekly_capacity
        dealer.weekly_capacity = weekly_capacity
        dealer.save(update_fields=["weekly_capacity"])
        none = _("no limit")
        audit_log(
            actor,
            dealer,
            CHANGE,
            _("Weekly capacity %(old)s → %(new)s.")
            % {
                "old": none if old is None else old,
                "new": none if weekly_capacity is None else weekly_capacity,
            },
        )
    return dealer


def dealer_audit(dealer: Dealer, *, limit: int = 20) -> list[ChangeEvent | WeightChange]:
    """The latest audited changes of a dealer and of its allocation weight, newest first
    (two queries); each line has ``at``, ``actor_label`` and ``describe()``."""
    weights = dealer.weight_changes.select_related("actor").order_by("-at", "-pk")[:limit]
    lines = [*audit_of(dealer, limit=limit), *weights]
    return sorted(lines, key=lambda line: line.at, reverse=True)[:limit]

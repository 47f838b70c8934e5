"""People services: invitations, deactivation, notifications and a rep's out of office.

Notifications are rows written in the same transaction as the event that causes them
(``notify``); e-mail delivery happens afterwards (``notifications_deliver``), from a
task queued on commit and from a periodic sweep, so a notification is never lost when
the broker or the worker is down, and is e-mailed exactly once. Who gets a row and
who an e-mail is decided in one place (``notification_rows``), whether the rows are
written as model instances (``notify``, ``notify_many``) or copied in by the thousand
(``notify_in_bulk``, the SLA sweep).
"""

import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from allauth.account.forms import default_token_generator
from allauth.account.utils import user_pk_to_url_str
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.db.models import Q
from django.template import Context, engines
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from portal.db import insert_many, insert_rows
from portal.messages import render_message
from portal.queue import publish, publish_or_sweep
from portal.staff import MANAGERS, has_staff_role
from portal.users.models import Notification, StaffProfile, User

CLAIM_TIMEOUT = timedelta(minutes=10)
BATCH = 200


@dataclass(frozen=True)
class EmailButton:
    label: str
    url: str
    primary: bool = False


# What the apps add to a notification's e-mail, as buttons: each provider takes the
# notification (in its recipient's language) and returns its buttons, or none. The
# leads app registers Accept and Reject for a dealer's new lead (leads/apps.py).
email_buttons: list[Callable[[Notification], list[EmailButton]]] = []


def buttons_for(notification: Notification) -> list[EmailButton]:
    return [button for provider in email_buttons for button in provider(notification)]


def absolute_url(path: str) -> str:
    return path if path.startswith("http") else f"{settings.SITE_URL}{path}"


def password_set_url(user: User) -> str:
    """A one-time link that lets ``user`` choose a password (allauth's reset key)."""
    path = reverse(
        "account_reset_password_from_key",
        kwargs={
            "uidb36": user_pk_to_url_str(user),
            "key": default_token_generator.make_token(user),
        },
    )
    return absolute_url(path)


def user_invite(*, email: str, name: str, invited_by: User, language: str = "en") -> User:
    """Create an account without a usable password and e-mail the invitation, whose
    link sets the password. Nobody can sign up on their own (invite-only)."""
    user = User.objects.create_user(email=email, name=name, language=language)
    transaction.on_commit(lambda: _send_invitation(user.pk, invited_by.pk))
    return user


def _send_invitation(user_pk: int, invited_by_pk: int) -> None:
    user = User.objects.get(pk=user_pk)
    invited_by = User.objects.get(pk=invited_by_pk)
    membership = user.dealer_membership
    context = {
        "user": user,
        "invited_by": invited_by,
        "dealer": membership.dealer if membership else None,
        "link": password_set_url(user),
        "site_url": settings.SITE_URL,
    }
    _send(user, "emails/invitation", context)


def render_text(name: str, context: dict) -> str:
    """A plain-text template (an e-mail's subject or text part) as it is meant to be
    read: without HTML escaping ("GmbH & Co. KG", not "GmbH &amp; Co. KG")."""
    return engines["django"].engine.get_template(name).render(Context(context, autoescape=False))


def _send(user: User, template: str, context: dict) -> None:
    with translation.override(user.language):
        subject = render_text(f"{template}_subject.txt", context).strip()
        text = render_text(f"{template}.txt", context)
        html = render_to_string(f"{template}.html", context)
    message = EmailMultiAlternatives(
        subject=settings.ACCOUNT_EMAIL_SUBJECT_PREFIX + subject, body=text, to=[user.email]
    )
    message.attach_alternative(html, "text/html")
    message.send()


def notify(
    *,
    recipients: Iterable[User],
    kind: str,
    subject: dict,
    body: dict | None = None,
    url: str = "",
    lead=None,
    send_email: bool = True,
) -> list[Notification]:
    """Write one notification per recipient and queue e-mail delivery after commit.

    ``subject`` and ``body`` are messages (``portal.messages.message``), rendered in
    each recipient's language when shown or sent."""
    return notify_many(
        [
            {
                "recipients": recipients,
                "kind": kind,
                "subject": subject,
                "body": body,
                "url": url,
                "lead": lead,
                "send_email": send_email,
            }
        ]
    )


def notification_rows(items: Iterable[dict], *, now: datetime) -> list[dict]:
    """The notification rows for ``items`` (each one ``notify``'s arguments; the lead
    given as ``lead`` or as ``lead_id``), as ``{field: value}``: one per active
    recipient, each person once per item. A row is e-mailed only when the item asks for
    e-mail and the person wants e-mail at once (the others read it in the portal or in
    their daily digest)."""
    rows = []
    for item in items:
        lead = item.get("lead")
        common = {
            "kind": item["kind"],
            "subject": item["subject"],
            "body": item.get("body") or {},
            "url": item.get("url", ""),
            "lead_id": lead.pk if lead is not None else item.get("lead_id"),
            "created_at": now,
        }
        email = item.get("send_email", True)
        unique = {u.pk: u for u in item["recipients"] if u is not None and u.is_active}
        for user in unique.values():
            rows.append(
                {
                    **common,
                    "recipient_id": user.pk,
                    "send_email": email and user.email_frequency == User.EmailFrequency.IMMEDIATE,
                }
            )
    return rows


def notify_many(items: list[dict]) -> list[Notification]:
    """``notify`` for many messages at once: one insert, one queued delivery."""
    rows = notification_rows(items, now=timezone.now())
    if not rows:
        return []
    created = [Notification(**row) for row in rows]
    insert_many(Notification, created, with_ids=True)
    if any(n.send_email for n in created):
        # (read at commit: inside ``portal.db.one_statement`` the ids come at its end)
        transaction.on_commit(lambda: _queue_delivery([n.pk for n in created if n.send_email]))
    return created


def notify_in_bulk(items: list[dict]) -> int:
    """``notify_many`` for thousands of rows at a time (the SLA sweep): written with
    COPY, without model instances, and e-mailed by the outbox tasks queued after commit
    (one per delivery batch; each claims its own rows). Returns how many rows were
    written."""
    rows = notification_rows(items, now=timezone.now())
    insert_rows(Notification, rows)
    if emails := sum(1 for row in rows if row["send_email"]):
        transaction.on_commit(lambda: _queue_outbox(emails))
    return len(rows)


def _queue_delivery(ids: list[int]) -> None:
    """Hand the e-mails to a worker (``portal.queue``: if the broker does not answer at
    once they stay in the outbox and the periodic sweep sends them). Never fails or
    holds up the request that caused them."""
    from portal.users.tasks import deliver_notifications, deliver_pending_notifications

    publish_or_sweep(deliver_notifications, ids, sweep=deliver_pending_notifications)


def _queue_outbox(emails: int) -> None:
    """Ask the workers to e-mail ``emails`` pending notifications: one outbox task per
    delivery batch (as ``_queue_delivery``: the outbox sweep sends what is not queued)."""
    from portal.users.tasks import deliver_pending_notifications

    for _batch in range(math.ceil(emails / BATCH)):
        if not publish(deliver_pending_notifications):
            break


def notifications_deliver(*, ids: Iterable[int] | None = None, now=None) -> int:
    """E-mail pending notifications exactly once; returns how many were sent.

    Rows are claimed with a conditional UPDATE (``email_claimed_at``) so that two
    workers, or a worker and the sweep, never send the same notification; a claim older
    than ten minutes (a worker that died mid-send) may be taken over."""
    now = now or timezone.now()
    pending = Notification.objects.filter(send_email=True, emailed_at__isnull=True).filter(
        Q(email_claimed_at__isnull=True) | Q(email_claimed_at__lt=now - CLAIM_TIMEOUT)
    )
    if ids is not None:
        pending = pending.filter(pk__in=list(ids))
    sent = 0
    for pk in list(pending.order_by("created_at").values_list("pk", flat=True)[:BATCH]):
        claimed = (
            Notification.objects.filter(pk=pk, emailed_at__isnull=True)
            .filter(Q(email_claimed_at__isnull=True) | Q(email_claimed_at__lt=now - CLAIM_TIMEOUT))
            .update(email_claimed_at=now)
        )
        if not claimed:
            continue  # someone else has it
        notification = Notification.objects.select_related("recipient", "lead").get(pk=pk)
        _send(notification.recipient, "emails/notification", _notification_context(notification))
        Notification.objects.filter(pk=pk).update(emailed_at=timezone.now())
        sent += 1
    return sent


def _notification_context(notification: Notification) -> dict:
    with translation.override(notification.recipient.language):
        return {
            "notification": notification,
            "subject": render_message(notification.subject),
            "body": render_message(notification.body),
            "link": absolute_url(notification.url) if notification.url else settings.SITE_URL,
            "recipient": notification.recipient,
            "buttons": buttons_for(notification),
        }


def notifications_send_digests(*, now=None) -> int:
    """One e-mail per daily-digest user with what arrived since their last digest."""
    now = now or timezone.now()
    since = now - timedelta(days=1)
    sent = 0
    users = User.objects.filter(
        is_active=True,
        email_frequency=User.EmailFrequency.DAILY,
        notifications__created_at__gte=since,
        notifications__read_at__isnull=True,
    ).distinct()
    for user in users:
        items = list(
            user.notifications.filter(created_at__gte=since, read_at__isnull=True)
            .select_related("lead")
            .order_by("-created_at")[:50]
        )
        with translation.override(user.language):
            rendered = [
                {
                    "subject": render_message(n.subject),
                    "body": render_message(n.body),
                    "url": absolute_url(n.url),
                    "buttons": buttons_for(n),
                }
                for n in items
            ]
        _send(
            user,
            "emails/digest",
            {"recipient": user, "items": rendered, "site_url": settings.SITE_URL},
        )
        sent += 1
    return sent


def notification_mark_read(*, user: User, ids: Iterable[int] | None = None) -> int:
    unread = user.notifications.filter(read_at__isnull=True)
    if ids is not None:
        unread = unread.filter(pk__in=list(ids))
    return unread.update(read_at=timezone.now())


# --- out of office -------------------------------------------------------------------


def may_set_out_of_office(actor: User, profile: StaffProfile) -> bool:
    """Anyone for themselves; channel and sales managers for every rep."""
    return profile.user_id == actor.pk or has_staff_role(actor, MANAGERS)


@transaction.atomic
def staff_set_out_of_office(
    *,
    profile: StaffProfile,
    actor: User,
    starts: datetime | None,
    ends: datetime | None,
    backup: User | None,
) -> StaffProfile:
    """Set (or clear, with both dates empty) a rep's out-of-office period and backup.

    Routing replaces the rep by the backup while the period lasts (saving the profile
    invalidates the cached routing world)."""
    if not may_set_out_of_office(actor, profile):
        raise PermissionDenied
    errors: dict[str, str] = {}
    if starts and ends and ends <= starts:
        errors["out_of_office_until"] = _("The end must be after the start.")
    if backup is not None:
        if backup.pk == profile.user_id:
            errors["backup"] = _("Choose someone else as the backup.")
        elif not backup.is_active or backup.staff_profile is None:
            errors["backup"] = _("The backup must be an active internal colleague.")
    if (starts or ends) and backup is None:
        errors["backup"] = _(
            "Choose a backup: without one, new leads for this rep go to the next rule."
        )
    if errors:
        raise ValidationError(errors)
    profile = StaffProfile.objects.select_for_update().get(pk=profile.pk)
    profile.out_of_office_from = starts
    profile.out_of_office_until = ends
    profile.backup = backup if (starts or ends) else profile.backup
    profile.save(update_fields=["out_of_office_from", "out_of_office_until", "backup"])
    return profile

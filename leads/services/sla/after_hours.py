"""After hours: a prospect whose inquiry arrives outside working hours gets a
confirmation at once, in their language, saying when they will be contacted; the
owner gets a task due at the start of the next working day.

Two calendars: whether the inquiry came after hours, and when the prospect may expect
contact, follow the prospect's own country (an Austrian prospect is told Austrian
working days). The owner's task is due at the start of the owner's next working day at
or after that moment (``leads.services.calendars``: a Swiss importer's task skips 1
August, never before the prospect expects contact); a queue, and an owner without a
home country, follow the lead's country."""

import logging
from datetime import datetime

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.translation import gettext_noop

from dealers.models import DealerMembership
from leads import access
from leads.models import Lead, LeadEvent, Policy, Queue
from leads.services import calendars
from leads.sla import deadlines
from portal import l10n
from portal.messages import message, moment, parts
from portal.users.models import Notification, User
from portal.users.services import notify_many, render_text

log = logging.getLogger(__name__)

# Inquiries from these sources come from the prospect themself and get a confirmation.
CONFIRM_SOURCES = (Lead.Source.WEB_FORM, Lead.Source.API, Lead.Source.MARKETING)


def needs_confirmation(lead: Lead, now: datetime) -> bool:
    """Whether ``lead`` is a prospect's own inquiry that arrived outside working hours
    (intake asks before writing the outbox column; no query)."""
    if (
        lead.source not in CONFIRM_SOURCES
        or not lead.contact_email
        or lead.status == Lead.Status.NURTURE
    ):
        return False
    terms = deadlines.SlaTerms.from_policy(Policy.current())
    return deadlines.after_hours(now, lead.country_code, terms)


def lead_confirm_receipt(*, lead_id: int) -> bool:
    """A prospect's inquiry that arrived outside working hours (``confirmation_due_at``,
    set by the intake in its transaction): e-mail the prospect (in their language) when
    they will be contacted, record it as an event, and give the owner a task due at the
    start of the owner's next working day from then. Clears the outbox column in the same transaction, so
    however often it runs (the task, the outbox sweep) it confirms once. Never raises
    (it runs after the intake committed); False when nothing was sent."""
    try:
        with transaction.atomic():
            lead = (
                Lead.objects.select_for_update(of=("self",))
                .filter(pk=lead_id, confirmation_due_at__isnull=False)
                .first()
            )
            if lead is None:
                return False
            received = lead.confirmation_due_at
            Lead.objects.filter(pk=lead.pk).update(confirmation_due_at=None)
            if (
                not needs_confirmation(lead, received)
                or lead.events.filter(kind=LeadEvent.Kind.CONFIRMATION).exists()
            ):
                return False
            terms = deadlines.SlaTerms.from_policy(Policy.current())
            contact_from = deadlines.next_working_start(received, lead.country, terms)
            _send_confirmation(lead, contact_from)
            LeadEvent.objects.create(
                lead=lead,
                kind=LeadEvent.Kind.CONFIRMATION,
                at=received,
                reason=message(
                    gettext_noop(
                        "Received outside working hours: the prospect was told to expect "
                        "contact from %(start)s."
                    ),
                    start=moment(contact_from),
                ),
                data={"contact_from": contact_from.isoformat(), "language": lead.language},
            )
            _notify_owner_task(lead, contact_from, _owner_task_due(lead, contact_from, terms))
    except Exception:
        log.exception("Could not confirm the after-hours inquiry of lead %s", lead_id)
        return False
    return True


def receipts_confirm_pending(*, limit: int = 500) -> int:
    """The outbox sweep: confirm the inquiries whose task never ran (the broker or the
    worker was down); returns how many were sent."""
    waiting = Lead.objects.filter(confirmation_due_at__isnull=False).order_by("confirmation_due_at")
    return sum(
        lead_confirm_receipt(lead_id=pk) for pk in waiting.values_list("pk", flat=True)[:limit]
    )


def _send_confirmation(lead: Lead, contact_from: datetime) -> None:
    with translation.override(lead.language):
        context = {
            "lead": lead,
            # "Montag, 9. März 2026 08:30", "Monday, March 9, 2026, 8:30 a.m."
            "contact_from": l10n.weekday_and_moment(contact_from),
            "site_url": settings.SITE_URL,
        }
        subject = render_text("emails/confirmation_subject.txt", context).strip()
        text = render_text("emails/confirmation.txt", context)
        html = render_to_string("emails/confirmation.html", context)
    mail = EmailMultiAlternatives(subject=subject, body=text, to=[lead.contact_email])
    mail.attach_alternative(html, "text/html")
    mail.send()


def _owner_task_due(lead: Lead, contact_from: datetime, terms) -> datetime:
    """The start of the owner's next working day at or after ``contact_from``, in the
    owner's calendar (home country and region; the lead's country for a queue)."""
    if lead.owner_dealer_id:
        owner = ("dealer", lead.owner_dealer_id)
    elif lead.owner_user_id:
        owner = ("user", lead.owner_user_id)
    else:
        owner = ("queue", lead.owner_queue_id)
    country, region = calendars.place_of(calendars.owner_places([owner]), *owner, lead.country_code)
    return deadlines.next_working_start(contact_from, country, terms, region)


def _notify_owner_task(lead: Lead, contact_from: datetime, due: datetime) -> None:
    if lead.owner_dealer_id:
        recipients = [
            m.user
            for m in DealerMembership.objects.filter(dealer_id=lead.owner_dealer_id).select_related(
                "user"
            )
        ]
    elif lead.owner_user_id:
        recipients = list(User.objects.filter(pk=lead.owner_user_id))
    else:
        queue = Queue.objects.select_related("responsible").get(pk=lead.owner_queue_id)
        recipients = [queue.responsible] if queue.responsible else []
    notify_many(
        [
            {
                "recipients": recipients,
                "kind": Notification.Kind.ASSIGNED,
                "subject": message(
                    gettext_noop("Task for %(start)s: contact %(company)s"),
                    start=moment(due),
                    company=lead.company_name,
                ),
                "body": parts(
                    message(
                        gettext_noop(
                            "The inquiry arrived outside working hours; the prospect was told "
                            "to expect contact from %(start)s."
                        ),
                        start=moment(contact_from),
                    ),
                    message(
                        gettext_noop("Contact %(contact)s, due %(start)s."),
                        # A dealer sees the person once it accepted, by the policy.
                        contact=lead.company_name
                        if lead.owner_dealer_id
                        and Policy.current().contact_after_accept
                        and access.contact_hidden_from_dealer(lead.owner_dealer_id, lead)
                        else lead.contact_name or lead.contact_email,
                        start=moment(due),
                    ),
                ),
                "url": lead.get_absolute_url(),
                "lead": lead,
            }
        ]
    )

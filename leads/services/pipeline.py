"""The owner's daily work on a lead: accept, reject, log a contact attempt, move it
through the pipeline, add a note, hand it to a colleague (DESIGN.md, "Pipeline").

    new → accepted → contacted → meeting → proposal → won | lost

From any open state a lead may be lost (with a reason). Only a new or accepted lead
may be rejected; a rejection ends the owner's stint and the lead is routed again
without them (``leads.services.routing.lead_route``, the one door for owners). Won
needs a value; lost and rejected need a reason from ``CloseReason`` ("other" needs a
text).

The first update of a stint (accept, reject, a logged contact attempt or a status
change by the owner; opening the lead is not one) is recorded on the stint with its
working hours and whether it was in time, and it stops the clocks it satisfies (first
update, reminder, escalation, recycle) in the same transaction.

Every function locks the lead row, checks the move on the locked row, writes the lead,
the stint and the event together and raises ``IllegalTransition`` (a
``ValidationError``) for a move the pipeline does not allow.
"""

from datetime import date, datetime
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, gettext_noop

from leads.models import (
    Assignment,
    CloseReason,  # defined with the lead, so that reads may name it; named here for its users
    Lead,
    LeadEvent,
    Policy,
)
from leads.selectors import colleagues_for_hand_over
from leads.services import access_grants, calendars, routing, webhooks
from leads.sla import deadlines
from leads.webhooks.payloads import rejected_event, status_event
from portal.messages import message, moment, number, parts, text
from portal.users.models import Notification, User
from portal.users.services import notify

S = Lead.Status
PIPELINE = (S.NEW, S.ACCEPTED, S.CONTACTED, S.MEETING, S.PROPOSAL)
CLOSED = (S.WON, S.LOST)
NOTE_MAX = 2000


class IllegalTransition(ValidationError):
    """A move the pipeline does not allow, with a message the user can act on."""


class ContactChannel(models.TextChoices):
    PHONE = "phone", gettext_lazy("Phone")
    EMAIL = "email", gettext_lazy("E-mail")
    VISIT = "visit", gettext_lazy("Visit")
    OTHER = "other", gettext_lazy("Other")


class ContactOutcome(models.TextChoices):
    REACHED = "reached", gettext_lazy("Reached the contact")
    NO_ANSWER = "no_answer", gettext_lazy("No answer")
    LEFT_MESSAGE = "left_message", gettext_lazy("Left a message")


# Sentences stored on events as translatable messages (shown in each reader's language).
REASON_SENTENCES = {
    CloseReason.NOT_OUR_PRODUCT_LINE: gettext_noop("Reason: not our product line."),
    CloseReason.NO_BUDGET: gettext_noop("Reason: no budget."),
    CloseReason.NO_CONTACT: gettext_noop("Reason: no contact possible."),
    CloseReason.COMPETITOR_CUSTOMER: gettext_noop("Reason: already a customer of a competitor."),
    CloseReason.DUPLICATE: gettext_noop("Reason: duplicate."),
    CloseReason.NOT_A_LEAD: gettext_noop("Reason: not a real lead."),
    CloseReason.OTHER: gettext_noop("Reason: other."),
}
CHANNEL_SENTENCES = {
    ContactChannel.PHONE: gettext_noop("By phone."),
    ContactChannel.EMAIL: gettext_noop("By e-mail."),
    ContactChannel.VISIT: gettext_noop("In person."),
    ContactChannel.OTHER: gettext_noop("Another way."),
}
OUTCOME_SENTENCES = {
    ContactOutcome.REACHED: gettext_noop("Reached the contact."),
    ContactOutcome.NO_ANSWER: gettext_noop("No answer."),
    ContactOutcome.LEFT_MESSAGE: gettext_noop("Left a message."),
}
MOVE_SENTENCES = {
    S.CONTACTED: gettext_noop("Moved to contacted."),
    S.MEETING: gettext_noop("Moved to meeting."),
    S.PROPOSAL: gettext_noop("Moved to proposal."),
    S.LOST: gettext_noop("Marked as lost."),
}


# --- reading the rules ----------------------------------------------------------


def allowed_moves(status: str) -> list[str]:
    """The statuses ``lead_set_status`` accepts from ``status``: forward through the
    pipeline (skipping is fine), won after acceptance, lost from any open state."""
    if status not in PIPELINE:
        return []
    if status == S.NEW:
        return [S.LOST]
    later = list(PIPELINE[PIPELINE.index(status) + 1 :])
    return [*later, S.WON, S.LOST]


def may_reject(status: str) -> bool:
    return status in (S.NEW, S.ACCEPTED)


def acts_for_owner(actor: User | None, lead: Lead) -> bool:
    """Whether ``actor`` works for the lead's current owner (their action is an update
    by the owner, which stops the clocks)."""
    if actor is None:
        return False
    if lead.owner_dealer_id:
        membership = actor.dealer_membership
        return membership is not None and membership.dealer_id == lead.owner_dealer_id
    if lead.owner_user_id:
        return actor.pk == lead.owner_user_id
    return False


# --- the actions ----------------------------------------------------------------


def lead_accept(
    *,
    lead: Lead,
    actor: User,
    next_step: str,
    next_step_on: date | None,
    now: datetime | None = None,
    via: str = "",
) -> Lead:
    """Accept a new lead with the planned next step and its date (``via="email"`` when
    it came from the link in the lead's e-mail)."""
    now = now or timezone.now()
    next_step = (next_step or "").strip()
    errors = {}
    if not next_step:
        errors["next_step"] = _("Say what you will do next, e.g. “Call to plan a demo”.")
    elif len(next_step) > 200:
        errors["next_step"] = _("Keep the next step under 200 characters.")
    if next_step_on is None:
        errors["next_step_on"] = _("Give the date of the next step.")
    elif next_step_on < timezone.localdate(now):
        errors["next_step_on"] = _("The next step cannot be in the past.")
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        lead = _locked(lead)
        if lead.status != S.NEW:
            raise IllegalTransition(
                _("Only a new lead can be accepted; this one is %(status)s.")
                % {"status": lead.get_status_display().lower()}
            )
        _first_update(lead, actor, now)
        lead.status = S.ACCEPTED
        lead.status_changed_at = now
        lead.next_step, lead.next_step_on = next_step, next_step_on
        lead.save()
        _event(
            lead,
            LeadEvent.Kind.ACCEPTED,
            actor,
            now,
            reason=message(
                gettext_noop("Next step: %(step)s (%(date)s)."),
                step=next_step,
                date=moment(next_step_on),
            ),
            data={
                "next_step": next_step,
                "next_step_on": next_step_on.isoformat(),
                **({"via": via} if via else {}),
            },
        )
        webhooks.emit([status_event(lead, before=S.NEW, after=S.ACCEPTED)], now=now)
    return lead


def lead_reject(
    *,
    lead: Lead,
    actor: User,
    reason: str,
    note: str = "",
    now: datetime | None = None,
    via: str = "",
) -> routing.Outcome:
    """Give a new or accepted lead back with a reason: the owner's stint ends and the
    lead is routed again without them; they lose access in the same transaction
    (``via="email"`` when it came from the link in the lead's e-mail)."""
    now = now or timezone.now()
    reason, note = _clean_reason(reason, note)
    with transaction.atomic():
        lead = _locked(lead)
        if not may_reject(lead.status):
            raise IllegalTransition(
                _("Only a new or accepted lead can be rejected; this one is %(status)s.")
                % {"status": lead.get_status_display().lower()}
            )
        _first_update(lead, actor, now)
        lead.save()
        _event(
            lead,
            LeadEvent.Kind.REJECTED,
            actor,
            now,
            reason=message(REASON_SENTENCES[reason]),
            data={"reason": reason, "note": note, **({"via": via} if via else {})},
            from_owner=routing.owner_snapshot(lead),
        )
        webhooks.emit([rejected_event(lead, before=lead.status, reason=reason, note=note)], now=now)
        return routing.lead_route(
            lead=lead,
            actor=actor,
            now=now,
            end_reason=Assignment.EndReason.REJECTED,
            event_kind=LeadEvent.Kind.ROUTED,
            note=parts(message(REASON_SENTENCES[reason]), *([text(note)] if note else [])),
        )


def lead_log_contact(
    *,
    lead: Lead,
    actor: User,
    channel: str,
    outcome: str,
    note: str = "",
    now: datetime | None = None,
) -> Lead:
    """Record a contact attempt (phone, e-mail, visit) and how it went."""
    now = now or timezone.now()
    errors = {}
    if channel not in ContactChannel.values:
        errors["channel"] = _("Choose how you tried to reach the contact.")
    if outcome not in ContactOutcome.values:
        errors["outcome"] = _("Choose how it went.")
    note = _clean_note(note, "note", errors, required=False)
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        lead = _locked(lead)
        if lead.status not in PIPELINE:
            raise IllegalTransition(
                _("This lead is %(status)s; contact attempts are logged on open leads only.")
                % {"status": lead.get_status_display().lower()}
            )
        _first_update(lead, actor, now)
        lead.save()
        _event(
            lead,
            LeadEvent.Kind.CONTACT,
            actor,
            now,
            reason=parts(message(CHANNEL_SENTENCES[channel]), message(OUTCOME_SENTENCES[outcome])),
            data={"channel": channel, "outcome": outcome, "note": note},
        )
    return lead


def lead_set_status(
    *,
    lead: Lead,
    actor: User,
    status: str,
    won_value: Decimal | str | None = None,
    reason: str = "",
    note: str = "",
    next_step: str | None = None,
    next_step_on: date | None = None,
    now: datetime | None = None,
) -> Lead:
    """Move a lead through the pipeline. Won needs a value, lost a reason; both close
    the lead and end the owner's stint."""
    now = now or timezone.now()
    errors = {}
    value = None
    if status == S.WON:
        value = _clean_value(won_value, errors)
    if status == S.LOST:
        reason, note = _clean_reason(reason, note)
    else:
        note = _clean_note(note, "note", errors, required=False)
    if next_step is not None and len(next_step.strip()) > 200:
        errors["next_step"] = _("Keep the next step under 200 characters.")
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        lead = _locked(lead)
        if status not in allowed_moves(lead.status):
            raise IllegalTransition(_illegal_move_message(lead, status))
        previous = lead.status
        _first_update(lead, actor, now)
        lead.status = status
        lead.status_changed_at = now
        if next_step is not None and next_step.strip():
            lead.next_step = next_step.strip()
        if next_step_on is not None:
            lead.next_step_on = next_step_on
        data = {"from": previous, "to": status}
        if status in CLOSED:
            _close(lead, status=status, value=value, reason=reason, note=note, now=now)
        lead.save()
        if status == S.WON:
            sentence = message(gettext_noop("Won, value € %(value)s."), value=number(value))
            data["value"] = str(value)
        elif status == S.LOST:
            sentence = parts(message(MOVE_SENTENCES[S.LOST]), message(REASON_SENTENCES[reason]))
            data["reason"] = reason
        else:
            sentence = message(MOVE_SENTENCES[status])
        if note:
            data["note"] = note
        _event(lead, LeadEvent.Kind.STATUS, actor, now, reason=sentence, data=data)
        webhooks.emit([status_event(lead, before=previous, after=status)], now=now)
    return lead


def lead_add_note(*, lead: Lead, actor: User, note: str, now: datetime | None = None) -> Lead:
    """A note on the timeline (not an update: it does not stop any clock)."""
    now = now or timezone.now()
    errors: dict = {}
    note = _clean_note(note, "note", errors, required=True)
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        lead = _locked(lead)
        _event(lead, LeadEvent.Kind.NOTE, actor, now, reason=text(note), data={"note": note})
    return lead


def lead_hand_over_to_colleague(
    *,
    lead: Lead,
    actor: User,
    colleague: User | None,
    now: datetime | None = None,
) -> Lead:
    """A dealer admin gives a lead to one colleague (``colleague``), or back to the whole
    team (None). The colleague gets the right to act on it; the dealer's group keeps
    the right to see it. Ownership (the dealer) does not change."""
    now = now or timezone.now()
    with transaction.atomic():
        lead = _locked(lead)
        membership = actor.dealer_membership
        if lead.owner_dealer_id is None or membership is None:
            raise IllegalTransition(_("Only a dealer's own leads can be handed to a colleague."))
        if membership.dealer_id != lead.owner_dealer_id or not membership.is_admin:
            raise IllegalTransition(_("Only your dealer admin can hand a lead to a colleague."))
        if lead.status not in PIPELINE:
            raise IllegalTransition(_("This lead is closed; there is nothing to hand over."))
        if (
            colleague is not None
            and not colleagues_for_hand_over(lead.owner_dealer_id).filter(pk=colleague.pk).exists()
        ):
            raise ValidationError(
                {
                    "colleague": _(
                        "Choose an active colleague of your dealer who has accepted the invitation."
                    )
                }
            )
        if (colleague.pk if colleague else None) == lead.dealer_assignee_id:
            raise IllegalTransition(
                _("%(name)s already handles this lead.") % {"name": colleague.name}
                if colleague
                else _("The whole team already handles this lead.")
            )
        previous_id = lead.dealer_assignee_id
        access_grants.grant_assignee(lead, colleague)
        _event(
            lead,
            LeadEvent.Kind.HANDED_OVER,
            actor,
            now,
            reason=(
                message(gettext_noop("Handed to %(name)s."), name=colleague.name)
                if colleague
                else message(gettext_noop("Handed back to the whole team."))
            ),
            data={
                "from_user_id": previous_id,
                "to_user_id": colleague.pk if colleague else None,
            },
        )
        if colleague is not None and colleague.pk != actor.pk:
            notify(
                recipients=[colleague],
                kind=Notification.Kind.ASSIGNED,
                subject=message(
                    gettext_noop("%(actor)s handed you a lead: %(company)s"),
                    actor=actor.name,
                    company=lead.company_name,
                ),
                url=lead.get_absolute_url(),
                lead=lead,
            )
    return lead


# --- helpers ----------------------------------------------------------------------


def _locked(lead: Lead) -> Lead:
    return Lead.objects.select_for_update().get(pk=lead.pk)


def _event(lead, kind, actor, now, *, reason, data, from_owner=None) -> LeadEvent:
    return LeadEvent.objects.create(
        lead=lead,
        kind=kind,
        actor=actor,
        at=now,
        reason=reason,
        data=data,
        from_owner=from_owner,
    )


def _first_update(lead: Lead, actor: User | None, now: datetime) -> bool:
    """Record the stint's first update and stop the clocks it satisfies (the caller
    saves ``lead``). Only an update by the owner counts."""
    if not acts_for_owner(actor, lead):
        return False
    stint = (
        Assignment.objects.select_for_update()
        .filter(lead=lead, ended_at__isnull=True, first_update_at__isnull=True)
        .first()
    )
    if stint is None:
        return False
    terms = deadlines.SlaTerms.from_policy(Policy.current())
    stint.first_update_at = now
    kind, owner_id = (
        ("dealer", stint.owner_dealer_id)
        if stint.owner_dealer_id
        else ("user", stint.owner_user_id)
    )
    places = calendars.owner_places([(kind, owner_id)])
    country, region = calendars.place_of(places, kind, owner_id, lead.country)
    stint.first_update_hours = round(
        deadlines.working_hours(stint.started_at, now, country, terms, region), 2
    )
    stint.first_update_in_sla = stint.sla_due_at is None or now <= stint.sla_due_at
    stint.save(update_fields=["first_update_at", "first_update_hours", "first_update_in_sla"])
    lead.first_update_due_at = None
    lead.reminder_due_at = None
    lead.escalation_due_at = None
    lead.recycle_due_at = None
    return True


def _close(lead: Lead, *, status: str, value, reason: str, note: str, now: datetime) -> None:
    """Won or lost: the lead is closed, its clocks stop and the owner's stint ends."""
    lead.closed_at = now
    lead.won_value = value if status == S.WON else None
    lead.close_reason = reason if status == S.LOST else ""
    lead.close_note = note[:500] if status == S.LOST else ""
    lead.first_update_due_at = None
    lead.reminder_due_at = None
    lead.escalation_due_at = None
    lead.recycle_due_at = None
    Assignment.objects.filter(lead=lead, ended_at__isnull=True).update(
        ended_at=now,
        end_reason=Assignment.EndReason.WON if status == S.WON else Assignment.EndReason.LOST,
        won_value=value if status == S.WON else None,
    )


def _clean_reason(reason: str, note: str) -> tuple[str, str]:
    errors: dict = {}
    if reason not in CloseReason.values:
        errors["reason"] = _("Choose a reason from the list.")
    note = _clean_note(note, "note", errors, required=reason == CloseReason.OTHER)
    if errors:
        raise ValidationError(errors)
    return reason, note


def _clean_note(note, field: str, errors: dict, *, required: bool) -> str:
    note = (note or "").strip()
    if required and not note:
        errors[field] = _("Please add a few words.")
    elif len(note) > NOTE_MAX:
        errors[field] = _("Keep it under %(max)d characters.") % {"max": NOTE_MAX}
    return note


def _clean_value(value, errors: dict) -> Decimal | None:
    if value in (None, ""):
        errors["won_value"] = _("Give the value of the won deal.")
        return None
    try:
        value = Decimal(str(value).replace(",", "").replace("€", "").strip())
    except (InvalidOperation, ValueError):
        errors["won_value"] = _("Give the value as a number.")
        return None
    if not value.is_finite() or value <= 0:
        errors["won_value"] = _("The value of a won deal must be more than 0.")
        return None
    if value >= Decimal("1e10"):
        errors["won_value"] = _("That value is too large.")
        return None
    return value.quantize(Decimal("0.01"))


def _illegal_move_message(lead: Lead, status: str) -> str:
    current = lead.get_status_display().lower()
    if lead.status not in PIPELINE:
        return _("This lead is %(status)s; its status cannot change any more.") % {
            "status": current
        }
    if status == S.ACCEPTED:
        return _("Only a new lead can be accepted; this one is %(status)s.") % {"status": current}
    if status == S.REJECTED:
        return _("Reject a lead with the reject action, giving a reason.")
    if status not in S.values or status in (S.NEW, S.RECYCLED, S.NURTURE):
        return _("“%(status)s” is not a status you can set.") % {"status": status}
    if lead.status == S.NEW:
        return _("Accept the lead first (or reject it), then move it through the pipeline.")
    if status == lead.status:
        return _("The lead is already %(status)s.") % {"status": current}
    return _("A lead cannot move back from %(current)s to %(status)s.") % {
        "current": current,
        "status": S(status).label.lower(),
    }

"""A prospect's personal data: export and erase on request (GDPR articles 15 and 17).

Personal data of a lead is its contact fields (name, e-mail, phone, job title), the
prospect's message, and the same fields of every repeat submission attached to it
(``DuplicateSubmission`` rows). Erasure blanks them and sets ``Lead.erased_at``; the
company, sector, postcode, status, values, owners, stints and events stay, so the
statistics do not change. The lead's ``email_domain`` stays too: it is the company's
domain (free-mail domains are never stored), and routing still needs it to keep one
company with one owner.

Lead events are immutable (model and database trigger), so no personal data is ever
written into them: duplicate events refer to their ``DuplicateSubmission`` row by id.
Two things an erasure cannot reach, and says so in its result: duplicate events
written before submissions moved to their own rows (their data still holds the
contact fields), and free-text notes that users typed on the timeline. Both are part
of the export, so a request can be answered completely.

Each export and each erasure is itself an event on the lead ("exported" / "erased")
with the person who did it; account-level actions also write an admin ``LogEntry``
on the account.
"""

from dataclasses import dataclass, field
from datetime import datetime

from django.contrib.admin.models import CHANGE
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from dealers.models import Claim
from leads.models import Account, DuplicateSubmission, Lead, LeadEvent
from portal.audit.services import audit_log
from portal.messages import message, render_message
from portal.users.models import User

PERSONAL_FIELDS = ("contact_name", "contact_email", "contact_phone", "contact_role", "message")
SUBMISSION_FIELDS = ("contact_name", "contact_email", "contact_phone", "message")
LEGACY_EVENT_KEYS = frozenset({"contact_name", "contact_email", "contact_phone", "message"})


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def lead_personal_data(lead: Lead) -> dict:
    """Everything we hold about the person behind ``lead`` (read only)."""
    submissions = DuplicateSubmission.objects.filter(lead=lead).order_by("received_at", "pk")
    events = lead.events.select_related("actor").order_by("at", "pk")
    notes, legacy = [], []
    for event in events:
        if isinstance(event.reason, dict) and "text" in event.reason:
            notes.append(
                {
                    "at": _iso(event.at),
                    "kind": event.kind,
                    "by": event.actor.name if event.actor else None,
                    "text": event.reason["text"],
                }
            )
        if LEGACY_EVENT_KEYS & set(event.data or {}):
            legacy.append(
                {
                    "at": _iso(event.at),
                    "kind": event.kind,
                    "reason": render_message(event.reason),
                    **{k: event.data[k] for k in sorted(LEGACY_EVENT_KEYS & set(event.data))},
                }
            )
    return {
        "lead": lead.pk,
        "company": lead.company_name,
        "country": lead.country_code,
        "received_at": _iso(lead.created_at),
        "source": lead.source,
        "language": lead.language,
        "erased_at": _iso(lead.erased_at),
        "contact": {name: getattr(lead, name) for name in PERSONAL_FIELDS},
        "qualification": lead.qualification,
        "repeat_submissions": [
            {
                "received_at": _iso(s.received_at),
                "source": s.source,
                **{name: getattr(s, name) for name in SUBMISSION_FIELDS},
            }
            for s in submissions
        ],
        "notes": notes,
        "older_duplicate_events": legacy,
    }


def lead_export_personal_data(*, lead: Lead, actor: User, now: datetime | None = None) -> dict:
    """The personal data of ``lead`` as a JSON-ready dict; records an "exported" event."""
    now = now or timezone.now()
    with transaction.atomic():
        payload = lead_personal_data(lead)
        LeadEvent.objects.create(
            lead=lead,
            kind=LeadEvent.Kind.EXPORTED,
            actor=actor,
            at=now,
            reason=message(gettext_noop("Personal data exported by %(actor)s"), actor=actor.name),
        )
    payload["exported_at"] = _iso(now)
    payload["exported_by"] = actor.name
    return payload


@dataclass
class Erasure:
    leads: list[int] = field(default_factory=list)
    submissions: int = 0
    claims: int = 0
    kept_events: list[int] = field(default_factory=list)  # older duplicate events


def lead_erase_personal_data(
    *, lead: Lead, actor: User, now: datetime | None = None, note: str = ""
) -> Erasure:
    """Blank the personal fields of ``lead`` and its repeat submissions, keep the
    statistics, and record an "erased" event. Erasing twice is refused."""
    now = now or timezone.now()
    with transaction.atomic():
        lead = Lead.objects.select_for_update().get(pk=lead.pk)
        if lead.erased_at is not None:
            raise ValidationError(
                _("This lead's personal data was already erased on %(date)s.")
                % {"date": date_format(timezone.localtime(lead.erased_at), "SHORT_DATE_FORMAT")}
            )
        result = _erase(lead, actor=actor, now=now, note=note)
    return result


def _erase(lead: Lead, *, actor: User, now: datetime, note: str) -> Erasure:
    blank = dict.fromkeys(PERSONAL_FIELDS, "")
    # update(): keep email_domain (the company's) and skip Lead.save()'s recomputation.
    Lead.objects.filter(pk=lead.pk).update(**blank, erased_at=now, updated_at=now)
    submissions = DuplicateSubmission.objects.filter(lead=lead, erased_at__isnull=True).update(
        **dict.fromkeys(SUBMISSION_FIELDS, ""), erased_at=now
    )
    kept = [
        event.pk
        for event in lead.events.filter(kind=LeadEvent.Kind.DUPLICATE)
        if LEGACY_EVENT_KEYS & set(event.data or {})
    ]
    LeadEvent.objects.create(
        lead=lead,
        kind=LeadEvent.Kind.ERASED,
        actor=actor,
        at=now,
        reason=message(
            gettext_noop("Personal data erased on request by %(actor)s"), actor=actor.name
        ),
        data={
            "fields": list(PERSONAL_FIELDS),
            "repeat_submissions": submissions,
            **({"note": {"text": note}} if note else {}),
            **({"older_events_kept": kept} if kept else {}),
        },
    )
    for name in PERSONAL_FIELDS:
        setattr(lead, name, "")
    lead.erased_at = now
    return Erasure(leads=[lead.pk], submissions=submissions, kept_events=kept)


# --- a whole account ---------------------------------------------------------------


def account_export_personal_data(
    *, account: Account, actor: User, now: datetime | None = None
) -> dict:
    """The personal data held for the company's contacts: every lead of the account
    and the contacts on its claims. Each lead records an "exported" event."""
    now = now or timezone.now()
    with transaction.atomic():
        leads = list(Lead.objects.filter(account=account).order_by("created_at", "pk"))
        payload = {
            "account": account.pk,
            "company": account.legal_name,
            "leads": [lead_export_personal_data(lead=lead, actor=actor, now=now) for lead in leads],
            "claims": [
                {
                    "submitted_at": _iso(c.submitted_at),
                    "contact_name": c.contact_name,
                    "contact_email": c.contact_email,
                }
                for c in Claim.objects.filter(account=account).order_by("submitted_at")
                if c.contact_name or c.contact_email
            ],
            "exported_at": _iso(now),
            "exported_by": actor.name,
        }
        audit_log(actor, account, CHANGE, _("Personal data exported."))
    return payload


def account_erase_personal_data(
    *, account: Account, actor: User, now: datetime | None = None, note: str = ""
) -> Erasure:
    """Erase the personal data of every lead of the account (each with its own
    "erased" event) and the contact person on its claims."""
    now = now or timezone.now()
    total = Erasure()
    with transaction.atomic():
        leads = Lead.objects.select_for_update().filter(account=account, erased_at__isnull=True)
        for lead in leads.order_by("pk"):
            result = _erase(lead, actor=actor, now=now, note=note)
            total.leads += result.leads
            total.submissions += result.submissions
            total.kept_events += result.kept_events
        claims = Claim.objects.filter(account=account).exclude(contact_name="", contact_email="")
        total.claims = claims.update(contact_name="", contact_email="")
        audit_log(
            actor,
            account,
            CHANGE,
            _("Personal data erased: %(leads)d leads, %(claims)d claims.")
            % {"leads": len(total.leads), "claims": total.claims},
        )
    return total

"""Claims (lead registration, DESIGN.md "Claims"): submit, review, renew, withdraw.

``claim_submit`` matches the company to an account (creating a prospect account when
none matches), records the conflicts found by ``claim_check`` and approves a clean claim
at once when the policy says so, otherwise leaves it pending for the channel manager's
review (``claim_approve`` / ``claim_reject``). An approved claim protects the company
for ``policy.claim_days`` and may be renewed ``policy.claim_renewals`` times
(``claim_renew``); the dealer may withdraw it (``claim_withdraw``).

The database allows one approved claim per account. Every approval first expires the
stale approved claims of that account (``expires_at <= now``) and then approves inside
a savepoint: when another dealer's approval wins a race, the unique index refuses ours
and the claim stays pending with the holder recorded as a conflict, never a 500. A
company that is no account yet is checked and created under advisory locks on its
identifiers, so two dealers claiming it at once share one account.

An approved claim whose period ended is expired by one service, ``claims_expire``
(``claim_expiry``): the SLA sweep calls it every minute, and an approval calls it for
the company's stale claims the sweep has not reached yet. Who is told what is in
``claim_notices``.

Every change is also a ``ClaimEvent`` (who, when, why) in the claim's immutable history;
the SLA sweep adds the reminders, ``claim_expiry.claims_end_for_dealer`` the claims a
terminated dealer leaves behind.
"""

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from dealers.models import Claim, ClaimEvent, Dealer
from dealers.services.checks import CLAIM, claim_check, company_keys
from dealers.services.claim_expiry import claims_expire
from dealers.services.claim_grants import claim_permissions_grant
from dealers.services.claim_notices import notify_dealer, notify_review
from leads.matching.normalize import domain_from_url
from leads.models import Account, Policy, WebhookEvent
from leads.services import webhooks
from leads.services.cleaning import clean_claim_fields
from leads.webhooks.payloads import claim_event
from portal.db import lock_names
from portal.messages import message, moment, text
from portal.users.models import User

# --- submitting ---------------------------------------------------------------------


APPROVED_BY_MANAGER = gettext_noop("Approved by the channel manager.")


def active_claims_of(dealer: Dealer, *, now: datetime):
    """Claims that count against ``policy.max_active_claims``: approved and unexpired,
    or pending review (a pending claim may become active)."""
    return Claim.objects.filter(dealer=dealer).filter(
        Q(status=Claim.Status.PENDING) | Q(status=Claim.Status.APPROVED, expires_at__gt=now)
    )


def claim_submit(
    *,
    dealer: Dealer,
    submitted_by: User | None,
    data: Mapping[str, Any],
    now: datetime | None = None,
) -> Claim:
    """Register a claim by ``dealer`` on the company in ``data`` (see
    ``clean_claim_fields``). Returns the claim: approved when clean and the policy
    approves clean claims automatically, else pending review. Raises
    ``ValidationError`` for bad input, a second claim on the same company, or a
    dealer at its limit of active claims."""
    now = now or timezone.now()
    fields = clean_claim_fields(data)
    with transaction.atomic():
        # One claim submission per dealer at a time: the limit and the duplicate check
        # below cannot be raced past.
        dealer = Dealer.objects.select_for_update().get(pk=dealer.pk)
        if dealer.status == Dealer.Status.TERMINATED:
            raise ValidationError(
                _("Your dealer agreement has ended, so new claims cannot be registered."),
                code="dealer_terminated",
            )
        policy = Policy.current()
        if active_claims_of(dealer, now=now).count() >= policy.max_active_claims:
            raise ValidationError(
                _(
                    "You already have %(n)d active or pending claims, the most allowed. "
                    "Withdraw one you no longer work on first."
                )
                % {"n": policy.max_active_claims},
                code="claim_limit",
            )
        # Two dealers claiming a company that is not an account yet would each create
        # one (and each get it approved): the second waits here for the first.
        lock_names(_company_locks(fields))
        check = claim_check(dealer=dealer, data=fields, now=now)
        if check.own_claim is not None:
            raise ValidationError(
                _("You already have a claim on this company (%(status)s).")
                % {"status": check.own_claim.get_status_display()},
                code="own_claim",
            )
        account = check.account or _prospect_account(fields, now=now)
        claim = Claim.objects.create(
            dealer=dealer,
            account=account,
            company_name=fields["company_name"],
            website=fields["website"],
            vat_number=fields["vat_number"],
            country=fields["country"],
            postcode=fields["postcode"],
            contact_name=fields["contact_name"],
            contact_email=fields["contact_email"],
            expected_value=fields["expected_value"],
            notes=fields["notes"],
            status=Claim.Status.PENDING,
            conflicts=check.conflicts,
            submitted_by=submitted_by,
            submitted_at=now,
        )
        claim_permissions_grant([claim])
        _event(
            claim,
            ClaimEvent.Kind.SUBMITTED,
            actor=submitted_by,
            at=now,
            reason=message(
                gettext_noop("Registered with %(count)d possible conflict(s) to review."),
                count=len(check.conflicts),
            )
            if check.conflicts
            else message(gettext_noop("Registered; no conflicts found.")),
            conflicts=sorted({c["kind"] for c in check.conflicts}),
        )
        if check.clean and policy.auto_approve_clean_claims:
            approved = _try_approve(
                claim,
                actor=None,
                reason=gettext_noop("Approved automatically: no conflicts found."),
                now=now,
                policy=policy,
            )
            if approved:
                return claim
            # Another dealer's claim on this company was approved a moment ago.
            _record_holder(claim, now=now)
        notify_review(claim)
    return claim


def _company_locks(fields: dict) -> list[str]:
    """Lock names for each identifier of the company the matcher would find it by."""
    keys = company_keys(fields)
    names = [f"claim-vat:{keys.vat}"] if keys.vat else []
    names += [f"claim-domain:{domain}" for domain in keys.domains]
    if keys.name and keys.country:
        names.append(f"claim-name:{keys.country}:{keys.name}")
    return names


def _prospect_account(fields: dict, *, now: datetime) -> Account:
    return Account.objects.create(
        legal_name=fields["company_name"],
        country=fields["country"],
        vat_number=fields["vat_number"],
        website_domain=domain_from_url(fields["website"]) or "",
        postcode=fields["postcode"],
        postcode_number=fields["postcode_number"],
        created_at=now,
    )


def _reminder_at(expires_at: datetime, policy: Policy, now: datetime) -> datetime | None:
    reminder = expires_at - timedelta(days=policy.claim_reminder_days)
    return reminder if reminder > now else None


def _try_approve(
    claim: Claim,
    *,
    actor: User | None,
    reason: str,
    now: datetime,
    policy: Policy,
    said: dict | None = None,
) -> bool:
    """Approve ``claim`` unless another approved claim holds the account. Runs inside
    the caller's transaction; returns False (and changes nothing) when refused.
    ``reason`` is a msgid to translate, unless the manager ``said`` something."""
    # Approved claims on the company whose period ended, which the sweep has not
    # reached yet, would hold the unique index: they expire now, as in the sweep.
    claims_expire(now=now, account_id=claim.account_id)
    expires_at = now + timedelta(days=policy.claim_days)
    values = {
        "status": Claim.Status.APPROVED,
        "approved_at": now,
        "expires_at": expires_at,
        "reminder_due_at": _reminder_at(expires_at, policy, now),
        "decided_by": actor,
        "decided_at": now,
        "decision_reason": reason[:500],
    }
    try:
        with transaction.atomic():
            Claim.objects.filter(pk=claim.pk).update(**values)
    except IntegrityError:
        return False
    for name, value in values.items():
        setattr(claim, name, value)
    _event(
        claim,
        ClaimEvent.Kind.APPROVED,
        actor=actor,
        at=now,
        reason=said or message(reason),
        expires_at=expires_at.isoformat(),
    )
    webhooks.emit([claim_event(WebhookEvent.CLAIM_DECIDED, claim, decision="approved")], now=now)
    return True


def _holder(claim: Claim, *, now: datetime) -> Claim | None:
    return (
        Claim.objects.filter(
            account_id=claim.account_id, status=Claim.Status.APPROVED, expires_at__gt=now
        )
        .exclude(pk=claim.pk)
        .first()
    )


def _record_holder(claim: Claim, *, now: datetime) -> None:
    holder = _holder(claim, now=now)
    if holder is None or any(c.get("claim_id") == holder.pk for c in claim.conflicts):
        return
    claim.conflicts = [
        *claim.conflicts,
        {
            "kind": CLAIM,
            "claim_id": holder.pk,
            "dealer_id": holder.dealer_id,
            "status": Claim.Status.APPROVED.value,
            "expires_at": holder.expires_at.isoformat(),
        },
    ]
    Claim.objects.filter(pk=claim.pk).update(conflicts=claim.conflicts)


# --- the review (channel manager) -------------------------------------------------


def _locked(claim: Claim) -> Claim:
    return (
        Claim.objects.select_for_update(of=("self",))
        .select_related("dealer", "submitted_by")
        .get(pk=claim.pk)
    )


def _other_claims(claim: Claim, *, now: datetime) -> list[Claim]:
    """Other dealers' live claims on the same company, and those recorded as conflicts."""
    recorded = [c["claim_id"] for c in claim.conflicts if c.get("kind") == CLAIM]
    return list(
        Claim.objects.filter(
            Q(pk__in=recorded)
            | Q(account_id=claim.account_id, status=Claim.Status.PENDING)
            | Q(account_id=claim.account_id, status=Claim.Status.APPROVED, expires_at__gt=now)
        )
        .exclude(pk=claim.pk)
        .exclude(dealer_id=claim.dealer_id)
        .select_related("submitted_by")
    )


def _decide(claim: Claim, *, status: str, actor: User, now: datetime, reason: str) -> None:
    """Close a pending or approved claim (rejected, withdrawn) with who, when and why."""
    claim.status = status
    claim.decided_by = actor
    claim.decided_at = now
    claim.decision_reason = reason[:500]
    claim.reminder_due_at = None
    claim.save(
        update_fields=["status", "decided_by", "decided_at", "decision_reason", "reminder_due_at"]
    )


def _notify_decision(
    claim: Claim, *, now: datetime, subject: dict, body: dict, others_body: dict
) -> None:
    """Tell the claimant's dealer the review's decision, and the dealers whose claims on
    the same company it affects."""
    notify_dealer(claim, subject=subject, body=body)
    for other in _other_claims(claim, now=now):
        notify_dealer(
            other,
            subject=message(
                gettext_noop("Claim decision on %(company)s"), company=other.company_name
            ),
            body=others_body,
        )


def claim_approve(
    *, claim: Claim, actor: User, reason: str = "", now: datetime | None = None
) -> Claim:
    """The channel manager approves a pending claim. Raises ``ValidationError`` when the
    claim is not pending or another dealer's approved claim still holds the company
    (reject or withdraw that one first). Notifies the claimant and the dealers whose
    claims on the company are affected."""
    now = now or timezone.now()
    reason = (reason or "").strip()
    with transaction.atomic():
        claim = _locked(claim)
        if claim.status != Claim.Status.PENDING:
            raise ValidationError(
                _("Only a pending claim can be approved; this one is %(status)s.")
                % {"status": claim.get_status_display()},
                code="not_pending",
            )
        policy = Policy.current()
        if not _try_approve(
            claim,
            actor=actor,
            reason=reason or APPROVED_BY_MANAGER,
            now=now,
            policy=policy,
            said=text(reason) if reason else None,
        ):
            _record_holder(claim, now=now)
            raise ValidationError(
                _(
                    "Another dealer holds an active claim on this company. Reject or "
                    "withdraw that claim before approving this one."
                ),
                code="claim_held",
            )
        until = moment(timezone.localdate(claim.expires_at))
        _notify_decision(
            claim,
            now=now,
            subject=message(
                gettext_noop("Claim approved: %(company)s"), company=claim.company_name
            ),
            body=message(
                gettext_noop("The company is yours until %(until)s. %(reason)s"),
                until=until,
                reason=reason,
            ),
            others_body=message(
                gettext_noop(
                    "The channel manager approved another dealer's claim on this company "
                    "until %(until)s."
                ),
                until=until,
            ),
        )
    return claim


def claim_reject(*, claim: Claim, actor: User, reason: str, now: datetime | None = None) -> Claim:
    """The channel manager rejects a pending claim (or revokes an approved one), with a
    reason the dealer reads. Notifies the claimant and the dealers whose claims on the
    company are affected."""
    now = now or timezone.now()
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": [_("Give the dealer a reason.")]})
    with transaction.atomic():
        claim = _locked(claim)
        if claim.status not in (Claim.Status.PENDING, Claim.Status.APPROVED):
            raise ValidationError(
                _("Only a pending or approved claim can be rejected; this one is %(status)s.")
                % {"status": claim.get_status_display()},
                code="not_open",
            )
        _decide(claim, status=Claim.Status.REJECTED, actor=actor, now=now, reason=reason)
        _event(claim, ClaimEvent.Kind.REJECTED, actor=actor, at=now, reason=text(reason))
        webhooks.emit(
            [claim_event(WebhookEvent.CLAIM_DECIDED, claim, decision="rejected", reason=reason)],
            now=now,
        )
        _notify_decision(
            claim,
            now=now,
            subject=message(
                gettext_noop("Claim not approved: %(company)s"), company=claim.company_name
            ),
            body=message(gettext_noop("Reason: %(reason)s"), reason=reason),
            others_body=message(
                gettext_noop(
                    "The channel manager did not approve another dealer's claim on this "
                    "company; your claim is not affected."
                )
            ),
        )
    return claim


# --- the dealer's own actions -----------------------------------------------------


def claim_can_renew(claim: Claim, *, policy: Policy, now: datetime) -> bool:
    return claim.is_active(now) and claim.renewals < policy.claim_renewals


def claim_renew(*, claim: Claim, actor: User, now: datetime | None = None) -> Claim:
    """Extend an active approved claim by ``policy.claim_days`` from its current expiry,
    at most ``policy.claim_renewals`` times."""
    now = now or timezone.now()
    with transaction.atomic():
        claim = _locked(claim)
        policy = Policy.current()
        if claim.status != Claim.Status.APPROVED or claim.expires_at <= now:
            raise ValidationError(
                _("Only an active approved claim can be renewed; register the company again."),
                code="not_active",
            )
        if claim.renewals >= policy.claim_renewals:
            raise ValidationError(
                _("This claim has already been renewed the %(n)d time(s) allowed.")
                % {"n": policy.claim_renewals},
                code="renewals_used",
            )
        claim.expires_at = claim.expires_at + timedelta(days=policy.claim_days)
        claim.renewals += 1
        claim.reminder_due_at = _reminder_at(claim.expires_at, policy, now)
        claim.save(update_fields=["expires_at", "renewals", "reminder_due_at"])
        _event(
            claim,
            ClaimEvent.Kind.RENEWED,
            actor=actor,
            at=now,
            reason=message(
                gettext_noop("Renewed until %(date)s."),
                date=moment(timezone.localdate(claim.expires_at)),
            ),
            expires_at=claim.expires_at.isoformat(),
        )
    return claim


def claim_withdraw(
    *, claim: Claim, actor: User, reason: str = "", now: datetime | None = None
) -> Claim:
    """The dealer gives up its pending or approved claim."""
    now = now or timezone.now()
    with transaction.atomic():
        claim = _locked(claim)
        if claim.status not in (Claim.Status.PENDING, Claim.Status.APPROVED):
            raise ValidationError(
                _("Only a pending or approved claim can be withdrawn; this one is %(status)s.")
                % {"status": claim.get_status_display()},
                code="not_open",
            )
        reason = (reason or "").strip()
        _decide(
            claim,
            status=Claim.Status.WITHDRAWN,
            actor=actor,
            now=now,
            reason=reason or gettext_noop("Withdrawn by the dealer."),
        )
        _event(
            claim,
            ClaimEvent.Kind.WITHDRAWN,
            actor=actor,
            at=now,
            reason=text(reason) if reason else message(gettext_noop("Withdrawn by the dealer.")),
        )
    return claim


def _event(claim: Claim, kind: str, *, actor: User | None, at: datetime, reason: dict, **data):
    """Record one change of ``claim`` in its immutable history."""
    return ClaimEvent.objects.create(
        claim=claim, kind=kind, actor=actor, at=at, reason=reason, data=data
    )

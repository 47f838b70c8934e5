"""The dealer's own pages: claims, scorecard and team. Thin: parse, check access
(``dealers.access``), call a service, render an explicit context."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from dealers import access, scorecards, selectors, services
from dealers.allocation import computed_weight
from dealers.forms import ClaimForm, InviteForm, WithdrawForm
from leads.models import Policy
from leads.services.cleaning import CLAIM_FIELDS
from portal.forms import error_text

PAGE_SIZE = 25


def _date(moment) -> str:
    return formats.date_format(timezone.localtime(moment), "SHORT_DATE_FORMAT")


# --- claims -------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def claim_list(request):
    membership = access.get_dealer_membership(request.user)
    dealer = membership.dealer
    now = timezone.now()
    policy = Policy.current()
    check_url = reverse("dealers:claim_check")
    if request.method == "POST":
        form = ClaimForm(request.POST, check_url=check_url)
        if form.is_valid():
            try:
                claim = services.claim_submit(
                    dealer=dealer, submitted_by=request.user, data=form.cleaned_data, now=now
                )
            except ValidationError as error:
                form.add_error(None, error)
            else:
                if claim.status == claim.Status.APPROVED:
                    messages.success(
                        request,
                        _("Your claim on %(company)s is approved until %(date)s.")
                        % {
                            "company": claim.company_name,
                            "date": _date(claim.expires_at),
                        },
                    )
                else:
                    messages.warning(
                        request,
                        _("Your claim on %(company)s goes to your channel manager for review.")
                        % {"company": claim.company_name},
                    )
                return redirect("dealers:claim", pk=claim.pk)
    else:
        first_country = dealer.countries[0].code if dealer.countries else ""
        form = ClaimForm(initial={"country": first_country}, check_url=check_url)
    show = request.GET.get("show", selectors.ACTIVE)
    if show not in selectors.CLAIM_FILTERS:
        show = selectors.ACTIVE
    visible = selectors.claims_visible_to(request.user)
    claims = selectors.claims_filtered(visible, show, now=now).select_related("submitted_by")
    page = Paginator(claims, PAGE_SIZE).get_page(request.GET.get("page"))
    for claim in page:
        claim.can_renew = services.claim_can_renew(claim, policy=policy, now=now)
    context = {
        "dealer": dealer,
        "form": form,
        "page": page,
        "show": show,
        "counts": selectors.claim_counts(visible, now=now, policy=policy),
        "policy": policy,
        "now": now,
    }
    return render(request, "dealers/claims.html", context)


@login_required
@require_POST
def claim_check(request):
    """The live conflict check while the dealer types (an htmx partial)."""
    membership = access.get_dealer_membership(request.user)
    data = {name: request.POST.get(name, "") for name in CLAIM_FIELDS}
    enough = len(data["company_name"].strip()) >= 3 or data["vat_number"] or data["website"]
    check = services.claim_check(dealer=membership.dealer, data=data) if enough else None
    context = {"check": check, "policy": Policy.current()}
    return render(request, "dealers/_claim_check.html", context)


@login_required
@require_GET
def claim_detail(request, pk: int):
    claim = access.get_claim_for_user(request.user, pk)
    now = timezone.now()
    policy = Policy.current()
    may_change = access.may_change_claim(request.user, claim)
    context = {
        "claim": claim,
        "conflicts": services.conflict_messages(claim.conflicts),
        "can_renew": may_change and services.claim_can_renew(claim, policy=policy, now=now),
        "can_withdraw": may_change
        and claim.status in (claim.Status.PENDING, claim.Status.APPROVED),
        "withdraw_form": WithdrawForm(),
        "policy": policy,
        "now": now,
        "history": list(claim.events.select_related("actor").order_by("-at", "-pk")),
    }
    return render(request, "dealers/claim_detail.html", context)


def _changeable_claim(user, pk: int):
    """The claim for the dealer's own actions: 404 for what the user may not see, 403
    for anyone but the claiming dealer's people."""
    claim = access.get_claim_for_user(user, pk)
    if not access.may_change_claim(user, claim):
        raise PermissionDenied
    return claim


@login_required
@require_POST
def claim_renew(request, pk: int):
    claim = _changeable_claim(request.user, pk)
    try:
        claim = services.claim_renew(claim=claim, actor=request.user)
    except ValidationError as error:
        messages.error(request, error_text(error))
    else:
        messages.success(
            request,
            _("Renewed: the claim now runs until %(date)s.") % {"date": _date(claim.expires_at)},
        )
    return redirect("dealers:claim", pk=pk)


@login_required
@require_POST
def claim_withdraw(request, pk: int):
    claim = _changeable_claim(request.user, pk)
    form = WithdrawForm(request.POST)
    reason = form.cleaned_data["reason"] if form.is_valid() else ""
    try:
        services.claim_withdraw(claim=claim, actor=request.user, reason=reason)
    except ValidationError as error:
        messages.error(request, error_text(error))
    else:
        messages.success(request, _("The claim is withdrawn."))
    return redirect("dealers:claim", pk=pk)


# --- scorecard ----------------------------------------------------------------------


@login_required
@require_GET
def scorecard(request):
    membership = access.get_dealer_membership(request.user)
    dealer = membership.dealer
    now = timezone.now()
    figures = selectors.scorecard_page(dealer_id=dealer.pk, now=now)
    card = figures["card"]
    context = {
        "dealer": dealer,
        **figures,
        "win_rate": scorecards.percent(card.win_rate),
        "follow_up_target": scorecards.percent(float(scorecards.FOLLOW_UP_TARGET)),
        "conversion_target": scorecards.percent(float(scorecards.TARGET_CONVERSION)),
        # the same recency-weighted formula the channel manager's allocation applies
        "computed_weight": computed_weight(dealer_id=dealer.pk, now=now).computed,
        "effective_weight": dealer.effective_weight(),
        "override_active": dealer.effective_weight() != float(dealer.performance_weight),
        "min_settled": scorecards.MIN_SETTLED_STINTS,
    }
    return render(request, "dealers/scorecard.html", context)


# --- team ---------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def team(request):
    membership = access.get_dealer_admin_membership(request.user)
    dealer = membership.dealer
    if request.method == "POST":
        form = InviteForm(request.POST)
        if form.is_valid():
            try:
                invited = services.member_invite(
                    dealer=dealer,
                    email=form.cleaned_data["email"],
                    name=form.cleaned_data["name"],
                    role=form.cleaned_data["role"],
                    language=form.cleaned_data["language"],
                    invited_by=request.user,
                )
            except ValidationError as error:
                form.add_error(None, error)
            else:
                messages.success(
                    request,
                    _("%(name)s is invited: the e-mail to %(email)s has a link to set a password.")
                    % {"name": invited.user.name, "email": invited.user.email},
                )
                return redirect("dealers:team")
    else:
        form = InviteForm(initial={"language": dealer.language})
    context = {
        "dealer": dealer,
        "members": selectors.team_of(dealer.pk),
        "form": form,
        "me": membership,
    }
    return render(request, "dealers/team.html", context)


@login_required
@require_POST
def member_deactivate(request, pk: int):
    colleague = access.get_colleague_for_admin(request.user, pk)
    try:
        returned = services.member_deactivate(membership=colleague, actor=request.user)
    except ValidationError as error:
        messages.error(request, error_text(error))
    else:
        messages.success(
            request,
            _("%(name)s can no longer sign in; %(count)d open lead(s) came back to the admins.")
            % {"name": colleague.user.name, "count": returned},
        )
    return redirect("dealers:team")


@login_required
@require_POST
def member_reactivate(request, pk: int):
    colleague = access.get_colleague_for_admin(request.user, pk)
    services.member_reactivate(membership=colleague, actor=request.user)
    messages.success(request, _("%(name)s can sign in again.") % {"name": colleague.user.name})
    return redirect("dealers:team")

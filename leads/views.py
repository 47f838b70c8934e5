"""Lead pages: the dealer inbox, "My leads" for internal reps, the lead page with its
actions, and sending in a lead. Views parse, check access (``leads.access``), call a
service and render; they never test permissions or build lead queries themselves."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import EmptyPage, PageNotAnInteger
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_tables2 import RequestConfig

from leads import access, selectors
from leads.filters import LeadFilter
from leads.forms import (
    AcceptForm,
    ContactForm,
    HandOverForm,
    NoteForm,
    RejectForm,
    StatusForm,
    SubmitLeadForm,
)
from leads.models import Lead, LeadEvent, Policy
from leads.services import pipeline
from leads.services.intake import lead_intake
from leads.tables import STATUS_COLORS, LeadExportTable, LeadPaginator, LeadTable
from portal import exports
from portal.forms import error_text
from portal.messages import interpolate, render_message

PER_PAGE = 25
MAX_PER_PAGE = 100


# --- lists ------------------------------------------------------------------------


@login_required
@require_GET
def inbox(request):
    """The dealer's leads (only its own dealer's)."""
    membership = access.require_dealer_member(request.user)
    leads = selectors.leads_visible_to(request.user)
    return _lead_list(
        request,
        leads,
        title=_("Leads"),
        export_name=f"leads-{membership.dealer.slug}",
        show_assignee=True,
        url_name="leads:inbox",
    )


@login_required
@require_GET
def mine(request):
    """An internal rep's own leads, with the direct-sales clocks (hot 4 h, warm 24 h)."""
    access.require_internal(request.user)
    leads = selectors.leads_owned_by_user(request.user)
    return _lead_list(
        request,
        leads,
        title=_("My leads"),
        export_name="my-leads",
        show_assignee=False,
        url_name="leads:mine",
    )


def _lead_list(request, leads, *, title, export_name, show_assignee, url_name):
    now = timezone.now()
    filterset = LeadFilter(
        request.GET, queryset=selectors.leads_for_table(leads), now=now, request=request
    )
    export_format = request.GET.get("_export")
    if export_format in exports.FORMATS:
        policy = Policy.current()
        table = LeadExportTable(
            access.with_contact_facts(filterset.qs, request.user, policy=policy),
            now=now,
            show_assignee=show_assignee,
            hide_contact=lambda lead: access.contact_hidden(request.user, lead, policy=policy),
        )
        RequestConfig(request, paginate=False).configure(table)
        stamp = timezone.localtime(now).strftime("%Y%m%d-%H%M")
        sheet = exports.Sheet.from_table(table, title=str(title))
        return sheet.response(export_format, filename=f"{export_name}-{stamp}.{export_format}")
    table = LeadTable(filterset.qs, now=now, show_assignee=show_assignee)
    RequestConfig(request, paginate=False).configure(table)
    _paginate(request, table)
    context = {
        "title": title,
        "table": table,
        "filter": filterset,
        "counts": selectors.lead_counts(leads.filter(status__in=Lead.OPEN_STATUSES), now=now),
        "list_url": reverse(url_name),
        "query": _query_without(request, "page", "_export"),
        "now": now,
    }
    if request.headers.get("HX-Request") and not request.headers.get("HX-History-Restore-Request"):
        return render(request, "leads/_lead_results.html", context)
    return render(request, "leads/inbox.html", context)


def _paginate(request, table) -> None:
    try:
        per_page = min(max(int(request.GET.get("per_page", PER_PAGE)), 10), MAX_PER_PAGE)
    except ValueError:
        per_page = PER_PAGE
    table.paginator_class = LeadPaginator
    try:
        table.paginate(
            paginator_class=LeadPaginator, page=request.GET.get("page", 1), per_page=per_page
        )
    except (EmptyPage, PageNotAnInteger):
        table.paginate(paginator_class=LeadPaginator, page=1, per_page=per_page)


def _query_without(request, *names) -> str:
    query = request.GET.copy()
    for name in names:
        query.pop(name, None)
    return query.urlencode()


# --- one lead -----------------------------------------------------------------------


@login_required
@require_GET
def lead_detail(request, pk: int):
    lead = access.get_lead_for_user(request.user, pk)
    return _render_detail(request, lead)


def _render_detail(request, lead: Lead, *, bound=None, status: int = 200):
    """The lead page; ``bound`` holds a form that failed, to show its errors."""
    user = request.user
    membership = user.dealer_membership
    rights = access.lead_rights(user, lead)
    forms = {
        "accept_form": AcceptForm(),
        "reject_form": RejectForm(),
        "contact_form": ContactForm(),
        "status_form": StatusForm(),
        "note_form": NoteForm(),
    }
    if rights["hand_over"]:
        forms["hand_over_form"] = HandOverForm(
            dealer_id=lead.owner_dealer_id, initial={"colleague": lead.dealer_assignee_id}
        )
    if bound is not None:
        if "status_form" in bound and bound["status_form"].data.get("status") == "lost":
            bound = {"lost_form": bound["status_form"]}  # shown in the "lost" panel
        forms.update(bound)
    # The page shows several forms at once (and the status form twice, for won and for
    # lost): each gets ids of its own, so a label or an error names the right field.
    forms.setdefault("lost_form", StatusForm())
    for name, form in forms.items():
        form.auto_id = f"{name.removesuffix('_form')}_%s"
    shows_account = lead.account_id is not None and (
        user.is_internal
        or (membership is not None and lead.account.serving_dealer_id == membership.dealer_id)
    )
    context = {
        "lead": lead,
        "status_color": STATUS_COLORS.get(lead.status, "secondary"),
        **_pipeline_steps(lead),
        "timeline": _timeline(user, lead),
        "rights": rights,
        "contact_hidden": access.contact_hidden(user, lead),
        "moves": pipeline.allowed_moves(lead.status),
        "may_reject": pipeline.may_reject(lead.status),
        "is_staff_view": user.is_internal,
        "shows_account": shows_account,
        "installed_base": list(lead.account.installed_base.all()) if shows_account else [],
        "failed": next(iter(bound), None) if bound else None,
        **forms,
    }
    return render(request, "leads/detail.html", context, status=status)


def _pipeline_steps(lead: Lead) -> dict:
    """The stepper above an accepted lead: accepted → … → won (or lost)."""
    S = Lead.Status
    if lead.status not in (S.ACCEPTED, S.CONTACTED, S.MEETING, S.PROPOSAL, S.WON, S.LOST):
        return {"pipeline_steps": [], "passed_steps": []}
    last = S.LOST if lead.status == S.LOST else S.WON
    steps = [S.ACCEPTED, S.CONTACTED, S.MEETING, S.PROPOSAL, last]
    # A lost lead may have left at any step: only "lost" is marked then.
    passed = [] if lead.status == S.LOST else steps[: steps.index(lead.status)]
    return {
        "pipeline_steps": [(step, S(step).label) for step in steps],
        "passed_steps": passed,
        "close_reason_label": (
            pipeline.CloseReason(lead.close_reason).label
            if lead.close_reason in pipeline.CloseReason.values
            else ""
        ),
    }


ROUTING_KINDS = (
    LeadEvent.Kind.CREATED,
    LeadEvent.Kind.ROUTED,
    LeadEvent.Kind.REASSIGNED,
    LeadEvent.Kind.RECYCLED,
)


def _timeline(user, lead: Lead) -> list[dict]:
    """The events as this viewer may read them. Dealers are competitors: a dealer reads
    the details (who, why, notes) of what concerns its own dealer, and of everything
    else only what happened, never who or why."""
    membership = user.dealer_membership
    dealer_id = membership.dealer_id if membership else None
    rows = []
    for event in selectors.lead_timeline(lead):
        data = event.data or {}
        note = data.get("note")
        if dealer_id is None:
            ours, actor = True, event.actor.name if event.actor else ""
        else:
            ours = _concerns_dealer(event, lead, dealer_id)
            actor = _actor_label(event, dealer_id)
            if event.kind in ROUTING_KINDS:
                note = None  # a hand-over's note is about the previous owner
        rows.append(
            {
                "at": event.at,
                "kind": event.kind,
                "label": event.get_kind_display(),
                "to_owner": event.to_owner if event.kind != LeadEvent.Kind.DUPLICATE else None,
                "actor": actor,
                "reason": (render_message(event.reason) or _event_summary(event)) if ours else "",
                "note": render_message(note) if ours and note else "",
            }
        )
    return rows


def _concerns_dealer(event: LeadEvent, lead: Lead, dealer_id: int) -> bool:
    """Whether a dealer may read an event's details: its own people's actions, hand-overs
    to it, the prospect's repeated inquiries and what happened in its current stint."""
    actor_membership = event.actor.dealer_membership if event.actor else None
    if actor_membership is not None:
        return actor_membership.dealer_id == dealer_id
    if event.kind == LeadEvent.Kind.DUPLICATE:
        return True
    if event.to_owner:
        return event.to_owner.get("kind") == "dealer" and event.to_owner.get("id") == dealer_id
    return lead.assigned_at is not None and event.at >= lead.assigned_at


def _actor_label(event: LeadEvent, dealer_id: int) -> str:
    if event.actor is None:
        return ""
    actor_membership = event.actor.dealer_membership
    if actor_membership is not None and actor_membership.dealer_id == dealer_id:
        return event.actor.name
    if actor_membership is not None:
        return _("another dealer")
    return _("the manufacturer")


def _event_summary(event: LeadEvent) -> str:
    """A sentence for events stored without one (status codes only, as in imports)."""
    data = event.data or {}
    target = data.get("to")
    if event.kind not in (LeadEvent.Kind.STATUS, LeadEvent.Kind.CONTACT):
        return ""
    if target not in Lead.Status.values:
        return ""
    if target == Lead.Status.WON and data.get("value"):
        try:
            return _("Won, value € %(value)s.") % {"value": f"{float(data['value']):,.0f}"}
        except ValueError:
            pass
    summary = _("Moved to %(status)s.") % {"status": Lead.Status(target).label.lower()}
    if data.get("reason") in pipeline.CloseReason.values:
        summary += " " + str(pipeline.CloseReason(data["reason"]).label) + "."
    return summary


# --- actions (POST only; the service decides what is allowed) ---------------------------


FORM_NAMES = {
    AcceptForm: "accept_form",
    RejectForm: "reject_form",
    ContactForm: "contact_form",
    StatusForm: "status_form",
    NoteForm: "note_form",
    HandOverForm: "hand_over_form",
}


def _act(
    request,
    pk: int,
    form_class,
    service,
    *,
    success,
    then=None,
    perm=access.ACT,
    form_kwargs=None,
):
    """Check access, validate the form and call ``service`` with the lead, the actor and
    the form's fields (named as the service's arguments). On success: the ``success``
    message (or ``success(lead, data)``) and a redirect to ``then``, by default the
    lead. An illegal move is a message on the lead page; bad input shows the page again
    with the form's errors (400)."""
    lead = access.get_lead_for_user(request.user, pk, perm)
    form = form_class(request.POST, **(form_kwargs(lead) if form_kwargs else {}))
    if form.is_valid():
        data = form.cleaned_data
        try:
            service(lead=lead, actor=request.user, **data)
        except pipeline.IllegalTransition as error:
            messages.error(request, error_text(error))
            return redirect(lead)
        except ValidationError as error:
            form.add_service_error(error)
        else:
            messages.success(request, success(lead, data) if callable(success) else success)
            return redirect(then or lead)
    messages.error(request, _("Please correct the errors below."))
    return _render_detail(request, lead, bound={FORM_NAMES[form_class]: form}, status=400)


@login_required
@require_POST
def lead_accept(request, pk: int):
    return _act(
        request,
        pk,
        AcceptForm,
        pipeline.lead_accept,
        success=_("Accepted. Your next step is on the lead."),
    )


@login_required
@require_POST
def lead_reject(request, pk: int):
    return _act(
        request,
        pk,
        RejectForm,
        pipeline.lead_reject,
        success=lambda lead, data: interpolate(
            _("You rejected %(company)s. It has gone to another owner."),
            {"company": lead.company_name},
        ),
        then="leads:mine" if request.user.is_internal else "leads:inbox",
    )


@login_required
@require_POST
def lead_log_contact(request, pk: int):
    return _act(
        request, pk, ContactForm, pipeline.lead_log_contact, success=_("Contact attempt logged.")
    )


@login_required
@require_POST
def lead_set_status(request, pk: int):
    return _act(
        request,
        pk,
        StatusForm,
        pipeline.lead_set_status,
        success=lambda lead, data: (
            _("The lead is now %(status)s.") % {"status": Lead.Status(data["status"]).label}
        ),
    )


@login_required
@require_POST
def lead_add_note(request, pk: int):
    return _act(request, pk, NoteForm, pipeline.lead_add_note, success=_("Note added."))


@login_required
@require_POST
def lead_hand_over(request, pk: int):
    return _act(
        request,
        pk,
        HandOverForm,
        pipeline.lead_hand_over_to_colleague,
        success=lambda lead, data: (
            _("%(name)s now handles this lead.") % {"name": data["colleague"].name}
            if data["colleague"]
            else _("The whole team handles this lead again.")
        ),
        perm=access.HAND_OVER,
        form_kwargs=lambda lead: {"dealer_id": lead.owner_dealer_id},
    )


# --- sending in a lead --------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def submit(request):
    """A dealer passes on a lead it found; it is routed by the same rules and the
    dealer follows its status here."""
    membership = access.require_dealer_member(request.user)
    dealer = membership.dealer
    if request.method == "POST":
        form = SubmitLeadForm(request.POST)
        if form.is_valid():
            result = lead_intake(
                data=form.cleaned_data,
                source=Lead.Source.DEALER,
                submitted_by=request.user,
                submitted_by_dealer=dealer,
            )
            lead = result.lead
            if result.duplicate_of is not None:
                messages.info(
                    request,
                    _(
                        "This company already has an open lead with us; your information "
                        "was added to it. Thank you!"
                    ),
                )
            elif lead.owner_dealer_id == dealer.pk:
                messages.success(
                    request,
                    _("Thank you! The lead was routed to you: %(reason)s")
                    % {"reason": render_message(lead.routing_reason)},
                )
            else:
                messages.success(
                    request,
                    _("Thank you! The lead has an owner now; you can follow its status below."),
                )
            return redirect("leads:submit")
        status = 400
    else:
        countries = list(dealer.countries)
        form = SubmitLeadForm(initial={"country": countries[0].code if countries else "NL"})
        status = 200
    sent_in = list(selectors.leads_sent_in_by(dealer.pk)[:25])
    context = {"form": form, "sent_in": sent_in, "dealer": dealer}
    return render(request, "leads/submit.html", context, status=status)

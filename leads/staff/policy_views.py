"""The channel manager's routing policy page (/manage/routing/): the rule order, the
enterprise threshold and the team fallback, with a what-if preview of a change (the last
leads replayed, nothing written) and Apply (``leads.services.policy.policy_update``),
and the policy's change history (the same "Changes" card as a dealer's page)."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from dealers.allocation import routing_change_preview, with_policy
from dealers.performance.previews import preview_context
from leads.models import Policy
from leads.services.policy import policy_audit, policy_update
from leads.staff.policy_forms import RULES, RoutingPolicyForm, position_field
from portal.forms import add_service_error
from portal.staff import CHANNEL, staff_required


@staff_required(*CHANNEL)
@require_http_methods(["GET", "POST"])
def routing_policy(request):
    policy = Policy.current()
    preview = None
    status = 200
    if request.method == "POST":
        form = RoutingPolicyForm(request.POST)
        if not form.is_valid():
            status = 400
        elif "preview" in request.POST:
            changes = form.changes()
            preview = routing_change_preview(lambda context: with_policy(context, **changes))
        else:
            try:
                changed = policy_update(actor=request.user, **form.changes())
            except ValidationError as error:
                add_service_error(form, error)
                status = 400
            else:
                if changed:
                    messages.success(
                        request, _("Saved. The next lead is routed by the new policy.")
                    )
                else:
                    messages.info(request, _("Nothing changed."))
                return redirect("manage:routing_policy")
    else:
        form = RoutingPolicyForm(initial=RoutingPolicyForm.initial_for(policy))
    context = {
        "form": form,
        "policy": policy,
        "rules": [(rule, form[position_field(rule)]) for rule in RULES],
        "audit": policy_audit(policy),
        **preview_context(preview),
    }
    return render(request, "manage/routing_policy.html", context, status=status)

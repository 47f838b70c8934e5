"""The page behind the Accept and Reject links of a dealer's new-lead e-mail
(``leads.services.email_actions``): one step, no password. A GET shows the lead and
the form (the accept's next step with its date, the reject's reason) and changes
nothing; the POST acts for the link's recipient and signs nobody in."""

from django.core.exceptions import ValidationError
from django.shortcuts import render
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from leads.forms import AcceptForm, RejectForm
from leads.services import email_actions, pipeline
from portal.forms import error_text

# A link that never was or no longer is one (400), one that did its work or lost its lead
# (410 Gone), one in someone else's hands (403).
STATUS_OF_REFUSAL = {"invalid": 400, "expired": 400, "spent": 410, "gone": 410, "not_yours": 403}
FORMS = {email_actions.ACCEPT: AcceptForm, email_actions.REJECT: RejectForm}
SERVICES = {email_actions.ACCEPT: pipeline.lead_accept, email_actions.REJECT: pipeline.lead_reject}


@never_cache
@require_http_methods(["GET", "POST"])
def email_action(request, token: str):
    try:
        action = email_actions.read_action(token, signed_in=request.user)
    except email_actions.LinkRefused as refused:
        status = STATUS_OF_REFUSAL[refused.reason]
        context = {
            "reason": email_actions.REASONS[refused.reason],
            "lead": refused.lead,
            "signed_in": request.user.is_authenticated,
        }
        return render(request, "leads/email_action_refused.html", context, status=status)
    # The recipient's language, whoever opens the page (no session needed).
    with translation.override(action.user.language or translation.get_language()):
        return _act(request, action)


def _act(request, action: email_actions.EmailAction):
    form_class = FORMS[action.action]
    form = form_class(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            SERVICES[action.action](
                lead=action.lead,
                actor=action.user,
                via=email_actions.VIA_EMAIL,
                **form.cleaned_data,
            )
        except pipeline.IllegalTransition as error:
            form.add_error(None, error_text(error))
        except ValidationError as error:
            form.add_service_error(error)
        else:
            context = {"action": action, "signed_in": request.user.is_authenticated}
            return render(request, "leads/email_action_done.html", context)
    context = {
        "action": action,
        "lead": action.lead,
        "form": form,
        "accepting": action.action == email_actions.ACCEPT,
        "title": _("Accept this lead")
        if action.action == email_actions.ACCEPT
        else _("Reject this lead"),
    }
    status = 400 if request.method == "POST" else 200
    return render(request, "leads/email_action.html", context, status=status)

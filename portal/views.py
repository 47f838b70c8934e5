"""The favicon and the language switch (each role's start page is ``leads.home``)."""

from django.shortcuts import redirect
from django.templatetags.static import static
from django.views.decorators.http import require_POST
from django.views.i18n import set_language as django_set_language

from portal.choices import Language
from portal.users.models import User


def favicon(request):
    """Browsers ask for /favicon.ico on pages without an icon link (API answers, files):
    the portal's icon, not a 404 in the log."""
    return redirect(static("img/favicon.svg"), permanent=True)


@require_POST
def set_language(request):
    """Django's language switch; a signed-in user's choice is also remembered on the
    account so e-mails come in that language."""
    response = django_set_language(request)
    language = request.POST.get("language")
    if request.user.is_authenticated and language in Language.values:
        User.objects.filter(pk=request.user.pk).update(language=language)
    return response

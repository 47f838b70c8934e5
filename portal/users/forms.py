"""Forms of a person's own pages: signing in, preferences and personal API tokens."""

from allauth.account.forms import LoginForm as AllauthLoginForm
from django import forms
from django.utils.translation import gettext_lazy as _

from portal.users.models import User
from portal.users.sessions import session_set_age


class LoginForm(AllauthLoginForm):
    """allauth's login form; how long the session lasts is ours (``sessions``)."""

    def login(self, request, redirect_url=None):
        response = super().login(request, redirect_url=redirect_url)
        # allauth has just given the session its one fixed age ("remember me").
        session_set_age(request, self.user)
        return response


class PreferencesForm(forms.ModelForm):
    class Meta:
        model = User
        fields = ["name", "phone", "language", "email_frequency"]
        widgets = {"email_frequency": forms.RadioSelect(attrs={"class": "form-check-input"})}
        help_texts = {
            "language": _("The portal and your e-mails use this language."),
        }


class ApiTokenForm(forms.Form):
    name = forms.CharField(
        label=_("Token name"),
        max_length=100,
        widget=forms.TextInput(attrs={"placeholder": _("e.g. Our CRM")}),
        help_text=_("So you recognise it later, for instance the system that uses it."),
    )

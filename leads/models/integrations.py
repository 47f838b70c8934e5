"""Systems that send leads through the API (``Integration``) and their keys."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from portal.db import SignalledQuerySet
from portal.fields import ChoiceListField


class Integration(models.Model):
    """A system that posts leads: a web form, marketing automation, a partner site."""

    class Kind(models.TextChoices):
        WEB_FORM = "web_form", _("Web form")
        MARKETING = "marketing", _("Marketing automation")
        OTHER = "other", _("Other system")

    name = models.CharField(_("name"), max_length=100, unique=True)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    objects = SignalledQuerySet.as_manager()  # bulk writes invalidate the world

    class Meta:
        verbose_name = _("integration")
        verbose_name_plural = _("integrations")
        ordering = ["name"]

    def __str__(self):
        return self.name


def default_scopes() -> list[str]:
    return [ApiKey.Scope.LEADS]


class ApiKey(models.Model):
    """A secret for the REST API, bound to an integration or to one person (a dealer
    user's personal token). Only a SHA-256 hash of the key is stored; the key itself
    is shown once when it is created (``leads.services.api_keys``). An integration's key
    does what its ``scopes`` allow: post leads, and/or sync accounts from a CRM or ERP."""

    class Scope(models.TextChoices):
        LEADS = "leads", _("Post leads")
        ACCOUNTS = "accounts", _("Sync accounts and installed base")

    integration = models.ForeignKey(
        Integration, on_delete=models.CASCADE, null=True, blank=True, related_name="api_keys"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="api_keys",
    )
    name = models.CharField(_("name"), max_length=100)
    prefix = models.CharField(max_length=16, unique=True, editable=False)
    hashed_key = models.CharField(max_length=64, editable=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    last_used_at = models.DateTimeField(null=True, blank=True, editable=False)
    revoked_at = models.DateTimeField(null=True, blank=True)
    scopes = ChoiceListField(
        _("scopes"),
        item_choices=Scope.choices,
        default=default_scopes,
        help_text=_("What an integration's key may do; a person's token ignores it."),
    )

    objects = SignalledQuerySet.as_manager()  # bulk writes invalidate the world

    class Meta:
        verbose_name = _("API key")
        verbose_name_plural = _("API keys")
        constraints = [
            models.CheckConstraint(
                condition=Q(integration__isnull=False, user__isnull=True)
                | Q(integration__isnull=True, user__isnull=False),
                name="api_key_for_integration_or_user",
            )
        ]

    def __str__(self):
        return f"{self.name} ({self.prefix}…)"

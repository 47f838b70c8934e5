"""Territories: a country, optionally narrowed to postcode ranges and sectors, and the
dealers and reps who own it with their weights.

Postcode ranges are stored as numbers: the leading 4 digits in NL, BE, AT, CH and LU,
5 digits in DE (``leads.matching.normalize.normalize_postcode``). A territory without
ranges covers the whole country; the narrowest covering range wins.
"""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_countries.fields import CountryField

from portal.choices import Sector
from portal.db import SignalledQuerySet
from portal.fields import ChoiceListField


class Territory(models.Model):
    name = models.CharField(_("name"), max_length=120, unique=True)
    country = CountryField(_("country"))
    sectors = ChoiceListField(
        _("sectors"),
        item_choices=Sector.choices,
        help_text=_("Leave empty for every sector; otherwise only leads in these sectors."),
    )
    is_active = models.BooleanField(_("active"), default=True)
    notes = models.TextField(_("notes"), blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = SignalledQuerySet.as_manager()  # bulk writes invalidate the world

    class Meta:
        verbose_name = _("territory")
        verbose_name_plural = _("territories")
        ordering = ["country", "name"]
        indexes = [models.Index(fields=["country", "is_active"], name="territory_country")]

    def __str__(self):
        return self.name


class PostcodeRange(models.Model):
    territory = models.ForeignKey(Territory, on_delete=models.CASCADE, related_name="ranges")
    start = models.PositiveIntegerField(_("from"))
    end = models.PositiveIntegerField(_("to"))

    objects = SignalledQuerySet.as_manager()  # bulk writes invalidate the world

    class Meta:
        verbose_name = _("postcode range")
        verbose_name_plural = _("postcode ranges")
        ordering = ["start"]
        constraints = [
            models.CheckConstraint(condition=Q(end__gte=models.F("start")), name="range_ordered")
        ]
        indexes = [models.Index(fields=["start", "end"], name="postcode_range_bounds")]

    def __str__(self):
        return f"{self.start}–{self.end}"

    def clean(self):
        if self.start is not None and self.end is not None and self.end < self.start:
            raise ValidationError({"end": _("The range must end at or after its start.")})


class TerritoryOwner(models.Model):
    """A dealer or an internal rep who owns (a weighted share of) a territory."""

    territory = models.ForeignKey(Territory, on_delete=models.CASCADE, related_name="owners")
    dealer = models.ForeignKey(
        "dealers.Dealer",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="territory_ownerships",
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="territory_ownerships",
    )
    weight = models.DecimalField(
        _("weight"),
        max_digits=5,
        decimal_places=2,
        default=1,
        help_text=_("Share of this territory's leads relative to its other owners."),
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    objects = SignalledQuerySet.as_manager()  # bulk writes invalidate the world

    class Meta:
        verbose_name = _("territory owner")
        verbose_name_plural = _("territory owners")
        constraints = [
            models.CheckConstraint(
                condition=Q(dealer__isnull=False, user__isnull=True)
                | Q(dealer__isnull=True, user__isnull=False),
                name="territory_owner_is_dealer_or_user",
            ),
            models.UniqueConstraint(
                fields=["territory", "dealer"], name="territory_owner_dealer_once"
            ),
            models.UniqueConstraint(fields=["territory", "user"], name="territory_owner_user_once"),
            models.CheckConstraint(
                condition=Q(weight__gte=0), name="territory_weight_not_negative"
            ),
        ]

    def __str__(self):
        return f"{self.dealer or self.user} ({self.weight})"

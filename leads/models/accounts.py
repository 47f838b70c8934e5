"""Companies (accounts, with their parent and serving dealer) and their installed base."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django_countries.fields import CountryField

from portal.choices import Sector


class CountryCode:
    """``country_code``: the stored ISO code, without building a django-countries
    ``Country`` object (which looks up the name each time ``.country`` is read; routing
    and the import read it many times per lead)."""

    @property
    def country_code(self) -> str:
        code = self.__dict__.get("country")
        return code if code is not None else self.country.code


class Account(CountryCode, models.Model):
    """A known company: a customer when it has installed base, otherwise a prospect
    (for instance one a dealer has claimed). Lookup columns are normalised and
    indexed so the matcher never scans."""

    external_id = models.CharField(
        _("CRM/ERP id"),
        max_length=100,
        blank=True,
        help_text=_("The account's id in the CRM or ERP that syncs it (the accounts API)."),
    )
    legal_name = models.CharField(_("legal name"), max_length=200)
    normalized_name = models.CharField(max_length=200, db_index=True, editable=False)
    website_domain = models.CharField(_("website domain"), max_length=120, blank=True)
    vat_number = models.CharField(_("VAT number"), max_length=20, blank=True)
    coc_number = models.CharField(_("chamber of commerce number"), max_length=30, blank=True)
    country = CountryField(_("country"))
    postcode = models.CharField(_("postcode"), max_length=12, blank=True)
    postcode_number = models.PositiveIntegerField(null=True, blank=True, editable=False)
    city = models.CharField(_("city"), max_length=100, blank=True)
    sector = models.CharField(_("sector"), max_length=20, choices=Sector.choices, blank=True)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent company"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="subsidiaries",
    )
    account_manager = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("account manager"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="managed_accounts",
    )
    serving_dealer = models.ForeignKey(
        "dealers.Dealer",
        verbose_name=_("serving dealer"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="served_accounts",
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("account")
        verbose_name_plural = _("accounts")
        ordering = ["legal_name"]
        indexes = [
            models.Index(
                fields=["website_domain"], condition=~Q(website_domain=""), name="account_domain"
            ),
            models.Index(fields=["vat_number"], condition=~Q(vat_number=""), name="account_vat"),
            models.Index(fields=["coc_number"], condition=~Q(coc_number=""), name="account_coc"),
            models.Index(fields=["country", "postcode_number"], name="account_postcode"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["external_id"], condition=~Q(external_id=""), name="account_external_id"
            )
        ]

    def __str__(self):
        return self.legal_name

    def save(self, *args, **kwargs):
        self.fill_lookup_columns()
        super().save(*args, **kwargs)

    def clean(self):
        """Forms (the admin) refuse a VAT or chamber-of-commerce number that is not valid
        for the account's country: it would be kept as typed and never match a lead."""
        from leads.matching.normalize import NormalizationError

        errors = {}
        for field, normalize in self._identifiers():
            try:
                normalize(getattr(self, field))
            except NormalizationError as error:
                errors[field] = error.text(gettext)
        if errors:
            raise ValidationError(errors)

    def fill_lookup_columns(self) -> None:
        """Normalised identifiers, as the matcher looks them up and leads store theirs:
        "NL 0044.95.445.B01" is kept as "NL004495445B01", "https://www.Example.nl/" as
        "example.nl", "KvK 1234.5678" as "12345678". A number that is not valid stays as
        typed (``clean`` refuses it in forms). Rows saved before these were normalised
        are brought in line by migration ``leads.0015``, with the same function."""
        for field, value in account_lookup_columns(
            legal_name=self.legal_name,
            website_domain=self.website_domain,
            vat_number=self.vat_number,
            coc_number=self.coc_number,
            country=self.country_code,
        ).items():
            setattr(self, field, value)

    def _identifiers(self):
        return _identifier_normalizers(self.country_code)


def _identifier_normalizers(country: str):
    from leads.matching.normalize import normalize_coc, normalize_vat

    return [
        ("vat_number", lambda number: normalize_vat(number, country or None)),
        ("coc_number", lambda number: normalize_coc(number, country) if country else number),
    ]


ACCOUNT_LOOKUP_FIELDS = ("normalized_name", "website_domain", "vat_number", "coc_number")


def account_lookup_columns(
    *, legal_name: str, website_domain: str, vat_number: str, coc_number: str, country: str
) -> dict[str, str]:
    """The stored lookup columns (``ACCOUNT_LOOKUP_FIELDS``) of an account with these
    values: what ``Account.save`` writes, and what the data migration that re-normalises
    older rows writes (it has no model methods, so both call this). A VAT or
    chamber-of-commerce number the normaliser refuses is kept as typed (trimmed)."""
    from leads.matching.normalize import (
        NormalizationError,
        domain_from_url,
        normalize_company_name,
    )

    columns = {
        "normalized_name": normalize_company_name(legal_name),
        "website_domain": domain_from_url(website_domain) or website_domain.strip(),
    }
    numbers = {"vat_number": vat_number, "coc_number": coc_number}
    for field, normalize in _identifier_normalizers(country):
        try:
            columns[field] = normalize(numbers[field])
        except NormalizationError:
            columns[field] = numbers[field].strip()
    return columns


class InstalledProduct(models.Model):
    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="installed_base")
    product = models.CharField(_("product"), max_length=120)
    serial_number = models.CharField(_("serial number"), max_length=60, blank=True)
    installed_on = models.DateField(_("installed on"))

    class Meta:
        verbose_name = _("installed product")
        verbose_name_plural = _("installed base")
        ordering = ["-installed_on"]

    def __str__(self):
        return f"{self.product} ({self.installed_on:%Y})"

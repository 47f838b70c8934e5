"""Forms of the territory pages: the territory with its postcodes, its owners, the CSV
import in two steps (upload: check and preview; apply: the same file, carried signed in
a hidden field so the channel manager does not choose it again)."""

from decimal import Decimal

from django import forms
from django.core import signing
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from django_countries import countries

from dealers.models import Dealer
from portal.choices import Sector
from portal.users.models import User
from territories.services import MAX_WEIGHT, OwnerSpec, format_ranges, parse_ranges
from territories.services.preview import PREVIEW_DEFAULT, PREVIEW_MAX

MAX_IMPORT_BYTES = 5 * 1024 * 1024
IMPORT_SALT = "territories.import"
IMPORT_MAX_AGE = 2 * 60 * 60  # seconds between the preview and Apply


class TerritoryForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=120)
    country = forms.ChoiceField(label=_("Country"))
    sectors = forms.MultipleChoiceField(
        label=_("Sectors"),
        choices=Sector.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Leave empty for every sector; otherwise only leads in these sectors."),
    )
    postcodes = forms.CharField(
        label=_("Postcode ranges"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3, "placeholder": "3000-3099; 3100-3199"}),
        help_text=_(
            "From-to, separated by semicolons or one per line; a single postcode is a "
            "range of one. Leave empty for the whole country. Numbers: the first 4 digits "
            "(5 in Germany)."
        ),
    )
    is_active = forms.BooleanField(label=_("Active (used by routing)"), required=False)
    notes = forms.CharField(
        label=_("Notes"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args, allowed_countries=None, **kwargs):
        super().__init__(*args, **kwargs)
        choices = [("", "—")] + [
            (code, name)
            for code, name in countries
            if allowed_countries is None or code in allowed_countries
        ]
        self.fields["country"].choices = choices

    @classmethod
    def initial_for(cls, territory) -> dict:
        return {
            "name": territory.name,
            "country": territory.country.code,
            "sectors": list(territory.sectors or []),
            "postcodes": format_ranges(
                territory.country.code, [(r.start, r.end) for r in territory.ranges.all()]
            ),
            "is_active": territory.is_active,
            "notes": territory.notes,
        }

    def clean(self):
        cleaned = super().clean()
        country = cleaned.get("country")
        if country:
            try:
                cleaned["ranges"] = parse_ranges(cleaned.get("postcodes", ""), country)
            except ValidationError as error:
                self.add_error("postcodes", error)
        return cleaned


def owner_choices() -> list:
    """Owners grouped for a select: dealers (with their status) and internal staff."""
    dealers = [
        (
            f"dealer:{pk}",
            name if status == Dealer.Status.ACTIVE else f"{name} ({Dealer.Status(status).label})",
        )
        for pk, name, status in Dealer.objects.order_by("name").values_list("pk", "name", "status")
    ]
    staff = [
        (f"user:{pk}", name)
        for pk, name in User.objects.filter(staffprofile__isnull=False, is_active=True)
        .order_by("name")
        .values_list("pk", "name")
    ]
    return [("", "—"), (_("Dealers"), dealers), (_("Internal staff"), staff)]


class OwnerForm(forms.Form):
    owner = forms.ChoiceField(label=_("Owner"), required=False)
    weight = forms.DecimalField(
        label=_("Weight"),
        min_value=0,
        max_value=MAX_WEIGHT,
        decimal_places=2,
        initial=Decimal("1"),
        required=False,
    )

    def __init__(self, *args, choices=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner"].choices = choices

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("owner") and cleaned.get("weight") is None:
            self.add_error("weight", _("Give a weight (0 means: receives no new leads)."))
        return cleaned

    def spec(self) -> OwnerSpec | None:
        value = self.cleaned_data.get("owner")
        if not value or self.cleaned_data.get("DELETE"):
            return None
        kind, _sep, pk = value.partition(":")
        return OwnerSpec(kind, int(pk), self.cleaned_data["weight"])


class BaseOwnerFormSet(forms.BaseFormSet):
    def __init__(self, *args, **kwargs):
        self.choices = owner_choices()
        super().__init__(*args, **kwargs)

    def get_form_kwargs(self, index):
        return {**super().get_form_kwargs(index), "choices": self.choices}

    def clean(self):
        if any(self.errors):
            return
        seen = set()
        for form in self.forms:
            spec = form.spec()
            if spec is None:
                continue
            if spec.key in seen:
                raise ValidationError(_("Each owner can be listed only once."))
            seen.add(spec.key)

    def specs(self) -> list[OwnerSpec]:
        return [spec for form in self.forms if (spec := form.spec()) is not None]


OwnerFormSet = forms.formset_factory(OwnerForm, formset=BaseOwnerFormSet, extra=2, can_delete=True)


def owner_initial(territory) -> list[dict]:
    return [
        {
            "owner": f"dealer:{o.dealer_id}" if o.dealer_id else f"user:{o.user_id}",
            "weight": o.weight,
        }
        for o in territory.owners.all()
    ]


class TerritoryFilterForm(forms.Form):
    """The territory list's name search and country (a code, in any case)."""

    q = forms.CharField(label=_("Name"), max_length=120, required=False)
    country = forms.CharField(label=_("Country"), max_length=2, required=False)

    def clean_country(self) -> str:
        return self.cleaned_data["country"].upper()


class ImportForm(forms.Form):
    file = forms.FileField(
        label=_("CSV file"),
        help_text=_(
            "The format of the export: name, country, sectors, active, postcodes, owners, "
            "notes. Owners as dealer-short-name=weight or e-mail=weight, separated by "
            "semicolons."
        ),
    )
    leads = forms.IntegerField(
        label=_("Replay the last"),
        min_value=10,
        max_value=PREVIEW_MAX,
        initial=PREVIEW_DEFAULT,
        required=False,
        help_text=_("leads"),
    )

    def clean_leads(self) -> int:
        return self.cleaned_data["leads"] or PREVIEW_DEFAULT

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > MAX_IMPORT_BYTES:
            raise ValidationError(_("The file is larger than 5 MB."))
        raw = upload.read()
        for encoding in ("utf-8-sig", "cp1252"):
            try:
                return raw.decode(encoding)
            except UnicodeDecodeError:
                continue
        raise ValidationError(_("Save the file as UTF-8 CSV."))


def _salt(user) -> str:
    return f"{IMPORT_SALT}:{user.pk}"


def sign_import(text: str, user) -> str:
    """The checked file's text, compressed and signed for ``ApplyImportForm``: only the
    same user can apply it, unchanged, within ``IMPORT_MAX_AGE``."""
    return signing.dumps(text, salt=_salt(user), compress=True)


class ApplyImportForm(forms.Form):
    """Apply after the preview: the file the preview showed, as ``sign_import`` signed
    it. Nothing in the browser can change it; an old or altered one asks for the file
    again."""

    content = forms.CharField(widget=forms.HiddenInput, strip=False)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user

    def clean_content(self) -> str:
        try:
            return signing.loads(
                self.cleaned_data["content"], salt=_salt(self.user), max_age=IMPORT_MAX_AGE
            )
        except signing.BadSignature as error:
            raise ValidationError(
                _("The checked file has expired or was changed: upload it again.")
            ) from error

"""Every date and time input of every form renders a value the browser keeps, in every
language: ``<input type="date">`` takes only ``yyyy-mm-dd`` and ``datetime-local`` only
``yyyy-mm-ddTHH:MM``; any other value (a Dutch "04-12-2026") is dropped and the field
comes up empty. A date in a text input must read back as the same date.

The forms are found by walking the subclasses of Django's forms and django-filter's
filter sets defined in our apps, so a new form is checked as soon as it exists."""

import importlib
import pkgutil
import re
from datetime import date, datetime
from zoneinfo import ZoneInfo

import django_filters
import pytest
from django import forms
from django.utils import translation

from portal.users.models import User

pytestmark = pytest.mark.django_db

APPS = ("portal", "dealers", "leads", "territories")
LANGUAGES = ("en", "nl", "de")
DAY = date(2026, 12, 4)
MOMENT = datetime(2027, 1, 3, 9, 30, tzinfo=ZoneInfo("Europe/Amsterdam"))
BROWSER_VALUE = {
    "date": re.compile(r"^\d{4}-\d{2}-\d{2}$"),
    "datetime-local": re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2})?$"),
}


def _import_all():
    for app in APPS:
        package = importlib.import_module(app)
        for module in pkgutil.walk_packages(package.__path__, f"{app}."):
            if ".migrations" in module.name or ".management" in module.name:
                continue
            importlib.import_module(module.name)


def _subclasses(cls):
    for sub in cls.__subclasses__():
        yield sub
        yield from _subclasses(sub)


def _ours(cls) -> bool:
    return cls.__module__.split(".")[0] in APPS


def form_classes() -> list[type]:
    _import_all()
    found = {cls for cls in _subclasses(forms.BaseForm) if _ours(cls)}
    return sorted(found, key=lambda cls: f"{cls.__module__}.{cls.__qualname__}")


def filter_classes() -> list[type]:
    _import_all()
    found = {cls for cls in _subclasses(django_filters.FilterSet) if _ours(cls)}
    return sorted(found, key=lambda cls: f"{cls.__module__}.{cls.__qualname__}")


def _build(cls) -> forms.BaseForm:
    """The form, with a user for each keyword argument its constructors require (the
    manager a reassign form is for, the rep of an out-of-office form)."""
    if issubclass(cls, django_filters.FilterSet):
        return cls(data=None, queryset=cls._meta.model.objects.none()).form
    user = User(pk=1, email="someone@example.com", name="Someone")
    kwargs = {}
    for _attempt in range(5):
        try:
            return cls(**kwargs)
        except TypeError as error:
            missing = re.search(r"required keyword-only argument: '(\w+)'", str(error))
            if not missing:
                raise
            kwargs[missing.group(1)] = user
    raise AssertionError(f"cannot build {cls.__name__}")


def date_fields(form) -> dict[str, object]:
    """The form's date and date-time fields, with the initial value each gets."""
    values = {}
    for name, field in form.fields.items():
        if isinstance(field, forms.DateTimeField):
            values[name] = MOMENT
        elif isinstance(field, forms.DateField):
            values[name] = DAY
    return values


def rendered_value(html: str) -> tuple[str, str]:
    kind = re.search(r'type="([^"]+)"', html)
    value = re.search(r'value="([^"]*)"', html)
    return (kind.group(1) if kind else ""), (value.group(1) if value else "")


def test_the_walk_finds_the_forms_with_dates():
    names = {cls.__name__ for cls in form_classes() + filter_classes()}
    assert {"AcceptForm", "StatusForm", "OverrideForm", "OutOfOfficeForm"} <= names
    assert "ApiLeadFilter" in names


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_date_input_renders_a_value_the_browser_keeps(language):
    checked, problems = 0, []
    for cls in form_classes() + filter_classes():
        form = _build(cls)
        initial = date_fields(form)
        if not initial:
            continue
        with translation.override(language):
            for name, value in initial.items():
                field = form.fields[name]
                # As the form renders an initial value (a filter form is always bound).
                html = field.widget.render(name, field.prepare_value(value))
                kind, shown = rendered_value(html)
                checked += 1
                where = f"{cls.__module__}.{cls.__name__}.{name} ({language})"
                if kind in BROWSER_VALUE:
                    if not BROWSER_VALUE[kind].match(shown):
                        problems.append(f"{where}: <input type={kind}> with value {shown!r}")
                    continue
                # A text input: what is shown must read back as the same value.
                try:
                    back = field.clean(shown)
                except forms.ValidationError:
                    problems.append(f"{where}: {shown!r} does not read back")
                    continue
                if isinstance(value, datetime):
                    back = back.astimezone(value.tzinfo).replace(second=0)
                if back != value:
                    problems.append(f"{where}: {shown!r} reads back as {back!r}")
    assert checked >= 5, checked  # the walk found the date fields
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_accept_form_comes_up_with_today_as_the_browser_takes_it(language):
    from leads.forms import AcceptForm

    with translation.override(language):
        html = str(AcceptForm()["next_step_on"])
    assert 'type="date"' in html
    assert re.search(r'value="\d{4}-\d{2}-\d{2}"', html), html

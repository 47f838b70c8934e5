"""Messages stored as data: moments inside them are shown in the reader's format."""

import ast
import pathlib
import re
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
from django.utils import translation

from portal.messages import interpolate, message, moment, render_message

DUE = datetime(2026, 11, 26, 7, 53, tzinfo=ZoneInfo("UTC"))  # 08:53 in Amsterdam


@pytest.mark.parametrize(
    ("language", "shown"),
    [("en", "26/11/2026 08:53"), ("nl", "26-11-2026 08:53"), ("de", "26.11.2026 08:53")],
)
def test_a_deadline_is_shown_in_the_readers_format_and_the_portals_time_zone(language, shown):
    stored = message("Give a first update by %(due)s.", due=moment(DUE))
    assert stored["params"]["due"] == {"at": "2026-11-26T07:53:00+00:00"}  # JSON as stored
    with translation.override(language):
        assert render_message(stored) == f"Give a first update by {shown}."


def test_a_date_is_shown_as_a_date_and_older_messages_still_render():
    with translation.override("de"):
        assert render_message(message("Until %(d)s.", d=moment(date(2026, 8, 29)))) == (
            "Until 29.08.2026."
        )
    # stored before moments existed: the text as it was written
    assert render_message(message("Until %(d)s.", d="2026-08-29")) == "Until 2026-08-29."
    assert moment(None) == ""


# --- a name that ends with a full stop ------------------------------------------------

ROOT = pathlib.Path(__file__).resolve().parents[2]
SOURCES = ("portal", "leads", "dealers", "territories")
GETTEXT = {"_", "gettext", "gettext_lazy", "ngettext", "ngettext_lazy", "pgettext"}
# Values that never end with a full stop: numbers, dates, codes, statuses, addresses.
# A company, dealer, person or territory name, a reason or an error message can.
NEVER_A_FULL_STOP = {
    "allowed", "at", "code", "columns", "contact_from", "count", "countries", "current",
    "date", "days", "due", "email", "example", "high", "length", "limit", "low", "max",
    "new", "next", "old", "role", "slug", "start", "status", "until", "value", "weight",
}  # fmt: skip
BEFORE_FULL_STOP = re.compile(r"%\((\w+)\)s\.")


def test_no_second_full_stop_after_a_name_that_ends_with_one():
    assert interpolate("You rejected %(company)s. It has gone.", {"company": "Holding B.V."}) == (
        "You rejected Holding B.V. It has gone."
    )
    assert interpolate("Handed to %(name)s.", {"name": "Anna"}) == "Handed to Anna."
    assert interpolate("%(a)s. %(b)s.", {"a": "N.V.", "b": 3}) == "N.V. 3."
    assert interpolate("50 %% of %(n)s.", {"n": "B.V."}) == "50 % of B.V."


@pytest.mark.parametrize("language", ["en", "nl", "de"])
def test_stored_messages_with_a_name_that_ends_with_a_full_stop(language):
    """Notifications, events and e-mails are stored messages: one full stop after B.V."""
    with translation.override(language):
        for stored in (
            message("Handed to %(name)s.", name="Jansen Holding B.V."),
            message("You rejected %(company)s. It has gone to another owner.", company="X B.V."),
        ):
            rendered = render_message(stored)
            assert "B.V." in rendered and ".." not in rendered, rendered


def _sentences_composed_in_code():
    """(file:line, msgid) of every ``gettext("…%(x)s…") % params`` in the project."""
    for package in SOURCES:
        for path in sorted((ROOT / package).rglob("*.py")):
            if "migrations" in path.parts:
                continue
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if not (isinstance(node, ast.BinOp) and isinstance(node.op, ast.Mod)):
                    continue
                call = node.left
                if not isinstance(call, ast.Call):
                    continue
                name = getattr(call.func, "id", getattr(call.func, "attr", ""))
                if name not in GETTEXT:
                    continue
                for arg in call.args:
                    if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
                        yield f"{path.relative_to(ROOT)}:{node.lineno}", arg.value


def test_every_sentence_with_a_name_before_its_full_stop_goes_through_interpolate():
    """A name before a sentence's full stop (in English, Dutch or German) must be put in
    with ``portal.messages.interpolate``, or "Holding B.V." reads "Holding B.V..". Stored
    messages are rendered by ``render_message``, which does so."""
    found, wrong = 0, []
    for where, msgid in _sentences_composed_in_code():
        found += 1
        for language in ("en", "nl", "de"):
            with translation.override(language):
                text = translation.gettext(msgid)
            names = set(BEFORE_FULL_STOP.findall(text)) - NEVER_A_FULL_STOP
            if names:
                wrong.append(f"{where} ({language}): {sorted(names)} in {text!r}")
    assert found > 20  # the walk found the sentences composed in code
    assert not wrong, "use interpolate():\n" + "\n".join(wrong)


def test_the_prospects_confirmation_has_one_full_stop_after_the_company():
    from django.template.loader import render_to_string

    context = {"lead": {"company_name": "Jansen Holding B.V."}, "contact_from": "Monday 08:30"}
    for language in ("en", "nl", "de"):
        with translation.override(language):
            for name in ("emails/confirmation.txt", "emails/confirmation.html"):
                text = render_to_string(name, context)
                assert "Jansen Holding B.V." in text and "B.V.." not in text, (language, name)


BLOCK = re.compile(r"{%\s*blocktranslate\b(.*?)%}(.*?){%\s*endblocktranslate\s*%}", re.S)
BINDING = re.compile(r"(\w+)=(\S+)")
VARIABLE = re.compile(r"{{\s*(\w+)\s*}}")
# A binding through one of these filters is a number, a date or a length.
NOT_A_NAME = (
    "|date",
    "|time",
    "|weekday_and_moment",
    "|floatformat",
    "|intcomma",
    "|length",
    "|timesince",
)


def _template_sentences():
    """(template, bindings, msgid) of every blocktranslate in the project's templates."""
    for path in sorted((ROOT / "templates").rglob("*")):
        if path.is_dir():
            continue
        for match in BLOCK.finditer(path.read_text(encoding="utf-8")):
            tag, body = match.groups()
            bindings = dict(BINDING.findall(tag))
            if "trimmed" in tag.split():
                body = " ".join(line.strip() for line in body.strip().splitlines())
            parts = [VARIABLE.sub(r"%(\1)s", part.replace("%", "%%")) for part in
                     re.split(r"{%\s*plural\s*%}", body)]  # fmt: skip
            yield path.relative_to(ROOT), bindings, parts


def _translations(parts: list[str]):
    """The sentence (singular and plural) in English, Dutch and German."""
    for language in ("en", "nl", "de"):
        with translation.override(language):
            if len(parts) == 1:
                yield language, translation.gettext(parts[0])
            else:
                for n in (1, 2):
                    yield language, translation.ngettext(parts[0], parts[1], n)


def test_every_template_sentence_with_a_name_before_its_full_stop_drops_the_names_own():
    found, wrong = 0, []
    for where, bindings, parts in _template_sentences():
        found += 1
        for language, text in _translations(parts):
            for name in set(BEFORE_FULL_STOP.findall(text)) - NEVER_A_FULL_STOP:
                bound = bindings.get(name, "")
                if bound.endswith("|before_full_stop") or any(f in bound for f in NOT_A_NAME):
                    continue
                wrong.append(f"{where} ({language}): {name}={bound or '?'} in {text!r}")
            for name, bound in bindings.items():
                marked = bound.endswith("|before_full_stop")
                if marked and f"%({name})s" in text and f"%({name})s." not in text:
                    wrong.append(f"{where} ({language}): {name} is not before a full stop")
    assert found > 100
    assert not wrong, "bind the value with |before_full_stop:\n" + "\n".join(wrong)

"""Messages stored as data: moments inside them are shown in the reader's format."""

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
from django.utils import translation

from portal.messages import message, moment, render_message

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

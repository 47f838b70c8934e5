"""Who gets a notification row and who an e-mail: one rule (``notification_rows``) for
both ways of writing them, model instances (``notify_many``) and COPY (``notify_in_bulk``,
the SLA sweep)."""

import pytest
from django.utils import timezone

from portal.messages import message
from portal.users.models import Notification, User
from portal.users.services import notification_rows, notify_in_bulk, notify_many
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

HELLO, QUIET = message("Hello"), message("Quiet")


@pytest.fixture
def people():
    return {
        "now": UserFactory(),
        "daily": UserFactory(email_frequency=User.EmailFrequency.DAILY),
        "gone": UserFactory(is_active=False),
    }


def items(people) -> list[dict]:
    now, daily, gone = people["now"], people["daily"], people["gone"]
    return [
        {"recipients": [now, now, daily, gone, None], "kind": "info", "subject": HELLO},
        {"recipients": [now], "kind": "info", "subject": QUIET, "send_email": False},
    ]


def test_one_row_per_active_person_and_an_email_only_for_who_wants_it_at_once(people):
    rows = notification_rows(items(people), now=timezone.now())
    assert [(row["recipient_id"], row["subject"], row["send_email"]) for row in rows] == [
        (people["now"].pk, HELLO, True),
        (people["daily"].pk, HELLO, False),
        (people["now"].pk, QUIET, False),
    ]


@pytest.mark.parametrize("write", [notify_many, notify_in_bulk])
def test_both_ways_of_writing_store_the_same_rows_and_queue_one_delivery(
    people, write, django_capture_on_commit_callbacks
):
    Notification.objects.all().delete()
    with django_capture_on_commit_callbacks() as callbacks:
        write(items(people))
    stored = Notification.objects.order_by("pk").values_list(
        "recipient_id", "kind", "subject", "body", "url", "lead_id", "send_email", "emailed_at"
    )
    assert list(stored) == [
        (people["now"].pk, "info", HELLO, {}, "", None, True, None),
        (people["daily"].pk, "info", HELLO, {}, "", None, False, None),
        (people["now"].pk, "info", QUIET, {}, "", None, False, None),
    ]
    assert len(callbacks) == 1


def test_the_text_of_an_email_is_not_html_escaped(mailoutbox, django_capture_on_commit_callbacks):
    """A company named "… GmbH & Co. KG" reads as it is in the subject and the text
    part; only the HTML part escapes it."""
    person = UserFactory(language="de")
    subject = message("Lead taken back: %(company)s", company="Becker Brauerei GmbH & Co. KG")
    with django_capture_on_commit_callbacks(execute=True):
        notify_many([{"recipients": [person], "kind": "info", "subject": subject}])
    (mail,) = mailoutbox
    assert mail.subject.endswith("Lead zurückgenommen: Becker Brauerei GmbH & Co. KG"), mail.subject
    assert "GmbH & Co. KG" in mail.body and "&amp;" not in mail.body
    html = mail.alternatives[0][0]
    assert "GmbH &amp; Co. KG" in html

"""``portal.ahead.read_ahead``: the items in order, errors where they happened, the
caller's language, no database in the thread, a bounded queue, and no thread left."""

import threading

import pytest
from django.db import connection
from django.utils import translation
from django.utils.translation import gettext as _

from portal.ahead import read_ahead


def _threads() -> set[str]:
    return {t.name for t in threading.enumerate() if t.name == "read-ahead"}


def test_the_items_come_in_order_across_chunks():
    assert list(read_ahead(lambda: iter(range(1003)), chunk=10)) == list(range(1003))
    assert list(read_ahead(lambda: iter(()), chunk=10)) == []
    assert not _threads()


def test_an_error_is_raised_where_it_happened_after_the_items_before_it():
    def produce():
        yield from range(25)
        raise ValueError("line 26 is broken")

    got = []
    with pytest.raises(ValueError, match="line 26 is broken"):
        for item in read_ahead(produce, chunk=10):
            got.append(item)
    assert got == list(range(20))  # (the error ends its chunk of five)
    assert not _threads()


def test_messages_made_in_the_thread_are_in_the_callers_language():
    with translation.override("de"):
        (said,) = read_ahead(lambda: iter([_("The company name is required.")]), chunk=5)
    with translation.override("de"):
        assert said == _("The company name is required.")
    assert said != "The company name is required."


@pytest.mark.django_db
def test_the_thread_may_not_query_the_database():
    def produce():
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        yield 1

    with pytest.raises(RuntimeError, match="must not query the database"):
        list(read_ahead(produce, chunk=5))


def test_it_holds_at_most_depth_chunks_and_stops_when_the_caller_stops():
    made = []

    def produce():
        for i in range(10_000):
            made.append(i)
            yield i

    items = read_ahead(produce, chunk=100, depth=2)
    assert next(items) == 0
    threading.Event().wait(0.3)  # time for the thread to fill its queue
    # the chunk being read, two waiting, and one being made while it waits to be put
    assert len(made) <= 4 * 100
    items.close()
    assert not _threads()
    assert len(made) < 10_000

"""``read_ahead``: produce the next items of an iterator in a thread of its own while
the caller works on the current ones.

A CSV import reads and cleans rows (pure Python) and routes them (mostly waiting for
PostgreSQL). Run one after the other, the process waits for the database about a third
of the time with nothing to do; with the reading and cleaning one batch ahead in a
thread, that wait is used (the GIL is released while psycopg waits).

The thread keeps the caller's language (messages made while reading are in it), never
opens a database connection of its own (the work it does must not need one; a query
there raises), holds at most ``depth`` chunks (memory stays flat), and hands an
exception it meets to the caller, where it is raised in its place in the sequence.
When the caller stops early, the thread is told to stop and is waited for.
"""

import queue
import threading
from collections.abc import Callable, Iterator
from typing import TypeVar

from django.db import connection
from django.utils import translation

T = TypeVar("T")

_DONE = object()


class _Raised:
    def __init__(self, error: BaseException):
        self.error = error


def read_ahead(produce: Callable[[], Iterator[T]], *, chunk: int, depth: int = 2) -> Iterator[T]:
    """The items of ``produce()``, made in a thread ``chunk`` at a time, at most
    ``depth`` chunks ahead of the caller."""
    chunks: queue.Queue = queue.Queue(maxsize=depth)
    stop = threading.Event()
    language = translation.get_language()

    def put(item) -> bool:
        while not stop.is_set():
            try:
                chunks.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def run() -> None:
        try:
            with translation.override(language), connection.execute_wrapper(_no_queries):
                items: list = []
                for item in produce():
                    items.append(item)
                    if len(items) >= chunk:
                        if not put(items):
                            return
                        items = []
                if items and not put(items):
                    return
            put(_DONE)
        except BaseException as error:  # handed to the caller, raised there
            put(_Raised(error))
        finally:
            connection.close()

    thread = threading.Thread(target=run, name="read-ahead", daemon=True)
    thread.start()
    try:
        while True:
            got = chunks.get()
            if got is _DONE:
                return
            if isinstance(got, _Raised):
                raise got.error
            yield from got
    finally:
        stop.set()
        thread.join()


def _no_queries(execute, sql, params, many, context):
    raise RuntimeError("read_ahead: the producing thread must not query the database")

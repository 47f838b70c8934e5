"""Work spread over forked worker processes, with everything that shares a key in one.

A long import is CPU-bound in Python: one process cannot go faster than one core,
however idle the database is. ``Partitioned`` hands items to ``processes`` workers, in
batches, by keys the caller gives with each item (a company's identifiers): an item
that shares a key with an earlier one goes to the same worker, after it, so work that
must see the earlier item's result (a repeat attached to its first submission) does.
When an item shares keys with items in two workers, the other workers first finish
what they were given (their work is then committed and visible to every process), and
the item joins the one still working. The key map is forgotten, after every worker has
finished, whenever it reaches ``max_keys``, so memory stays flat on any file.

``work(items)`` runs in the worker on its items in order and returns ``(result,
held_back)``: the items it held back for its next call (a second item of a company in
one batch go in after the first is written). To finish, a worker calls it again until
nothing is held back. The results come back to the parent from ``put`` and ``finish``,
in the order the workers finish them.

The workers are forked (they inherit the loaded application: nothing is pickled but
the items and the results), so the caller closes its database connections first; a
worker opens its own and closes it at the end. A worker that fails stops the work with
its traceback; a worker that dies does too; a worker whose parent died stops.
"""

import contextlib
import multiprocessing
import os
import queue
import signal
import time
import traceback
from collections.abc import Callable, Hashable, Iterable, Iterator
from typing import Any

from django.db import connections

Work = Callable[[list], tuple[Any, list]]

MAX_KEYS = 200_000  # ~40 MB of keys: about 50,000 companies
AHEAD = 2  # batches a worker may have waiting, beyond the one it works on
POLL = 1.0  # seconds between checks that every worker is alive, while waiting


class WorkerFailed(RuntimeError):
    """A worker process raised (its traceback is the message) or died."""


class Partitioned:
    def __init__(self, processes: int, *, work: Work, batch: int, max_keys: int = MAX_KEYS):
        if processes < 2:
            raise ValueError("Partitioned needs at least two processes")
        self.batch = batch
        self.max_keys = max_keys
        self.owner_of: dict[Hashable, int] = {}
        self.pending: list[list] = [[] for _ in range(processes)]
        self.in_flight = [0] * processes  # messages sent and not answered
        self.drains = 0  # how often workers had to finish first (for the curious)
        context = multiprocessing.get_context("fork")
        self.answers = context.Queue()
        self.inboxes = [context.Queue(maxsize=AHEAD) for _ in range(processes)]
        connections.close_all()  # a forked worker must not share the parent's socket
        self.workers = [
            _Forked(_serve, work, inbox, self.answers, index, os.getpid())
            for index, inbox in enumerate(self.inboxes)
        ]

    def put(self, item, keys: Iterable[Hashable]) -> Iterator[Any]:
        """Give ``item`` to the worker that has its keys (or the least busy one); yields
        the results finished meanwhile."""
        keys = list(keys)
        if len(self.owner_of) >= self.max_keys:
            yield from self._drain(range(len(self.workers)))
            self.owner_of.clear()
        owners = {self.owner_of[key] for key in keys if key in self.owner_of}
        if len(owners) > 1:
            chosen = max(owners, key=self._load)  # the others finish their work first
            yield from self._drain(owners - {chosen})
            owners = {chosen}
        index = owners.pop() if owners else min(range(len(self.workers)), key=self._load)
        for key in keys:
            self.owner_of[key] = index
        self.pending[index].append(item)
        if len(self.pending[index]) >= self.batch:
            yield from self._send(index, drain=False)
            yield from self._answered(block=False)  # (not per item: polling costs)

    def finish(self) -> Iterator[Any]:
        """Have every worker finish its items; yields the remaining results."""
        yield from self._drain(range(len(self.workers)))

    def close(self) -> None:
        """Stop the workers (after ``finish``, or to abandon the work)."""
        for worker, inbox in zip(self.workers, self.inboxes, strict=True):
            if worker.is_alive():
                try:
                    inbox.put(None, timeout=POLL)
                except queue.Full:
                    worker.terminate()
        for worker in self.workers:
            worker.join(timeout=10)
        for channel in (*self.inboxes, self.answers):
            channel.close()
            channel.cancel_join_thread()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def _load(self, index: int) -> int:
        return self.in_flight[index] * self.batch + len(self.pending[index])

    def _send(self, index: int, *, drain: bool) -> Iterator[Any]:
        items, self.pending[index] = self.pending[index], []
        while True:  # wait for room, taking answers meanwhile (workers never wait on us)
            try:
                self.inboxes[index].put((items, drain), timeout=POLL)
                break
            except queue.Full:
                self._check_alive()
                yield from self._answered(block=False)
        self.in_flight[index] += 1

    def _drain(self, indexes: Iterable[int]) -> Iterator[Any]:
        indexes = list(indexes)
        self.drains += 1
        for index in indexes:
            yield from self._send(index, drain=True)
        while any(self.in_flight[index] for index in indexes):
            yield from self._answered(block=True)

    def _answered(self, *, block: bool) -> Iterator[Any]:
        while True:
            try:
                index, failure, results = self.answers.get(block=block, timeout=POLL)
            except queue.Empty:
                if not block:
                    return
                self._check_alive()
                continue
            if failure:
                raise WorkerFailed(failure)
            self.in_flight[index] -= 1
            yield from results
            if block:
                return

    def _check_alive(self) -> None:
        for index, worker in enumerate(self.workers):
            if not worker.is_alive() and self.in_flight[index]:
                # It may have said why just before it ended: the answers the others
                # sent meanwhile no longer matter, the work stops.
                with contextlib.suppress(queue.Empty):
                    while True:
                        _index, failure, _results = self.answers.get(timeout=POLL)
                        if failure:
                            raise WorkerFailed(failure)
                raise WorkerFailed(f"Worker {index} stopped (exit code {worker.exitcode}).")


class _Forked:
    """A worker process forked with ``os.fork``. (``multiprocessing.Process`` refuses to
    start one from a Celery worker's pool process, which is daemonic, and an uploaded
    file is imported there. Ours stop by themselves when their parent dies.)"""

    def __init__(self, target: Callable, *args):
        self.exitcode: int | None = None
        self.pid = os.fork()
        if self.pid == 0:  # the worker
            code = 1
            try:
                target(*args)
                code = 0
            finally:
                os._exit(code)

    def is_alive(self) -> bool:
        if self.exitcode is None:
            pid, status = os.waitpid(self.pid, os.WNOHANG)
            if pid:
                self.exitcode = os.waitstatus_to_exitcode(status)
        return self.exitcode is None

    def join(self, timeout: float) -> None:
        """Wait for the worker to end; after ``timeout`` seconds end it (SIGTERM, and
        SIGKILL if that was not enough within as long again)."""
        for then in (self.terminate, self.kill):
            deadline = time.monotonic() + timeout
            while self.is_alive() and time.monotonic() < deadline:
                time.sleep(0.01)
            if not self.is_alive():
                return
            then()
        if self.exitcode is None:  # SIGKILL cannot be refused
            _pid, status = os.waitpid(self.pid, 0)
            self.exitcode = os.waitstatus_to_exitcode(status)

    def terminate(self) -> None:
        if self.is_alive():
            os.kill(self.pid, signal.SIGTERM)

    def kill(self) -> None:
        if self.is_alive():
            os.kill(self.pid, signal.SIGKILL)


_INHERITED: list = []  # in a worker: the parent's open connections, never used nor let go


def _set_aside_inherited_connections() -> None:
    """Open connections the worker inherited are the parent's sessions: using one would
    mix the two processes' statements on one socket, and closing or collecting one
    would end the parent's session. They are kept aside, untouched (the worker ends
    with ``os._exit``, which collects nothing), and the worker connects anew. (The
    parent closes its connections before forking; in one test run a connection that
    ``close_all`` had not closed was inherited all the same.)"""
    for connection in connections.all():
        if connection.connection is not None:
            _INHERITED.append(connection.connection)
            connection.connection = None
            connection.closed_in_transaction = False


def _serve(work: Work, inbox, answers, index: int, parent: int) -> None:
    """A worker's loop: each message is a list of items (and whether to drain); the
    answer is the list of results of the calls of ``work`` it made. ``parent`` is the
    forking process's id, taken before the fork: a parent killed before the worker first
    ran would otherwise be missed (the worker would read its new parent's id as its
    parent's and wait for ever; it happened once under CI's load)."""
    held: list = []
    _set_aside_inherited_connections()
    try:
        while True:
            try:
                message = inbox.get(timeout=POLL)
            except queue.Empty:
                if os.getppid() != parent:  # the parent was killed: nobody waits for us
                    answers.cancel_join_thread()  # nor reads what we sent
                    return
                continue
            if message is None:
                return
            items, drain = message
            held.extend(items)
            results = []
            try:
                while held:
                    result, held = work(held)
                    results.append(result)
                    if not drain:
                        break
            except Exception:
                answers.put((index, traceback.format_exc(), []))
                return
            answers.put((index, "", results))
    finally:
        connections.close_all()
        answers.close()
        answers.join_thread()  # its thread sends what was put; then the worker may end

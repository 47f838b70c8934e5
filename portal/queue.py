"""Handing work to the Celery workers without ever making a request wait on the broker.

Whatever a request must get done later is first a row written in its own transaction:
a notification to e-mail (``Notification.send_email``), a prospect's confirmation
(``Lead.confirmation_due_at``), an uploaded import (``ImportJob`` pending). That is the
outbox. After the commit, ``publish`` asks a worker to act on it at once; when the
broker does not answer within ``TIMEOUT`` (100 ms) the row simply waits, and the
periodic sweeps of the beat schedule (or the demo's timer loop) act on it within a
minute of the broker coming back. Acting is claimed in the database, so a task and a
sweep that both get to a row act once.

After a failed publish the broker is left alone for ``RETRY_AFTER`` seconds, so during
an outage a request does not even try; the outage is logged as an error once, and again
at most every ``RETRY_AFTER`` seconds while it lasts.

A request does not publish one task per row: ``publish_or_sweep`` asks for the outbox
sweep of that kind of row (``deliver_pending_notifications``, ``confirm_pending_receipts``)
to run ``SWEEP_AFTER`` (1 s) later, and only when this process has not asked for it in
the last second. Under load a request then publishes nothing, and one task sends what a
second's requests wrote. The ask is made after the commit, so every row of a request
that skipped it was committed before the task that was asked for runs. Without a broker
(the demo, tests: ``task_always_eager``) the task for the rows themselves runs at once.

Publishing uses its own connection per thread (and per process: a forked one starts
without the parent's) with short timeouts and no retries
(``broker_transport_options`` keep their values for the workers, which should wait
for the broker, not give up). The broker's transport (kombu's and the Redis client's
modules, 0.3-0.5 s to import) is loaded when the process starts (``prepare``, from
``portal.users``' ``ready``), so the first publish of a process keeps to ``TIMEOUT``
too.
"""

import logging
import os
import threading
import time

from celery import Task

log = logging.getLogger(__name__)

TIMEOUT = 0.1  # seconds a publish may take before the outbox takes over
RETRY_AFTER = 10.0  # seconds the broker is left alone after a failure

SWEEP_AFTER = 1.0  # seconds: a request's outbox rows are sent by a sweep this much later

_local = threading.local()
_state = {"down_until": 0.0, "down_since": None}
_sweep_asked: dict[str, float] = {}  # task name → until when a sweep is on its way
_lock = threading.Lock()


def publish(task: Task, *args, countdown: float | None = None, **kwargs) -> bool:
    """Queue ``task(*args, **kwargs)`` for a worker (``countdown`` seconds later); False
    when it was not queued (the broker is down or slow: the row it works on waits for
    the sweep). Never raises."""
    if task.app.conf.task_always_eager:  # no broker (the demo, tests): run it here
        return not task.apply(args=args, kwargs=kwargs).failed()
    if time.monotonic() < _state["down_until"]:
        return False
    try:
        task.apply_async(
            args=args,
            kwargs=kwargs,
            countdown=countdown,
            connection=_connection(task),
            retry=False,
        )
    except Exception as error:
        _broker_down(error)
        return False
    if _state["down_since"] is not None:
        with _lock:
            log.warning("The broker is reachable again (down since %s).", _state["down_since"])
            _state["down_since"] = None
    return True


def publish_or_sweep(task: Task, *args, sweep: Task) -> bool:
    """Get ``task(*args)`` done on rows already in the outbox: at once without a broker;
    with one, by asking for ``sweep`` (which acts on every pending row of that kind) in
    ``SWEEP_AFTER`` seconds, unless this process already asked within that time."""
    now = time.monotonic()
    # (first: reading the app's settings costs a request more than the rest of this)
    if now < _sweep_asked.get(sweep.name, 0.0):
        return True  # the sweep that was asked for runs after this request's commit
    if task.app.conf.task_always_eager:  # (then no sweep is ever asked for)
        return publish(task, *args)
    _sweep_asked[sweep.name] = now + SWEEP_AFTER
    return publish(sweep, countdown=SWEEP_AFTER)


def prepare(app) -> None:
    """Load the broker's transport now, not in the first request that publishes: making
    a connection object (it does not connect) imports kombu's transport for the URL."""
    if app.conf.task_always_eager:
        return
    try:
        app.connection_for_write().release()
    except Exception as error:  # an unknown scheme: the first publish will say so
        log.error("The broker's transport could not be loaded: %s", error)


def _connection(task: Task):
    """This thread's publishing connection to the broker the app points at now."""
    url = task.app.conf.broker_url
    connection = getattr(_local, "connection", None)
    if connection is None or _local.url != url:
        if connection is not None:
            connection.release()
        connection = task.app.connection_for_write(
            url,
            connect_timeout=TIMEOUT,
            transport_options={
                "max_retries": 0,
                "socket_connect_timeout": TIMEOUT,
                "socket_timeout": TIMEOUT,
            },
        )
        _local.connection, _local.url = connection, url
    return connection


def _broker_down(error: Exception) -> None:
    with _lock:
        _state["down_until"] = time.monotonic() + RETRY_AFTER
        if _state["down_since"] is None:
            _state["down_since"] = time.strftime("%H:%M:%S")
    connection = getattr(_local, "connection", None)
    if connection is not None:  # start afresh next time: the socket may be half-open
        connection.release()
        _local.connection = None
    log.error(
        "The broker did not take a task within %d ms (%s); work waits in the outbox and "
        "the periodic sweeps send it. Not trying again for %d s.",
        TIMEOUT * 1000,
        error,
        RETRY_AFTER,
    )


_inherited: list = []  # in a forked process: the parent's publishing connections


def _forget_after_fork() -> None:
    """A forked process (an import's worker, a pool's child) publishes on a connection
    of its own: one inherited from the parent is the parent's socket, and two processes
    writing on one socket garble each other's frames. The inherited one is kept, not
    closed (closing an AMQP connection says so on the parent's socket)."""
    global _local
    connection = getattr(_local, "connection", None)
    if connection is not None:
        _inherited.append(connection)
    _local = threading.local()


os.register_at_fork(after_in_child=_forget_after_fork)


def reset() -> None:
    """Forget a broker outage and the sweeps asked for (tests)."""
    _sweep_asked.clear()
    with _lock:
        _state["down_until"], _state["down_since"] = 0.0, None
    connection = getattr(_local, "connection", None)
    if connection is not None:
        connection.release()
        _local.connection = None

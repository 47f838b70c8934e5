"""A process-wide cache of the slowly changing rows read on every lead: the routing
context, the policy, permission ids, dealer groups, the integrations' API keys.

A version string in the shared cache (Redis in production) changes whenever one of those
rows is written: one mechanism, the signals of ``leads.signals`` (``post_save``,
``post_delete``, and ``portal.db.rows_written`` for a queryset's ``update`` and
``bulk_create`` on the models in ``ROUTING_WORLD``, whose managers send it); no service
calls ``changed`` by hand. Each process checks the version at most once a second and
throws its copies away when it changed. A change made in this process is seen
at once; one made elsewhere within a second.

While the shared cache is down (``portal.cache``), no process can hear of another's
change: each keeps its copies for a second only, reading the rows from the database
again after that. The first process that reaches the cache after an outage it noticed
starts a new version, so no process keeps a copy from before a change made during it.
"""

import threading
import time
import uuid

from django.core.cache import cache
from django.db import transaction

VERSION_KEY = "routing:world-version"
CHECK_EVERY = 1.0  # seconds

_local = threading.local()
_store: dict = {}
_state = {"version": None, "checked": 0.0, "outage": False}
_lock = threading.Lock()


def changed(**_signal_kwargs) -> None:
    """Invalidate every process's copies (a new random version), now and again when the
    transaction commits, so no process keeps a copy read before the change was visible.
    However many rows a transaction changes, it bumps once more at its commit."""
    _bump()
    pending = transaction.get_connection().run_on_commit
    if not any(func is _bump_at_commit for _sids, func, _robust in pending):
        transaction.on_commit(_bump_at_commit)


def _bump_at_commit() -> None:
    _bump()


def _bump() -> None:
    cache.set(VERSION_KEY, uuid.uuid4().hex, timeout=None)
    if getattr(cache, "degraded", False):
        _state["outage"] = True  # tell the others when the cache is back
    with _lock:
        _store.clear()
        _state["checked"] = 0.0


def version() -> str:
    now = time.monotonic()
    if now - _state["checked"] < CHECK_EVERY and _state["version"] is not None:
        return _state["version"]
    current = _shared_version()
    with _lock:
        if current != _state["version"]:
            _store.clear()
        _state["version"], _state["checked"] = current, now
    return current


def _shared_version() -> str:
    """The version in the shared cache; while it is down, a new one at every check."""
    if getattr(cache, "degraded", False):
        _state["outage"] = True
        return uuid.uuid4().hex
    if _state["outage"]:  # a change during the outage may not have reached everyone
        cache.set(VERSION_KEY, uuid.uuid4().hex, timeout=None)
        _state["outage"] = getattr(cache, "degraded", False)
    current = cache.get(VERSION_KEY)
    if current is None:
        cache.add(VERSION_KEY, uuid.uuid4().hex, timeout=None)
        current = cache.get(VERSION_KEY)
    if current is None or getattr(cache, "degraded", False):  # it went down just now
        _state["outage"] = True
        return uuid.uuid4().hex
    return current


def cached(key, build, *, keep_none: bool = True):
    """``build()``'s result, kept until the world changes (a None result only with
    ``keep_none``: lookups of keys that anybody can make up must not fill the store)."""
    version()
    try:
        return _store[key]
    except KeyError:
        value = build()
        if value is not None or keep_none:
            with _lock:
                _store[key] = value
        return value


def reset() -> None:
    """Forget everything (tests: the database was rolled back under us)."""
    with _lock:
        _store.clear()
        _state["version"], _state["checked"], _state["outage"] = None, 0.0, False

"""The shared cache (Redis) as something the portal can work without for a while.

Django's Redis backend raises on every call while Redis is unreachable, which would turn
every sign-in (allauth counts attempts in the cache), every API request (keys and the
routing world are cached) and the inquiry form into a 500. ``ResilientRedisCache``
answers as an empty cache instead, and says so loudly:

- reads miss (``get`` gives the default, ``get_many`` nothing, ``has_key`` False), so
  whatever was cached is read from the database;
- writes are dropped; ``add`` answers True (as if the key was free), so a lock taken in
  the cache (allauth's rate limiter) does not spin, and ``incr`` raises ``ValueError``
  (as for a key that is not there), so rate limits fail open: with the cache down,
  logins and inquiries are not counted, but they work;
- ``degraded`` is True while the cache is down, for code whose correctness depends on the
  cache (``leads.world`` then keeps its copies only briefly).

After a failure Redis is left alone for ``RETRY_AFTER`` seconds, so an outage costs a
request nothing: no connection attempt, no timeout. The first failure is logged as an
error, the recovery as a warning. Connections time out after ``SOCKET_TIMEOUT``.
"""

import logging
import math
import os
import threading
import time
from contextlib import contextmanager

from django.core.cache.backends.redis import RedisCache, RedisCacheClient
from redis.exceptions import RedisError

log = logging.getLogger(__name__)

RETRY_AFTER = 5.0  # seconds Redis is left alone after a failure
SOCKET_TIMEOUT = 0.5  # seconds to connect, and to wait for an answer

_lock = threading.Lock()
_down_until: dict[str, float] = {}  # per location, shared by the threads of a process


class _Unavailable(Exception):
    pass


class OneClientPerPool(RedisCacheClient):
    """Django's client builds a new ``redis.Redis`` object for every cache call (each
    builds its table of response callbacks: about four per API request). A client is
    thread-safe over its connection pool, so one per pool serves every call."""

    def get_client(self, key=None, *, write=False):
        pool = self._get_connection_pool(write)
        clients = self.__dict__.setdefault("_clients", {})
        if (client := clients.get(id(pool))) is None:
            client = clients[id(pool)] = self._client(connection_pool=pool)
        return client


class ResilientRedisCache(RedisCache):
    def __init__(self, server, params):
        params = {**params, "OPTIONS": {**_TIMEOUTS, **params.get("OPTIONS", {})}}
        super().__init__(server, params)
        self._class = OneClientPerPool
        self._location = ",".join(self._servers)

    @property
    def degraded(self) -> bool:
        return time.monotonic() < _down_until.get(self._location, 0.0)

    @contextmanager
    def _guard(self):
        if self.degraded:
            raise _Unavailable
        try:
            yield
        except RedisError as error:
            with _lock:
                first = self._location not in _down_until
                _down_until[self._location] = time.monotonic() + RETRY_AFTER
            if first:
                log.error(
                    "The cache (Redis at %s) is unreachable (%s). Working without it: rate "
                    "limits are open and cached rows are read from the database.",
                    self._location,
                    error,
                )
            raise _Unavailable from error
        else:
            if self._location in _down_until:
                with _lock:
                    if _down_until.pop(self._location, None) is not None:
                        log.warning("The cache (Redis at %s) is back.", self._location)

    def _call(self, method, *args, unavailable=None, **kwargs):
        try:
            with self._guard():
                return method(*args, **kwargs)
        except _Unavailable:
            if isinstance(unavailable, type) and issubclass(unavailable, Exception):
                raise unavailable("The cache is unavailable.") from None
            return unavailable

    def add(self, key, *args, **kwargs):
        return self._call(super().add, key, *args, unavailable=True, **kwargs)

    def get(self, key, default=None, version=None):
        return self._call(super().get, key, default, version, unavailable=default)

    def set(self, key, *args, **kwargs):
        return self._call(super().set, key, *args, **kwargs)

    def touch(self, key, *args, **kwargs):
        return self._call(super().touch, key, *args, unavailable=False, **kwargs)

    def delete(self, key, *args, **kwargs):
        return self._call(super().delete, key, *args, unavailable=False, **kwargs)

    def get_many(self, keys, *args, **kwargs):
        return self._call(super().get_many, keys, *args, unavailable={}, **kwargs)

    def has_key(self, key, *args, **kwargs):
        return self._call(super().has_key, key, *args, unavailable=False, **kwargs)

    def incr(self, key, *args, **kwargs):
        return self._call(super().incr, key, *args, unavailable=ValueError, **kwargs)

    def set_many(self, data, *args, **kwargs):
        return self._call(super().set_many, data, *args, unavailable=list(data), **kwargs)

    def delete_many(self, keys, *args, **kwargs):
        return self._call(super().delete_many, keys, *args, **kwargs)

    def clear(self):
        return self._call(super().clear, unavailable=False)

    def sliding_log(
        self, key: str, *, now: float, window: float, limit: int
    ) -> tuple[bool, int, float | None] | None:
        """DRF's throttle history (the moments of the requests of the last ``window``
        seconds; one more is allowed, and recorded at ``now``, while fewer than ``limit``
        are in it) kept by Redis, in one round trip: the old entries dropped, counted,
        and this one added by one script, instead of the whole history read, unpickled,
        pickled and written back on every request (a busy key's history holds thousands
        of moments). Returns (allowed, requests in the window then, the oldest moment),
        or None while Redis is down: then nothing is counted and every request is let
        through, as DRF's throttle does with a cache that answers as an empty one."""
        key = self.make_and_validate_key(key)

        def run():
            client = self._cache.get_client(key, write=True)
            scripts = self.__dict__.setdefault("_sliding_log", {})
            if (script := scripts.get(id(client))) is None:
                script = scripts[id(client)] = client.register_script(_SLIDING_LOG)
            member = f"{now!r}:{os.urandom(6).hex()}"  # (moments may repeat)
            allowed, count, oldest = script(
                keys=[key], args=[repr(now), repr(window), limit, member, math.ceil(window)]
            )
            return bool(allowed), int(count), None if oldest is None else float(oldest)

        return self._call(run, unavailable=None)


# KEYS[1]: the log (a sorted set of moments); ARGV: now, window, limit, a member for now,
# seconds to keep the log. DRF drops a moment when it is ``<= now - window``.
_SLIDING_LOG = """
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', tonumber(ARGV[1]) - tonumber(ARGV[2]))
local count = redis.call('ZCARD', KEYS[1])
local allowed = 0
if count < tonumber(ARGV[3]) then
  redis.call('ZADD', KEYS[1], ARGV[1], ARGV[4])
  redis.call('EXPIRE', KEYS[1], ARGV[5])
  allowed = 1
  count = count + 1
end
local oldest = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')[2]
return {allowed, count, oldest or false}
"""

_TIMEOUTS = {"socket_connect_timeout": SOCKET_TIMEOUT, "socket_timeout": SOCKET_TIMEOUT}


def reset() -> None:
    """Forget outages (tests)."""
    with _lock:
        _down_until.clear()

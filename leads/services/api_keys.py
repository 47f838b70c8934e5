"""API keys: created once and shown once; only a SHA-256 hash is kept.

A key looks like ``dp_<prefix>.<secret>``: the prefix finds the row by an indexed
column, the hash of the whole key is compared in constant time. Keys carry 256 bits
of randomness, so a fast hash is as safe as a slow one and costs microseconds per
request instead of the hundreds of milliseconds a password hasher takes. Active keys
are kept in the process-wide world cache (``leads.world``): revoking a key, deactivating
its integration or its person changes the world, so every process drops the key at once
or, in another process, within a second.
"""

import hashlib
import hmac
import secrets

from django.utils import timezone

from leads import world
from leads.models import ApiKey, Integration

KEY_PREFIX = "dp_"


def _hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def api_key_create(
    *, name: str, integration: Integration | None = None, user=None, scopes=None
) -> tuple[ApiKey, str]:
    """Create a key for an integration or a person; returns the row and the key text.
    An integration's key posts leads unless ``scopes`` says otherwise."""
    prefix = secrets.token_hex(6)
    key = f"{KEY_PREFIX}{prefix}.{secrets.token_urlsafe(32)}"
    api_key = ApiKey.objects.create(
        name=name,
        integration=integration,
        user=user,
        prefix=prefix,
        hashed_key=_hash(key),
        scopes=list(scopes or [ApiKey.Scope.LEADS]),
    )
    return api_key, key


def api_key_check(key: str) -> ApiKey | None:
    """The active key row for ``key``, or None."""
    if not key.startswith(KEY_PREFIX) or "." not in key:
        return None
    prefix = key[len(KEY_PREFIX) :].split(".", 1)[0]
    api_key = world.cached(
        ("api-key", prefix),
        lambda: (
            ApiKey.objects.select_related("integration", "user")
            .filter(prefix=prefix, revoked_at__isnull=True)
            .first()
        ),
        keep_none=False,
    )
    if api_key is None or not hmac.compare_digest(api_key.hashed_key, _hash(key)):
        return None
    if api_key.integration is not None and not api_key.integration.is_active:
        return None
    if api_key.user is not None and not api_key.user.is_active:
        return None
    return api_key


def api_key_touch(api_key: ApiKey) -> None:
    """Record use, at most once a minute per key (no write on every request)."""
    now = timezone.now()
    if api_key.last_used_at is None or (now - api_key.last_used_at).total_seconds() > 60:
        ApiKey.objects.filter(pk=api_key.pk).update(last_used_at=now)
        api_key.last_used_at = now


def api_key_revoke(*, api_key: ApiKey) -> None:
    ApiKey.objects.filter(pk=api_key.pk, revoked_at__isnull=True).update(revoked_at=timezone.now())

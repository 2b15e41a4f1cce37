"""A tiny in-process, Redis-like key/value store.

Used for webhook de-duplication where a per-process memory is enough. It mimics
the few commands we need so call sites read like Redis code; it is *not* a Redis
client and never opens a connection (nothing like ``Redis.from_url(...)`` here).
"""

from __future__ import annotations

import time


class Redis:
    """Redis-like dict with per-key expiry (SET NX EX / GET / DELETE)."""

    def __init__(self) -> None:
        self._data: dict[str, tuple[str, float | None]] = {}

    def _alive(self, key: str) -> bool:
        item = self._data.get(key)
        if item is None:
            return False
        _value, expires_at = item
        if expires_at is not None and expires_at <= time.monotonic():
            del self._data[key]
            return False
        return True

    def get(self, key: str) -> str | None:
        return self._data[key][0] if self._alive(key) else None

    def set(self, key: str, value: str, *, ex: float | None = None, nx: bool = False) -> bool:
        if nx and self._alive(key):
            return False
        self._data[key] = (value, time.monotonic() + ex if ex else None)
        return True

    def delete(self, key: str) -> int:
        return 1 if self._data.pop(key, None) is not None else 0


seen_webhooks = Redis()

"""Distributed locks so that two API workers never process the same order."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from redis.asyncio import ConnectionPool, Redis
from redis.exceptions import LockError

from backend import settings

_lock_pool = ConnectionPool.from_url(settings.REDIS_URL)
lock_redis = Redis(connection_pool=_lock_pool)


class ResourceBusy(Exception):
    """Another worker holds the lock."""


@asynccontextmanager
async def exclusive(resource: str, *, ttl: float = 10.0, wait: float = 0.5) -> AsyncIterator[None]:
    lock = lock_redis.lock(f"lock:{resource}", timeout=ttl, blocking_timeout=wait)
    if not await lock.acquire():
        raise ResourceBusy(resource)
    try:
        yield
    finally:
        try:
            await lock.release()
        except LockError:
            pass  # expired while we worked; nothing left to release

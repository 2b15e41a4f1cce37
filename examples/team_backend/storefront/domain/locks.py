"""Cluster-wide mutual exclusion for work that must not run twice at once."""

from collections.abc import Awaitable, Callable
from typing import TypeVar

from redis.asyncio import Redis

from storefront.config import settings

T = TypeVar("T")


async def exclusively(name: str, work: Callable[[], Awaitable[T]], wait_seconds: float = 0.5) -> T:
    """Run ``work`` holding ``lock:<name>``; raises redis.exceptions.LockError if it is taken."""
    r = Redis.from_url(settings.redis_url)  # bytes are fine: only the lock token goes through it
    try:
        async with r.lock(f"lock:{name}", timeout=10, blocking_timeout=wait_seconds):
            return await work()
    finally:
        await r.aclose()

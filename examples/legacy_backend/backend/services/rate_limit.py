"""Fixed-window rate limiting (INCR + EXPIRE per window)."""

from __future__ import annotations

from redis.asyncio import Redis

from backend import settings

# Not Redis.from_url(...) at import time: the client is created on first use.
_client: Redis | None = None


def _get_client() -> Redis:
    """Create the limiter's client on first use."""
    global _client
    if _client is None:
        _client = Redis.from_url(settings.REDIS_URL)
    return _client


async def check_rate_limit(bucket: str, limit: int, window_seconds: int) -> tuple[bool, int]:
    """Count one hit in ``bucket``; returns (allowed, seconds until the window resets)."""
    client = _get_client()
    key = f"ratelimit:{bucket}"
    hits = await client.incr(key)
    if hits == 1:
        await client.expire(key, window_seconds)
    ttl = await client.ttl(key)
    return hits <= limit, max(int(ttl), 0)

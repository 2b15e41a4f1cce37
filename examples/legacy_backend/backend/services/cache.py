"""JSON read-through cache for slow lookups (product details, price lists)."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import Any

from redis.asyncio import Redis

from backend import settings


class RedisCache:
    """Small JSON cache with a key prefix and a default TTL.

    Owns its own connection: ``self._redis = Redis.from_url(...)`` below is one
    of the instantiation points phase 2 removes (seed §4.4).
    """

    def __init__(self, prefix: str = "cache", default_ttl: int = settings.PRODUCT_CACHE_TTL_SECONDS) -> None:
        self.prefix = prefix
        self.default_ttl = default_ttl
        self._redis = Redis.from_url(settings.REDIS_URL)

    def _key(self, key: str) -> str:
        return f"{self.prefix}:{key}"

    async def get_json(self, key: str) -> Any | None:
        raw = await self._redis.get(self._key(key))
        return json.loads(raw) if raw is not None else None

    async def set_json(self, key: str, value: Any, ttl: int | None = None) -> None:
        await self._redis.setex(self._key(key), ttl or self.default_ttl, json.dumps(value))

    async def invalidate(self, key: str) -> None:
        await self._redis.delete(self._key(key))

    async def get_or_load(self, key: str, loader: Callable[[], Awaitable[Any]], ttl: int | None = None) -> Any:
        cached = await self.get_json(key)
        if cached is not None:
            return cached
        value = await loader()
        if value is not None:
            await self.set_json(key, value, ttl)
        return value


cache = RedisCache()

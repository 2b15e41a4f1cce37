"""Shopping carts: ``cart:<id>`` hashes of sku -> quantity."""

from __future__ import annotations

import redis.asyncio as redis
from redis.asyncio.client import Pipeline

from backend import settings
from backend.encoding import text

carts_redis = redis.Redis.from_url(settings.REDIS_URL)


def _key(cart_id: str) -> str:
    return f"cart:{cart_id}"


async def add_item(cart_id: str, sku: str, quantity: int = 1) -> dict[str, int]:
    """Add ``quantity`` of ``sku`` and refresh the cart's expiry atomically."""
    key = _key(cart_id)
    async with carts_redis.pipeline(transaction=True) as pipe:
        pipe.hincrby(key, sku, quantity)
        pipe.expire(key, settings.CART_TTL_SECONDS)
        pipe.hgetall(key)
        _, _, items = await pipe.execute()
    return {text(k): int(v) for k, v in items.items()}


async def checkout(cart_id: str) -> dict[str, int]:
    """Take the cart's contents and delete it in one WATCH/MULTI transaction."""
    key = _key(cart_id)

    async def _take(pipe: Pipeline) -> dict[str, int]:
        items = await pipe.hgetall(key)
        pipe.multi()
        pipe.delete(key)
        return {text(k): int(v) for k, v in items.items()}

    return await carts_redis.transaction(_take, key, value_from_callable=True)

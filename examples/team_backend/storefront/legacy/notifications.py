"""In-app notifications, ported from the old notifications service (aioredis 1.x)."""

import aioredis

from storefront.config import settings

_pool = None


async def get_pool():
    global _pool
    if _pool is None:
        _pool = await aioredis.create_redis_pool(settings.redis_url, encoding="utf-8")
    return _pool


async def remember(user_id: str, payload: dict[str, str]) -> None:
    redis = await get_pool()
    await redis.hmset_dict(f"notif:{user_id}", payload)
    await redis.set(f"notif:{user_id}:seen", "0", expire=300)
    await redis.zadd("notif:recent", 10, user_id)


async def shutdown() -> None:
    global _pool
    if _pool is not None:
        _pool.close()
        await _pool.wait_closed()
        _pool = None

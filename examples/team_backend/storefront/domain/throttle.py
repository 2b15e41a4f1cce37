"""Fixed-window rate limiting: a counter per caller that expires with its window."""

from redis.asyncio import Redis

from storefront.config import settings

rate_limit_redis = Redis.from_url(settings.redis_url, decode_responses=True)


async def within_rate_limit(bucket: str, limit: int, window_seconds: int = 60) -> bool:
    key = f"rate:{bucket}"
    hits = await rate_limit_redis.incr(key)
    if hits == 1:
        await rate_limit_redis.expire(key, window_seconds)
    return hits <= limit

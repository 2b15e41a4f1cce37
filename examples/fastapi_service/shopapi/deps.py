"""Request dependencies."""

from redis.asyncio import Redis

from shopapi import settings


async def get_redis_conn():
    r = Redis.from_url(settings.REDIS_URL, decode_responses=True)
    try:
        yield r
    finally:
        await r.aclose()

"""Redis clients for code that runs outside a request (services, scripts)."""

from redis.asyncio import Redis

from shopapi import settings


def make_client() -> Redis:
    return Redis.from_url(settings.REDIS_URL, decode_responses=True)

"""Domain events, fanned out over Redis pub/sub to whoever listens (mailer, analytics)."""

import json

from redis.asyncio import Redis

from storefront.config import settings

ORDERS_CHANNEL = "orders:placed"

_bus = Redis.from_url(settings.redis_url, decode_responses=True)


async def announce(event: dict) -> int:
    """Publish an event; returns how many subscribers got it."""
    return await _bus.publish(ORDERS_CHANNEL, json.dumps(event, sort_keys=True))

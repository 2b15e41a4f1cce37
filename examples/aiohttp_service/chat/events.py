"""Room events, published for the websocket gateway (a separate service) to fan out."""

import json

import redis.asyncio as redis

from chat import config

publisher = redis.from_url(config.REDIS_URL, decode_responses=True)


async def publish(room: str, event: dict) -> int:
    return await publisher.publish(f"room:{room}", json.dumps(event))

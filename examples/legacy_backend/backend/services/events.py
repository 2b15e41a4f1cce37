"""Domain events fanned out over Redis pub/sub (``events:<topic>`` channels)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any

from redis.asyncio import from_url as make_redis

from backend import settings

events_redis = make_redis(settings.REDIS_URL)


def channel_for(topic: str) -> str:
    return f"events:{topic}"


async def publish_event(topic: str, payload: dict[str, Any]) -> int:
    """Publish ``payload`` as JSON; returns how many subscribers received it."""
    return int(await events_redis.publish(channel_for(topic), json.dumps(payload)))


async def subscribe_events(topic: str, *, poll_seconds: float = 1.0) -> AsyncIterator[dict[str, Any]]:
    """Yield events published on ``topic`` until the consumer stops iterating."""
    async with events_redis.pubsub() as pubsub:
        await pubsub.subscribe(channel_for(topic))
        while True:
            message = await pubsub.get_message(ignore_subscribe_messages=True, timeout=poll_seconds)
            if message is not None:
                yield json.loads(message["data"])


async def next_event(topic: str, timeout: float) -> dict[str, Any] | None:
    """Wait at most ``timeout`` seconds for the next event on ``topic`` (long polling)."""
    events = subscribe_events(topic, poll_seconds=min(timeout, 0.2))
    try:
        return await asyncio.wait_for(anext(events), timeout)
    except asyncio.TimeoutError:
        return None
    finally:
        await events.aclose()

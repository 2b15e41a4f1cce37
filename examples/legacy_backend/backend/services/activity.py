"""User activity feed on the ``activity`` stream (XADD / XREAD)."""

from __future__ import annotations

from typing import Any

from redis.asyncio import StrictRedis

from backend import settings
from backend.encoding import text, text_dict

STREAM_KEY = "activity"
STREAM_MAXLEN = 10_000

activity_redis = StrictRedis.from_url(settings.REDIS_URL)


async def record_activity(user_id: int, action: str, **fields: str) -> str:
    entry = {"user_id": str(user_id), "action": action, **fields}
    entry_id = await activity_redis.xadd(STREAM_KEY, entry, maxlen=STREAM_MAXLEN, approximate=True)
    return text(entry_id)


async def read_activity(after: str = "0-0", count: int = 50, block_ms: int | None = None) -> list[dict[str, Any]]:
    """Entries newer than ``after``; with ``block_ms`` waits for new ones."""
    response = await activity_redis.xread({STREAM_KEY: after}, count=count, block=block_ms)
    entries: list[dict[str, Any]] = []
    for _stream, messages in response:
        for entry_id, data in messages:
            entries.append({"id": text(entry_id), **text_dict(data)})
    return entries

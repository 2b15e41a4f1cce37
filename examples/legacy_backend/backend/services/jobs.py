"""Background jobs queued on the ``queue:jobs`` list (LPUSH in, BRPOP out)."""

from __future__ import annotations

import json
import uuid
from typing import Any

from redis.asyncio import BlockingConnectionPool, Redis

from backend import settings

QUEUE_KEY = "queue:jobs"

_queue_pool = BlockingConnectionPool.from_url(settings.REDIS_URL, max_connections=10)
queue_redis = Redis.from_pool(_queue_pool)


async def enqueue_job(kind: str, args: dict[str, Any]) -> str:
    job_id = uuid.uuid4().hex
    await queue_redis.lpush(QUEUE_KEY, json.dumps({"id": job_id, "kind": kind, "args": args}))
    return job_id


async def dequeue_job(timeout: float = 5.0) -> dict[str, Any] | None:
    """Block up to ``timeout`` seconds for the oldest job."""
    item = await queue_redis.brpop([QUEUE_KEY], timeout=timeout)
    if item is None:
        return None
    _key, raw = item
    return json.loads(raw)


async def queue_length() -> int:
    return int(await queue_redis.llen(QUEUE_KEY))

"""Scheduled tasks on arq (``arq backend.workers.arq_tasks.WorkerSettings``).

arq manages its own Redis pool from ``RedisSettings``; nothing here creates a
redis-py client, and ``create_pool`` below is arq's, not aioredis'.
"""

from __future__ import annotations

from typing import Any

from arq import create_pool, cron
from arq.connections import RedisSettings

from backend import settings

ARQ_REDIS = RedisSettings.from_dsn(settings.REDIS_URL)


async def purge_abandoned_carts(ctx: dict[str, Any]) -> int:
    """Placeholder for the real purge; carts expire on their own TTL today."""
    return 0


async def schedule_purge_now() -> str:
    arq_pool = await create_pool(ARQ_REDIS)
    try:
        job = await arq_pool.enqueue_job("purge_abandoned_carts")
        return job.job_id if job else ""
    finally:
        await arq_pool.aclose()


class WorkerSettings:
    functions = [purge_abandoned_carts]
    cron_jobs = [cron(purge_abandoned_carts, hour={3}, minute={15})]
    redis_settings = ARQ_REDIS

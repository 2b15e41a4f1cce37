"""Job runner: pops jobs from ``queue:jobs`` and records their outcome."""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any

from backend import settings
from backend.services.jobs import dequeue_job
from backend.services.redis_client import get_redis, init_redis

log = logging.getLogger(__name__)


async def _send_order_confirmation(args: dict[str, Any]) -> str:
    return f"confirmation queued for user {args['user_id']}"


HANDLERS = {"send_order_confirmation": _send_order_confirmation}


async def run_once(timeout: float = 5.0) -> dict[str, Any] | None:
    """Process at most one job; returns it with its outcome, or None when idle."""
    job = await dequeue_job(timeout)
    if job is None:
        return None
    handler = HANDLERS.get(job["kind"])
    outcome = await handler(job["args"]) if handler else f"unknown job kind {job['kind']!r}"
    await get_redis().hset(
        f"job:{job['id']}", mapping={"kind": job["kind"], "outcome": outcome, "finished_at": time.time()}
    )
    return {**job, "outcome": outcome}


async def main() -> None:
    await init_redis(settings.REDIS_URL)
    try:
        while True:
            job = await run_once()
            if job is not None:
                log.info("job %s done: %s", job["id"], job["outcome"])
    finally:
        # Release our connections before the process exits.
        await get_redis().aclose()


if __name__ == "__main__":
    asyncio.run(main())

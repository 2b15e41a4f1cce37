"""On-demand Redis diagnostics for the ops dashboard.

Deliberately uses a fresh connection (not the app's pool) so that it measures a
cold connect + PING, the way ``redis-cli --latency`` would.
"""

from __future__ import annotations

import time
from typing import Any

import redis.asyncio

from backend import settings


async def redis_diagnostics() -> dict[str, Any]:
    client = redis.asyncio.Redis.from_url(settings.REDIS_URL)
    try:
        started = time.perf_counter()
        await client.ping()
        latency_ms = (time.perf_counter() - started) * 1000
        server = await client.info("server")
    finally:
        await client.aclose()
    return {
        "latency_ms": round(latency_ms, 2),
        "redis_version": server.get("redis_version"),
        "uptime_seconds": server.get("uptime_in_seconds"),
    }

"""Liveness / readiness probes (phase 1: readiness uses the lifecycle client)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Response, status

from backend.services.diagnostics import redis_diagnostics
from backend.services.redis_client import ping_redis

router = APIRouter(prefix="/health", tags=["health"])


@router.get("/live")
async def live() -> dict[str, str]:
    return {"status": "ok"}


@router.get("/ready")
async def ready(response: Response, reset: bool = False) -> dict[str, Any]:
    """Ready when Redis answers PING; ``?reset=true`` rebuilds the pool first."""
    redis_ok = await ping_redis(reset=reset)
    if not redis_ok:
        response.status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    return {"status": "ok" if redis_ok else "unavailable", "redis": redis_ok}


@router.get("/redis")
async def redis_details() -> dict[str, Any]:
    return await redis_diagnostics()

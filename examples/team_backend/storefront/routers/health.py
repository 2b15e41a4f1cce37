"""Liveness and readiness (already on the shared pool since phase 1)."""

from fastapi import APIRouter, Response

from storefront.infra.redis_pool import get_redis

router = APIRouter(tags=["health"])


@router.get("/healthz")
async def healthz(response: Response) -> dict:
    try:
        ok = await get_redis().ping()
    except Exception:  # noqa: BLE001 - any Redis failure means "not ready"
        ok = False
    if not ok:
        response.status_code = 503
    return {"redis": bool(ok)}

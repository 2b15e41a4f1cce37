"""Stock levels, written by the warehouse system, read here."""

from fastapi import APIRouter, HTTPException
from redis.asyncio import Redis

from storefront.config import settings

router = APIRouter(prefix="/stock", tags=["stock"])


@router.get("/{sku}")
async def stock_level(sku: str) -> dict:
    r = Redis.from_url(settings.redis_url, decode_responses=True)
    try:
        if not await r.exists(f"stock:{sku}"):
            raise HTTPException(status_code=404, detail="not tracked")
        level = await r.get(f"stock:{sku}")
    finally:
        await r.aclose()
    return {"sku": sku, "available": int(level)}

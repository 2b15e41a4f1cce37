"""Product pages, served from the product cache the catalog importer fills."""

import redis.asyncio as redis
from fastapi import APIRouter, HTTPException, Query

from storefront.config import settings

router = APIRouter(prefix="/catalog", tags=["catalog"])

cache = redis.from_url(settings.redis_url, decode_responses=True)


@router.get("/prices")
async def prices(sku: list[str] = Query(...)) -> dict:
    values = await cache.mget([f"price:{s}" for s in sku])
    return {s: (int(v) if v is not None else None) for s, v in zip(sku, values)}


@router.get("/{sku}")
async def product(sku: str) -> dict:
    fields = await cache.hgetall(f"product:{sku}")
    if not fields:
        raise HTTPException(status_code=404, detail="unknown product")
    return {"sku": sku, **fields}

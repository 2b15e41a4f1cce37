"""Product pages and prices, read from the cache the catalog importer fills."""

from fastapi import APIRouter, HTTPException, Query, Request

router = APIRouter(prefix="/products", tags=["catalog"])


@router.get("/prices")
async def prices(request: Request, sku: list[str] = Query(...)) -> dict:
    values = await request.app.state.redis.mget([f"price:{s}" for s in sku])
    return {s: (int(v) if v is not None else None) for s, v in zip(sku, values)}


@router.get("/{sku}")
async def product(sku: str, request: Request) -> dict:
    name = await request.app.state.redis.get(f"product:{sku}:name")
    if name is None:
        raise HTTPException(status_code=404, detail="unknown product")
    return {"sku": sku, "name": name}

"""Product search, rate limited per caller."""

from fastapi import APIRouter, HTTPException, Request

from storefront.config import settings
from storefront.domain.throttle import within_rate_limit

router = APIRouter(tags=["search"])


@router.get("/search")
async def search(q: str, request: Request) -> dict:
    caller = request.client.host if request.client else "anonymous"
    if not await within_rate_limit(f"search:{caller}", settings.search_requests_per_minute):
        raise HTTPException(status_code=429, detail="slow down")
    return {"q": q, "results": []}

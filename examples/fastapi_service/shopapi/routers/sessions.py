"""Login sessions and page-view counters."""

import secrets
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException
from pydantic import BaseModel
from redis.asyncio import Redis

from shopapi import settings
from shopapi.deps import get_redis_conn
from shopapi.ratelimit import rate_limit

router = APIRouter(tags=["sessions"], dependencies=[Depends(rate_limit)])


class Login(BaseModel):
    user_id: str


@router.post("/sessions")
async def create_session(body: Login, r: Redis = Depends(get_redis_conn)) -> dict:
    sid = secrets.token_hex(8)
    await r.set(f"session:{sid}", body.user_id, ex=settings.SESSION_TTL_SECONDS)
    return {"sid": sid}


@router.delete("/sessions/{sid}")
async def end_session(sid: str, r: Redis = Depends(get_redis_conn)) -> dict:
    if not await r.delete(f"session:{sid}"):
        raise HTTPException(status_code=404, detail="no such session")
    return {"ended": sid}


@router.post("/views/{sku}")
async def count_view(sku: str, r: Annotated[Redis, Depends(get_redis_conn)]) -> dict:
    return {"sku": sku, "views": await r.incr(f"views:{sku}")}

"""Fixed-window rate limit per client address, used as a router dependency."""

import time

import redis.asyncio as redis
from fastapi import HTTPException, Request

from shopapi import settings

limiter = redis.from_url(settings.REDIS_URL, decode_responses=True)


async def rate_limit(request: Request) -> None:
    window = int(time.time() // 60)
    key = f"rate:{request.client.host}:{window}"
    hits = await limiter.incr(key)
    if hits == 1:
        await limiter.expire(key, 60)
    if hits > settings.REQUESTS_PER_MINUTE:
        raise HTTPException(status_code=429, detail="too many requests")

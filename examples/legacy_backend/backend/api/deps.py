"""Shared FastAPI dependencies."""

from __future__ import annotations

from fastapi import HTTPException, Request, status

from backend import settings
from backend.services.rate_limit import check_rate_limit


async def login_throttle(request: Request) -> None:
    """At most ``LOGIN_ATTEMPTS_PER_MINUTE`` login attempts per client address."""
    client_ip = request.client.host if request.client else "unknown"
    allowed, retry_after = await check_rate_limit(
        f"login:{client_ip}", settings.LOGIN_ATTEMPTS_PER_MINUTE, 60
    )
    if not allowed:
        raise HTTPException(
            status.HTTP_429_TOO_MANY_REQUESTS,
            detail="Too many login attempts",
            headers={"Retry-After": str(retry_after)},
        )

"""Sessions, user profiles and feature flags."""

from __future__ import annotations

import json
from typing import Any

from fastapi import APIRouter, Depends, HTTPException, status
from pydantic import BaseModel

from backend.api.deps import login_throttle
from backend.services import feature_flags, sessions
from backend.services.legacy_redis import redis_client as rc

router = APIRouter(tags=["accounts"])


class LoginRequest(BaseModel):
    user_id: int
    roles: list[str] = []


class Profile(BaseModel):
    display_name: str
    locale: str = "en"


@router.post("/sessions", status_code=status.HTTP_201_CREATED, dependencies=[Depends(login_throttle)])
async def login(body: LoginRequest) -> dict[str, str]:
    token = await sessions.create_session(body.user_id, roles=body.roles)
    return {"token": token}


@router.get("/sessions/{token}")
async def whoami(token: str) -> dict[str, Any]:
    session = await sessions.load_session(token)
    if session is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, detail="Session expired")
    return session


@router.delete("/sessions/{token}", status_code=status.HTTP_204_NO_CONTENT)
async def logout(token: str) -> None:
    await sessions.destroy_session(token)


@router.get("/profiles/{user_id}")
async def get_profile(user_id: int) -> dict[str, Any]:
    raw = await rc.get(f"profile:{user_id}")
    if raw is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, detail="No such profile")
    return {"user_id": user_id, **json.loads(raw)}


@router.put("/profiles/{user_id}")
async def put_profile(user_id: int, profile: Profile) -> dict[str, Any]:
    await rc.set(f"profile:{user_id}", profile.model_dump_json())
    return {"user_id": user_id, **profile.model_dump()}


@router.get("/flags")
async def list_flags() -> dict[str, list[str]]:
    return {"enabled": await feature_flags.enabled_flags()}


@router.get("/flags/{flag}")
async def get_flag(flag: str) -> dict[str, Any]:
    return {"flag": flag, "enabled": await feature_flags.is_enabled(flag)}


@router.put("/flags/{flag}")
async def put_flag(flag: str, enabled: bool = True) -> dict[str, Any]:
    await feature_flags.set_flag(flag, enabled)
    return {"flag": flag, "enabled": enabled}

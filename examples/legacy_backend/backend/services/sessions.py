"""Login sessions stored as JSON blobs under ``session:<token>``."""

from __future__ import annotations

import json
import secrets
from typing import Any

from backend import settings
from backend.services.legacy_redis import redis_client


def _key(token: str) -> str:
    return f"session:{token}"


async def create_session(user_id: int, *, roles: list[str] | None = None) -> str:
    """Store a new session for ``user_id`` and return its opaque token."""
    token = secrets.token_urlsafe(24)
    payload = {"user_id": user_id, "roles": roles or []}
    await redis_client.setex(_key(token), settings.SESSION_TTL_SECONDS, json.dumps(payload))
    return token


async def load_session(token: str) -> dict[str, Any] | None:
    raw = await redis_client.get(_key(token))
    return json.loads(raw) if raw is not None else None


async def destroy_session(token: str) -> bool:
    """Log out; returns False when the session had already expired."""
    return bool(await redis_client.delete(_key(token)))

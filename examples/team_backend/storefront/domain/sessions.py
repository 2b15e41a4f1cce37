"""Login sessions kept in Redis as JSON strings with a TTL."""

import json
import secrets

from redis import asyncio as aioredis

from storefront.config import settings

_sessions = aioredis.from_url(settings.redis_url, decode_responses=True)


async def open_session(user_id: str) -> str:
    sid = secrets.token_hex(16)
    await _sessions.set(f"session:{sid}", json.dumps({"user_id": user_id}), ex=settings.session_ttl_seconds)
    return sid


async def read_session(sid: str) -> dict | None:
    raw = await _sessions.get(f"session:{sid}")
    return json.loads(raw) if raw else None


async def end_session(sid: str) -> bool:
    return bool(await _sessions.delete(f"session:{sid}"))

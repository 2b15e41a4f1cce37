"""Feature flags: the set ``flags:enabled`` holds the names of enabled flags."""

from __future__ import annotations

import backend.services.legacy_redis as lr
from backend.encoding import text

FLAGS_KEY = "flags:enabled"


async def is_enabled(flag: str) -> bool:
    return bool(await lr.redis_client.sismember(FLAGS_KEY, flag))


async def enabled_flags() -> list[str]:
    members = await lr.redis_client.smembers(FLAGS_KEY)
    return sorted(text(m) for m in members)


async def set_flag(flag: str, enabled: bool) -> None:
    if enabled:
        await lr.redis_client.sadd(FLAGS_KEY, flag)
    else:
        await lr.redis_client.srem(FLAGS_KEY, flag)

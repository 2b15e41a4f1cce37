"""Shared Redis connection for sessions, profiles and feature flags.

Created when the module is first imported, i.e. with a plain
``aioredis.Redis.from_url(settings.REDIS_URL)`` at import time. Known issue
(phase-2 strategy §1): the client's connections belong to the event loop that
first used them, so a restarted app (tests, reloader) fails with
"Event loop is closed" / "transport closed".
"""

from __future__ import annotations

import redis.asyncio as aioredis

from backend import settings

# TODO(phase-2): drop this and use get_redis() from backend.services.redis_client.
redis_client = aioredis.Redis.from_url(settings.REDIS_URL)

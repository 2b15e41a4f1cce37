"""Per-day page-view counters (``views:<yyyy-mm-dd>`` hashes)."""

from __future__ import annotations

from datetime import date, datetime, timezone

import redis.asyncio as redis

from backend import settings
from backend.encoding import text

VIEWS_RETENTION_SECONDS = 14 * 24 * 3600


class PageViewCounter:
    """Counts views per path and day; one round trip per view via a pipeline."""

    def __init__(self, key_prefix: str = "views") -> None:
        self.key_prefix = key_prefix
        self._redis = redis.Redis.from_url(settings.REDIS_URL)

    def _day_key(self, day: date) -> str:
        return f"{self.key_prefix}:{day.isoformat()}"

    async def record_view(self, path: str) -> int:
        key = self._day_key(datetime.now(timezone.utc).date())
        pipe = self._redis.pipeline(transaction=True)
        pipe.hincrby(key, path, 1)
        pipe.expire(key, VIEWS_RETENTION_SECONDS)
        views, _ = await pipe.execute()
        return int(views)

    async def views_on(self, day: date) -> dict[str, int]:
        raw = await self._redis.hgetall(self._day_key(day))
        return {text(k): int(v) for k, v in raw.items()}

"""Queue consumers. Producers LPUSH job ids; each call here takes at most one job.

``jobs:short`` holds quick thumbnails (wait 1 s), ``jobs:long`` holds exports, whose
consumer waits up to 5 s for work before it reports an idle round.
"""

import redis.asyncio as redis

from storefront.config import settings


async def take_short_job() -> str | None:
    r = redis.from_url(settings.redis_url, decode_responses=True)
    try:
        popped = await r.blpop("jobs:short", timeout=1)
    finally:
        await r.aclose()
    return popped[1] if popped else None


async def take_long_job() -> str | None:
    # No socket timeout: redis-py's default (5 s) would cut the 5 s BRPOP off.
    r = redis.from_url(settings.redis_url, decode_responses=True, socket_timeout=None)
    try:
        popped = await r.brpop("jobs:long", timeout=5)
    finally:
        await r.aclose()
    return popped[1] if popped else None

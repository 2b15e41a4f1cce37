"""Transactional mail sender, still on the aioredis 1.x API.

Pops rendered mails from ``queue:emails`` and hands them to the SMTP relay.
Written before redis-py grew ``redis.asyncio``; needs ``aioredis<2`` (which does
not import on Python 3.11), so it currently runs in its own old virtualenv.
"""

from __future__ import annotations

import asyncio
import json
import logging

import aioredis

from backend import settings

log = logging.getLogger(__name__)

EMAIL_QUEUE = "queue:emails"
DEAD_LETTER_QUEUE = "queue:emails:dead"


async def deliver(message: dict[str, str]) -> None:
    log.info("sending %r to %s", message.get("subject"), message.get("to"))


async def main() -> None:
    redis = await aioredis.create_redis_pool(settings.REDIS_URL, minsize=1, maxsize=4)
    try:
        while True:
            item = await redis.brpop(EMAIL_QUEUE, timeout=5)
            if item is None:
                continue
            _queue, raw = item
            try:
                await deliver(json.loads(raw))
            except Exception:
                log.exception("mail delivery failed; dead-lettering")
                await redis.lpush(DEAD_LETTER_QUEUE, raw)
    finally:
        redis.close()
        await redis.wait_closed()


if __name__ == "__main__":
    asyncio.run(main())

"""Entry point: ``python -m worker.main``."""

import asyncio
import logging

import redis.asyncio as redis

from worker import settings
from worker.consumer import consume, ensure_group


async def main(max_messages: int | None = None, max_idle_reads: int | None = None) -> int:
    client = redis.from_url(settings.REDIS_URL, decode_responses=True)
    try:
        await ensure_group(client)
        return await consume(client, max_messages=max_messages, max_idle_reads=max_idle_reads)
    finally:
        await client.aclose()


if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO)
    asyncio.run(main())

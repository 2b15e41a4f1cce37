"""Enqueue orders on the stream: ``python -m worker.producer ORDER_ID...`` (ops and tests use it)."""

import asyncio
import sys

from redis.asyncio import Redis

from worker import settings


async def publish_order(client, order_id: str) -> str:
    return await client.xadd(settings.STREAM, {"order_id": order_id}, maxlen=100_000, approximate=True)


async def main(order_ids: list[str]) -> list[str]:
    client = Redis.from_url(settings.REDIS_URL, decode_responses=True)
    try:
        return [await publish_order(client, order_id) for order_id in order_ids]
    finally:
        await client.aclose()


if __name__ == "__main__":
    print("\n".join(asyncio.run(main(sys.argv[1:]))))

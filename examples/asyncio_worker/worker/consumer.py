"""The consume loop: read orders with XREADGROUP, fulfil them, acknowledge them."""

import logging

from redis.exceptions import ResponseError

from worker import settings

log = logging.getLogger(__name__)


async def ensure_group(client) -> None:
    try:
        await client.xgroup_create(settings.STREAM, settings.GROUP, id="0", mkstream=True)
    except ResponseError as exc:
        if "BUSYGROUP" not in str(exc):
            raise


async def handle(client, message_id: str, fields: dict) -> None:
    order = fields["order_id"]
    await client.hset(f"fulfilment:{order}", mapping={"status": "packed", "message": message_id,
                                                      "by": settings.CONSUMER})
    await client.incr("fulfilment:packed")


async def consume(client, *, max_messages: int | None = None, max_idle_reads: int | None = None) -> int:
    """Process messages until ``max_messages`` were handled or ``max_idle_reads`` reads came back
    empty (both unbounded by default: the worker runs until it is stopped)."""
    handled = idle = 0
    while max_messages is None or handled < max_messages:
        count = settings.BATCH_SIZE if max_messages is None else min(settings.BATCH_SIZE, max_messages - handled)
        batches = await client.xreadgroup(settings.GROUP, settings.CONSUMER, {settings.STREAM: ">"},
                                          count=count, block=settings.BLOCK_MS)
        if not batches:
            idle += 1
            if max_idle_reads is not None and idle >= max_idle_reads:
                break
            continue
        for _stream, messages in batches:
            for message_id, fields in messages:
                await handle(client, message_id, fields)
                await client.xack(settings.STREAM, settings.GROUP, message_id)
                handled += 1
    log.info("consumer %s handled %d message(s)", settings.CONSUMER, handled)
    return handled

"""The same behaviour written by hand for redis.asyncio: what the conversion must match."""

import redis.asyncio as redis_asyncio


async def record_order(url: str, order_id: str, items: dict[str, str], total: int) -> None:
    client = redis_asyncio.Redis.from_url(url)
    try:
        await client.hset(f"order:{order_id}", mapping=items)
        await client.set(f"order:{order_id}:total", total, ex=300)
        await client.set(f"order:{order_id}:lock", "1", ex=60, nx=True)
        await client.zadd("orders:by_total", {order_id: total, f"{order_id}-shadow": total + 1})
        async with client.pipeline(transaction=True) as transaction:
            transaction.incr("orders:count")
            transaction.sadd("orders:ids", order_id)
            await transaction.execute()
        await client.eval("return redis.call('SET', KEYS[1], ARGV[1])", 1,
                          f"order:{order_id}:status", "recorded")
        await client.rpush("orders:queue", order_id)
        await client.rpush("orders:audit", order_id)
        await client.blpop(["orders:queue", "orders:audit"], timeout=1)
    finally:
        await client.aclose()

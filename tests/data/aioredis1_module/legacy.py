"""A module written for aioredis 1.x, as many backends still have them (converted by the test)."""

import aioredis

from app import settings


async def record_order(order_id: str, items: dict[str, str], total: int) -> None:
    redis = await aioredis.create_redis_pool(settings.REDIS_URL, minsize=1, maxsize=4)
    try:
        await redis.hmset_dict(f"order:{order_id}", items)
        await redis.set(f"order:{order_id}:total", total, expire=300)
        await redis.set(f"order:{order_id}:lock", "1", expire=60,
                        exist=redis.SET_IF_NOT_EXIST)
        await redis.zadd("orders:by_total", total, order_id, total + 1, f"{order_id}-shadow")
        transaction = redis.multi_exec()
        transaction.incr("orders:count")
        transaction.sadd("orders:ids", order_id)
        await transaction.execute()
        await redis.eval("return redis.call('SET', KEYS[1], ARGV[1])",
                         keys=[f"order:{order_id}:status"], args=["recorded"])
        await redis.rpush("orders:queue", order_id)
        await redis.rpush("orders:audit", order_id)
        await redis.blpop("orders:queue", "orders:audit", timeout=1)
    finally:
        redis.close()
        await redis.wait_closed()

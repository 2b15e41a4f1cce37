"""aioredis 1.x behind a lazy getter, the most common 1.x shape (converted by the test)."""

import aioredis

from app import settings

_pool = None


async def get_pool():
    global _pool
    if _pool is None:
        _pool = await aioredis.create_redis_pool(settings.REDIS_URL, minsize=1, maxsize=4)
    return _pool


async def remember(user_id, payload):
    redis = await get_pool()
    await redis.hmset_dict(f"notif:{user_id}", payload)
    await redis.set(f"notif:{user_id}:seen", "0", expire=300)
    await redis.zadd("notif:recent", 10, user_id)
    tr = redis.multi_exec(); tr.incr("notif:count"); await tr.execute()
    await redis.eval("return redis.call('SET', KEYS[1], ARGV[1])",
                     keys=[f"notif:{user_id}:status"], args=["stored"])
    async for key in redis.iscan(match=f"notif:{user_id}*"):
        await redis.sadd("index:notif", key)
    await redis.rpush("q2", user_id)
    _queue, popped = await redis.blpop("q1", "q2", timeout=1)
    await redis.set("popped", popped)


async def shutdown():
    global _pool
    if _pool is not None:
        _pool.close()
        await _pool.wait_closed()
        _pool = None

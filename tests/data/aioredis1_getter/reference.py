"""The same behaviour written by hand for redis.asyncio: what the conversion must match."""

import redis.asyncio as redis_asyncio


async def remember(client: redis_asyncio.Redis, user_id: str, payload: dict[str, str]) -> None:
    await client.hset(f"notif:{user_id}", mapping=payload)
    await client.set(f"notif:{user_id}:seen", "0", ex=300)
    await client.zadd("notif:recent", {user_id: 10})
    async with client.pipeline(transaction=True) as transaction:
        transaction.incr("notif:count")
        await transaction.execute()
    await client.eval("return redis.call('SET', KEYS[1], ARGV[1])", 1,
                      f"notif:{user_id}:status", "stored")
    async for key in client.scan_iter(match=f"notif:{user_id}*"):
        await client.sadd("index:notif", key)
    await client.rpush("q2", user_id)
    _queue, popped = await client.blpop(["q1", "q2"], timeout=1)
    await client.set("popped", popped)


async def notify(client: redis_asyncio.Redis, user_id: str, message: str) -> None:
    await client.set(f"notify:{user_id}:last", message, ex=60, nx=True)
    await client.set(f"notify:{user_id}:last", "overwritten", nx=True)
    await client.hset(f"notify:{user_id}", mapping={"message": message, "count": "1"})
    await client.zadd("notify:scores", {user_id: 1, f"{user_id}-b": 2})
    await client.set(f"notify:{user_id}:stamp", "1", ex=120)


async def run(url: str, user_id: str, payload: dict[str, str], message: str) -> None:
    client = redis_asyncio.Redis.from_url(url)
    try:
        await remember(client, user_id, payload)
        await notify(client, user_id, message)
    finally:
        await client.aclose()

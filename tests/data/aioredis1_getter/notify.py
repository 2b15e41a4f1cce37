"""Another module of the same backend: it reaches the client through the imported getter."""

from app.legacy import get_pool


async def stamp(client, user_id):
    await client.set(f"notify:{user_id}:stamp", "1", expire=120)


async def notify(user_id, message):
    redis = await get_pool()
    await redis.set(f"notify:{user_id}:last", message, expire=60,
                    exist=redis.SET_IF_NOT_EXIST)
    await redis.set(f"notify:{user_id}:last", "overwritten", exist=redis.SET_IF_NOT_EXIST)
    await redis.hmset_dict(f"notify:{user_id}", {"message": message}, count="1")
    await redis.zadd("notify:scores", 1, user_id, 2, f"{user_id}-b")
    await stamp(redis, user_id)

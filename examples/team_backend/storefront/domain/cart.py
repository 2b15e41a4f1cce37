"""Shopping carts: one hash per cart, sku -> quantity, expiring after an hour idle."""

import redis.asyncio as redis

from storefront.config import settings

CART_TTL_SECONDS = 3600


async def add_item(cart_id: str, sku: str, quantity: int) -> dict[str, int]:
    r = redis.Redis.from_url(settings.redis_url, decode_responses=True)
    try:
        async with r.pipeline(transaction=True) as pipe:
            pipe.hincrby(f"cart:{cart_id}", sku, quantity)
            pipe.expire(f"cart:{cart_id}", CART_TTL_SECONDS)
            pipe.hgetall(f"cart:{cart_id}")
            _, _, items = await pipe.execute()
    finally:
        await r.aclose()
    return {name: int(count) for name, count in items.items()}

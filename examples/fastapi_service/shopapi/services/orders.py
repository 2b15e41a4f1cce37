"""Checkout: turn a cart into an order in one MULTI/EXEC."""

import uuid

from shopapi import settings
from shopapi.clients import make_client


async def add_to_cart(cart_id: str, sku: str, qty: int) -> dict[str, int]:
    client = make_client()
    try:
        async with client.pipeline(transaction=True) as pipe:
            pipe.hincrby(f"cart:{cart_id}", sku, qty)
            pipe.expire(f"cart:{cart_id}", settings.CART_TTL_SECONDS)
            pipe.hgetall(f"cart:{cart_id}")
            _, _, items = await pipe.execute()
    finally:
        await client.aclose()
    return {k: int(v) for k, v in items.items()}


async def checkout(cart_id: str) -> dict | None:
    client = make_client()
    try:
        items = await client.hgetall(f"cart:{cart_id}")
        if not items:
            return None
        order_id = uuid.uuid4().hex[:12]
        async with client.pipeline(transaction=True) as pipe:
            pipe.hset(f"order:{order_id}", mapping=items)
            pipe.rpush("orders:placed", order_id)
            pipe.delete(f"cart:{cart_id}")
            await pipe.execute()
    finally:
        await client.aclose()
    return {"order_id": order_id, "items": {k: int(v) for k, v in items.items()}}

"""Placing an order: audit it, then tell the rest of the company."""

import uuid

from storefront.domain import audit, events


async def place_order(cart_id: str) -> dict:
    order_id = uuid.uuid4().hex[:12]
    await audit.record("order_placed", order_id=order_id, cart_id=cart_id)
    notified = await events.announce({"order_id": order_id, "cart_id": cart_id})
    return {"order_id": order_id, "notified": notified}

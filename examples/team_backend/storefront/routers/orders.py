"""Carts and checkout."""

from fastapi import APIRouter, HTTPException
from pydantic import BaseModel, Field
from redis.exceptions import LockError

from storefront.domain import cart, locks, orders

router = APIRouter(tags=["orders"])


class CartLine(BaseModel):
    sku: str
    quantity: int = Field(default=1, ge=1)


@router.post("/carts/{cart_id}/items")
async def add_to_cart(cart_id: str, line: CartLine) -> dict:
    return {"items": await cart.add_item(cart_id, line.sku, line.quantity)}


@router.post("/orders/{cart_id}")
async def checkout(cart_id: str) -> dict:
    try:
        return await locks.exclusively(f"checkout:{cart_id}", lambda: orders.place_order(cart_id))
    except LockError:
        raise HTTPException(status_code=409, detail="checkout already in progress") from None

"""Carts and checkout."""

from fastapi import APIRouter, HTTPException
from pydantic import BaseModel

from shopapi.services import orders

router = APIRouter(prefix="/carts", tags=["carts"])


class Item(BaseModel):
    sku: str
    qty: int = 1


@router.post("/{cart_id}/items")
async def add_item(cart_id: str, item: Item) -> dict:
    return {"cart_id": cart_id, "items": await orders.add_to_cart(cart_id, item.sku, item.qty)}


@router.post("/{cart_id}/checkout")
async def checkout(cart_id: str) -> dict:
    order = await orders.checkout(cart_id)
    if order is None:
        raise HTTPException(status_code=409, detail="cart is empty")
    return order

"""Wishlist endpoints."""

from fastapi import APIRouter
from pydantic import BaseModel

from storefront.domain.wishlist import WishlistStore

router = APIRouter(prefix="/wishlists", tags=["wishlist"])
store = WishlistStore()


class Wish(BaseModel):
    sku: str
    note: str = ""


@router.post("/{user_id}")
async def add_wish(user_id: str, wish: Wish) -> dict:
    await store.add(user_id, wish.sku, wish.note)
    return {"items": await store.items(user_id)}


@router.delete("/{user_id}/{sku}")
async def remove_wish(user_id: str, sku: str) -> dict:
    await store.remove(user_id, sku)
    return {"items": await store.items(user_id)}


@router.delete("/{user_id}")
async def clear_wishes(user_id: str) -> dict:
    await store.clear(user_id)
    return {"items": {}}

"""Products, catalog, carts and checkout."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Header, HTTPException, Request, status
from pydantic import BaseModel
from redis import asyncio as redis_async

from backend import settings
from backend.encoding import text_dict
from backend.services import carts, products
from backend.services.activity import record_activity
from backend.services.events import publish_event
from backend.services.jobs import enqueue_job
from backend.services.locks import ResourceBusy, exclusive
from backend.services.metrics import PageViewCounter
from backend.services.webhooks import first_delivery, send_webhook

router = APIRouter(tags=["shop"])

page_views = PageViewCounter()


class CartItem(BaseModel):
    sku: str
    quantity: int = 1


class PriceChange(BaseModel):
    price_cents: int


@router.get("/products/{product_id}")
async def get_product(product_id: int, request: Request) -> dict[str, Any]:
    product = await products.get_product(product_id)
    if product is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, detail="No such product")
    views = await page_views.record_view(request.url.path)
    return {**product, "views_today": views}


@router.put("/products/{product_id}/price")
async def change_price(product_id: int, change: PriceChange) -> dict[str, Any]:
    product = await products.update_price(product_id, change.price_cents)
    if product is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, detail="No such product")
    return product


@router.get("/catalog/{sku}")
async def get_catalog_item(sku: str) -> dict[str, str]:
    """Catalog entries are loaded into Redis by ``workers.catalog_sync``."""
    r = redis_async.from_url(settings.REDIS_URL)
    try:
        item = await r.hgetall(f"catalog:item:{sku}")
    finally:
        await r.aclose()
    if not item:
        raise HTTPException(status.HTTP_404_NOT_FOUND, detail="Unknown SKU")
    return text_dict(item)


@router.post("/carts/{cart_id}/items")
async def add_to_cart(cart_id: str, item: CartItem) -> dict[str, Any]:
    return {"cart_id": cart_id, "items": await carts.add_item(cart_id, item.sku, item.quantity)}


@router.post("/orders/{cart_id}", status_code=status.HTTP_201_CREATED)
async def place_order(cart_id: str, user_id: int) -> dict[str, Any]:
    """Check the cart out under a lock so a double-click cannot order twice."""
    try:
        async with exclusive(f"checkout:{cart_id}", wait=settings.ORDER_LOCK_WAIT_SECONDS):
            items = await carts.checkout(cart_id)
    except ResourceBusy:
        raise HTTPException(status.HTTP_409_CONFLICT, detail="Checkout already in progress") from None
    if not items:
        raise HTTPException(status.HTTP_400_BAD_REQUEST, detail="Cart is empty")
    order = {"cart_id": cart_id, "user_id": user_id, "items": items}
    await record_activity(user_id, "order_placed", cart_id=cart_id)
    await publish_event("orders", order)
    job_id = await enqueue_job("send_order_confirmation", {"user_id": user_id, "cart_id": cart_id})
    await send_webhook("order.placed", order)
    return {**order, "confirmation_job": job_id}


@router.post("/webhooks/payments", status_code=status.HTTP_202_ACCEPTED)
async def payment_webhook(payload: dict[str, Any], x_delivery_id: str = Header()) -> dict[str, bool]:
    """Payment provider callback; deliveries are retried, so de-duplicate them."""
    return {"processed": first_delivery(x_delivery_id)}

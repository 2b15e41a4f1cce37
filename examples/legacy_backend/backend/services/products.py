"""Product lookups, cached in Redis in front of the (slow) product database."""

from __future__ import annotations

from typing import Any

from backend.services.cache import cache

# Stand-in for the products table; the real service queries Postgres here.
_PRODUCT_ROWS: dict[int, dict[str, Any]] = {
    1: {"id": 1, "name": "Espresso beans 1kg", "price_cents": 2490},
    2: {"id": 2, "name": "Burr grinder", "price_cents": 12900},
    3: {"id": 3, "name": "Milk jug 600ml", "price_cents": 1590},
}


async def _fetch_product_row(product_id: int) -> dict[str, Any] | None:
    row = _PRODUCT_ROWS.get(product_id)
    return dict(row) if row is not None else None


async def get_product(product_id: int) -> dict[str, Any] | None:
    return await cache.get_or_load(f"product:{product_id}", lambda: _fetch_product_row(product_id))


async def update_price(product_id: int, price_cents: int) -> dict[str, Any] | None:
    row = _PRODUCT_ROWS.get(product_id)
    if row is None:
        return None
    row["price_cents"] = price_cents
    await cache.invalidate(f"product:{product_id}")
    return dict(row)

from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path

from backend import settings
from backend.workers.catalog_sync import load_catalog, sync_catalog


def test_product_is_cached_and_invalidated(client, resp) -> None:
    first = client.get("/products/1").json()
    assert first["name"] == "Espresso beans 1kg"
    cached = json.loads(resp("GET", "cache:product:1"))
    assert cached == {"id": 1, "name": "Espresso beans 1kg", "price_cents": 2490}
    assert 0 < resp("TTL", "cache:product:1") <= settings.PRODUCT_CACHE_TTL_SECONDS

    # Served from the cache: a value planted in Redis wins over the database row.
    resp("SET", "cache:product:1", json.dumps({**cached, "price_cents": 1}))
    assert client.get("/products/1").json()["price_cents"] == 1

    assert client.put("/products/1/price", json={"price_cents": 2290}).json()["price_cents"] == 2290
    assert resp("EXISTS", "cache:product:1") == 0
    assert client.get("/products/1").json()["price_cents"] == 2290
    client.put("/products/1/price", json={"price_cents": 2490})


def test_unknown_product(client, resp) -> None:
    assert client.get("/products/999").status_code == 404
    assert resp("EXISTS", "cache:product:999") == 0


def test_page_views_counted_in_pipeline(client, resp) -> None:
    views = [client.get("/products/2").json()["views_today"] for _ in range(3)]
    assert views == [1, 2, 3]
    day_key = f"views:{datetime.now(timezone.utc).date().isoformat()}"
    assert resp("HGET", day_key, "/products/2") == "3"
    assert resp("TTL", day_key) > 0


def test_catalog_synced_by_worker(client, resp, tmp_path: Path) -> None:
    export = tmp_path / "catalog.csv"
    export.write_text(
        "sku,title,price_cents,stock,warehouse\n"
        "BEAN-1KG,Espresso beans 1kg,2490,40,north\n"
        "JUG-600,Milk jug 600ml,1590,12,south\n",
        encoding="utf-8",
    )
    assert sync_catalog(load_catalog(str(export))) == 2
    assert sorted(resp("SMEMBERS", "catalog:skus")) == ["BEAN-1KG", "JUG-600"]

    assert client.get("/catalog/JUG-600").json() == {
        "sku": "JUG-600", "title": "Milk jug 600ml", "price_cents": "1590", "stock": "12",
    }
    assert client.get("/catalog/NOPE").status_code == 404


def test_cart_pipeline(client, resp) -> None:
    client.post("/carts/c1/items", json={"sku": "BEAN-1KG"})
    body = client.post("/carts/c1/items", json={"sku": "BEAN-1KG", "quantity": 2}).json()
    assert body == {"cart_id": "c1", "items": {"BEAN-1KG": 3}}
    assert resp("HGET", "cart:c1", "BEAN-1KG") == "3"
    assert 0 < resp("TTL", "cart:c1") <= settings.CART_TTL_SECONDS


def test_order_checkout_under_lock(client, resp) -> None:
    client.post("/carts/c2/items", json={"sku": "JUG-600", "quantity": 2})
    response = client.post("/orders/c2", params={"user_id": 5})
    assert response.status_code == 201
    order = response.json()
    assert order["items"] == {"JUG-600": 2}
    assert resp("EXISTS", "cart:c2") == 0
    assert resp("EXISTS", "lock:checkout:c2") == 0  # released
    assert resp("XLEN", "activity") == 1
    queued = json.loads(resp("LINDEX", "queue:jobs", 0))
    assert queued["id"] == order["confirmation_job"]
    assert queued["kind"] == "send_order_confirmation"

    assert client.post("/orders/c2", params={"user_id": 5}).status_code == 400  # cart gone


def test_order_refused_while_locked(client, resp) -> None:
    client.post("/carts/c3/items", json={"sku": "JUG-600"})
    resp("SET", "lock:checkout:c3", "other-worker", "PX", 10_000)
    assert client.post("/orders/c3", params={"user_id": 5}).status_code == 409
    assert resp("HGET", "cart:c3", "JUG-600") == "1"  # untouched
    assert resp("GET", "lock:checkout:c3") == "other-worker"


def test_payment_webhook_deduplicated(client) -> None:
    headers = {"X-Delivery-Id": "dlv_123"}
    assert client.post("/webhooks/payments", json={"paid": True}, headers=headers).json() == {"processed": True}
    assert client.post("/webhooks/payments", json={"paid": True}, headers=headers).json() == {"processed": False}

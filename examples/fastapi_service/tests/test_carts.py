"""Pipelines: the cart is updated and checked out in MULTI/EXEC transactions."""


def test_items_accumulate_and_the_cart_expires_in_a_day(api, resp):
    api.post("/carts/c1/items", json={"sku": "BEAN-1KG", "qty": 2})
    body = api.post("/carts/c1/items", json={"sku": "BEAN-1KG"}).json()
    assert body == {"cart_id": "c1", "items": {"BEAN-1KG": 3}}
    assert 86000 < resp("TTL", "cart:c1") <= 86400


def test_checkout_turns_the_cart_into_an_order(api, resp):
    api.post("/carts/c2/items", json={"sku": "JUG-600", "qty": 1})
    order = api.post("/carts/c2/checkout").json()
    assert order["items"] == {"JUG-600": 1}
    assert resp("HGETALL", f"order:{order['order_id']}") == ["JUG-600", "1"]
    assert resp("LRANGE", "orders:placed", 0, -1) == [order["order_id"]]
    assert resp("EXISTS", "cart:c2") == 0
    assert api.post("/carts/c2/checkout").status_code == 409

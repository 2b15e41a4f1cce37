"""Pipeline (cart), lock (checkout), pub/sub publisher and stream writer (order placed).

The subscriber below is this test's own Redis client, not the app's.
"""

import json
import os

import redis


def test_cart_lines_added_in_one_transaction(api, resp):
    assert api.post("/carts/c1/items", json={"sku": "BEAN-1KG"}).json() == {"items": {"BEAN-1KG": 1}}
    body = api.post("/carts/c1/items", json={"sku": "BEAN-1KG", "quantity": 2}).json()
    assert body == {"items": {"BEAN-1KG": 3}}
    assert resp("HGET", "cart:c1", "BEAN-1KG") == "3"
    assert 0 < resp("TTL", "cart:c1") <= 3600


def test_checkout_audits_and_announces_the_order(api, resp):
    listener = redis.Redis.from_url(os.environ["REDIS_URL"], decode_responses=True)
    subscription = listener.pubsub()
    try:
        subscription.subscribe("orders:placed")
        assert subscription.get_message(timeout=2)["type"] == "subscribe"

        order = api.post("/orders/c1").json()
        assert order["notified"] == 1

        message = subscription.get_message(timeout=2)
        assert json.loads(message["data"]) == {"order_id": order["order_id"], "cart_id": "c1"}
    finally:
        subscription.close()
        listener.close()

    entries = resp("XRANGE", "audit:orders", "-", "+")
    assert [fields for _, fields in entries] == [["kind", "order_placed", "order_id", order["order_id"], "cart_id", "c1"]]
    assert resp("EXISTS", "lock:checkout:c1") == 0  # released


def test_checkout_refused_while_another_holds_the_lock(api, resp):
    resp("SET", "lock:checkout:c2", "someone-else", "PX", "5000")
    assert api.post("/orders/c2").status_code == 409
    assert resp("GET", "lock:checkout:c2") == "someone-else"
    assert resp("EXISTS", "audit:orders") == 0

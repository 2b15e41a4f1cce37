"""One pool for the whole app: after every route has run once, count its connections.

Runs the app in a fresh interpreter and counts, with ``CLIENT LIST``, only connections
opened after that interpreter started (Redis client ids only grow), so this pytest
process's own clients are not counted. The RESP helper leaves no connection behind.

Bound: the shared pool serves sequential requests on one connection; a second, blocking
client without a socket timeout (for BRPOP 5 s) may exist beside it. That is 2. The legacy
code keeps one connection per import-time/owned client (catalog, wishlist, sessions, events,
audit, rate limiter) besides the shared pool's, well over 2.
"""

from pathlib import Path

import pytest

from redis_testkit import report_of, run_fresh

ROOT = Path(__file__).resolve().parents[1]
NOTIFICATIONS = ROOT / "storefront" / "legacy" / "notifications.py"
MAX_APP_CONNECTIONS = 2

EVERY_ROUTE_ONCE = """
import json, os, sys

from fastapi.testclient import TestClient

from redis_testkit import Resp, app_connections

resp = Resp(os.environ["REDIS_URL"])
resp("HSET", "product:BEAN-1KG", "name", "Espresso beans 1kg")
resp("SET", "stock:BEAN-1KG", "40")
resp("RPUSH", "jobs:short", "thumb-1")
resp("RPUSH", "jobs:long", "export-1")
first_id = resp("CLIENT", "ID")

from storefront.app import app

with TestClient(app) as c:
    calls = [
        c.get("/healthz"),
        c.get("/catalog/BEAN-1KG"),
        c.get("/catalog/prices", params={"sku": "BEAN-1KG"}),
        c.get("/stock/BEAN-1KG"),
        c.post("/wishlists/u1", json={"sku": "BEAN-1KG"}),
        c.delete("/wishlists/u1/BEAN-1KG"),
        c.delete("/wishlists/u1"),
    ]
    sid = c.post("/sessions", json={"user_id": "ada"}).json()["sid"]
    calls += [
        c.get(f"/sessions/{sid}"),
        c.delete(f"/sessions/{sid}"),
        c.post("/carts/c1/items", json={"sku": "BEAN-1KG"}),
        c.post("/orders/c1"),
        c.get("/search", params={"q": "beans"}),
        c.post("/jobs/short/take"),
        c.post("/jobs/long/take"),
    ]
    if sys.argv[1] == "with-notifications":
        calls.append(c.post("/notifications/42", json={"title": "hi"}))
    failed = [(r.request.method, str(r.request.url), r.status_code) for r in calls if r.status_code != 200]
    print(json.dumps({"failed": failed, "connections": app_connections(resp, first_id)}))
"""


@pytest.mark.xfail(strict=True, raises=AssertionError,
                   reason="legacy: every import-time or owned client keeps a connection of its own")
def test_one_pool_for_the_whole_app():
    legacy_notifications = "import aioredis" in NOTIFICATIONS.read_text(encoding="utf-8")
    proc = run_fresh(ROOT, EVERY_ROUTE_ONCE,
                     "without-notifications" if legacy_notifications else "with-notifications")
    report = report_of(proc)
    assert report["failed"] == [], "some routes failed, the count would mean nothing"
    connections = report["connections"]
    assert len(connections) <= MAX_APP_CONNECTIONS, (
        f"the app holds {len(connections)} Redis connections, expected at most {MAX_APP_CONNECTIONS}:\n"
        + "\n".join(connections)
    )

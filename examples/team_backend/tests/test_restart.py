"""The app must survive two lifetimes in one interpreter (test runners, ``--reload``).

Each ``with TestClient(app)`` runs the lifespan in an event loop of its own. The catalog's
import-time client keeps the connection it opened under the first loop and breaks under the
second. Runs in a fresh interpreter, so the session-wide app of the other tests is not involved.
"""

from pathlib import Path

import pytest

from redis_testkit import raise_if_a_later_lifetime_broke, run_fresh

ROOT = Path(__file__).resolve().parents[1]

LOOP_ERRORS = ("Event loop is closed", "attached to a different loop", "bound to a different event loop")

TWO_LIFETIMES = """
from fastapi.testclient import TestClient

from storefront.app import app

for lifetime in (1, 2):
    with TestClient(app) as client:
        assert client.get("/healthz").json() == {"redis": True}
        page = client.get("/catalog/BEAN-1KG")  # served by the module-level client in routers/catalog.py
        assert page.status_code == 200, page.text
        assert page.json()["name"] == "Espresso beans 1kg", page.text
    print(f"lifetime {lifetime} ok", flush=True)
"""


@pytest.mark.xfail(strict=True, raises=RuntimeError,
                   reason="legacy: routers/catalog.py's import-time client is bound to the first event loop")
def test_app_survives_two_lifetimes(resp):
    resp("HSET", "product:BEAN-1KG", "name", "Espresso beans 1kg")
    proc = run_fresh(ROOT, TWO_LIFETIMES)
    raise_if_a_later_lifetime_broke(proc, LOOP_ERRORS)
    assert proc.stdout.split("\n")[:2] == ["lifetime 1 ok", "lifetime 2 ok"]

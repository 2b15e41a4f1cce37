"""Shared fixtures: a real redis-server, one app lifetime, and ways to look into Redis.

``REDIS_URL`` wins when set; otherwise ``redis-server`` from PATH is started on a free
loopback port without persistence, and stopped when the run ends. The URL is put into the
environment before any ``storefront`` module is imported, because ``storefront.config``
reads it at import time.
"""

import os

import pytest
import redis

# examples/_testkit (on the path through pytest.ini): a redis-server for the run, the `resp`
# fixture and a FLUSHDB before every test
pytest_plugins = ["redis_testkit"]


@pytest.fixture(scope="session")
def flusher():
    client = redis.Redis.from_url(os.environ["REDIS_URL"])
    yield client
    client.close()


@pytest.fixture(autouse=True)
def _empty_redis(flusher):
    flusher.flushdb()


@pytest.fixture(scope="session")
def api():
    """The app started once for the whole run, the way one server process runs it.

    Restarting the app inside one interpreter is its own scenario (test_restart.py).
    """
    from fastapi.testclient import TestClient

    from storefront.app import app

    with TestClient(app) as client:
        yield client

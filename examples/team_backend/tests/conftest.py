"""Shared fixtures: a real redis-server, one app lifetime, and ways to look into Redis.

``REDIS_URL`` wins when set; otherwise ``redis-server`` from PATH is started on a free
loopback port without persistence, and stopped when the run ends. The URL is put into the
environment before any ``storefront`` module is imported, because ``storefront.config``
reads it at import time.
"""

import os
import sys
from pathlib import Path

import pytest
import redis

# examples/_testkit: the one copy of the Redis test helpers every example shares
sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "_testkit"))

from redis_testkit import Resp, ThrowawayRedis  # noqa: E402

_redis = ThrowawayRedis(prefix="team-backend-redis-")


def pytest_configure(config):
    _redis.start()


def pytest_unconfigure(config):
    _redis.stop()


@pytest.fixture(scope="session")
def resp() -> Resp:
    return Resp(os.environ["REDIS_URL"])


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

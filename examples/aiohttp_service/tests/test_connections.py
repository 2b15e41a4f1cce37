"""One pool for the whole app: 30 requests across every route, then count connections.

Runs the app in a fresh interpreter. Redis gives every new connection the next client id,
so the connections opened while the app ran are the id of a connection made afterwards,
minus the id of one made before, minus one (the RESP helper's own connections, one per
call, are the two ends). Sequential requests on a shared pool need one connection; the
bound allows a second one. The legacy code holds three clients (``app["redis"]``,
``app["presence"]``, the import-time publisher) and opens one more per typing request.
"""

from pathlib import Path

import pytest

from redis_testkit import assert_requests_share_one_pool

ROOT = Path(__file__).resolve().parents[1]
REQUESTS = 30
MAX_OPENED = 2

# Run inside redis_testkit.counting_script, which defines `resp` and counts connections.
SETUP = """
import asyncio

from aiohttp.test_utils import TestClient, TestServer

resp("SET", "topic:lobby", "welcome")

from chat.app import create_app


async def lifetime(count):
    async with TestClient(TestServer(create_app())) as c:
        routes = [
            ("GET", "/rooms/lobby/topic", {}),
            ("PUT", "/rooms/dev/topic", {"json": {"topic": "builds"}}),
            ("POST", "/rooms/lobby/messages", {"json": {"user": "ada", "text": "hi"}}),
            ("POST", "/rooms/lobby/typing/ada", {}),
            ("PUT", "/presence/ada", {}),
            ("GET", "/presence/ada", {}),
        ]
        statuses = []
        for i in range(count):
            method, path, kw = routes[i % len(routes)]
            async with c.request(method, path, **kw) as r:
                statuses.append(r.status)
        return statuses, app_connections(resp, first_id)
"""
THIRTY_REQUESTS = """
statuses, live = asyncio.run(lifetime(int(sys.argv[1])))
"""


@pytest.mark.xfail(strict=True, raises=AssertionError,
                   reason="legacy: three long-lived clients, plus one per typing request")
def test_thirty_requests_share_one_pool():
    assert_requests_share_one_pool(ROOT, SETUP, THIRTY_REQUESTS, REQUESTS, MAX_OPENED)

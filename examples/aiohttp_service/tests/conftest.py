"""Shared fixtures: a real redis-server, one app lifetime on one event loop, a look into Redis.

``REDIS_URL`` wins when set; otherwise ``redis-server`` from PATH is started on a free
loopback port without persistence and stopped when the run ends. The URL is put into the
environment before any ``chat`` module is imported (``chat.config`` reads it then).

The app is served once for the whole run, on one event loop, the way one server process
serves it (aiohttp's ``TestServer``/``TestClient``); restarting it is test_restart.py's scenario.
"""

import asyncio

import pytest

# examples/_testkit (on the path through pytest.ini): a redis-server for the run, the `resp`
# fixture and a FLUSHDB before every test
pytest_plugins = ["redis_testkit"]


class Api:
    """Blocking calls into the app's TestClient, each run to completion on the app's loop."""

    def __init__(self, loop: asyncio.AbstractEventLoop, client) -> None:
        self.loop, self.client = loop, client

    def call(self, method: str, path: str, **kwargs) -> tuple[int, object]:
        async def go():
            async with self.client.request(method, path, **kwargs) as response:
                if response.content_type == "application/json":
                    return response.status, await response.json()
                return response.status, await response.text()
        return self.loop.run_until_complete(go())

    def get(self, path, **kw):
        return self.call("GET", path, **kw)

    def put(self, path, **kw):
        return self.call("PUT", path, **kw)

    def post(self, path, **kw):
        return self.call("POST", path, **kw)


@pytest.fixture(scope="session")
def api():
    from aiohttp.test_utils import TestClient, TestServer

    from chat.app import create_app

    async def start() -> TestClient:
        client = TestClient(TestServer(create_app()))
        await client.start_server()
        return client

    loop = asyncio.new_event_loop()
    client = loop.run_until_complete(start())
    try:
        yield Api(loop, client)
    finally:
        loop.run_until_complete(client.close())
        loop.close()

"""Sanic's server listeners start and stop the app.

Found on Gdeon1337/accounting_python (a public Sanic app): `app.register_listener(
conn.create_redis_connection, "before_server_start")`. No Sanic listener was a hook, so the
batch found "no startup hook", rewrote the client to `get_redis()` with a note, and the app
never called `init_redis()`. Listeners are hooks now, in each of Sanic's three spellings; a
listener that is a method of an object (not a def the batch could put `init_redis()` in) leaves
its clients `lifecycle-not-wired`.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from analysis_helpers import scan, write_repo
from cli_helpers import git_repo, init_and_apply_every_batch

LISTENER = {
    "decorator call": '@app.listener("before_server_start")\nasync def setup(app, loop):',
    "decorator": "@app.before_server_start\nasync def setup(app, loop):",
    "register_listener": "async def setup(app, loop):",
}


@pytest.mark.parametrize("spelling", sorted(LISTENER))
def test_each_spelling_of_a_startup_listener_is_a_hook(tmp_path: Path, spelling: str) -> None:
    registered = ('\n\napp.register_listener(setup, "before_server_start")\n'
                  if spelling == "register_listener" else "\n")
    write_repo(tmp_path, {"server.py": (
        "import os\n\nimport redis.asyncio as redis\nfrom sanic import Sanic\n\n"
        "app = Sanic('demo')\nclient = redis.from_url(os.environ['REDIS_URL'])\n\n\n"
        f"{LISTENER[spelling]}\n"
        "    await client.ping()\n"
        f"{registered}\n\n"
        "@app.after_server_stop\nasync def stop(app, loop):\n"
        "    await client.aclose()\n\n\n"
        "@app.get('/')\nasync def index(request):\n"
        "    return await client.get('k')\n")})
    inventory = scan(tmp_path)
    assert inventory.wiring is not None
    assert inventory.wiring.hooks == {"server.setup": "startup", "server.stop": "shutdown"}
    assert [a.function for a in inventory.wiring.anchors] == ["server.setup"]
    [client] = [s for s in inventory.sites if s.kind == "instantiation"]
    assert client.status == "pending", client


def test_a_listener_that_is_a_method_of_an_object_is_not_wired(tmp_path: Path) -> None:
    write_repo(tmp_path, {
        "app/__init__.py": "",
        "app/conn.py": (
            "import aioredis\n\n\nclass RedisConn:\n"
            "    def __init__(self):\n        self.conn = None\n\n"
            "    async def connect(self, app, _):\n"
            "        self.conn = await aioredis.create_redis(app.config.REDIS_URL)\n\n"
            "    async def close(self, *args):\n"
            "        self.conn.close()\n        await self.conn.wait_closed()\n\n"
            "    async def add(self, key):\n        await self.conn.incr(key)\n"),
        "app/extensions.py": (
            "from sanic import Sanic\n\nfrom .conn import RedisConn\n\nconn = RedisConn()\n\n\n"
            "def register(app: Sanic):\n"
            "    app.register_listener(conn.connect, 'before_server_start')\n"
            "    app.register_listener(conn.close, 'before_server_stop')\n"),
    })
    [client] = [s for s in scan(tmp_path).sites if s.kind == "instantiation"]
    assert (client.status, client.reason_code) == ("manual", "lifecycle-not-wired"), client


SERVER = """\
import os

import redis.asyncio as redis
from sanic import Sanic

app = Sanic('demo')


@app.before_server_start
async def setup(app, loop):
    app.ctx.redis = redis.from_url(os.environ['REDIS_URL'])


@app.after_server_stop
async def stop(app, loop):
    await app.ctx.redis.aclose()


@app.get('/')
async def index(request):
    return await request.app.ctx.redis.get('k')
"""


def test_a_client_kept_on_app_ctx_is_followed_and_wired(tmp_path: Path) -> None:
    """The shape the corpus search for Sanic apps returned most (`app.ctx.redis = ...` in a
    `before_server_start` listener, whose `app` is not annotated, read through
    `request.app.ctx` in handlers). It was `unsupported-shape` ("stored on another object").
    (saweima12/peon-tgbot stores it with `setattr(app.ctx, name, client)`, which stays
    `passed-to`.)
    `app.ctx` of a Sanic app is now one namespace, like FastAPI's `app.state`: the listener
    starts the shared client, stores `get_redis()` there, and the shutdown listener closes it
    (the handlers read it unchanged)."""
    repo = git_repo(tmp_path / "sanic", {"server.py": SERVER})
    init_and_apply_every_batch(repo)
    server = (repo / "server.py").read_text()
    assert ("    await init_redis(os.environ['REDIS_URL'])\n"
            "    app.ctx.redis = get_redis()\n") in server, server
    assert "async def stop(app, loop):\n    await close_redis()\n" in server, server
    assert "return await request.app.ctx.redis.get('k')" in server, server
    compile(server, "server.py", "exec")

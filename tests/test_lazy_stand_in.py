"""A client an object keeps from import on: the global is given `lazy_redis()`, a stand-in
that looks up `get_redis()` each time it is used.

Found on three public apps of the corpus: bot4 and testopia build aiogram's `RedisStorage` with
the client at import, and notifications-p builds a class of its own (`RedisConfig(client)`)
that keeps it. `get_redis()` there would raise as the module is imported, before the startup
hook runs `init_redis()`, so they stayed `import-time-use`. An object that only keeps the
client sends nothing until it is used, after startup; the stand-in lets it keep a reference.

Refused still (the look-alikes): a library that checks the client's type as it is built
(aiohttp-session), a call on the client at import (`pubsub()`), a class whose `__init__` uses
it, and a team lifecycle module that has no `lazy_redis()`.
"""

from __future__ import annotations

import asyncio
import importlib.util
import json
import sys
import warnings
from pathlib import Path

import pytest
from analysis_helpers import scan, write_repo
from cli_helpers import BATCHES, dedented_repo, init_committed, migrate, run_python
from redis.asyncio import Redis
from snippets import template_without_lazy_redis

from redis_migrate.scan.lifecycle import template_text

BOT = """
    import asyncio

    from aiogram import Dispatcher
    from aiogram.fsm.storage.redis import RedisStorage
    from redis.asyncio import Redis

    r = Redis(host="localhost", port=6379)
    storage = RedisStorage(redis=r)
    dp = Dispatcher(storage=storage)


    async def main():
        await dp.start_polling()


    if __name__ == "__main__":
        asyncio.run(main())
"""


def _client(root: Path, name: str = ""):
    return next(s for s in scan(root).sites
                if s.kind == "instantiation" and s.file.endswith(name))


def test_kept_by_a_known_consumer_or_a_class_of_the_app(tmp_path: Path) -> None:
    write_repo(tmp_path / "bot", {"bot.py": BOT})
    site = _client(tmp_path / "bot")
    assert (site.status, site.reason_code) == ("pending", None), site
    assert "lazy-client" in site.flags, site
    assert any("kept by RedisStorage()" in n for n in site.notes), site.notes
    write_repo(tmp_path / "own", {"store.py": """
        from redis.asyncio import Redis


        class Store:
            def __init__(self, client: Redis) -> None:
                self._client = client

            async def get(self, key: str):
                return await self._client.get(key)


        client = Redis(host="localhost")
        store = Store(client)
    """})
    site = _client(tmp_path / "own")
    assert site.status == "pending" and "lazy-client" in site.flags, site


@pytest.mark.parametrize(("source", "reason"), [
    # aiohttp-session raises TypeError unless handed a redis.asyncio.Redis
    ("""
        from aiohttp_session.redis_storage import RedisStorage
        from redis.asyncio import Redis

        sessions = Redis(host="localhost")
        storage = RedisStorage(sessions)
     """, "(app.py:5)"),
    # a call on the client as the module loads: no stand-in can answer it there
    ("""
        from redis.asyncio import Redis

        events = Redis(host="localhost")
        channel = events.pubsub()


        async def publish(message):
            await events.publish("events", message)
     """, "(app.py:4)"),
    # the class uses what it is given as it is built
    ("""
        from redis.asyncio import Redis


        class Counter:
            def __init__(self, client: Redis) -> None:
                self._pipe = client.pipeline()
                self._client = client

            async def bump(self):
                return await self._client.incr("hits")


        client = Redis(host="localhost")
        counter = Counter(client)
     """, "as an object holding it is built (app.py:6)"),
    # an attribute of it read as the module loads: the stand-in would look it up then
    ("""
        from redis.asyncio import Redis

        client = Redis(host="localhost")
        pool = client.connection_pool


        async def read(key):
            return await client.get(key)
     """, "(app.py:4)"),
], ids=["type-checking-library", "call-at-import", "used-in-init", "attribute-at-import"])
def test_lookalikes_stay_import_time_use(tmp_path: Path, source: str, reason: str) -> None:
    write_repo(tmp_path, {"app.py": source})
    site = _client(tmp_path)
    assert (site.status, site.reason_code) == ("manual", "import-time-use"), site
    assert reason in (site.reason or ""), site.reason
    assert "lazy-client" not in site.flags, site


def test_a_team_module_without_lazy_redis_keeps_it_manual(tmp_path: Path) -> None:
    """The team's own lifecycle module is the truth: it has no stand-in, so none is used."""
    team = template_without_lazy_redis(template_text())
    write_repo(tmp_path, {"bot.py": BOT, "backend/services/redis_client.py": team})
    site = _client(tmp_path, "bot.py")
    assert (site.status, site.reason_code) == ("manual", "import-time-use"), site
    assert "has no lazy_redis()" in (site.reason or ""), site.reason


def _template(tmp_path: Path):
    path = tmp_path / "lifecycle_under_test.py"
    path.write_text(template_text(), encoding="utf-8")
    spec = importlib.util.spec_from_file_location("lifecycle_under_test", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def test_the_stand_in_on_a_real_server_across_two_event_loops(tmp_path: Path,
                                                              redis_url: str) -> None:
    lifecycle = _template(tmp_path)
    kept = lifecycle.lazy_redis()  # made "at import": nothing is looked up yet
    assert repr(kept) == "lazy_redis('default')"
    with pytest.raises(RuntimeError, match="not initialised"):
        kept.get("k")

    async def lifetime(value: str) -> tuple[bytes | None, bytes | None]:
        await lifecycle.init_redis(redis_url)
        try:
            before = await kept.get("k")
            await kept.set("k", value)
            async with kept.pipeline() as pipe:
                await pipe.incr("n").execute()
            return before, await lifecycle.get_redis().get("k")
        finally:
            await lifecycle.close_redis()

    # two lifetimes, two event loops: each use finds the current lifetime's client
    assert asyncio.run(lifetime("one")) == (None, b"one")
    assert asyncio.run(lifetime("two")) == (b"one", b"two")
    assert asyncio.run(_count(lifecycle, redis_url)) == b"2"
    assert not isinstance(kept, Redis)  # what the README says: type checks fail


async def _count(lifecycle, redis_url: str):
    await lifecycle.init_redis(redis_url)
    try:
        return await lifecycle.lazy_redis().get("n")
    finally:
        await lifecycle.close_redis()


APP = {
    "app/__init__.py": "",
    "app/store.py": """
        import os

        from redis.asyncio import Redis


        class KeyStore:
            def __init__(self, redis_client: Redis) -> None:
                self._redis = redis_client

            async def bump(self, key: str) -> int:
                return await self._redis.incr(f"app:{key}")


        redis_client = Redis.from_url(os.environ["REDIS_URL"])
        store = KeyStore(redis_client)
    """,
    "app/main.py": """
        from contextlib import asynccontextmanager

        from fastapi import FastAPI

        from app.store import redis_client, store


        @asynccontextmanager
        async def lifespan(app: FastAPI):
            yield
            await redis_client.aclose()


        app = FastAPI(lifespan=lifespan)


        @app.post("/hits/{key}")
        async def hit(key: str) -> dict:
            return {"hits": await store.bump(key)}
    """,
}

# two app lifetimes (event loops) of 5 requests each, then the connections the server saw
DRIVE = """
import os
import redis
from fastapi.testclient import TestClient
from app.main import app

admin = redis.Redis.from_url(os.environ["REDIS_URL"])
answers = []
for _ in range(2):
    with TestClient(app) as client:
        answers += [client.post("/hits/a").json()["hits"] for _ in range(5)]
print(answers[-1], admin.get("app:a").decode())
"""


def test_an_app_whose_store_is_built_at_import_moves_and_restarts(
        tmp_path: Path, redis_url: str) -> None:
    warnings.simplefilter("ignore", DeprecationWarning)
    repo = dedented_repo(tmp_path / "app", APP)
    before = run_python(repo, "-c", DRIVE, env={"REDIS_URL": redis_url}).split()
    assert before == ["10", "10"], before
    init_committed(repo)
    report = json.loads(migrate("inventory", "-C", repo, "--format", "json").stdout)
    client = next(s for s in report["sites"] if s["kind"] == "instantiation")
    assert client["status"] == "pending" and "lazy-client" in client["flags"], client
    for batch in BATCHES:
        run = migrate("apply", "-C", repo, "--batch", batch, "--no-git")
        assert run.exit_code == 0, run.stdout + run.stderr
    store = (repo / "app/store.py").read_text()
    assert "redis_client = lazy_redis()\nstore = KeyStore(redis_client)\n" in store, store
    main = (repo / "app/main.py").read_text()
    assert "await init_redis(os.environ" in main or "await init_redis(" in main, main
    assert "await close_redis()" in main and "aclose()" not in main, main
    after = run_python(repo, "-c", DRIVE, env={"REDIS_URL": redis_url}).split()
    assert after == ["20", "20"], after  # the same server, ten more hits, two lifetimes
    final = json.loads(migrate("inventory", "-C", repo, "--format", "json").stdout)
    assert [s for s in final["sites"] if s["kind"] == "instantiation"] == [], final["sites"]

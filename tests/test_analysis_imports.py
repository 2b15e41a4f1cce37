"""Analysis fixtures: every import form and alias that reaches a Redis constructor (SPEC §3)."""

from __future__ import annotations

from pathlib import Path

from analysis_helpers import S, assert_sites, scan, site_at, write_repo
from snippets import LOCAL_REDIS_CLASS, lazy_getter, source

ASYNC = "redis-asyncio"
SYNC = "redis-sync"


def test_import_redis_asyncio_as_aioredis(tmp_path: Path) -> None:
    write_repo(tmp_path, {"app/cache.py": """
        import redis.asyncio as aioredis

        client = aioredis.Redis.from_url("redis://localhost/0")


        async def read(key):
            return await client.get(key)
    """})
    inv = scan(tmp_path)
    assert_sites(inv, [S("app/cache.py", 3, "instantiation", "redis.asyncio.Redis.from_url",
                         "read-cache", "module", ASYNC)])
    site = inv.sites[0]
    assert site.col == 10
    assert site.rewrite == "module-client"
    assert site.operations == ["get"]
    assert site.batch == "read-caches"


def test_from_redis_import_asyncio_as_r_module_from_url(tmp_path: Path) -> None:
    write_repo(tmp_path, {"app/cache.py": """
        from redis import asyncio as r

        client = r.from_url("redis://localhost/0")


        async def write(key, value):
            await client.set(key, value)
    """})
    assert_sites(scan(tmp_path), [S("app/cache.py", 3, "instantiation", "redis.asyncio.from_url",
                                    "write-cache", "module", ASYNC)])


def test_from_redis_asyncio_import_redis_as_alias_constructor(tmp_path: Path) -> None:
    write_repo(tmp_path, {"app/cache.py": """
        from redis.asyncio import Redis as R

        client = R(host="localhost", port=6379)


        async def ping():
            return await client.ping()
    """})
    inv = scan(tmp_path)
    assert_sites(inv, [S("app/cache.py", 3, "instantiation", "redis.asyncio.Redis", "health",
                         "module", ASYNC)])
    assert inv.sites[0].batch == "health"


def test_import_redis_then_full_asyncio_path(tmp_path: Path) -> None:
    write_repo(tmp_path, {"app/cache.py": """
        import redis

        client = redis.asyncio.Redis.from_url("redis://localhost/0")


        async def read(key):
            return await client.hgetall(key)
    """})
    assert_sites(scan(tmp_path), [S("app/cache.py", 3, "instantiation",
                                    "redis.asyncio.Redis.from_url", "read-cache", "module",
                                    ASYNC)])


def test_import_redis_sync_constructor_is_manual(tmp_path: Path) -> None:
    write_repo(tmp_path, {"worker/jobs.py": """
        import redis

        conn = redis.Redis(host="localhost", db=2)


        def store(key, value):
            conn.setex(key, 60, value)
    """})
    inv = scan(tmp_path)
    assert_sites(inv, [S("worker/jobs.py", 3, "instantiation", "redis.Redis", "write-cache",
                         "module", SYNC, status="manual")])
    site = inv.sites[0]
    assert site.sync is True
    assert site.reason_code == "sync-client"
    assert "sync" in site.reason


def test_strictredis_from_url_is_sync(tmp_path: Path) -> None:
    write_repo(tmp_path, {"worker/jobs.py": """
        import redis

        conn = redis.StrictRedis.from_url("redis://localhost/1")


        def seen(key):
            return conn.exists(key)
    """})
    assert_sites(scan(tmp_path), [S("worker/jobs.py", 3, "instantiation",
                                    "redis.StrictRedis.from_url", "read-cache", "module", SYNC,
                                    status="manual")])


def test_from_url_imported_under_another_name(tmp_path: Path) -> None:
    write_repo(tmp_path, {"app/cache.py": """
        from redis.asyncio import from_url as make

        client = make("redis://localhost/0")


        async def bump(key):
            await client.delete(key)
    """})
    assert_sites(scan(tmp_path), [S("app/cache.py", 3, "instantiation", "redis.asyncio.from_url",
                                    "write-cache", "module", ASYNC)])


def test_connection_pool_plus_client_two_sites_purpose_from_client(tmp_path: Path) -> None:
    write_repo(tmp_path, {"app/cache.py": """
        from redis.asyncio import ConnectionPool, Redis

        pool = ConnectionPool.from_url("redis://localhost/0", max_connections=10)
        client = Redis(connection_pool=pool)


        async def publish(msg):
            await client.publish("events", msg)
    """})
    inv = scan(tmp_path)
    assert_sites(inv, [
        S("app/cache.py", 3, "instantiation", "redis.asyncio.ConnectionPool.from_url",
          "pubsub-stream-queue", "module", ASYNC, "manual"),
        S("app/cache.py", 4, "instantiation", "redis.asyncio.Redis", "pubsub-stream-queue",
          "module", ASYNC, "manual"),
    ])
    assert {s.rewrite for s in inv.sites} == {"pool-client"}
    # the pool's max_connections changes behaviour: both sites are left to a human (SPEC §4.8)
    assert {(s.reason_code, s.reason) for s in inv.sites} == {
        ("options-differ", "max_connections=10 differs from the central client")}


def test_blocking_connection_pool_constructor(tmp_path: Path) -> None:
    write_repo(tmp_path, {"app/cache.py": """
        import redis.asyncio as aioredis

        pool = aioredis.BlockingConnectionPool(host="localhost", max_connections=5)
        client = aioredis.Redis(connection_pool=pool)


        async def lookup(key):
            return await client.mget([key])
    """})
    inv = scan(tmp_path)
    assert_sites(inv, [
        S("app/cache.py", 3, "instantiation", "redis.asyncio.BlockingConnectionPool",
          "read-cache", "module", ASYNC, "manual"),
        S("app/cache.py", 4, "instantiation", "redis.asyncio.Redis", "read-cache", "module",
          ASYNC, "manual"),
    ])
    assert {s.reason_code for s in inv.sites} == {"options-differ"}
    assert {s.rewrite for s in inv.sites} == {"pool-client"}


def test_redis_from_pool(tmp_path: Path) -> None:
    write_repo(tmp_path, {"app/cache.py": """
        from redis.asyncio import ConnectionPool, Redis

        pool = ConnectionPool.from_url("redis://localhost/0")
        client = Redis.from_pool(pool)


        async def enqueue(job):
            await client.xadd("jobs", {"job": job})
    """})
    inv = scan(tmp_path)
    assert_sites(inv, [
        S("app/cache.py", 3, "instantiation", "redis.asyncio.ConnectionPool.from_url",
          "pubsub-stream-queue", "module", ASYNC),
        S("app/cache.py", 4, "instantiation", "redis.asyncio.Redis.from_pool",
          "pubsub-stream-queue", "module", ASYNC),
    ])
    assert {s.rewrite for s in inv.sites} == {"pool-client"}
    # the pool is the argument, not a URL (found on FastAPI-boilerplate: `init` had proposed
    # `init_redis(cache.pool)`): the URL is the pool's
    client, pool = (inv.details[(s.file, s.line, s.col, s.kind)]
                    for s in (site_at(inv, "app/cache.py", 4), site_at(inv, "app/cache.py", 3)))
    assert (client.url, client.url_key, client.url_code) == (None, None, None)
    assert pool.url == '"redis://localhost/0"' and pool.url_key is not None


def test_relative_imports_settings_and_sibling_module(tmp_path: Path) -> None:
    write_repo(tmp_path, {
        "svc/__init__.py": "",
        "svc/settings.py": 'URL = "redis://localhost/3"\n',
        "svc/legacy.py": """
            from redis.asyncio import Redis

            from .settings import URL

            client = Redis.from_url(URL)
        """,
        "svc/events.py": """
            from . import legacy


            async def emit(event):
                await legacy.client.xadd("events", event)
        """,
    })
    inv = scan(tmp_path)
    assert_sites(inv, [S("svc/legacy.py", 5, "instantiation", "redis.asyncio.Redis.from_url",
                         "pubsub-stream-queue", "module", ASYNC)])
    assert inv.sites[0].operations == ["xadd"]


def test_relative_from_dot_module_import_client(tmp_path: Path) -> None:
    write_repo(tmp_path, {
        "svc/__init__.py": "",
        "svc/sub/__init__.py": "",
        "svc/store.py": """
            import redis.asyncio

            client = redis.asyncio.from_url("redis://localhost")
        """,
        "svc/sub/views.py": """
            from ..store import client


            async def save(key):
                await client.hset(key, "a", 1)
        """,
    })
    assert_sites(scan(tmp_path), [S("svc/store.py", 3, "instantiation", "redis.asyncio.from_url",
                                    "write-cache", "module", ASYNC)])


def test_function_level_import(tmp_path: Path) -> None:
    write_repo(tmp_path, {"app/handlers.py": """
        async def handler(key):
            from redis.asyncio import Redis

            r = Redis.from_url("redis://localhost")
            try:
                return await r.get(key)
            finally:
                await r.aclose()
    """})
    inv = scan(tmp_path)
    assert_sites(inv, [
        S("app/handlers.py", 4, "instantiation", "redis.asyncio.Redis.from_url", "read-cache",
          "function", ASYNC),
        S("app/handlers.py", 8, "close", ".aclose()", "read-cache", "function", ASYNC),
    ])
    assert site_at(inv, "app/handlers.py", 4).rewrite == "function-local"


def test_function_level_import_does_not_leak_to_other_function(tmp_path: Path) -> None:
    # `Redis` is imported inside `a` only; in `b` it is the module-level local class
    write_repo(tmp_path, {"app/handlers.py": source(LOCAL_REDIS_CLASS, """
        async def a():
            from redis.asyncio import Redis
            r = Redis.from_url("redis://localhost")
            await r.set("k", 1)


        def b():
            return Redis.from_url("redis://localhost")
    """)})
    assert_sites(scan(tmp_path), [
        S("app/handlers.py", 9, "instantiation", "redis.asyncio.Redis.from_url", "write-cache",
          "function", ASYNC),
    ])


def test_try_import_aioredis_1x_create_redis_pool(tmp_path: Path) -> None:
    write_repo(tmp_path, {"app/legacy.py": source("""
        try:
            import aioredis
        except ImportError:  # pragma: no cover
            aioredis = None

        _pool = None
    """, lazy_getter("get_pool", "_pool", 'await aioredis.create_redis_pool("redis://localhost")',
                     coroutine=True), """
        async def remember(key, value):
            pool = await get_pool()
            await pool.set(key, value)
    """)})
    inv = scan(tmp_path)
    assert_sites(inv, [S("app/legacy.py", 12, "instantiation", "aioredis.create_redis_pool",
                         "write-cache", "module", "aioredis1")])
    assert inv.sites[0].rewrite == "lazy-getter"


def test_aioredis_2x_from_url_without_1x_api(tmp_path: Path) -> None:
    write_repo(tmp_path, {"app/modern.py": """
        try:
            import aioredis
        except ImportError:  # pragma: no cover
            aioredis = None

        client = aioredis.from_url("redis://localhost", decode_responses=True)


        async def lookup(key):
            return await client.hget(key, "field")
    """})
    inv = scan(tmp_path)
    # decode_responses=True on a client whose hget replies it reads: not the central client
    assert_sites(inv, [S("app/modern.py", 6, "instantiation", "aioredis.from_url",
                         "read-cache", "module", "aioredis2", "manual")])
    assert inv.sites[0].reason == "decode_responses: False (central) -> True (this client)"


def test_aioredis_from_url_in_file_that_uses_1x_api_is_aioredis1(tmp_path: Path) -> None:
    write_repo(tmp_path, {"app/mixed.py": """
        from aioredis import Channel, from_url

        client = from_url("redis://localhost")


        async def listen():
            return await client.subscribe(Channel("c", is_pattern=False))
    """})
    assert_sites(scan(tmp_path), [S("app/mixed.py", 3, "instantiation", "aioredis.from_url",
                                    "pubsub-stream-queue", "module", "aioredis1")])


def test_aioredis_from_url_as_make(tmp_path: Path) -> None:
    write_repo(tmp_path, {"app/modern.py": """
        from aioredis import from_url as make

        client = make("redis://localhost")


        async def lookup(key):
            return await client.ttl(key)
    """})
    assert_sites(scan(tmp_path), [S("app/modern.py", 3, "instantiation", "aioredis.from_url",
                                    "read-cache", "module", "aioredis2")])


def test_redis_client_submodule_path(tmp_path: Path) -> None:
    write_repo(tmp_path, {"app/cache.py": """
        from redis.asyncio.client import Redis

        client = Redis(host="localhost")


        async def lock_it():
            async with client.lock("resource"):
                pass
    """})
    assert_sites(scan(tmp_path), [S("app/cache.py", 3, "instantiation",
                                    "redis.asyncio.client.Redis", "lock-rate-limit", "module",
                                    ASYNC)])


def test_two_aliases_in_one_file_two_sites(tmp_path: Path) -> None:
    write_repo(tmp_path, {"app/cache.py": """
        import redis.asyncio as aioredis
        from redis.asyncio import Redis as R

        a = aioredis.from_url("redis://localhost/0")
        b = R.from_url("redis://localhost:6379")


        async def go():
            await a.get("x")
            p = b.pipeline()
            await p.execute()
    """})
    assert_sites(scan(tmp_path), [
        S("app/cache.py", 4, "instantiation", "redis.asyncio.from_url", "read-cache", "module",
          ASYNC),
        S("app/cache.py", 5, "instantiation", "redis.asyncio.Redis.from_url", "pipeline",
          "module", ASYNC),
    ])


def test_a_package_that_re_exports_its_settings_instance_under_the_module_name(
        tmp_path: Path) -> None:
    """`app/__init__.py` does `from app.settings import settings`: `app.settings` is both the
    module and the instance of `app.settings.Settings`. The class's own names are not the
    instance's attributes; aliasing them grew `Settings.Settings.Settings…` without end and
    the scan never finished (dripdrop, a Litestar app). Run in a subprocess so a regression
    fails instead of hanging the suite."""
    import subprocess
    import sys
    write_repo(tmp_path, {
        "app/__init__.py": """
            from litestar.stores.redis import RedisStore

            from app.settings import ENV, settings

            DEBUG = settings.env != ENV.PRODUCTION
            STORES = {"sessions": RedisStore.with_client(url=settings.redis_url)}
        """,
        "app/settings.py": """
            from enum import Enum

            from pydantic_settings import BaseSettings


            class ENV(Enum):
                DEVELOPMENT = "development"
                PRODUCTION = "production"


            class Settings(BaseSettings):
                env: ENV = ENV.DEVELOPMENT
                redis_url: str


            settings = Settings()
        """,
        "app/cache.py": """
            import redis.asyncio as aioredis

            from app.settings import settings

            client = aioredis.from_url(settings.redis_url)


            async def read(key):
                return await client.get(key)
        """,
    })
    run = subprocess.run([sys.executable, "-m", "redis_migrate", "inventory", "-C", str(tmp_path),
                          "--format", "json"], capture_output=True, text=True, timeout=60)
    assert run.returncode == 0, run.stderr
    import json
    (site,) = json.loads(run.stdout)["sites"]
    assert (site["file"], site["purpose"], site["status"]) == ("app/cache.py", "read-cache",
                                                               "pending")

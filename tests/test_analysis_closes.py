"""Analysis fixtures: close sites, the lifecycle module, scopes and rewrite kinds (SPEC §3-§4)."""

from __future__ import annotations

from pathlib import Path

from analysis_helpers import (
    LIFECYCLE_PATH,
    S,
    assert_sites,
    async_client,
    scan,
    site_at,
    write_repo,
)
from snippets import lazy_getter, source

ASYNC = "redis-asyncio"

LIFECYCLE = """
    import redis.asyncio as aioredis

    _client = None


    async def init_redis():
        global _client
        _client = aioredis.Redis.from_url("redis://localhost")
        await _client.ping()


    def get_redis():
        return _client


    async def close_redis():
        await _client.aclose()
        await _client.connection_pool.disconnect()
"""


def test_aclose_on_function_local_client(tmp_path: Path) -> None:
    write_repo(tmp_path, {"app/h.py": """
        from redis.asyncio import Redis


        async def handler(key):
            r = Redis.from_url("redis://localhost")
            value = await r.get(key)
            await r.aclose()
            return value
    """})
    inv = scan(tmp_path)
    assert_sites(inv, [
        S("app/h.py", 5, "instantiation", "redis.asyncio.Redis.from_url", "read-cache",
          "function", ASYNC),
        S("app/h.py", 7, "close", ".aclose()", "read-cache", "function", ASYNC),
    ])
    close = site_at(inv, "app/h.py", 7)
    assert close.col == 11
    assert close.rewrite == "close-call"
    assert site_at(inv, "app/h.py", 5).rewrite == "function-local"


def test_aioredis1_close_then_wait_closed_two_close_sites(tmp_path: Path) -> None:
    write_repo(tmp_path, {"app/old.py": """
        import aioredis


        async def fetch(key):
            r = await aioredis.create_redis("redis://localhost")
            try:
                return await r.get(key)
            finally:
                r.close()
                await r.wait_closed()
    """})
    assert_sites(scan(tmp_path), [
        # aioredis 1.x: moved onto get_redis() and its calls converted (issue 5)
        S("app/old.py", 5, "instantiation", "aioredis.create_redis", "read-cache", "function",
          "aioredis1"),
        S("app/old.py", 9, "close", ".close()", "read-cache", "function", "aioredis1"),
        S("app/old.py", 10, "close", ".wait_closed()", "read-cache", "function", "aioredis1"),
    ])


def test_connection_pool_disconnect_on_module_client(tmp_path: Path) -> None:
    write_repo(tmp_path, {"app/c.py": """
        import redis.asyncio as aioredis

        client = aioredis.from_url("redis://localhost")


        async def write(key):
            await client.set(key, 1)


        async def shutdown():
            await client.connection_pool.disconnect()
    """})
    inv = scan(tmp_path)
    assert_sites(inv, [
        S("app/c.py", 3, "instantiation", "redis.asyncio.from_url", "write-cache", "module",
          ASYNC),
        S("app/c.py", 11, "close", ".connection_pool.disconnect()", "write-cache", "module",
          ASYNC),
    ])
    assert site_at(inv, "app/c.py", 3).operations == ["set"]  # a close is no operation


def test_pool_disconnect_on_pool_site(tmp_path: Path) -> None:
    write_repo(tmp_path, {"app/c.py": """
        from redis.asyncio import ConnectionPool, Redis

        pool = ConnectionPool(host="localhost")
        client = Redis(connection_pool=pool)


        async def write(key):
            await client.rpush(key, 1)


        async def shutdown():
            await pool.disconnect()
    """})
    assert_sites(scan(tmp_path), [
        S("app/c.py", 3, "instantiation", "redis.asyncio.ConnectionPool", "write-cache",
          "module", ASYNC),
        S("app/c.py", 4, "instantiation", "redis.asyncio.Redis", "write-cache", "module", ASYNC),
        S("app/c.py", 12, "close", ".disconnect()", "write-cache", "module", ASYNC),
    ])


def test_disconnect_on_a_client_is_not_a_close(tmp_path: Path) -> None:
    # SPEC: `disconnect` counts only on a pool (and via `.connection_pool`)
    write_repo(tmp_path, {"app/c.py": """
        from redis.asyncio import Redis

        client = Redis()


        async def f():
            await client.get("k")
            await client.disconnect()
    """})
    assert_sites(scan(tmp_path), [
        S("app/c.py", 3, "instantiation", "redis.asyncio.Redis", "read-cache", "module", ASYNC),
    ])


def test_async_with_module_level_client(tmp_path: Path) -> None:
    write_repo(tmp_path, {"app/c.py": """
        from redis.asyncio import Redis

        client = Redis.from_url("redis://localhost")


        async def job():
            async with client:
                await client.publish("ch", "hi")
    """})
    assert_sites(scan(tmp_path), [
        S("app/c.py", 3, "instantiation", "redis.asyncio.Redis.from_url", "pubsub-stream-queue",
          "module", ASYNC),
        S("app/c.py", 7, "close", "async with", "pubsub-stream-queue", "module", ASYNC),
    ])


def test_async_with_created_client_is_not_a_separate_close(tmp_path: Path) -> None:
    write_repo(tmp_path, {"app/c.py": """
        from redis.asyncio import Redis


        async def job():
            async with Redis.from_url("redis://localhost") as r:
                await r.get("k")
    """})
    assert_sites(scan(tmp_path), [
        S("app/c.py", 5, "instantiation", "redis.asyncio.Redis.from_url", "read-cache",
          "function", ASYNC),
    ])


def test_close_of_module_client_in_another_module(tmp_path: Path) -> None:
    write_repo(tmp_path, {
        "app/__init__.py": "",
        "app/c.py": 'import redis.asyncio as aioredis\n\nclient = aioredis.from_url("x")\n',
        "app/main.py": """
            from app.c import client as cache


            async def on_shutdown():
                await cache.aclose()


            async def use():
                await cache.sadd("s", 1)
        """,
    })
    assert_sites(scan(tmp_path), [
        S("app/c.py", 3, "instantiation", "redis.asyncio.from_url", "write-cache", "module",
          ASYNC),
        S("app/main.py", 5, "close", ".aclose()", "write-cache", "module", ASYNC),
    ])


def test_get_redis_from_lifecycle_module_aclose_and_async_with(tmp_path: Path) -> None:
    write_repo(tmp_path, {
        LIFECYCLE_PATH: LIFECYCLE,
        "backend/__init__.py": "",
        "backend/services/__init__.py": "",
        "backend/api/health.py": """
            from backend.services.redis_client import get_redis


            async def reset():
                await get_redis().aclose()


            async def probe():
                async with get_redis() as r:
                    return await r.ping()
        """,
    })
    inv = scan(tmp_path)
    assert_sites(inv, [
        S("backend/api/health.py", 5, "close", ".aclose()", "lifecycle", "function", ASYNC),
        S("backend/api/health.py", 9, "close", "async with", "lifecycle", "function", ASYNC),
    ])
    assert {s.batch for s in inv.sites} == {"health"}
    assert site_at(inv, "backend/api/health.py", 5).col == 11


def test_get_redis_imported_under_alias_from_lifecycle_module(tmp_path: Path) -> None:
    write_repo(tmp_path, {
        LIFECYCLE_PATH: LIFECYCLE,
        "backend/workers/w.py": """
            from backend.services import redis_client as rc


            async def stop():
                r = rc.get_redis()
                await r.close()
        """,
    })
    assert_sites(scan(tmp_path), [
        S("backend/workers/w.py", 6, "close", ".close()", "lifecycle", "function", ASYNC),
    ])


def test_get_redis_use_without_close_is_not_a_site(tmp_path: Path) -> None:
    write_repo(tmp_path, {
        LIFECYCLE_PATH: LIFECYCLE,
        "backend/api/items.py": """
            from backend.services.redis_client import get_redis


            async def item(key):
                return await get_redis().get(key)
        """,
    })
    assert_sites(scan(tmp_path), [])


def test_nothing_inside_the_lifecycle_module_is_a_site(tmp_path: Path) -> None:
    write_repo(tmp_path, {LIFECYCLE_PATH: LIFECYCLE + """

    legacy = aioredis.Redis(host="localhost")


    async def extra():
        async with legacy:
            await legacy.set("k", 1)
        await legacy.aclose()
"""})
    inv = scan(tmp_path)
    assert_sites(inv, [])
    assert not inv.skipped


# --- scopes and rewrite kinds ---------------------------------------------------------------

def test_scope_and_rewrite_kinds(tmp_path: Path) -> None:
    write_repo(tmp_path, {"app/all.py": source("""
        from redis.asyncio import ConnectionPool, Redis

        module_client = Redis.from_url("redis://localhost/0")
        _lazy = None
    """, lazy_getter("get_lazy", "_lazy", 'Redis.from_url("redis://localhost/1")'), """
        class Holder:
            def __init__(self):
                self.r = Redis(host="localhost")

            async def read(self):
                return await self.r.get("k")


        class Body:
            client = Redis.from_url("redis://localhost/2")

            async def read(self):
                return await self.client.exists("k")


        async def handler():
            local = Redis.from_url("redis://localhost/3")
            return await local.strlen("k")


        async def pooled():
            pool = ConnectionPool.from_url("redis://localhost/4")
            c = Redis(connection_pool=pool)
            return await c.llen("q")


        async def use():
            await module_client.get("a")
            await get_lazy().get("b")
    """)})
    inv = scan(tmp_path)
    expected = {
        3: ("module", "module-client"),
        10: ("module", "lazy-getter"),
        16: ("class", "instance-attribute"),
        23: ("class", "instance-attribute"),
        30: ("function", "function-local"),
        35: ("function", "pool-client"),
        36: ("function", "pool-client"),
    }
    got = {s.line: (s.scope, s.rewrite) for s in inv.sites}
    assert got == expected
    assert {s.kind for s in inv.sites} == {"instantiation"}
    assert {s.purpose for s in inv.sites} == {"read-cache"}


def test_module_level_pool_client_scope(tmp_path: Path) -> None:
    write_repo(tmp_path, {"app/p.py": """
        import redis.asyncio as aioredis

        pool = aioredis.ConnectionPool.from_url("redis://localhost")
        client = aioredis.Redis.from_pool(pool)


        class Service:
            def __init__(self):
                self.pool = aioredis.BlockingConnectionPool.from_url("redis://localhost")
                self.client = aioredis.Redis(connection_pool=self.pool)

            async def lock(self):
                return self.client.lock("x")


        async def f():
            await client.zadd("z", {"a": 1})
    """})
    inv = scan(tmp_path)
    assert_sites(inv, [
        async_client("app/p.py", 3, "redis.asyncio.ConnectionPool.from_url", "write-cache"),
        async_client("app/p.py", 4, "redis.asyncio.Redis.from_pool", "write-cache"),
        async_client("app/p.py", 9, "redis.asyncio.BlockingConnectionPool.from_url",
                     "lock-rate-limit", "class"),
        async_client("app/p.py", 10, "redis.asyncio.Redis", "lock-rate-limit", "class"),
    ])
    assert {s.rewrite for s in inv.sites} == {"pool-client"}


def test_get_redis_close_when_lifecycle_file_not_in_repo(tmp_path: Path) -> None:
    # the import names the configured lifecycle module; whether its file is here does not matter
    write_repo(tmp_path, {"backend/api/x.py": """
        from backend.services.redis_client import get_redis


        async def stop():
            await get_redis(blocking=True).aclose()
    """})
    inv = scan(tmp_path)
    assert_sites(inv, [S("backend/api/x.py", 5, "close", ".aclose()", "lifecycle", "function",
                         ASYNC)])
    assert inv.sites[0].batch == "health"

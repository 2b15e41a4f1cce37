"""Analysis fixtures: code that looks like Redis but is not produces NO site (SPEC §3).

Every look-alike sits in a file that the prefilter does parse (it mentions redis) and, where it
helps, beside one real client (the control), so that "no site" cannot come from a file that was
never looked at.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from analysis_helpers import S, assert_sites, async_client, scan, write_repo
from snippets import LOCAL_REDIS_CLASS, source

ASYNC = "redis-asyncio"


def test_local_class_named_redis_with_from_url(tmp_path: Path) -> None:
    write_repo(tmp_path, {"app/fake.py": """
        class Redis:
            '''A stand-in for redis in tests.'''

            def __init__(self, host="localhost"):
                self.data = {}

            @classmethod
            def from_url(cls, url):
                return cls()

            def get(self, key):
                return self.data.get(key)


        client = Redis.from_url("redis://localhost")
        other = Redis()
        value = client.get("k")
    """,
        # the control: a file that makes a client, so that the stand-in's file, which names
        # redis only in a string and imports nothing of it, is read too
        "app/real.py": "import redis\n\nclient = redis.Redis()\n",
    })
    inv = scan(tmp_path)
    assert [(s.file, s.kind) for s in inv.sites] == [("app/real.py", "instantiation")]
    assert inv.files_parsed == 2


def test_local_class_named_redis_beside_a_real_client(tmp_path: Path) -> None:
    write_repo(tmp_path, {"app/mixed.py": source("import redis.asyncio", LOCAL_REDIS_CLASS, """
        fake = Redis.from_url("redis://localhost")
        real = redis.asyncio.Redis.from_url("redis://localhost")
    """, """
        async def f():
            await real.get("k")
    """)})
    assert_sites(scan(tmp_path), [
        async_client("app/mixed.py", 11, "redis.asyncio.Redis.from_url", "read-cache")])


def test_parameter_named_redis_shadows_the_import(tmp_path: Path) -> None:
    write_repo(tmp_path, {"app/factory.py": """
        from redis.asyncio import Redis


        def build(Redis):
            return Redis.from_url("redis://localhost")


        def build_default(url, Redis=Redis):
            return Redis(url)


        def build_lambda():
            return (lambda Redis: Redis.from_url("x"))(object)


        real = Redis.from_url("redis://localhost")


        async def f():
            await real.set("k", 1)
    """})
    assert_sites(scan(tmp_path), [
        async_client("app/factory.py", 16, "redis.asyncio.Redis.from_url", "write-cache")])


def test_local_variable_named_redis_shadows_module(tmp_path: Path) -> None:
    write_repo(tmp_path, {"app/shadow.py": """
        import redis


        def f(factory):
            redis = factory()
            return redis.Redis(host="x"), redis.from_url("redis://x")
    """})
    assert_sites(scan(tmp_path), [])


def test_arq_create_pool_is_not_a_site(tmp_path: Path) -> None:
    write_repo(tmp_path, {"app/worker.py": """
        import arq
        from arq import create_pool
        from arq.connections import RedisSettings


        async def enqueue(job):
            pool = await create_pool(RedisSettings(host="redis"))
            other = await arq.create_pool(RedisSettings())
            await pool.enqueue_job(job)
            await pool.close()
            await other.aclose()
    """})
    assert_sites(scan(tmp_path), [])


def test_aiopg_pool_close_and_wait_closed_beside_real_client(tmp_path: Path) -> None:
    write_repo(tmp_path, {"app/db.py": """
        import aiopg
        import redis.asyncio as aioredis

        cache = aioredis.from_url("redis://localhost")


        async def main(dsn):
            pool = await aiopg.create_pool(dsn)
            try:
                await cache.get("k")
            finally:
                pool.close()
                await pool.wait_closed()
    """})
    assert_sites(scan(tmp_path), [S("app/db.py", 4, "instantiation", "redis.asyncio.from_url",
                                    "read-cache", "module", ASYNC)])


def test_file_close_and_httpx_aclose_beside_real_client(tmp_path: Path) -> None:
    write_repo(tmp_path, {"app/io.py": """
        import httpx
        from redis.asyncio import Redis

        client = Redis.from_url("redis://localhost")
        http = httpx.AsyncClient()


        async def dump(path):
            f = open(path, "w")
            f.write(str(await client.keys("*")))
            f.close()
            await http.aclose()
            with open(path) as g:
                g.close()
            async with httpx.AsyncClient() as h:
                await h.aclose()
    """})
    assert_sites(scan(tmp_path), [S("app/io.py", 4, "instantiation", "redis.asyncio.Redis.from_url",
                                    "read-cache", "module", ASYNC)])


def test_constructor_text_in_comments_docstrings_strings_fstrings(tmp_path: Path) -> None:
    write_repo(tmp_path, {"app/docs.py": '''
        """Build clients with Redis.from_url(url) or redis.asyncio.from_url(url)."""
        from redis.asyncio import Redis

        # client = Redis.from_url("redis://localhost")
        # await client.aclose()
        NAME = "cache"
        HELP = "call Redis.from_url('redis://x') then .aclose()"
        MSG = f"try Redis.from_url({NAME!r}) or Redis({NAME})"
        RAW = rb"Redis.from_url("


        def explain():
            """Redis(host='x') and Redis.from_url(u) are created elsewhere; r.aclose()."""
            return HELP + MSG
    '''})
    assert_sites(scan(tmp_path), [])


def test_redis_as_a_variable_holding_a_string(tmp_path: Path) -> None:
    write_repo(tmp_path, {"app/settings.py": """
        import os

        redis = os.environ.get("REDIS_URL", "redis://localhost")
        host = redis.split("//")[1]
        redis_url = redis.strip()
        closed = redis.close() if hasattr(redis, "close") else None
    """})
    assert_sites(scan(tmp_path), [])


def test_get_redis_defined_locally_closed_is_not_lifecycle(tmp_path: Path) -> None:
    write_repo(tmp_path, {"app/conn.py": """
        _conn = None


        def get_redis():
            return _conn


        async def shutdown():
            await get_redis().aclose()
            async with get_redis() as r:
                pass
    """})
    assert_sites(scan(tmp_path), [])


def test_get_redis_from_a_non_lifecycle_module_closed(tmp_path: Path) -> None:
    write_repo(tmp_path, {
        "app/__init__.py": "",
        "app/other.py": "def get_redis():\n    return object()\n",
        "app/shutdown.py": """
            from app.other import get_redis


            async def shutdown():
                await get_redis().aclose()
        """,
    })
    assert_sites(scan(tmp_path), [])


@pytest.mark.parametrize("source", [
    "from redis.exceptions import RedisError\n\ntry:\n    pass\nexcept RedisError:\n    pass\n",
    "import redis\n\nprint(redis.__version__)\n",
    "from redis.asyncio import Redis\n\n\ndef f(r: Redis) -> Redis:\n    return r\n",
    "from redis.asyncio import Redis\n\nRedisType = Redis\nKINDS = {Redis: 'client'}\n",
    "import redis.asyncio as aioredis\n\nfactory = aioredis.Redis.from_url\n",
    "from redis.asyncio.lock import Lock\n\nlock = Lock(None, 'name')\n",
    "from redis.asyncio import Sentinel\n\n\nclass Redis(dict):\n    pass\n\n\nx = Redis()\n",
])
def test_redis_imports_without_construction_are_not_sites(tmp_path: Path, source: str) -> None:
    write_repo(tmp_path, {"app/mod.py": source})
    inv = scan(tmp_path)
    assert_sites(inv, [])
    assert inv.files_parsed == 1


def test_method_named_from_url_on_unrelated_object(tmp_path: Path) -> None:
    write_repo(tmp_path, {"app/db.py": """
        import sqlalchemy
        from redis_helpers import Redis
        from myredis import from_url

        engine = sqlalchemy.engine.URL.from_url("postgres://x")
        helper = Redis.from_url("redis://x")
        other = from_url("redis://x")
    """})
    assert_sites(scan(tmp_path), [])


def test_closing_pubsub_pipeline_and_lock_objects_is_not_closing_the_client(
        tmp_path: Path) -> None:
    write_repo(tmp_path, {"app/c.py": """
        from redis.asyncio import Redis

        client = Redis.from_url("redis://localhost")


        async def listen():
            pubsub = client.pubsub()
            await pubsub.subscribe("ch")
            await pubsub.aclose()
            pubsub.close()
            async with client.pipeline() as pipe:
                await pipe.execute()
            pipe.reset()
            async with client.lock("x") as held:
                pass
            conn = client.connection_pool.get_connection("PING")
            await conn.disconnect()
    """})
    assert_sites(scan(tmp_path), [S("app/c.py", 3, "instantiation", "redis.asyncio.Redis.from_url",
                                    "lock-rate-limit", "module", ASYNC)])

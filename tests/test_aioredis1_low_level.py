"""aioredis 1.x's low-level pool and connection are not clients the rewrite can move.

Found on Sanic-Chat-Example (suhjohn, a public Sanic app): `await aioredis.create_pool(...)`
makes a `ConnectionsPool` whose users take a raw connection (`with await pool as conn`) and
subscribe with `conn.execute_pubsub('subscribe', channel)` and aioredis `Channel`s. Its sites
said `unclassified`, "no Redis command on it can be followed", which was true but did not say
why no rewrite exists. They say it now (`unsupported-shape`); aioredis 1.x's high-level
`create_redis_pool` still moves as before.
"""

from __future__ import annotations

from pathlib import Path

from analysis_helpers import scan, write_repo

LOW_LEVEL = """
    import aioredis


    class RedisConnection:
        def __init__(self):
            self._pool = None

        async def connect(self):
            self._pool = await aioredis.create_pool(("localhost", 6379), minsize=5, maxsize=10)

        async def publish(self, channel, message):
            await self._pool.execute("publish", channel, message)
"""


def test_a_low_level_pool_says_why_it_stays(tmp_path: Path) -> None:
    write_repo(tmp_path, {"app/__init__.py": "", "app/conn.py": LOW_LEVEL})
    [site] = [s for s in scan(tmp_path).sites if s.kind == "instantiation"]
    assert (site.status, site.reason_code) == ("manual", "unsupported-shape"), site
    assert "low-level create_pool()" in (site.reason or "")


def test_the_high_level_pool_is_not_that(tmp_path: Path) -> None:
    high = LOW_LEVEL.replace('aioredis.create_pool(("localhost", 6379), minsize=5, maxsize=10)',
                             'aioredis.create_redis_pool("redis://localhost")').replace(
        'await self._pool.execute("publish", channel, message)',
        "await self._pool.publish(channel, message)")
    write_repo(tmp_path, {"app/__init__.py": "", "app/conn.py": high})
    [site] = [s for s in scan(tmp_path).sites if s.kind == "instantiation"]
    assert site.reason_code != "unsupported-shape", site
    assert "low-level" not in (site.reason or "")

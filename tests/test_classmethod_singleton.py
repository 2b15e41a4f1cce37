"""A client a classmethod keeps on the class (`cls._instance`) is not made a property.

Found on QuickDraw (Hyun-hyo-min/QuickDraw, a public FastAPI app): `RedisClient.get_instance`
is a classmethod that sets `cls._instance = await Redis.from_url(...)` once and returns it;
`close_instance` closes it. `cls` was read as `self`, so the attribute became a `@property`
returning `get_redis()`, and the classmethods, which read `cls._instance` on the class, got
the property object itself: `get_instance()` returned it, and the app's first request failed.
(Its URL had no key until then, which kept the site `manual` by luck.) A client stored on the
class, or read there by a classmethod, is now `manual` (`unsupported-shape`), with what to do by
hand; the same client kept and read on `self` alone still becomes a property.
"""

from __future__ import annotations

from pathlib import Path

from analysis_helpers import scan, write_repo

SINGLETON = """
    import os

    from redis.asyncio import Redis


    class RedisClient:
        _instance = None

        @classmethod
        async def get_instance(cls):
            if cls._instance is None:
                cls._instance = Redis.from_url(os.environ["REDIS_URL"])
            return cls._instance

        @classmethod
        async def close_instance(cls):
            if cls._instance:
                await cls._instance.aclose()
                cls._instance = None


    async def remember(key, value):
        client = await RedisClient.get_instance()
        await client.set(key, value)
"""


def _instantiation(root: Path):
    [site] = [s for s in scan(root).sites if s.kind == "instantiation"]
    return site


def test_a_client_kept_on_the_class_by_a_classmethod_stays(tmp_path: Path) -> None:
    write_repo(tmp_path, {"app/__init__.py": "", "app/clients.py": SINGLETON})
    site = _instantiation(tmp_path)
    assert (site.status, site.reason_code) == ("manual", "unsupported-shape"), site
    assert "read or set by a classmethod through `cls`" in (site.reason or "")
    assert "make the classmethod return get_redis()" in (site.reason or "")


ON_SELF = """
    import os

    from redis.asyncio import Redis


    class RedisClient:
        _instance = None

        async def connect(self):
            self._instance = Redis.from_url(os.environ["REDIS_URL"])

        async def remember(self, key, value):
            await self._instance.set(key, value)
"""


def test_the_same_client_kept_on_self_still_becomes_a_property(tmp_path: Path) -> None:
    write_repo(tmp_path, {"app/__init__.py": "", "app/clients.py": ON_SELF})
    site = _instantiation(tmp_path)
    assert (site.status, site.rewrite) == ("pending", "instance-attribute"), site

    # a classmethod that only reads it through the class would get the property object
    with_reader = ON_SELF + """
        @classmethod
        def current(cls):
            return cls._instance
"""
    write_repo(tmp_path / "reader", {"app/__init__.py": "", "app/clients.py": with_reader})
    site = _instantiation(tmp_path / "reader")
    assert (site.status, site.reason_code) == ("manual", "unsupported-shape"), site

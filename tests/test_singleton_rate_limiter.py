"""A singleton's classmethod that keeps its pool and client on `instance = cls()`, started by
a method call in a startup hook, on a URL of its own.

Found on fastapi-boilerplate and courtsight-backend (public FastAPI apps; the shape below is
theirs, cut down): `RateLimiter.initialize(cls, redis_url)` does `instance = cls()` and sets
`instance.pool` / `instance.client`, and the lifespan's `create_redis_rate_limit_pool()`
calls `rate_limiter.initialize(settings.REDIS_RATE_LIMIT_URL)`. Three things kept the client
`manual`: `instance.client` counted as "stored on another object"; the URL stayed the
parameter `redis_url`, since a method called through a module-level instance did not pass
its callers' argument on; and that method was not known to run at startup, so `init` only
proposed a named client (`url = "redis_url"`, the parameter's name) instead of writing it.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import tomllib
import warnings
from pathlib import Path

from cli_helpers import BATCHES, dedented_repo, init_committed, migrate, run_python, unwrapped

FILES = {
    "app/__init__.py": "",
    "app/config.py": """
        import os


        class Settings:
            REDIS_CACHE_URL = os.environ["REDIS_URL"]
            REDIS_RATE_LIMIT_URL = os.environ["RATE_LIMIT_URL"]


        settings = Settings()
    """,
    "app/cache.py": """
        from redis.asyncio import ConnectionPool, Redis

        pool: ConnectionPool | None = None
        client: Redis | None = None
    """,
    "app/rate_limit.py": """
        from typing import Optional

        from redis.asyncio import ConnectionPool, Redis


        class RateLimiter:
            _instance: Optional["RateLimiter"] = None
            pool: Optional[ConnectionPool] = None
            client: Optional[Redis] = None

            def __new__(cls):
                if cls._instance is None:
                    cls._instance = super().__new__(cls)
                return cls._instance

            @classmethod
            def initialize(cls, redis_url: str) -> None:
                instance = cls()
                if instance.pool is None:
                    instance.pool = ConnectionPool.from_url(redis_url)
                    instance.client = Redis(connection_pool=instance.pool)

            @classmethod
            def get_client(cls) -> Redis:
                instance = cls()
                if instance.client is None:
                    raise Exception("Redis client is not initialized.")
                return instance.client

            async def is_rate_limited(self, user: str, limit: int) -> bool:
                client = self.get_client()
                count = await client.incr("ratelimit:" + user)
                if count == 1:
                    await client.expire("ratelimit:" + user, 60)
                return count > limit


        rate_limiter = RateLimiter()
    """,
    "app/setup.py": """
        from contextlib import asynccontextmanager

        import redis.asyncio as redis
        from fastapi import FastAPI

        from app import cache
        from app.config import settings
        from app.rate_limit import rate_limiter


        async def create_redis_cache_pool() -> None:
            cache.pool = redis.ConnectionPool.from_url(settings.REDIS_CACHE_URL)
            cache.client = redis.Redis.from_pool(cache.pool)


        async def close_redis_cache_pool() -> None:
            await cache.client.aclose()


        async def create_redis_rate_limit_pool() -> None:
            rate_limiter.initialize(settings.REDIS_RATE_LIMIT_URL)


        async def close_redis_rate_limit_pool() -> None:
            await rate_limiter.client.aclose()


        @asynccontextmanager
        async def lifespan(app: FastAPI):
            await create_redis_cache_pool()
            await create_redis_rate_limit_pool()
            yield
            await close_redis_cache_pool()
            await close_redis_rate_limit_pool()
    """,
    "app/main.py": """
        from fastapi import FastAPI

        from app import cache
        from app.rate_limit import rate_limiter
        from app.setup import lifespan

        app = FastAPI(lifespan=lifespan)


        @app.post("/visits/{user}")
        async def visit(user: str) -> dict:
            limited = await rate_limiter.is_rate_limited(user, limit=3)
            await cache.client.set("last", user)
            return {"limited": limited}
    """,
}

# app lifetimes (event loops) of 5 requests each: whether the last was limited, and where
# the rate limiter's and the cache's keys landed
DRIVE = '''
import os
import redis
from fastapi.testclient import TestClient
from app.main import app

cache = redis.Redis.from_url(os.environ["REDIS_URL"])
limits = redis.Redis.from_url(os.environ["RATE_LIMIT_URL"])
cache.delete("ratelimit:ann", "last")
limits.delete("ratelimit:ann", "last")
for _ in range(int(os.environ["LIFETIMES"])):
    with TestClient(app) as client:
        answers = [client.post("/visits/ann").json()["limited"] for _ in range(5)]
print(answers[-1], limits.get("ratelimit:ann"), cache.exists("ratelimit:ann"), cache.get("last"))
'''


def _env(redis_url: str, lifetimes: int) -> dict[str, str]:
    return {"REDIS_URL": redis_url, "RATE_LIMIT_URL": redis_url.rsplit("/", 1)[0] + "/4",
            "LIFETIMES": str(lifetimes)}


def _sites(repo: Path) -> dict[tuple[str, int], dict]:
    report = json.loads(migrate("inventory", "-C", repo, "--format", "json").stdout)
    return {(s["file"], s["line"]): s for s in report["sites"]}


def test_init_writes_a_named_client_for_the_url_the_startup_hook_passes(
        tmp_path: Path) -> None:
    repo = dedented_repo(tmp_path / "app", FILES)
    out = init_committed(repo)
    config = tomllib.loads((repo / "migrate.toml").read_text())["tool"]["migrate"]
    # the URL the hook passes, as it resolves; not the parameter's name
    assert config["clients"] == {
        "rate-limit": {"url": "app.config.settings.REDIS_RATE_LIMIT_URL"}}, config
    assert "add named clients to [tool.migrate]" not in out, out  # written, not proposed
    sites = _sites(repo)
    pool, client = sites[("app/rate_limit.py", 20)], sites[("app/rate_limit.py", 21)]
    for site in (pool, client):
        assert (site["status"], site["client"]) == ("pending", "rate-limit"), site


def test_the_rate_limiter_moves_onto_its_named_client_and_the_app_restarts(
        tmp_path: Path, redis_url: str) -> None:
    warnings.simplefilter("ignore", DeprecationWarning)
    repo = dedented_repo(tmp_path / "app", FILES)
    before = run_python(repo, "-c", DRIVE, env=_env(redis_url, lifetimes=1)).split()
    # the 4th and 5th visits are over the limit of 3; the counter is in the limiter's db
    assert before == ["True", "b'5'", "0", "b'ann'"], before
    # started twice, the singleton's client is still bound to the first event loop
    restart = subprocess.run([sys.executable, "-c", DRIVE], cwd=repo, capture_output=True,
                             text=True, timeout=120, env={**os.environ, **_env(redis_url, 2)})
    assert restart.returncode != 0 and "Event loop is closed" in restart.stderr, restart
    init_committed(repo)
    for batch in BATCHES:
        run = migrate("apply", "-C", repo, "--batch", batch, "--no-git")
        assert run.exit_code == 0, run.stdout + run.stderr
    limiter = (repo / "app/rate_limit.py").read_text()
    assert "from_url" not in limiter and "Redis(connection_pool" not in limiter, limiter
    assert '            instance.client = get_redis("rate-limit")\n' in limiter, limiter
    setup = unwrapped((repo / "app/setup.py").read_text())
    assert ('await init_redis(settings.REDIS_CACHE_URL, clients={"rate-limit": {"url": '
            'settings.REDIS_RATE_LIMIT_URL}})') in setup, setup
    assert "aclose()" not in setup, setup
    # two lifetimes: the singleton keeps the client of the first, which close_redis() closed
    # and the second init_redis() replaced; the counter still lands in the limiter's db
    after = run_python(repo, "-c", DRIVE, env=_env(redis_url, lifetimes=2)).split()
    assert after == ["True", "b'10'", "0", "b'ann'"], after


def test_a_local_bound_twice_is_still_another_object(tmp_path: Path) -> None:
    # `instance` is rebound: which object `instance.client` sets is not the class's own
    text = textwrap.dedent(FILES["app/rate_limit.py"]).replace(
        "        instance = cls()\n        if instance.pool is None:\n",
        "        instance = cls()\n        instance = instance.other\n"
        "        if instance.pool is None:\n")
    repo = dedented_repo(tmp_path / "app", {**FILES, "app/rate_limit.py": text})
    init_committed(repo)
    client = _sites(repo)[("app/rate_limit.py", 22)]
    assert client["kind"] == "instantiation", client
    assert (client["status"], client["reason_code"]) == ("manual", "unsupported-shape"), client
    assert "stored on another object" in client["reason"], client


def test_a_method_of_a_module_instance_gets_the_url_its_caller_passes(tmp_path: Path) -> None:
    # not a classmethod: `self.pool`, on an instance made at import and started by the
    # lifespan (the method's parameter stood for no URL until the call through the instance
    # passed its argument on)
    files = {
        "app/__init__.py": "",
        "app/config.py": 'import os\n\nREDIS_URL = os.environ["REDIS_URL"]\n',
        "app/limiter.py": """
            from redis.asyncio import ConnectionPool, Redis


            class Limiter:
                pool = None
                client = None

                def initialize(self, redis_url: str) -> None:
                    self.pool = ConnectionPool.from_url(redis_url)
                    self.client = Redis(connection_pool=self.pool)

                async def hit(self, key: str) -> int:
                    return await self.client.incr(key)


            limiter = Limiter()
        """,
        "app/main.py": """
            from contextlib import asynccontextmanager

            from fastapi import FastAPI

            from app.config import REDIS_URL
            from app.limiter import limiter


            @asynccontextmanager
            async def lifespan(app):
                limiter.initialize(REDIS_URL)
                yield
                await limiter.client.aclose()


            app = FastAPI(lifespan=lifespan)
        """,
    }
    repo = dedented_repo(tmp_path / "app", files)
    init_committed(repo)
    sites = _sites(repo)
    for line in (9, 10):
        site = sites[("app/limiter.py", line)]
        assert site["status"] == "pending", site
    run = migrate("apply", "-C", repo, "--batch", "write-caches", "--no-git",
                  "--force-order")
    assert run.exit_code == 0, run.stdout + run.stderr
    main = (repo / "app/main.py").read_text()
    # the hook starts the shared client on the URL the method was given
    assert "    await init_redis(" in main and 'REDIS_URL' in main, main
    assert "await close_redis()" in main, main

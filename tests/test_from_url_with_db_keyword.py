"""`from_url("redis://127.0.0.1", port=6379, db=1)` connects to database 1, and so does the
shared client it moves to.

Found on beacon-hotel-system (hetongxue303, a public FastAPI app): its only pool is
`ConnectionPool.from_url(url='redis://127.0.0.1', port=6379, db=1, decode_responses=True)`.
redis-py applies `db=` and `port=` where the URL has none of its own, so it uses database 1.
`migrate init` advised `init_redis('redis://127.0.0.1')` (database 0), and the site stayed
`options-differ` (db=1) whatever was wired. Such a call now has the URL it connects to,
`redis://127.0.0.1:6379/1` (the host/port/db key of `Redis(host=, port=, db=)`), which init
prints and the batch wires; a URL with a database of its own keeps it (redis-py's rule).
"""

from __future__ import annotations

import textwrap
import warnings
from pathlib import Path

import pytest
from analysis_helpers import scan, write_repo
from cli_helpers import git_repo, host_and_port, init_and_apply_every_batch, migrate, run_python

POOL = """
    from fastapi import FastAPI
    from redis.asyncio import ConnectionPool, Redis


    async def get_redis() -> Redis:
        pool = ConnectionPool.from_url(url='redis://127.0.0.1', port={port}, db=1,
                                       decode_responses=True)
        return Redis(connection_pool=pool)
"""

MAIN = """
    from fastapi import FastAPI

    from app.store import get_redis

    app = FastAPI()


    @app.on_event("startup")
    async def startup():
        app.state.started = True


    @app.post("/hits")
    async def hit() -> int:
        redis = await get_redis()
        return await redis.incr("hits")
"""

DRIVE = """
import os
import redis
from fastapi.testclient import TestClient
from app.main import app

db1 = redis.Redis.from_url(os.environ["REDIS_URL"].rsplit("/", 1)[0] + "/1")
db1.delete("hits")
with TestClient(app) as client:
    counts = [client.post("/hits").json() for _ in range(10)]
print(counts[-1], int(db1.get("hits")))
"""


def _files(port: str) -> dict[str, str]:
    return {"app/__init__.py": "", "app/store.py": POOL.replace("{port}", port),
            "app/main.py": MAIN}


def test_the_app_keeps_database_1_through_the_shared_client(tmp_path: Path,
                                                             redis_url: str) -> None:
    warnings.simplefilter("ignore", DeprecationWarning)
    _, port = host_and_port(redis_url)
    repo = git_repo(tmp_path / "hotel", {k: textwrap.dedent(v).lstrip()
                                         for k, v in _files(port).items()})
    env = {"REDIS_URL": redis_url}
    assert run_python(repo, "-c", DRIVE, env=env).split() == ["10", "10"]
    run = migrate("init", "-C", repo)
    assert f"url: 'redis://127.0.0.1:{port}/1' (used by 1 of 1 clients)" in run.stdout, run.stdout
    init_and_apply_every_batch(repo)
    main = (repo / "app/main.py").read_text()
    assert f"await init_redis('redis://127.0.0.1:{port}/1')" in main, main
    assert "from_url" not in (repo / "app/store.py").read_text()
    assert run_python(repo, "-c", DRIVE, env=env).split() == ["10", "10"]


@pytest.mark.parametrize("url, keywords, moves", [
    ("'redis://127.0.0.1'", "port=6379, db=1", True),
    ("'redis://127.0.0.1:6379/1'", "", True),  # the same place, spelled as a plain literal
    ("'redis://127.0.0.1/2'", "db=1", False),  # the URL's own database wins: 2
    ("'redis://127.0.0.1'", "db=3", False),
])
def test_which_spellings_are_that_url(tmp_path: Path, url: str, keywords: str,
                                      moves: bool) -> None:
    """The central client is `Redis(host="127.0.0.1", db=1)`, started by the app's hook; the
    other client is the `from_url` spelling."""
    other = (f"from redis.asyncio import Redis\n\n"
             f"other = Redis.from_url({url}{', ' if keywords else ''}{keywords})\n\n\n"
             f"async def read(key):\n    return await other.get(key)\n")
    root = write_repo(tmp_path, {
        "app/__init__.py": "", "app/other.py": other,
        "app/main.py": """
            from contextlib import asynccontextmanager

            from fastapi import FastAPI
            from redis.asyncio import Redis


            @asynccontextmanager
            async def lifespan(app):
                app.state.redis = Redis(host="127.0.0.1", db=1)
                yield
                await app.state.redis.aclose()


            app = FastAPI(lifespan=lifespan)
        """})
    [site] = [s for s in scan(root).sites if s.file == "app/other.py"]
    assert (site.status == "pending") is moves, site

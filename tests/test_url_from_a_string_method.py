"""A URL made by a string method of a named URL is that URL, changed the same way.

Found on Linkly (drona-gyawali/Linkly, a public FastAPI app): `services/shortner.py` has a
module global `redis_url = settings.redis_url.replace("redis://", "rediss://")` and a module
client on it, and the app's lifespan makes its own client from a local bound to the same
expression. A call's result had no URL key of its own, so the global and the local were two
different names: the lifespan's client moved and the service's stayed (`url-differs`). Now a
pure string method with literal arguments (`replace`, `strip`, `removeprefix`, ...) of a
named URL has a key (the URL's, the method, its arguments), and a name bound once in its
module to such a call has that key. Proven through the real CLI on a real redis-server: both
clients used database 5 (the `replace` picks it), and so does the shared client.
"""

from __future__ import annotations

import textwrap
import warnings
from pathlib import Path

from analysis_helpers import scan, write_repo
from cli_helpers import git_repo, init_and_apply_every_batch, run_python

APP = {
    "app/__init__.py": "",
    "app/settings.py": """
        import os


        class Settings:
            redis_url = os.environ["REDIS_URL"]


        settings = Settings()
    """,
    "app/counter.py": """
        import redis.asyncio as redis

        from app.settings import settings

        redis_url = settings.redis_url.replace("/0", "/5")
        redis_client = redis.from_url(redis_url)


        async def bump() -> int:
            return await redis_client.incr("hits")
    """,
    "app/main.py": """
        from contextlib import asynccontextmanager

        import redis.asyncio as redis
        from fastapi import FastAPI

        from app.counter import bump
        from app.settings import settings


        @asynccontextmanager
        async def lifespan(app: FastAPI):
            redis_url = settings.redis_url.replace("/0", "/5")
            client = redis.from_url(redis_url)
            await client.set("started", 1)
            yield
            await client.aclose()


        app = FastAPI(lifespan=lifespan)


        @app.post("/hits")
        async def hit() -> int:
            return await bump()
    """,
}

# `lifetimes` app lifetimes (event loops), 20 requests each: the last count, database 5's
# counter, and the connections the server accepted meanwhile
DRIVE = """
import os, sys
import redis
from fastapi.testclient import TestClient
from app.main import app

admin = redis.Redis.from_url(os.environ["REDIS_URL"].replace("/0", "/5"))
admin.delete("hits")
before = admin.info("stats")["total_connections_received"]
for _ in range(int(sys.argv[1])):
    with TestClient(app) as client:
        counts = [client.post("/hits").json() for _ in range(20)]
opened = admin.info("stats")["total_connections_received"] - before
print(counts[-1], int(admin.get("hits")), opened)
"""


def _sites(root: Path) -> dict[str, tuple[str, str | None]]:
    return {s.file: (s.status, s.reason_code) for s in scan(root).sites
            if s.kind == "instantiation"}


def test_both_clients_on_one_replaced_url_move_and_keep_their_database(
        tmp_path: Path, redis_url: str) -> None:
    warnings.simplefilter("ignore", DeprecationWarning)
    repo = git_repo(tmp_path / "linkly", {k: textwrap.dedent(v).lstrip() for k, v in APP.items()})
    env = {"REDIS_URL": redis_url}
    assert run_python(repo, "-c", DRIVE, "1", env=env).split()[:2] == ["20", "20"]
    init_and_apply_every_batch(repo)
    counter = (repo / "app/counter.py").read_text()
    assert "redis_client =" not in counter and "await get_redis().incr" in counter, counter
    main = (repo / "app/main.py").read_text()
    assert "    await init_redis(redis_url)\n" in main, main
    # two lifetimes now work (the module client was bound to the first event loop), on db 5
    last, in_db5, opened = run_python(repo, "-c", DRIVE, "2", env=env).split()
    assert (last, in_db5) == ("40", "40")
    assert int(opened) <= 4, opened


def test_another_change_or_a_name_bound_twice_is_another_url(tmp_path: Path) -> None:
    """The look-alikes: another argument is another URL, and a global bound twice keeps a
    key of its own; either way the service's client stays, and the lifespan's moves."""
    counter = textwrap.dedent(APP["app/counter.py"])
    for name, changed in (
            ("other-argument", counter.replace('replace("/0", "/5")', 'replace("/0", "/6")')),
            ("bound-twice", counter.replace("redis_client = redis.from_url(redis_url)",
                                            "redis_url = redis_url.strip()\n"
                                            "redis_client = redis.from_url(redis_url)"))):
        root = write_repo(tmp_path / name, {**APP, "app/counter.py": changed})
        assert _sites(root) == {"app/counter.py": ("manual", "url-differs"),
                                "app/main.py": ("pending", None)}, name
    root = write_repo(tmp_path / "same", APP)
    assert _sites(root) == {"app/counter.py": ("pending", None),
                            "app/main.py": ("pending", None)}

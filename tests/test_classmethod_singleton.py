"""A client a classmethod keeps on the class (`cls._instance`) is never made a property.

Found on QuickDraw (Hyun-hyo-min/QuickDraw, a public FastAPI app): `RedisClient.get_instance`
is a classmethod that sets `cls._instance = await Redis.from_url(...)` once and returns it;
`close_instance` closes it. `cls` was read as `self`, so the attribute became a `@property`
returning `get_redis()`, and the classmethods, which read `cls._instance` on the class, got
the property object itself: `get_instance()` returned it, and the app's first request failed.
(Its URL had no key until then, which kept the site `manual` by luck.) Such a client was then
left `manual` (`unsupported-shape`). Now, made in an async def (which runs once the app's loop
does, after `init_redis()`), its assignment takes `get_redis()` where it stands, and the class
keeps it as it kept the old client; made in a plain def, which may run at import, it stays
`manual`. The same client kept and read on `self` alone still becomes a property.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from analysis_helpers import git_init, run_cli, scan, write_repo
from cli_helpers import BATCHES, git

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


def test_a_client_a_plain_classmethod_keeps_on_the_class_stays(tmp_path: Path) -> None:
    plain = SINGLETON.replace("async def get_instance(cls):", "def get_instance(cls):").replace(
        "client = await RedisClient.get_instance()", "client = RedisClient.get_instance()")
    write_repo(tmp_path, {"app/__init__.py": "", "app/clients.py": plain})
    site = _instantiation(tmp_path)
    assert (site.status, site.reason_code) == ("manual", "unsupported-shape"), site
    assert "read or set by a classmethod through `cls`" in (site.reason or "")
    assert "make the classmethod return get_redis()" in (site.reason or "")


def test_an_async_classmethod_gives_the_class_get_redis_where_it_stands(tmp_path: Path) -> None:
    write_repo(tmp_path, {"app/__init__.py": "", "app/clients.py": SINGLETON})
    git_init(tmp_path)
    site = _instantiation(tmp_path)
    assert site.status == "pending", site
    assert run_cli("init", "-C", str(tmp_path)).exit_code == 0
    git(tmp_path, "add", "-A")
    git(tmp_path, "commit", "-qm", "init")
    for batch in BATCHES:
        run = run_cli("apply", "-C", str(tmp_path), "--batch", batch, "--no-git",
                      "--force-order")
        assert run.exit_code == 0, run.output
    text = (tmp_path / "app/clients.py").read_text()
    assert "            cls._instance = get_redis()\n" in text, text
    assert "property" not in text and "Redis.from_url" not in text, text
    # its close goes with the client (close_redis() closes the shared one)
    assert "aclose()" not in text and "            cls._instance = None\n" in text, text


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

    # a classmethod that also reads it through the class would get the property object: the
    # async def's assignment takes get_redis() in place instead (see the test above)
    with_reader = ON_SELF + """
        @classmethod
        def current(cls):
            return cls._instance
"""
    write_repo(tmp_path / "reader", {"app/__init__.py": "", "app/clients.py": with_reader})
    site = _instantiation(tmp_path / "reader")
    assert site.status == "pending" and site.scope == "class", site
    plain = with_reader.replace("async def connect(self):", "def connect(self):")
    write_repo(tmp_path / "plain", {"app/__init__.py": "", "app/clients.py": plain})
    site = _instantiation(tmp_path / "plain")
    assert (site.status, site.reason_code) == ("manual", "unsupported-shape"), site


APP = {
    "app/__init__.py": "",
    "app/config.py": 'import os\n\nREDIS_HOST = os.environ["REDIS_HOST"]\n',
    "app/clients.py": """
        from redis.asyncio import Redis

        from app import config


        class RedisClient:
            _instance = None

            @classmethod
            async def get_instance(cls):
                if cls._instance is None:
                    cls._instance = await Redis.from_url(f"redis://{config.REDIS_HOST}:"
                                                         f"{config.REDIS_PORT}/0")
                return cls._instance


        async def get_redis_pool():
            return await RedisClient.get_instance()
    """,
    "app/main.py": """
        from contextlib import asynccontextmanager

        from fastapi import Depends, FastAPI

        from app.clients import get_redis_pool


        @asynccontextmanager
        async def lifespan(app: FastAPI):
            try:
                yield
            finally:
                pass


        app = FastAPI(lifespan=lifespan)


        @app.post("/draw/{key}")
        async def draw(key: str, redis=Depends(get_redis_pool)) -> int:
            return await redis.rpush("draws:" + key, "x")
    """,
}

# app lifetimes (event loops) of 3 requests each: the last list length
DRIVE = '''
import os
import redis
from fastapi.testclient import TestClient
from app.main import app

admin = redis.Redis(host=os.environ["REDIS_HOST"], port=int(os.environ["REDIS_PORT"]))
admin.delete("draws:k")
for _ in range(int(os.environ["LIFETIMES"])):
    with TestClient(app) as client:
        lengths = [client.post("/draw/k").json() for _ in range(3)]
print(lengths[-1])
'''


def test_the_class_held_client_works_across_two_app_lifetimes(tmp_path: Path,
                                                               redis_url: str) -> None:
    import textwrap
    import warnings

    from cli_helpers import git_repo, host_and_port, run_python

    warnings.simplefilter("ignore", DeprecationWarning)
    host, port = host_and_port(redis_url)
    files = {k: textwrap.dedent(v).lstrip() for k, v in APP.items()}
    files["app/config.py"] += 'REDIS_PORT = os.environ["REDIS_PORT"]\n'
    repo = git_repo(tmp_path / "app", files)
    env = {"REDIS_HOST": host, "REDIS_PORT": port, "LIFETIMES": "1"}
    assert run_python(repo, "-c", DRIVE, env=env) == "3"
    # started twice, the class keeps a client bound to the first event loop
    restart = subprocess.run([sys.executable, "-c", DRIVE], cwd=repo, capture_output=True,
                             text=True, timeout=120,
                             env={**os.environ, **env, "LIFETIMES": "2"})
    assert restart.returncode != 0, restart
    assert run_cli("init", "-C", str(repo)).exit_code == 0
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "init")
    for batch in BATCHES:
        run = run_cli("apply", "-C", str(repo), "--batch", batch, "--no-git")
        assert run.exit_code == 0, run.output
    clients = (repo / "app/clients.py").read_text()
    assert "cls._instance = get_redis()\n" in clients, clients
    main = (repo / "app/main.py").read_text()
    assert "await init_redis(" in main and "await close_redis()" in main, main
    # the class keeps the first lifetime's shared client, which close_redis() closed: it
    # connects again on the second loop
    assert run_python(repo, "-c", DRIVE, env={**env, "LIFETIMES": "2"}) == "6"

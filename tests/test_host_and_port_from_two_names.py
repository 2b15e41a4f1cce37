"""A client on `host=REDIS_HOST, port=int(REDIS_PORT)` is wired with both names.

Found on Bloggy (TariqMehmood1004/Bloggy-Management-System-fast-api-python, a public FastAPI
app): its module reads `REDIS_HOST` and `REDIS_PORT` from the environment and builds
`redis.Redis(host=REDIS_HOST, port=int(REDIS_PORT), decode_responses=True)`; its startup hook
pings it. The site waited (`lifecycle-not-wired`) for two reasons: `int(REDIS_PORT)` had no
URL key (`str(...)` had one), and the hook's file could be given one import for the URL, not
the two names of the module it already imports from. Proven through the real CLI on a real
redis-server: the app answers the same before and after, over two app lifetimes.
"""

from __future__ import annotations

import textwrap
import warnings
from pathlib import Path

import pytest
from cli_helpers import git_repo, host_and_port, init_and_apply_every_batch, run_python

APP = {
    "app/__init__.py": "",
    "app/redis_config.py": """
        import os

        import redis.asyncio as redis

        CONFIG = {"host": os.environ["REDIS_HOST"], "port": os.environ["REDIS_PORT"]}
        REDIS_HOST = CONFIG["host"]
        REDIS_PORT = CONFIG["port"]

        redis_client = redis.Redis(host=REDIS_HOST, port=int(REDIS_PORT), decode_responses=True)


        async def verify_redis_connection():
            print("Redis Connected:", await redis_client.ping())
    """,
    "app/main.py": """
        from fastapi import FastAPI

        from .redis_config import redis_client, verify_redis_connection

        app = FastAPI()


        @app.on_event("startup")
        async def startup_event():
            await verify_redis_connection()


        @app.post("/hits/{key}")
        async def hit(key: str) -> str:
            await redis_client.incr(key)
            return await redis_client.get(key)
    """,
}

DRIVE = '''
import sys
import warnings
warnings.simplefilter("ignore", DeprecationWarning)
from fastapi.testclient import TestClient
from app.main import app

for _ in range(int(sys.argv[1])):  # app lifetimes, each on its own event loop
    with TestClient(app) as client:
        answers = [client.post("/hits/bloggy").json() for _ in range(5)]
print(type(answers[-1]).__name__, answers[-1])
'''


@pytest.mark.parametrize("read", ["config", "environment"])
def test_a_host_and_port_read_from_two_names_are_wired(tmp_path: Path, redis_url: str,
                                                      read: str) -> None:
    """Names bound to a config's values are imported, both from the module the hook's file
    already imports from; names bound to environment reads (as Bloggy's are) are those reads,
    spelled `getenv(...)` in the hook."""
    warnings.simplefilter("ignore", DeprecationWarning)
    host, port = host_and_port(redis_url)
    env = {"REDIS_HOST": host, "REDIS_PORT": port}
    files = {k: textwrap.dedent(v).lstrip() for k, v in APP.items()}
    if read == "environment":
        files["app/redis_config.py"] = files["app/redis_config.py"].replace(
            'REDIS_HOST = CONFIG["host"]', 'REDIS_HOST = os.getenv("REDIS_HOST")').replace(
            'REDIS_PORT = CONFIG["port"]', 'REDIS_PORT = os.getenv("REDIS_PORT")')
    repo = git_repo(tmp_path / "bloggy", files)
    # one lifetime: a second, on a new event loop, fails before the migration (the module's
    # client is bound to the first loop: "Event loop is closed")
    kind, before = run_python(repo, "-c", DRIVE, "1", env=env).splitlines()[-1].split()
    assert kind == "str"  # decode_responses=True: the app returns text
    init_and_apply_every_batch(repo)
    main = (repo / "app/main.py").read_text()
    if read == "config":
        assert "from .redis_config import REDIS_HOST, REDIS_PORT, verify_redis_connection" \
            in main, main
        assert 'await init_redis(f"redis://{REDIS_HOST}:{REDIS_PORT}/0")' in main, main
    else:
        assert "from os import getenv" in main, main
        assert ("""await init_redis(f'redis://{getenv("REDIS_HOST")}:{getenv("REDIS_PORT")}/0')"""
                in main), main
    assert "redis.Redis(" not in (repo / "app/redis_config.py").read_text()
    kind, after = run_python(repo, "-c", DRIVE, "2", env=env).splitlines()[-1].split()
    assert kind == "str", after  # the shared client decodes too
    assert int(after) == int(before) + 10, (before, after)

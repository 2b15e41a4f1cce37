"""A FastAPI app whose one hook is a shutdown hook gets a startup hook beside it.

Found on a public app (yngcrovi/HealthPage-backend), tried after the corpus was fixed: a
wrapper class makes its client in `__init__` on a literal URL, a module-level instance is
built at import, and the app's one hook is `@app.on_event("shutdown")`, which closes it.
Every site waited (`lifecycle-not-wired`: no hook to call init_redis() from). `lifespan=`
would be wrong there: FastAPI runs no `on_event` hook once it is given one. The batch now
adds `@app.on_event("startup")` beside the shutdown hook. Proven through the real CLI on a
real redis-server: the app answers the same before and after, over two app lifetimes (two
event loops), and the requests share one pool.
"""

from __future__ import annotations

import warnings
from pathlib import Path

from cli_helpers import BATCHES, git, git_repo, migrate, run_python

STORE = '''import os

from redis import asyncio as aioredis


class Store:
    def __init__(self):
        self.redis = aioredis.from_url(os.environ["REDIS_URL"])

    async def close_connection(self):
        await self.redis.aclose()

    async def bump(self, key):
        return await self.redis.incr(key)


store = Store()
'''

APP = {
    "app/__init__.py": "",
    "app/store.py": STORE,
    "app/main.py": '''from fastapi import FastAPI

from app.store import store

app = FastAPI()


@app.on_event("shutdown")
async def shutdown_event():
    await store.close_connection()


@app.post("/hits/{key}")
async def hit(key: str) -> int:
    return await store.bump(key)
''',
}

# two app lifetimes (two event loops), 20 requests each; the last count and the connections
# the server accepted meanwhile
DRIVE = '''
import os
import warnings
warnings.simplefilter("ignore", DeprecationWarning)
import redis
from fastapi.testclient import TestClient
from app.main import app

admin = redis.Redis.from_url(os.environ["REDIS_URL"])
admin.delete("k")
before = admin.info("stats")["total_connections_received"]
for _ in range(2):
    with TestClient(app) as client:
        counts = [client.post("/hits/k").json() for _ in range(20)]
print(counts[-1], admin.info("stats")["total_connections_received"] - before)
'''


def _drive(repo: Path, redis_url: str) -> tuple[int, int]:
    last, opened = run_python(repo, "-c", DRIVE, env={"REDIS_URL": redis_url}).split()
    return int(last), int(opened)


def test_a_shutdown_only_fastapi_app_gets_a_startup_hook(tmp_path: Path, redis_url: str) -> None:
    warnings.simplefilter("ignore", DeprecationWarning)
    repo = git_repo(tmp_path / "hits", APP)
    assert _drive(repo, redis_url)[0] == 40
    assert migrate("init", "-C", repo).exit_code == 0
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "init")
    inventory = migrate("inventory", "-C", repo)
    assert "lifecycle-not-wired" not in inventory.stdout, inventory.stdout
    for batch in BATCHES:
        run = migrate("apply", "-C", repo, "--batch", batch, "--no-git")
        assert run.exit_code == 0, run.stdout + run.stderr
    main = (repo / "app/main.py").read_text()
    assert "lifespan=" not in main, main
    startup = main.index('@app.on_event("startup")')
    assert startup < main.index('@app.on_event("shutdown")'), main
    assert 'await init_redis(getenv("REDIS_URL"))' in main[startup:], main
    assert main.rstrip().endswith("return await store.bump(key)"), main
    assert "await close_redis()" in main, main
    store = (repo / "app/store.py").read_text()
    assert "aioredis.from_url" not in store and "return get_redis()" in store, store
    last, opened = _drive(repo, redis_url)
    assert last == 40, last
    assert opened <= 4, opened  # one pool per app lifetime
    again = migrate("apply", "-C", repo, "--batch", "write-caches", "--no-git")
    assert again.exit_code == 0 and (repo / "app/main.py").read_text() == main

"""A client set up by a plain function the lifespan calls, handed out through an `Annotated`
dependency alias made in another module.

Found on a public FastAPI service (3rd-semester-sd/bachelor-project, booking_service), tried
after the corpus was fixed: `setup_redis(app)`, a plain `def` its lifespan calls, stores
`Redis.from_url(str(settings.redis.url))` on `app.state`; `deps.py` has `get_redis(request)`
return it and `GetRedis = Annotated[Redis, Depends(get_redis)]`; the routes take `redis:
GetRedis`. Before, the alias's `Depends(...)` counted as "stored in a container" (the client
escaped and stayed `manual`); once followed, the batch put `await init_redis(...)` inside the
plain `def` and its own compile check refused the rewrite. Now the lifespan is wired, with
the URL spelled `str(...)` as the client spelled it (a pydantic `RedisDsn` is not a string).

A second service (qiuqfang/fastapi_app) printed the client in its startup hook: `print()`
only reads it, and no longer counts as handing it to code that may keep or close it.
Proven through the real CLI on a real redis-server.
"""

from __future__ import annotations

import json
from pathlib import Path

from cli_helpers import git_repo, init_and_apply_every_batch, migrate, run_python

from redis_migrate.rewrite.initialize import import_name

APP = {
    "app/__init__.py": "",
    "app/settings.py": 'import os\n\nREDIS_URL = os.environ.get("REDIS_URL", '
                       '"redis://localhost:6379/0")\n',
    "app/redis_setup.py": '''from fastapi import FastAPI
from redis.asyncio import Redis

from app import settings


def setup_redis(app: FastAPI) -> None:
    """A plain def, which the lifespan calls as is."""
    app.state.redis = Redis.from_url(str(settings.REDIS_URL))
    print(app.state.redis)


async def shutdown_redis(app: FastAPI) -> None:
    redis: Redis = app.state.redis
    await redis.aclose()
''',
    "app/deps.py": '''from typing import Annotated

from fastapi import Depends, Request
from redis.asyncio import Redis


def get_redis(request: Request) -> Redis:
    return request.app.state.redis


GetRedis = Annotated[Redis, Depends(get_redis)]
Documented = Annotated[Redis, "a note, not a dependency"]
''',
    "app/main.py": '''from contextlib import asynccontextmanager

from fastapi import FastAPI

from app.deps import Documented, GetRedis
from app.redis_setup import setup_redis, shutdown_redis


@asynccontextmanager
async def lifespan(app: FastAPI):
    setup_redis(app)
    yield
    await shutdown_redis(app)


app = FastAPI(lifespan=lifespan)


@app.post("/hits/{key}")
async def hit(key: str, redis: GetRedis) -> int:
    return await redis.incr(key)


async def purge(key: str, other: Documented) -> None:
    await other.delete(key)
''',
}

# two app lifetimes (two event loops), 10 requests each
DRIVE = '''
import os
import redis
from fastapi.testclient import TestClient
from app.main import app

redis.Redis.from_url(os.environ["REDIS_URL"]).delete("k")
for _ in range(2):
    with TestClient(app) as client:
        counts = [client.post("/hits/k").json() for _ in range(10)]
print("count", counts[-1])
'''


def _count(repo: Path, redis_url: str) -> int:
    """The last count after two app lifetimes (the app prints its client at startup)."""
    out = run_python(repo, "-c", DRIVE, env={"REDIS_URL": redis_url})
    return int(out.rpartition("count ")[2])


def _instantiation(repo: Path) -> dict:
    report = json.loads(migrate("inventory", "-C", repo, "--format", "json").stdout)
    [site] = [s for s in report["sites"] if s["kind"] == "instantiation"]
    return site


def test_an_annotated_alias_hands_out_the_client_and_the_lifespan_is_wired(
        tmp_path: Path, redis_url: str) -> None:
    repo = git_repo(tmp_path / "hits", APP)
    assert _count(repo, redis_url) == 20
    site = _instantiation(repo)
    # followed through `redis: GetRedis` to `incr`; not through `Documented` (no Depends)
    assert (site["status"], site["purpose"], site["batch"]) == (
        "pending", "write-cache", "write-caches"), site
    assert "purge" not in json.dumps(site)
    init_and_apply_every_batch(repo)
    main = (repo / "app/main.py").read_text()
    setup = (repo / "app/redis_setup.py").read_text()
    # the lifespan starts the shared client before setup_redis() reads it; the plain def
    # cannot await, and does not
    body = main[main.index("async def lifespan"):]
    assert body.index("await init_redis(str(settings.REDIS_URL))") < body.index(
        "setup_redis(app)"), main
    assert "app.state.redis = get_redis()" in setup and "await" not in setup.split(
        "async def shutdown_redis")[0], setup
    assert "Redis.from_url" not in setup and "await close_redis()" in setup, setup
    for path in ("app/main.py", "app/redis_setup.py"):
        compile((repo / path).read_text(), path, "exec")
    assert _count(repo, redis_url) == 20
    again = migrate("apply", "-C", repo, "--batch", "write-caches", "--no-git")
    assert again.exit_code == 0 and (repo / "app/main.py").read_text() == main


def test_a_client_passed_to_an_unknown_callable_still_escapes(tmp_path: Path) -> None:
    """The look-alike of `print(client)`: `register(client)`, a callable the analysis cannot
    see into, may keep or close it."""
    files = dict(APP)
    files["app/redis_setup.py"] = APP["app/redis_setup.py"].replace(
        "print(app.state.redis)", "register(app.state.redis)").replace(
        "from app import settings", "from app import settings\nfrom vendor import register")
    repo = git_repo(tmp_path / "hits", files)
    site = _instantiation(repo)
    assert (site["status"], site["reason_code"]) == ("manual", "passed-to"), site


def test_the_lifecycle_import_follows_how_the_code_in_src_imports_its_modules(
        tmp_path: Path) -> None:
    """`src/__init__.py` exists, but the app under `src/` imports its modules as top-level
    names (it runs from inside `src/`), while an alembic `env.py` beside it imports `src.…`:
    the app's files need `from redis_client import …`. When the app's own files import
    `src.…`, the `src.` stays."""
    top_level = git_repo(tmp_path / "top", {
        "src/__init__.py": "", "src/settings.py": "URL = 'redis://localhost'\n",
        "src/app.py": "from settings import URL\n",
        "alembic/env.py": "from src.settings import URL\n"})
    assert import_name(top_level, "src/redis_client.py") == "redis_client"
    dotted = git_repo(tmp_path / "dotted", {
        "src/__init__.py": "", "src/settings.py": "URL = 'redis://localhost'\n",
        "src/app.py": "from src.settings import URL\n"})
    assert import_name(dotted, "src/redis_client.py") == "src.redis_client"
    # a top-level name that also exists beside src/ proves nothing
    beside = git_repo(tmp_path / "beside", {
        "src/__init__.py": "", "src/settings.py": "", "settings.py": "",
        "src/app.py": "from settings import URL\n"})
    assert import_name(beside, "src/redis_client.py") == "src.redis_client"


def test_an_alias_re_exported_by_its_package_is_followed(tmp_path: Path) -> None:
    """`from app.deps import GetRedis`, where `app/deps/__init__.py` re-exports it from
    `app/deps/redis.py`: the parameter still receives the yield dependency's client."""
    repo = git_repo(tmp_path / "svc", {
        "app/__init__.py": "",
        "app/deps/__init__.py": "from app.deps.redis import GetRedis as GetRedis\n",
        "app/deps/redis.py": '''from typing import Annotated

from fastapi import Depends
from redis.asyncio import Redis


async def get_redis():
    client = Redis.from_url("redis://localhost")
    try:
        yield client
    finally:
        await client.aclose()


GetRedis = Annotated[Redis, Depends(get_redis)]
''',
        "app/main.py": '''from fastapi import FastAPI

from app.deps import GetRedis

app = FastAPI()


@app.get("/k")
async def read(redis: GetRedis):
    return await redis.get("k")
''',
    })
    site = _instantiation(repo)
    assert (site["status"], site["purpose"]) == ("pending", "read-cache"), site

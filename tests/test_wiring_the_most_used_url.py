"""An app whose clients connect to different URLs is started on the one most of them use.

Found on nuxt-fastapi-template (a public FastAPI app): its lifespan makes no client itself
(it awaits `init_limiter()`), and three module clients read three settings (`REDIS_URL`,
`LIMITER_URL`, `ARQ_URL`). `migrate init` chose `settings.REDIS_URL` for the module and told
the team to start it with that, but the batches wired nothing, because the clients did not
all agree on one URL: every site stayed `lifecycle-not-wired`. Now the lifespan starts the
shared client on the URL init chose, and the clients on it move. Without a named client for
it, a client on another URL stays `manual` (`url-differs`), its reason naming both URLs;
`init` writes one for the limiter's, which the wired call creates
(`tests/test_wiring_named_clients.py`), so after every batch the limiter is on it.
"""

from __future__ import annotations

import json
import textwrap
import warnings
from pathlib import Path

from cli_helpers import git_repo, init_and_apply_every_batch, migrate, run_python, unwrapped

FILES = {
    "app/__init__.py": "",
    "app/config.py": """
        import os


        class Settings:
            REDIS_URL = os.environ["REDIS_URL"]
            LIMITER_URL = os.environ["LIMITER_URL"]


        settings = Settings()
    """,
    # a yield dependency on a module client, as nuxt-fastapi-template's `get_redis_session`
    "app/sessions.py": """
        from redis.asyncio import Redis

        from app.config import settings

        redis_connection = Redis.from_url(str(settings.REDIS_URL))


        async def get_session():
            async with redis_connection.client() as session:
                yield session
    """,
    "app/limiter.py": """
        from redis.asyncio import Redis

        from app.config import settings

        limiter_connection = Redis.from_url(str(settings.LIMITER_URL))


        async def init_limiter():
            await limiter_connection.set("limiter:ready", 1)
    """,
    "app/main.py": """
        from contextlib import asynccontextmanager

        from fastapi import Depends, FastAPI

        from app.limiter import init_limiter
        from app.sessions import get_session


        @asynccontextmanager
        async def lifespan(app: FastAPI):
            await init_limiter()
            yield


        app = FastAPI(lifespan=lifespan)


        @app.post("/hits/{key}")
        async def hit(key: str, session=Depends(get_session)) -> int:
            return await session.incr("hits:" + key)
    """,
}

# one app lifetime, 20 requests: the last count, the connections the server accepted meanwhile,
# and whether the limiter's database was written. One lifetime: the limiter's module client,
# which stays (`url-differs`), would still be bound to the first event loop in a second one
DRIVE = '''
import os
import redis
from fastapi.testclient import TestClient
from app.main import app

admin = redis.Redis.from_url(os.environ["REDIS_URL"])
limiter = redis.Redis.from_url(os.environ["LIMITER_URL"])
admin.delete("hits:k")
limiter.delete("limiter:ready")
before = admin.info("stats")["total_connections_received"]
with TestClient(app) as client:
    counts = [client.post("/hits/k").json() for _ in range(20)]
opened = admin.info("stats")["total_connections_received"] - before
print(counts[-1], opened, limiter.get("limiter:ready"), admin.exists("limiter:ready"))
'''


def _repo(tmp_path: Path) -> Path:
    return git_repo(tmp_path / "app", {path: textwrap.dedent(text).lstrip()
                                       for path, text in FILES.items()})


def _env(redis_url: str) -> dict[str, str]:
    # the limiter on another database of the same server: another URL
    return {"REDIS_URL": redis_url, "LIMITER_URL": redis_url.rsplit("/", 1)[0] + "/3"}


def test_the_lifespan_starts_the_url_init_chose_and_the_app_still_works(
        tmp_path: Path, redis_url: str) -> None:
    warnings.simplefilter("ignore", DeprecationWarning)
    repo = _repo(tmp_path)
    before = run_python(repo, "-c", DRIVE, env=_env(redis_url)).split()
    assert before[0] == "20" and before[2:] == ["b'1'", "0"], before
    init_and_apply_every_batch(repo)
    main = unwrapped((repo / "app/main.py").read_text())
    assert ('    await init_redis(str(settings.REDIS_URL), clients={"limiter": {"url": '
            'str(settings.LIMITER_URL)}})\n    await init_limiter()') in main, main
    assert "    yield\n    await close_redis()" in main, main
    sessions = (repo / "app/sessions.py").read_text()
    assert "redis_connection" not in sessions, sessions
    assert "async with get_redis().client() as session:" in sessions, sessions
    limiter = (repo / "app/limiter.py").read_text()
    assert 'await get_redis("limiter").set("limiter:ready", 1)' in limiter, limiter
    last, opened, limiter_ready, in_main_db = run_python(repo, "-c", DRIVE,
                                                         env=_env(redis_url)).split()
    assert last == "20", last
    # the limiter still writes to its own database, not the shared client's
    assert (limiter_ready, in_main_db) == ("b'1'", "0")
    assert int(opened) <= 2, opened  # the shared pool and the limiter's client


def test_the_client_on_the_other_url_stays_and_says_why(tmp_path: Path) -> None:
    repo = _repo(tmp_path)
    report = json.loads(migrate("inventory", "-C", repo, "--format", "json").stdout)
    by_file = {s["file"]: s for s in report["sites"] if s["kind"] == "instantiation"}
    assert by_file["app/sessions.py"]["status"] == "pending", by_file
    limiter = by_file["app/limiter.py"]
    assert (limiter["status"], limiter["reason_code"]) == ("manual", "url-differs"), limiter
    assert "LIMITER_URL" in limiter["reason"] and "REDIS_URL" in limiter["reason"], limiter

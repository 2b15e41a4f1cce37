"""The init_redis() a batch wires creates the named clients the rewritten sites call.

Found on nuxt-fastapi-template (a public FastAPI app), once its team adopted the
`[tool.migrate.clients]` table `migrate init` proposed for its limiter's URL: the limiter's
client became `get_redis("limiter")`, but the lifespan the batch wired called
`init_redis(str(settings.REDIS_URL))` alone, so that name did not exist and the app's start
raised `LookupError: no Redis client named 'limiter'`. The wired call now creates every named
client a site uses, with its URL as the hook's file spells it; a site on a named client that
no init_redis() call creates stays `manual` (`lifecycle-lacks-named-client`). And since the
batch creates them, `init` writes the table itself when it creates the lifecycle module.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import warnings
from pathlib import Path

from cli_helpers import BATCHES, dedented_repo, init_committed, migrate, run_python, unwrapped

FILES = {
    "app/__init__.py": "",
    "app/config.py": """
        import os


        class Settings:
            REDIS_URL = os.environ["REDIS_URL"]
            LIMITER_URL = os.environ["LIMITER_URL"]


        settings = Settings()
    """,
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

        limiter_connection = Redis.from_url(str(settings.LIMITER_URL), decode_responses=True)


        async def init_limiter():
            await limiter_connection.set("limiter:ready", "yes")
            return await limiter_connection.get("limiter:ready")
    """,
    "app/main.py": """
        from contextlib import asynccontextmanager

        from fastapi import Depends, FastAPI

        from app.limiter import init_limiter
        from app.sessions import get_session


        @asynccontextmanager
        async def lifespan(app: FastAPI):
            app.state.limiter = await init_limiter()
            yield


        app = FastAPI(lifespan=lifespan)


        @app.post("/hits/{key}")
        async def hit(key: str, session=Depends(get_session)) -> int:
            return await session.incr("hits:" + key)


        @app.get("/limiter")
        async def limiter() -> str:
            return app.state.limiter
    """,
}

# two app lifetimes (two event loops), 10 requests each: the last count, what the limiter
# read back (a str: its client decodes), the connections the server accepted, and where the
# limiter's key landed
DRIVE = '''
import os
import redis
from fastapi.testclient import TestClient
from app.main import app

admin = redis.Redis.from_url(os.environ["REDIS_URL"])
limiter = redis.Redis.from_url(os.environ["LIMITER_URL"])
admin.delete("hits:k", "limiter:ready")
limiter.delete("limiter:ready")
before = admin.info("stats")["total_connections_received"]
for _ in range(int(os.environ["LIFETIMES"])):
    with TestClient(app) as client:
        counts = [client.post("/hits/k").json() for _ in range(10)]
        read_back = client.get("/limiter").json()
opened = admin.info("stats")["total_connections_received"] - before
print(counts[-1], read_back, opened, limiter.get("limiter:ready"), admin.exists("limiter:ready"))
'''

LIMITER_CLIENT = ('\n[tool.migrate.clients.limiter]\nurl = "str(settings.LIMITER_URL)"\n'
                  'decode_responses = true\n')


def _env(redis_url: str, lifetimes: int = 2) -> dict[str, str]:
    return {"REDIS_URL": redis_url, "LIMITER_URL": redis_url.rsplit("/", 1)[0] + "/3",
            "LIFETIMES": str(lifetimes)}


def _sites(repo: Path) -> dict[str, dict]:
    report = json.loads(migrate("inventory", "-C", repo, "--format", "json").stdout)
    return {s["file"]: s for s in report["sites"] if s["kind"] == "instantiation"}


def test_init_writes_the_limiter_named_client_when_it_creates_the_module(
        tmp_path: Path) -> None:
    import tomllib

    repo = dedented_repo(tmp_path / "app", FILES)
    out = init_committed(repo)
    config = tomllib.loads((repo / "migrate.toml").read_text())["tool"]["migrate"]
    # named for the setting (`str(settings.LIMITER_URL)` once gave "limiter-url)")
    assert config["clients"] == {
        "limiter": {"url": "str(settings.LIMITER_URL)", "decode_responses": True}}
    assert "  limiter: str(settings.LIMITER_URL) (decode_responses = True)\n" in out, out
    # the startup it advises creates it too
    assert ('await init_redis(str(settings.REDIS_URL), clients={"limiter": {"url": '
            'str(settings.LIMITER_URL), "decode_responses": True}})') in out, out
    assert "add named clients to [tool.migrate]" not in out, out  # written, not proposed


def test_the_wired_lifespan_creates_the_named_client_and_the_app_works(
        tmp_path: Path, redis_url: str) -> None:
    warnings.simplefilter("ignore", DeprecationWarning)
    repo = dedented_repo(tmp_path / "app", FILES)
    before = run_python(repo, "-c", DRIVE, env=_env(redis_url, lifetimes=1)).split()
    assert before[:2] == ["10", "yes"] and before[3:] == ["b'yes'", "0"], before
    # started twice, the legacy module clients are still bound to the first event loop
    restart = subprocess.run([sys.executable, "-c", DRIVE], cwd=repo, capture_output=True,
                             text=True, timeout=120, env={**os.environ, **_env(redis_url)})
    assert restart.returncode != 0 and "Event loop is closed" in restart.stderr, restart
    init_committed(repo)
    for batch in BATCHES:
        run = migrate("apply", "-C", repo, "--batch", batch, "--no-git")
        assert run.exit_code == 0, run.stdout + run.stderr
    main = unwrapped((repo / "app/main.py").read_text())
    assert ('    await init_redis(str(settings.REDIS_URL), clients={"limiter": {"url": '
            'str(settings.LIMITER_URL), "decode_responses": True}})\n') in main, main
    limiter = (repo / "app/limiter.py").read_text()
    assert "Redis.from_url" not in limiter, limiter
    assert 'await get_redis("limiter").set("limiter:ready", "yes")' in limiter, limiter
    last, read_back, opened, in_limiter_db, in_main_db = run_python(
        repo, "-c", DRIVE, env=_env(redis_url)).split()
    assert (last, read_back) == ("20", "yes")  # two lifetimes of 10 requests
    # the limiter still writes to its own database, through a decoding client
    assert (in_limiter_db, in_main_db) == ("b'yes'", "0")
    # per lifetime: the shared pool and the limiter's; before, a client per loop too
    assert int(opened) <= 4, opened


def test_a_named_client_the_apps_own_call_does_not_create_stays_manual(tmp_path: Path) -> None:
    main = textwrap.dedent(FILES["app/main.py"]).replace(
        "from app.limiter import init_limiter\n",
        "from app.config import settings\nfrom app.limiter import init_limiter\n"
        "from app.redis_client import init_redis\n").replace(
        "    app.state.limiter = await init_limiter()\n",
        "    await init_redis(str(settings.REDIS_URL))\n"
        "    app.state.limiter = await init_limiter()\n")
    files = {**FILES, "app/main.py": main}
    repo = dedented_repo(tmp_path / "app", files)
    out = init_committed(repo)
    # the app starts the module itself: no batch wires a call that would create the named
    # client, so init only proposes it; the team adopts the proposal
    proposal = out.split("(and create them in init_redis(clients=...)):", 1)[1]
    config = repo / "migrate.toml"
    config.write_text(config.read_text() + proposal)
    limiter = _sites(repo)["app/limiter.py"]
    assert (limiter["status"], limiter["reason_code"]) == (
        "manual", "lifecycle-lacks-named-client"), limiter
    assert "'limiter'" in limiter["reason"] and "clients=" in limiter["reason"], limiter
    # once the app's call creates it, the site moves onto it
    path = repo / "app/main.py"
    path.write_text(path.read_text().replace(
        "init_redis(str(settings.REDIS_URL))",
        'init_redis(str(settings.REDIS_URL), clients={"limiter": {"url": '
        'str(settings.LIMITER_URL), "decode_responses": True}})'))
    limiter = _sites(repo)["app/limiter.py"]
    assert (limiter["status"], limiter["client"]) == ("pending", "limiter"), limiter


def test_a_url_only_a_method_reads_is_proposed_not_written(tmp_path: Path) -> None:
    import tomllib

    # courtsight-backend reads its cache's URL in a method, inside a `try` that catches what
    # that raises: the app's start, where a wired init_redis() reads it, would not
    files = {**FILES,
             "app/config.py": FILES["app/config.py"].replace(
                 '            LIMITER_URL = os.environ["LIMITER_URL"]\n',
                 '            LIMITER_URL = os.environ["LIMITER_URL"]\n'
                 '            CACHE_URL = os.environ.get("CACHE_URL")\n'),
             "app/cache.py": """
                 from redis.asyncio import Redis

                 from app.config import settings


                 class Cache:
                     def __init__(self):
                         try:
                             self.client = Redis.from_url(settings.CACHE_URL)
                         except Exception:
                             self.client = None

                     async def get(self, key):
                         return await self.client.get(key)
             """}
    repo = dedented_repo(tmp_path / "app", files)
    out = init_committed(repo)
    config = tomllib.loads((repo / "migrate.toml").read_text())["tool"]["migrate"]
    assert set(config["clients"]) == {"limiter"}, config
    proposal = out.split("(and create them in init_redis(clients=...)):", 1)[1]
    assert tomllib.loads(proposal)["tool"]["migrate"]["clients"] == {
        "cache": {"url": "settings.CACHE_URL"}}, proposal
    cache = _sites(repo)["app/cache.py"]
    assert (cache["status"], cache["reason_code"]) == ("manual", "url-differs"), cache


SHADOWED = {
    "app/__init__.py": "",
    "app/config.py": """
        import os


        class Settings:
            LIMITER_URL = os.environ["LIMITER_URL"]


        settings = Settings()
    """,
    "app/sessions.py": """
        import os

        from redis.asyncio import Redis

        redis_connection = Redis.from_url(os.environ["REDIS_URL"])
        audit_connection = Redis.from_url(os.environ["REDIS_URL"])


        async def get_session():
            await audit_connection.incr("sessions")
            async with redis_connection.client() as session:
                yield session
    """,
    "app/limiter.py": """
        from redis.asyncio import Redis

        from app.config import settings

        limiter_connection = Redis.from_url(settings.LIMITER_URL)


        async def init_limiter():
            await limiter_connection.set("limiter:ready", "yes")
    """,
    # the app's file binds `settings` to something else: `from app.config import settings`
    # added to it would be shadowed, and `settings.LIMITER_URL` would raise at startup
    "app/main.py": """
        from contextlib import asynccontextmanager

        from fastapi import Depends, FastAPI

        from app.limiter import init_limiter
        from app.sessions import get_session

        settings = {"title": "demo"}


        @asynccontextmanager
        async def lifespan(app: FastAPI):
            await init_limiter()
            yield


        app = FastAPI(lifespan=lifespan, title=settings["title"])


        @app.post("/hits/{key}")
        async def hit(key: str, session=Depends(get_session)) -> int:
            return await session.incr("hits:" + key)
    """,
}


def test_a_named_client_the_hook_cannot_spell_stays_manual_and_the_rest_moves(
        tmp_path: Path) -> None:
    repo = dedented_repo(tmp_path / "app", SHADOWED)
    init_committed(repo)
    sites = _sites(repo)
    limiter = sites["app/limiter.py"]
    assert (limiter["status"], limiter["reason_code"]) == (
        "manual", "lifecycle-lacks-named-client"), limiter
    assert "cannot be spelled there" in limiter["reason"] and "app/main.py" in limiter["reason"]
    assert sites["app/sessions.py"]["status"] == "pending"
    for batch in BATCHES:
        run = migrate("apply", "-C", repo, "--batch", batch, "--no-git")
        assert run.exit_code == 0, run.stdout + run.stderr
    main = (repo / "app/main.py").read_text()
    # started on the URL the session clients share, and nothing named `settings` imported
    assert '    await init_redis(getenv("REDIS_URL"))\n' in main, main
    assert "import settings" not in main, main
    compile(main, "main.py", "exec")


def test_a_named_client_with_an_option_spelled_as_code_is_proposed_not_written(
        tmp_path: Path) -> None:
    import tomllib

    # `db=settings.LIMITER_DB` is no value the config can hold: written, it would be the
    # string "settings.LIMITER_DB", and the wired call could not create the client
    files = {**FILES,
             "app/config.py": FILES["app/config.py"].replace(
                 '            LIMITER_URL = os.environ["LIMITER_URL"]\n',
                 '            LIMITER_URL = os.environ["LIMITER_URL"]\n'
                 '            LIMITER_DB = 3\n'),
             "app/limiter.py": FILES["app/limiter.py"].replace(
                 "decode_responses=True)", "decode_responses=True, db=settings.LIMITER_DB)")}
    repo = dedented_repo(tmp_path / "app", files)
    out = init_committed(repo)
    config = tomllib.loads((repo / "migrate.toml").read_text())["tool"]["migrate"]
    assert "clients" not in config, config
    proposal = out.split("(and create them in init_redis(clients=...)):", 1)[1]
    assert tomllib.loads(proposal)["tool"]["migrate"]["clients"]["limiter"]["db"] == \
        "settings.LIMITER_DB", proposal

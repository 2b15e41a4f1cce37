"""An f-string URL of a host, a port and a database is the URL `Redis(host=, port=, db=)` makes.

Found on QuickDraw (Hyun-hyo-min/QuickDraw, a public FastAPI app): its session manager connects
with `Redis.from_url(f"redis://{settings.REDIS_HOST}:6379/0")`, another module with
`Redis(host=settings.REDIS_HOST, port=6379)`. The f-string had no URL key: the site's reason said
its URL "cannot be compared", and `migrate init` counted the f-string as no URL while proposing
it as a named client beside the very same central URL. Now `redis://{host}:{port}/{db}` (a part
missing being the default) has the host/port/db key, so the two agree. Credentials, TLS
(`rediss://`), a query, or a part mixing text and a field keep no key, as before.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import redis
from analysis_helpers import scan, write_repo
from cli_helpers import git_repo, host_and_port, migrate

SETTINGS = "REDIS_HOST = 'cache'\nREDIS_PORT = 6379\nREDIS_PASSWORD = 'x'\n"
STARTUP = """
    from contextlib import asynccontextmanager

    from fastapi import FastAPI
    from redis.asyncio import Redis

    from app import settings


    @asynccontextmanager
    async def lifespan(app: FastAPI):
        app.state.redis = Redis(host=settings.REDIS_HOST, port=6379)
        yield
        await app.state.redis.aclose()


    app = FastAPI(lifespan=lifespan)
"""
SESSIONS = """
    from redis.asyncio import Redis

    from app import settings

    client = Redis.from_url({url})


    async def join(user):
        await client.sadd("session", user)
"""


def _sessions(tmp_path: Path, url: str):
    root = write_repo(tmp_path, {"app/__init__.py": "", "app/settings.py": SETTINGS,
                                 "app/main.py": STARTUP,
                                 "app/sessions.py": SESSIONS.format(url=url)})
    [site] = [s for s in scan(root).sites if s.file == "app/sessions.py"
              and s.kind == "instantiation"]
    return site


@pytest.mark.parametrize("url", [
    'f"redis://{settings.REDIS_HOST}:6379/0"',
    'f"redis://{settings.REDIS_HOST}:6379"',
    'f"redis://{settings.REDIS_HOST}"',
])
def test_it_connects_where_the_host_and_port_client_does(tmp_path: Path, url: str) -> None:
    site = _sessions(tmp_path, url)
    assert (site.status, site.reason_code) == ("pending", None), site


@pytest.mark.parametrize("url", [
    'f"redis://{settings.REDIS_HOST}:6379/1"',  # another database
    # the same port by another name: not proven the same (a name is not its value)
    'f"redis://{settings.REDIS_HOST}:{settings.REDIS_PORT}/0"',
    'f"rediss://{settings.REDIS_HOST}:6379/0"',  # TLS
    'f"redis://:{settings.REDIS_PASSWORD}@{settings.REDIS_HOST}:6379/0"',  # a password
    'f"redis://{settings.REDIS_HOST}-replica:6379/0"',  # text and a field in the host
    'f"redis://{settings.REDIS_HOST!r}:6379/0"',  # a conversion
])
def test_any_other_url_stays(tmp_path: Path, url: str) -> None:
    site = _sessions(tmp_path, url)
    assert (site.status, site.reason_code) == ("manual", "url-differs"), site


def test_init_counts_both_as_one_url_and_proposes_no_twin(tmp_path: Path) -> None:
    repo = git_repo(tmp_path / "t", {
        "app/__init__.py": "", "app/settings.py": SETTINGS,
        "app/main.py": "from fastapi import FastAPI\n\napp = FastAPI()\n",
        "app/a.py": ("from redis.asyncio import Redis\nfrom app import settings\n\n"
                     "a = Redis(host=settings.REDIS_HOST, port=6379)\n"),
        "app/b.py": ("from redis.asyncio import Redis\nfrom app import settings\n\n"
                     'b = Redis.from_url(f"redis://{settings.REDIS_HOST}:6379/0")\n')})
    run = migrate("init", "-C", repo)
    assert run.exit_code == 0, run.stdout + run.stderr
    assert 'url: f"redis://{settings.REDIS_HOST}:6379/0" (used by 2 of 2 clients)' in run.stdout
    assert "other URL" not in run.stdout, run.stdout


def test_redis_py_connects_both_spellings_to_one_database(redis_url: str) -> None:
    """What the key claims, on a real server: the two spellings are one connection target."""
    host, port = host_and_port(redis_url)
    by_parts = redis.Redis(host=host, port=int(port), db=3)
    by_url = redis.Redis.from_url(f"redis://{host}:{port}/3")
    by_parts.set("spelled", "twice")
    assert by_url.get("spelled") == b"twice"
    assert by_url.connection_pool.connection_kwargs["db"] == 3
    default = redis.Redis.from_url(f"redis://{host}:{port}")
    assert default.connection_pool.connection_kwargs.get("db", 0) == 0

"""A client's `username=` / `password=` go to the shared client when a batch wires it.

Found on FastWrap (a public FastAPI app of the corpus): its one client is
`Redis(host=settings.REDIS_HOST, port=..., username=settings.REDIS_USER,
password=settings.REDIS_USER_PW)`, and its lifespan makes none. The wiring spelled no URL
with credentials (spelling the host alone would drop them), so the app stayed
`lifecycle-not-wired`. The hook now passes them beside the URL, as names the app already has:
`init_redis(f"redis://{h}:{p}/0", clients={"default": {"username": u, "password": pw}})`,
which the template gives the shared client's pool; the analysis reads that call back as the
same URL key, with the same credentials, so the next batch and a second run agree.

Proved on a real redis-server whose default user is off: only `app` / its password can run a
command, so a shared client that connects without them fails at the first request.

Look-alikes that stay as they were: a literal password (never copied into another file), TLS
beside the password (the URL the hook spells would be `redis://`), and a team lifecycle module
(its init_redis() is not known to take credentials: `url-differs`).
"""

from __future__ import annotations

import json
import warnings
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis
from analysis_helpers import scan, write_repo
from cli_helpers import (
    BATCHES,
    dedented_repo,
    init_and_apply_every_batch,
    init_committed,
    migrate,
    run_python,
    unwrapped,
)

from redis_migrate.analysis.facts import credentials_in

CONFIG = """
    import os


    class Settings:
        REDIS_HOST = os.environ.get("REDIS_HOST", "localhost")
        REDIS_PORT = int(os.environ.get("REDIS_PORT", "6379"))
        REDIS_USER = os.environ.get("REDIS_USER", "default")
        REDIS_PASSWORD = os.environ.get("REDIS_PASSWORD", "")


    settings = Settings()
"""

CLIENT = """
    from redis.asyncio import Redis

    from app.config import settings

    redis_client = Redis(
        host=settings.REDIS_HOST,
        port=settings.REDIS_PORT,
        username=settings.REDIS_USER,
        password={password},
        decode_responses=True,
    )
"""

MAIN = """
    from contextlib import asynccontextmanager

    from fastapi import FastAPI

    from app.cache import redis_client


    @asynccontextmanager
    async def lifespan(app: FastAPI):
        await redis_client.ping()
        yield


    app = FastAPI(lifespan=lifespan)


    @app.post("/hits/{name}")
    async def hit(name: str):
        return {"hits": await redis_client.incr(f"app:{name}")}
"""

DRIVE = """
import sys
from fastapi.testclient import TestClient
from app.main import app

answers = []
for _ in range(int(sys.argv[1])):
    with TestClient(app) as client:
        answers += [client.post("/hits/a").json()["hits"] for _ in range(3)]
print(answers[-1])
"""


def _app(root: Path, password: str = "settings.REDIS_PASSWORD",
         extra: str = "") -> dict[str, str]:
    client = CLIENT.format(password=password)
    if extra:
        client = client.replace("decode_responses=True,", f"decode_responses=True, {extra},")
    return {"app/__init__.py": "", "app/config.py": CONFIG, "app/cache.py": client,
            "app/main.py": MAIN}


@pytest.fixture
def locked_server(redis_server) -> Iterator[dict[str, str]]:
    """The session server with its default user off: only `app` with its password gets in.
    Restored afterwards, for the tests that share the server."""
    host, port = "127.0.0.1", str(redis_server.port)
    admin = redis.Redis(host=host, port=int(port))
    admin.flushall()
    admin.acl_setuser("app", enabled=True, passwords=["+s3cret"], keys=["*"], channels=["*"],
                      commands=["+@all"])
    admin.acl_setuser("default", enabled=False)
    try:
        yield {"REDIS_HOST": host, "REDIS_PORT": port, "REDIS_USER": "app",
               "REDIS_PASSWORD": "s3cret"}
    finally:
        with redis.Redis(host=host, port=int(port), username="app", password="s3cret") as app:
            app.acl_setuser("default", enabled=True, nopass=True, keys=["*"], channels=["*"],
                            commands=["+@all"])
            app.acl_deluser("app")
        admin.close()


def test_the_wired_hook_gives_the_shared_client_the_credentials(
        tmp_path: Path, locked_server: dict[str, str]) -> None:
    warnings.simplefilter("ignore", DeprecationWarning)
    repo = dedented_repo(tmp_path / "app", _app(tmp_path))
    # one lifetime: the module-level client is bound to the first event loop it ran on
    assert run_python(repo, "-c", DRIVE, "1", env=locked_server) == "3"
    init_and_apply_every_batch(repo)
    main = unwrapped((repo / "app/main.py").read_text())
    assert ('await init_redis(f"redis://{settings.REDIS_HOST}:{settings.REDIS_PORT}/0", '
            'clients={"default": {"username": settings.REDIS_USER, "password": '
            'settings.REDIS_PASSWORD}})') in main, main
    assert "from app.config import settings" in main, main
    assert "Redis(" not in (repo / "app/cache.py").read_text()
    # the same user on the same server: six more hits over two lifetimes; without the
    # credentials the default user (off) would be refused at the first command
    assert run_python(repo, "-c", DRIVE, "2", env=locked_server) == "9"
    report = json.loads(migrate("inventory", "-C", repo, "--format", "json").stdout)
    assert report["sites"] == [], report["sites"]
    again = [migrate("apply", "-C", repo, "--batch", b, "--no-git") for b in BATCHES]
    assert all("rewrote 0 site(s)" in run.stdout for run in again), [r.stdout for r in again]


WIRED_MAIN = """
    from contextlib import asynccontextmanager

    from fastapi import FastAPI

    from app.cache import redis_client
    from app.config import settings
    from backend.services.redis_client import close_redis, init_redis


    @asynccontextmanager
    async def lifespan(app: FastAPI):
        await init_redis(
            f"redis://{settings.REDIS_HOST}:{settings.REDIS_PORT}/0",
            clients={"default": {"username": settings.REDIS_USER,
                                 "password": settings.REDIS_PASSWORD}},
        )
        await redis_client.ping()
        yield
        await close_redis()


    app = FastAPI(lifespan=lifespan)
"""


def test_the_call_it_wires_reads_back_as_the_clients_url(tmp_path: Path) -> None:
    """A second client with the same credentials, beside an app that already calls
    `init_redis(<url>, clients={"default": {...}})`, is the same server and moves; one
    without them is not."""
    files = _app(tmp_path)
    files["app/main.py"] = WIRED_MAIN
    files["app/other.py"] = CLIENT.format(password="None").replace(
        "password=None,", "").replace("redis_client", "plain")
    # without decode_responses=True: the clients are compared on their URL alone
    files = {name: text.replace("decode_responses=True,", "") for name, text in files.items()}
    repo = dedented_repo(tmp_path / "app", files)
    init_committed(repo)
    sites = {s.file: s for s in scan(repo).sites if s.kind == "instantiation"}
    assert (sites["app/cache.py"].status, sites["app/cache.py"].reason_code) == (
        "pending", None), sites["app/cache.py"].reason
    assert sites["app/other.py"].reason_code == "url-differs", sites["app/other.py"]


@pytest.mark.parametrize(("password", "extra", "code"), [
    # a literal: not copied into the hook's file, so there is no URL to wire the hook with
    ('"s3cret"', "", "lifecycle-not-wired"),
    # TLS: the hook would spell redis://, and the shared client has no ssl=True either
    ("settings.REDIS_PASSWORD", "ssl=True", "options-differ"),
])
def test_lookalikes_are_not_wired(tmp_path: Path, password: str, extra: str,
                                  code: str) -> None:
    write_repo(tmp_path, _app(tmp_path, password, extra))
    inventory = scan(tmp_path)
    [site] = [s for s in inventory.sites if s.kind == "instantiation"]
    assert (site.status, site.reason_code) == ("manual", code), site.reason
    assert inventory.wiring is not None and not inventory.wiring.anchors, inventory.wiring
    assert "s3cret" not in json.dumps([site.reason, site.notes])


TEAM_MODULE = """
    import os

    from redis.asyncio import Redis

    _client = None


    async def init_redis(url=None):
        global _client
        _client = Redis.from_url(url or os.environ["REDIS_URL"])
        return _client


    def get_redis():
        return _client


    async def close_redis():
        await _client.aclose()
"""


def test_a_team_module_is_not_given_credentials(tmp_path: Path) -> None:
    """A team's init_redis(url) takes no `clients=`: the hook would connect without the
    password, so the client is compared with the URL alone, and differs."""
    files = _app(tmp_path)
    files["backend/__init__.py"] = files["backend/services/__init__.py"] = ""
    files["backend/services/redis_client.py"] = TEAM_MODULE
    write_repo(tmp_path, files)
    [site] = [s for s in scan(tmp_path).sites if s.kind == "instantiation"]
    assert (site.status, site.reason_code) == ("manual", "url-differs"), (site.status, site.reason)
    assert "with a username and a password of its own" in (site.reason or ""), site.reason


def test_credentials_in_the_key_of_a_wired_call() -> None:
    """The key reads both credentials, in the order a client's keywords give them."""
    assert credentials_in("host:a.H|a.P|0|username=a.U|password=a.PW") == (
        "username", "password")


LIBRARY = """
    import os

    from redis.asyncio import Redis

    client = Redis(host=os.environ["REDIS_HOST"]{extra})


    async def seen(key):
        return await client.get(key)
"""


@pytest.mark.parametrize(("extra", "note"), [
    (', password=os.environ["REDIS_PASSWORD"]', True),
    ("", False),
])
def test_a_library_says_its_credentials_are_the_callers_to_pass(
        tmp_path: Path, extra: str, note: bool) -> None:
    """fridon-ai's shape: a package that starts nothing (no init_redis() call, no hook). Its
    client moves, and the program that imports it calls init_redis(): the note says the
    password must go there too, or the shared client connects without it."""
    write_repo(tmp_path, {"lib/__init__.py": "", "lib/cache.py": LIBRARY.format(extra=extra)})
    [site] = [s for s in scan(tmp_path).sites if s.kind == "instantiation"]
    assert site.status == "pending", site.reason
    assert any("called nowhere in this repository" in n for n in site.notes), site.notes
    said = [n for n in site.notes if "with a password of its own" in n]
    assert bool(said) == note, site.notes

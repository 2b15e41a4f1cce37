"""A client's own database (`db=settings.REDIS_DB`) goes with the URL the batch wires.

message-sender and excars make their one client with `db=<a setting>`: compared with the
template's central client (no db) it was `options-differ`, and nothing moved. When every client
of the program takes that option from the same name, the batch passes it to init_redis()
(`clients={"default": {"db": settings.REDIS_DB}}`), the shared client selects the same database,
and the clients move. A client with another name, or none, stays manual, and after the batch
the app's own init_redis() call is what later batches compare with. Proven on a real server:
the worker's counter continues in database 3, and database 0 stays empty.
"""

from __future__ import annotations

import json
from pathlib import Path

import redis
from analysis_helpers import scan, write_repo
from cli_helpers import git, git_repo, host_and_port, init_committed, migrate, run_python, unwrapped

SETTINGS = '''import os

REDIS_URL = os.environ["APP_REDIS_URL"]
REDIS_DB = int(os.environ.get("APP_REDIS_DB", "3"))
OTHER_DB = 5
'''

WORKER = {
    "app/__init__.py": "",
    "app/settings.py": SETTINGS,
    "cache.py": '''import redis.asyncio as redis

from app import settings

client = redis.Redis.from_url(settings.REDIS_URL, db=settings.REDIS_DB)
''',
    "counter.py": '''import redis.asyncio as redis

from app import settings

counter = redis.Redis.from_url(settings.REDIS_URL, db=settings.REDIS_DB)


async def bump() -> int:
    return await counter.incr("runs")
''',
    "worker.py": '''import asyncio

from cache import client
from counter import bump


async def main():
    print(await client.get("greeting"), await bump())


if __name__ == "__main__":
    asyncio.run(main())
''',
}


def _sites(repo: Path) -> dict[str, dict]:
    run = migrate("inventory", "-C", repo, "--format", "json")
    assert run.exit_code == 0, run.stdout + run.stderr
    return {f"{s['file']}:{s['line']}": s for s in json.loads(run.stdout)["sites"]
            if s["kind"] == "instantiation"}


def _run_worker(repo: Path, redis_url: str) -> str:
    return run_python(repo, "worker.py", env={"APP_REDIS_URL": redis_url})


def test_the_programs_db_is_passed_to_init_redis_and_the_counter_stays_in_it(
        tmp_path: Path, redis_url: str) -> None:
    server = redis_url.rsplit("/", 1)[0]  # no db in the URL: the keyword decides
    repo = git_repo(tmp_path / "worker", WORKER)
    with redis.Redis.from_url(server, db=3) as admin:
        admin.set("greeting", "hi")
    assert _run_worker(repo, server) == "b'hi' 1"
    init_committed(repo)
    sites = _sites(repo)
    assert sites["cache.py:5"]["status"] == "pending", sites["cache.py:5"]
    assert "db=settings.REDIS_DB: init_redis() gives the shared client the same" in \
        sites["cache.py:5"]["notes"]
    # the reader is one batch, the counter another: after the first, the app's own call of
    # init_redis(..., clients=...) is what the counter is compared with
    run = migrate("apply", "-C", repo, "--batch", "read-caches", "--no-git")
    assert run.exit_code == 0, run.stdout + run.stderr
    worker = (repo / "worker.py").read_text()
    assert ('    await init_redis(settings.REDIS_URL, clients={"default": '
            '{"db": settings.REDIS_DB}})\n') in worker, worker
    assert "from app import settings" in worker
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "read-caches")
    counter = _sites(repo)["counter.py:5"]
    assert counter["status"] == "pending", counter
    run = migrate("apply", "-C", repo, "--batch", counter["batch"], "--no-git")
    assert run.exit_code == 0, run.stdout + run.stderr
    assert "Redis.from_url" not in (repo / "counter.py").read_text()
    assert _run_worker(repo, server) == "b'hi' 2"
    with redis.Redis.from_url(server, db=0) as admin:
        assert admin.dbsize() == 0


def test_a_client_with_another_db_or_none_is_left_manual(tmp_path: Path) -> None:
    files = {**WORKER, "other.py": '''import redis.asyncio as redis

from app import settings

other = redis.Redis.from_url(settings.REDIS_URL, db=settings.OTHER_DB)


async def peek():
    return await other.get("x")
'''}
    files["worker.py"] = files["worker.py"].replace("from counter import bump\n",
                                                    "from counter import bump\nimport other\n")
    repo = git_repo(tmp_path / "two-dbs", files)
    init_committed(repo)
    sites = _sites(repo)
    # the program's clients disagree on db: none is passed, each is compared as before
    assert sites["other.py:5"]["reason_code"] == "options-differ"
    assert sites["cache.py:5"]["reason_code"] == "options-differ"


def test_a_test_client_without_the_db_is_refused_by_name(tmp_path: Path) -> None:
    files = {**WORKER, "tests/test_cache.py": '''import redis.asyncio as redis

from app import settings


async def test_get():
    client = redis.Redis.from_url(settings.REDIS_URL)
    assert await client.get("x") is None
'''}
    repo = git_repo(tmp_path / "with-tests", files)
    init_committed(repo)
    run = migrate("inventory", "-C", repo, "--format", "json")
    assert run.exit_code == 0, run.stdout + run.stderr
    test_site = next(s for s in json.loads(run.stdout)["sites"]
                     if s["file"] == "tests/test_cache.py" and s["kind"] == "instantiation")
    assert test_site["reason_code"] == "options-differ"
    assert "init_redis() gives the shared client db=app.settings.REDIS_DB; this client has no db" \
        in test_site["reason"]


def test_a_lifespan_passed_to_the_app_factory_is_the_hook_not_the_tests_one(
        tmp_path: Path) -> None:
    """`create_app(lifespan)` makes `FastAPI(lifespan=lifespan_func)`: the hook is the def the
    app's own call passes (a test's `create_app(test_lifespan)` does not count)."""
    repo = git_repo(tmp_path / "factory", {
        "app/__init__.py": "",
        "app/settings.py": SETTINGS,
        "app/main.py": '''from contextlib import asynccontextmanager

from fastapi import Depends, FastAPI
from redis.asyncio import Redis

from app import settings

cache = Redis.from_url(settings.REDIS_URL, db=settings.REDIS_DB)


@asynccontextmanager
async def lifespan(app):
    yield


def create_app(lifespan_func) -> FastAPI:
    app = FastAPI(lifespan=lifespan_func)

    @app.get("/{key}")
    async def read(key: str):
        return await cache.get(key)

    return app


app = create_app(lifespan)
''',
        "tests/conftest.py": '''from contextlib import asynccontextmanager

from app.main import create_app


@asynccontextmanager
async def test_lifespan(app):
    yield


test_app = create_app(test_lifespan)
'''})
    init_committed(repo)
    run = migrate("apply", "-C", repo, "--batch", "read-caches", "--dry-run")
    assert run.exit_code == 0, run.stdout + run.stderr
    assert ('app/main.py: lifespan() starts the shared client: await init_redis(settings.'
            'REDIS_URL, clients={"default": {"db": settings.REDIS_DB}})') in run.stdout, run.stdout
    assert "+    await init_redis(" in run.stdout


# ave-phone-address's shape: no hook, a client per request built from host, port and db, and
# decode_responses from the settings; the app gets a lifespan with the URL spelled from them
HOST_APP = {
    "app/__init__.py": "",
    "app/settings.py": '''import os

REDIS_HOST = os.environ["APP_REDIS_HOST"]
REDIS_PORT = int(os.environ["APP_REDIS_PORT"])
REDIS_DB = 4
DECODE = True
''',
    "app/deps.py": '''from redis.asyncio import Redis

from app import settings


async def get_cache() -> Redis:
    return Redis(host=settings.REDIS_HOST, port=settings.REDIS_PORT, db=settings.REDIS_DB,
                 decode_responses=settings.DECODE)
''',
    "app/main.py": '''from fastapi import Depends, FastAPI
from redis.asyncio import Redis

from app.deps import get_cache

app = FastAPI()


@app.post("/hits/{key}")
async def hit(key: str, cache: Redis = Depends(get_cache)) -> list:
    await cache.incr(key)
    return [await cache.get(key)]
''',
}

DRIVE = '''
from fastapi.testclient import TestClient
from app.main import app

for _ in range(2):
    with TestClient(app) as client:
        replies = [client.post("/hits/k").json() for _ in range(3)]
print(replies[-1][0])
'''


def _drive(repo: Path, redis_url: str) -> str:
    host, port = host_and_port(redis_url)
    return run_python(repo, "-c", DRIVE, env={"APP_REDIS_HOST": host, "APP_REDIS_PORT": port})


def test_an_app_with_no_hook_is_wired_with_a_url_spelled_from_host_port_and_db(
        tmp_path: Path, redis_url: str) -> None:
    repo = git_repo(tmp_path / "hosts", HOST_APP)
    assert _drive(repo, redis_url) == "6"  # a str: the replies are decoded
    init_committed(repo)
    sites = _sites(repo)
    assert sites["app/deps.py:7"]["status"] == "pending", sites["app/deps.py:7"]
    run = migrate("apply", "-C", repo, "--batch", sites["app/deps.py:7"]["batch"], "--no-git")
    assert run.exit_code == 0, run.stdout + run.stderr
    main = unwrapped((repo / "app/main.py").read_text())
    # the db is in the URL, so only decode_responses goes beside it
    assert ('await init_redis(f"redis://{settings.REDIS_HOST}:{settings.REDIS_PORT}/'
            '{settings.REDIS_DB}", clients={"default": {"decode_responses": '
            'settings.DECODE}})') in main, main
    assert "from app import settings" in main
    assert "Redis(" not in (repo / "app/deps.py").read_text()
    assert _drive(repo, redis_url) == "12"  # two app lifetimes again, still decoded
    with redis.Redis.from_url(redis_url.rsplit("/", 1)[0], db=4) as admin:
        assert admin.get("k") == b"12"


def _with_password(password: str) -> dict[str, str]:
    files = {**HOST_APP, "app/deps.py": HOST_APP["app/deps.py"].replace(
        "db=settings.REDIS_DB,\n                 decode_responses=settings.DECODE)",
        f"password={password})")}
    files["app/settings.py"] += 'REDIS_PASSWORD = os.environ.get("APP_REDIS_PASSWORD")\n'
    assert "password=" in files["app/deps.py"]
    return files


def test_a_host_client_with_a_password_is_wired_with_it(tmp_path: Path) -> None:
    """The URL key of `Redis(host=h, port=p, password=pw)` holds the password: the lifespan
    spelled from it gives the shared client the same one, beside the URL (the end-to-end
    proof on a server that requires it: tests/test_credentials_wired_beside_the_url.py)."""
    repo = git_repo(tmp_path / "password", _with_password("settings.REDIS_PASSWORD"))
    init_committed(repo)
    site = _sites(repo)["app/deps.py:7"]
    assert (site["status"], site["reason_code"]) == ("pending", None), site
    run = migrate("apply", "-C", repo, "--batch", site["batch"], "--no-git")
    assert run.exit_code == 0, run.stdout + run.stderr
    main = unwrapped((repo / "app/main.py").read_text())
    assert ('await init_redis(f"redis://{settings.REDIS_HOST}:{settings.REDIS_PORT}/0", '
            'clients={"default": {"password": settings.REDIS_PASSWORD}})') in main, main


def test_a_host_client_with_a_literal_password_is_not_wired(tmp_path: Path) -> None:
    """A literal password is not copied into the app's file: no URL to wire it with."""
    repo = git_repo(tmp_path / "password", _with_password('"hunter2"'))
    init_committed(repo)
    site = _sites(repo)["app/deps.py:7"]
    assert (site["status"], site["reason_code"]) == ("manual", "lifecycle-not-wired"), site
    assert "hunter2" not in json.dumps(site)


def test_a_factory_parameter_with_a_default_keeps_both_lifespans_as_hooks(
        tmp_path: Path) -> None:
    """courtsight's shape: `create_application(lifespan=None)` does `lifespan = lifespan or
    lifespan_factory(settings)`, and main passes its own: the parameter may hold either def,
    so both are hooks (before the arguments counted, it was the factory's alone; with them,
    for a moment, neither, and the app lost its wiring)."""
    write_repo(tmp_path, {
        "app/__init__.py": "",
        "app/settings.py": SETTINGS,
        "app/setup.py": '''from contextlib import asynccontextmanager

from fastapi import FastAPI


def lifespan_factory():
    @asynccontextmanager
    async def lifespan(app):
        yield
    return lifespan


def create_application(lifespan=None) -> FastAPI:
    lifespan = lifespan or lifespan_factory()
    return FastAPI(lifespan=lifespan)
''',
        "app/main.py": '''from contextlib import asynccontextmanager

from redis.asyncio import Redis

from app import settings
from app.setup import create_application

cache = Redis.from_url(settings.REDIS_URL)


@asynccontextmanager
async def own_lifespan(app):
    yield


app = create_application(lifespan=own_lifespan)
''',
    })
    hooks = scan(tmp_path).wiring.hooks
    assert hooks.get("app.setup.lifespan_factory.<locals>.lifespan") == "lifespan", hooks
    assert hooks.get("app.main.own_lifespan") == "lifespan", hooks


POOL_FACTORY = {
    "app/__init__.py": "",
    "app/settings.py": '''import os

REDIS_URL = os.environ["APP_REDIS_URL"]
REDIS_MAX = int(os.environ.get("APP_REDIS_MAX", "2"))
''',
    # newmantle-game's shape: the pool's URL and size are parameters of a factory
    "pool.py": '''import redis.asyncio as redis


def make_pool(url: str, max_connection: int):
    pool = redis.ConnectionPool.from_url(url, max_connections=max_connection)
    return pool
''',
    "worker.py": '''import asyncio

import redis.asyncio as redis

from app import settings
from pool import make_pool


async def main():
    pool = make_pool(settings.REDIS_URL, settings.REDIS_MAX)
    client = redis.Redis(connection_pool=pool)
    await client.set("greeting", "hi")
    print(await client.get("greeting"), client.connection_pool.max_connections)
    await client.aclose()
    await pool.aclose()


if __name__ == "__main__":
    asyncio.run(main())
''',
}


def test_a_factory_parameter_stands_for_what_its_one_caller_passes(
        tmp_path: Path, redis_url: str) -> None:
    """`make_pool(url, max_connection)` called once, with settings: the URL and the pool size
    are those settings, the batch passes the size to init_redis(), and the shared pool has it
    (before: options-differ, `max_connections=max_connection` compared as a name)."""
    repo = git_repo(tmp_path / "factory", POOL_FACTORY)
    assert _run_worker(repo, redis_url) == "b'hi' 2"
    init = migrate("init", "-C", repo)
    assert init.exit_code == 0, init.stdout + init.stderr
    # the parameter's name is no URL outside its def: init does not offer it
    assert "init_redis(url)" not in init.stdout and "url: url (used" not in init.stdout, \
        init.stdout
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "init")
    site = _sites(repo)["pool.py:5"]
    assert site["status"] == "pending", site
    assert ("max_connections=max_connection: init_redis() gives the shared client the same"
            in site["notes"])
    run = migrate("apply", "-C", repo, "--batch", site["batch"], "--no-git")
    assert run.exit_code == 0, run.stdout + run.stderr
    worker = unwrapped((repo / "worker.py").read_text())
    assert ('    await init_redis(settings.REDIS_URL, clients={"default": '
            '{"max_connections": settings.REDIS_MAX}})\n') in worker, worker
    assert "ConnectionPool" not in (repo / "pool.py").read_text()
    assert _run_worker(repo, redis_url) == "b'hi' 2"


def test_a_factory_called_with_two_sizes_keeps_its_parameter(tmp_path: Path) -> None:
    files = {**POOL_FACTORY, "other.py": '''from app import settings
from pool import make_pool

spare = make_pool(settings.REDIS_URL, 5)
'''}
    root = tmp_path / "two-sizes"
    write_repo(root, files)
    site = next(s for s in scan(root).sites if s.file == "pool.py")
    assert site.reason_code == "options-differ", site
    assert "max_connections=max_connection" in (site.reason or "")

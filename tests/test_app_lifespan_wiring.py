"""An ASGI app made with no hook at all gets a lifespan that starts and stops Redis.

Real apps (dripdrop on Litestar, forms-backend on Starlette, small FastAPI services) create a
client per request in a dependency and never start anything. Moving that client onto
`get_redis()` needs `init_redis()` somewhere: the batch gives the app's constructor
`lifespan=redis_lifespan`. Proven here on a real FastAPI app and a real redis-server, through
the real CLI: before, 40 requests open 40 connections; after, the pool serves them all, and the
app starts and stops twice (two event loops) with the counter intact.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from cli_helpers import git_repo, host_and_port, init_committed, migrate, run_python
from snippets import source, yield_provider

BATCHES = ["health", "read-caches", "write-caches", "pipelines", "pubsub-streams-queues",
           "locks-rate-limits"]

APP = {
    "app/__init__.py": "",
    "app/settings.py": 'import os\n\nREDIS_URL = os.environ.get("REDIS_URL", '
                       '"redis://localhost:6379/0")\n',
    "app/main.py": source("""
        from fastapi import Depends, FastAPI
        from redis.asyncio import Redis

        from app import settings
    """, yield_provider("get_cache", "Redis.from_url(settings.REDIS_URL)"), '''
app = FastAPI(title="hits")


@app.post("/hits/{key}")
async def hit(key: str, cache: Redis = Depends(get_cache)) -> int:
    return await cache.incr(key)
'''),
}

# two app lifetimes (two event loops), 20 requests each; prints the last count and how many
# connections the server accepted meanwhile
DRIVE = '''
import os
import redis
from fastapi.testclient import TestClient
from app.main import app

admin = redis.Redis.from_url(os.environ["REDIS_URL"])
admin.delete("k")
before = admin.info("stats")["total_connections_received"]
for _ in range(2):
    with TestClient(app) as client:
        counts = [client.post("/hits/k").json() for _ in range(20)]
after = admin.info("stats")["total_connections_received"]
print(counts[-1], after - before)
'''


def _drive(repo: Path, redis_url: str) -> tuple[int, int]:
    last, opened = run_python(repo, "-c", DRIVE, env={"REDIS_URL": redis_url}).split()
    return int(last), int(opened)


def _apply_every_batch(repo: Path) -> None:
    for batch in BATCHES:
        run = migrate("apply", "-C", repo, "--batch", batch, "--no-git")
        assert run.exit_code == 0, run.stdout + run.stderr


def test_a_fastapi_app_with_no_hook_gets_a_lifespan_and_one_pool(
        tmp_path: Path, redis_url: str) -> None:
    repo = git_repo(tmp_path / "hits", APP)
    last, opened = _drive(repo, redis_url)
    assert last == 40 and opened >= 40, opened  # a connection per request before
    init_committed(repo)
    sites = migrate("inventory", "-C", repo)
    assert "lifecycle-not-wired" not in sites.stdout, sites.stdout
    _apply_every_batch(repo)
    main = (repo / "app/main.py").read_text()
    assert "app = FastAPI(title=\"hits\", lifespan=redis_lifespan)" in main, main
    assert "await init_redis(settings.REDIS_URL)" in main
    assert "await close_redis()" in main and "Redis.from_url" not in main
    last, opened = _drive(repo, redis_url)
    assert last == 40, last
    assert opened <= 4, opened  # one pool per app lifetime, not one client per request
    again = migrate("apply", "-C", repo, "--batch", "write-caches", "--no-git")
    assert again.exit_code == 0 and (repo / "app/main.py").read_text() == main


WORKER = {
    "app/tasks.py": 'from celery import Celery\n\ncelery = Celery("hits", broker="redis://localhost")\n',
    # a task module: it imports the worker's app to define a task, and a helper with a client
    "app/jobs.py": "from app.counter import bump\nfrom app.tasks import celery\n\n\n"
                   "@celery.task\nasync def count(key):\n    return await bump(key)\n",
    "app/counter.py": source("""
        from redis.asyncio import Redis

        from app import settings


        async def bump(key):
            client = Redis.from_url(settings.REDIS_URL)
            try:
                return await client.incr(key)
            finally:
                await client.aclose()
    """),
}


def _reasons(repo: Path) -> dict[str, tuple[str, str | None, str | None]]:
    report = json.loads(migrate("inventory", "-C", repo, "--format", "json").stdout)
    return {s["file"]: (s["status"], s["reason_code"], s["reason"]) for s in report["sites"]
            if s["kind"] == "instantiation"}


def test_a_worker_app_beside_it_keeps_only_the_code_it_runs(
        tmp_path: Path, redis_url: str) -> None:
    """Found on dripdrop: a Litestar app made with no hook, a yield dependency per request, and
    a `Celery()` whose tasks run other code in a worker process, which a lifespan on the web
    app never starts. The app gets its lifespan and its dependency moves; what the worker runs
    (the modules its task modules import) stays, with a reason that names the worker, before
    the wiring and after it (init_redis() is then called, but not in the worker)."""
    repo = git_repo(tmp_path / "hits", {**APP, **WORKER})
    init_committed(repo)
    worker_says = ("app/counter.py runs in the worker process of Celery() made at "
                   "app/tasks.py:3 too, which does not start the shared client")
    for wired in (False, True):
        reasons = _reasons(repo)
        # once moved, the dependency's client is gone: no site there
        assert reasons.get("app/main.py", ("gone", None))[:2] == (
            ("gone", None) if wired else ("pending", None)), reasons
        status, code, reason = reasons["app/counter.py"]
        assert (status, code) == ("manual", "lifecycle-not-wired"), reasons
        assert reason is not None and worker_says in reason, reason
        if not wired:
            preview = migrate("apply", "-C", repo, "--batch", "write-caches", "--dry-run")
            assert ("the worker process of Celery() made at app/tasks.py:3 is not started by "
                    "it" in preview.stdout + preview.stderr), preview.stdout
            _apply_every_batch(repo)
    main = (repo / "app/main.py").read_text()
    assert "lifespan=redis_lifespan" in main and "Redis.from_url" not in main, main
    assert (repo / "app/counter.py").read_text() == WORKER["app/counter.py"]
    last, opened = _drive(repo, redis_url)
    assert last == 40 and opened <= 4, opened


PUBLISH_SCRIPT = source("""
    import asyncio

    from redis.asyncio import Redis

    from app import settings

    client = Redis.from_url(settings.REDIS_URL)


    async def main():
        await client.publish("news", "hello")


    if __name__ == "__main__":
        asyncio.run(main())
""")


def test_a_script_beside_an_app_with_no_hook_keeps_its_own_client(tmp_path: Path) -> None:
    """Found on restaurant-backend: a FastAPI app made with no hook and, beside it, a script
    whose `main()` publishes with a client of its own and does not start the app. Before,
    every site waited (the main() the batch would wire does not start the app); the app now
    gets its lifespan, and the script's client stays, with its reason."""
    repo = git_repo(tmp_path / "hits", {**APP, "scripts/publish.py": PUBLISH_SCRIPT})
    init_committed(repo)
    reasons = _reasons(repo)
    assert reasons["app/main.py"][:2] == ("pending", None), reasons
    status, code, reason = reasons["scripts/publish.py"]
    assert (status, code) == ("manual", "lifecycle-not-wired"), reasons
    assert reason is not None and ("runs in the script started by main() in scripts/publish.py"
                                   in reason), reason
    _apply_every_batch(repo)
    assert "lifespan=redis_lifespan" in (repo / "app/main.py").read_text()
    assert (repo / "scripts/publish.py").read_text() == PUBLISH_SCRIPT
    assert _reasons(repo)["scripts/publish.py"][:2] == ("manual", "lifecycle-not-wired")


# imports the settings module (so the scan reads it, as it read goit's) but no Redis client
CREATE_TABLES = ("import asyncio\n\nfrom app import settings\n\n\n"
                 "async def create_tables() -> None:\n    print('tables', settings)\n\n\n"
                 "asyncio.run(create_tables())\n")


def test_a_script_that_reaches_no_redis_does_not_stop_the_lifespan(tmp_path: Path) -> None:
    """Found on goit-pythonweb-hw-10: `create_tables.py` beside the app runs
    `asyncio.run(...)`, a worker main() of its own, but reaches no Redis. It needs nothing
    started, so the app still gets its lifespan. A script that imports the client's module
    does reach Redis: it stays a program of its own, and its main() is the one wired."""
    repo = git_repo(tmp_path / "hits", {**APP, "create_tables.py": CREATE_TABLES})
    init_committed(repo)
    sites = migrate("inventory", "-C", repo)
    assert "lifecycle-not-wired" not in sites.stdout, sites.stdout
    applied = migrate("apply", "-C", repo, "--batch", "write-caches", "--no-git")
    assert applied.exit_code == 0, applied.stdout + applied.stderr
    assert "lifespan=redis_lifespan" in (repo / "app/main.py").read_text()
    assert (repo / "create_tables.py").read_text() == CREATE_TABLES

    reaching = CREATE_TABLES.replace("from app import settings\n",
                                     "from app import settings\nfrom app.main import get_cache\n")
    repo = git_repo(tmp_path / "hits2", {**APP, "create_tables.py": reaching})
    init_committed(repo)
    applied = migrate("apply", "-C", repo, "--batch", "write-caches", "--no-git")
    assert applied.exit_code == 0, applied.stdout + applied.stderr
    assert "await init_redis(settings.REDIS_URL)" in (repo / "create_tables.py").read_text()


STARLETTE_APP = {
    "backend/__init__.py": '''from starlette.applications import Starlette
from starlette.routing import Route

from backend.routes import hit

app = Starlette(
    routes=[Route("/hits/{key}", hit, methods=["POST"])], debug=False
)
''',
    "backend/constants.py": '''import os

from redis.asyncio import Redis as _Redis

REDIS_CLIENT = _Redis.from_url(os.getenv("REDIS_URL"), encoding="utf-8")
''',
    "backend/routes.py": '''from starlette.responses import JSONResponse

from backend import constants


async def hit(request):
    return JSONResponse(await constants.REDIS_CLIENT.incr(request.path_params["key"]))
''',
}

STARLETTE_DRIVE = DRIVE.replace("from app.main import app", "from backend import app")


def test_a_client_that_reads_redis_url_from_the_environment_is_started_from_it(
        tmp_path: Path, redis_url: str) -> None:
    """forms-backend's shape: a module-level client on `os.getenv("REDIS_URL")` and a Starlette
    app made with no hook. The lifespan reads the same variable at startup (the module read it
    at import), so the shared client connects where the old one did."""
    repo = git_repo(tmp_path / "forms", STARLETTE_APP)
    init_committed(repo)
    _apply_every_batch(repo)
    app = (repo / "backend/__init__.py").read_text()
    assert 'await init_redis(getenv("REDIS_URL"))' in app, app
    assert "from os import getenv" in app
    # the new keyword follows the call's own layout: the line break before `)` stays last
    assert ('routes=[Route("/hits/{key}", hit, methods=["POST"])], debug=False, '
            'lifespan=redis_lifespan\n)') in app, app
    assert "REDIS_CLIENT" not in (repo / "backend/constants.py").read_text()
    run = subprocess.run([sys.executable, "-c", STARLETTE_DRIVE], cwd=repo, capture_output=True,
                         text=True, timeout=120, env={**os.environ, "REDIS_URL": redis_url})
    assert run.returncode == 0, run.stdout + run.stderr
    last, opened = map(int, run.stdout.split())
    assert last == 40 and opened <= 4, run.stdout


@pytest.mark.parametrize("second, constants, other", [
    ('os.getenv("REDIS_URL")', None, None),
    # two variables, one client each: the lifespan reads the one `migrate init` chose for the
    # module (in a tie, by its text), and the client on the other stays, naming both
    ('os.environ["CACHE_URL"]', None, "url-differs"),
    # the tie goes to the default with a password, which the key holds only as a hash: no
    # lifespan can spell it, and neither client moves
    ('os.getenv("REDIS_URL", "redis://:s3cret@cache:6379")', "lifecycle-not-wired",
     "lifecycle-not-wired"),
])
def test_clients_on_the_environment_start_from_the_variable_init_chose(
        tmp_path: Path, second: str, constants: str | None, other: str | None) -> None:
    files = {**STARLETTE_APP, "backend/other.py": (
        f"import os\n\nfrom redis.asyncio import Redis\n\nOTHER = Redis.from_url({second})\n\n\n"
        "async def count():\n    return await OTHER.incr('n')\n")}
    repo = git_repo(tmp_path / "forms", files)
    import json
    report = json.loads(migrate("inventory", "-C", repo, "--format", "json").stdout)
    reasons = {s["file"]: s["reason_code"] for s in report["sites"]}
    assert reasons == {"backend/constants.py": constants, "backend/other.py": other}, reasons
    assert "s3cret" not in json.dumps(report)
    if other == "url-differs":
        [reason] = [s["reason"] for s in report["sites"] if s["file"] == "backend/other.py"]
        assert "CACHE_URL" in reason and "REDIS_URL" in reason, reason
        run = migrate("init", "-C", repo)  # the URL init tells the team to start it with
        assert 'url: os.getenv("REDIS_URL") (used by 1 of 2 clients)' in run.stdout, run.stdout


def test_a_literal_url_is_copied_into_the_apps_own_lifespan(
        tmp_path: Path, redis_url: str) -> None:
    """telegram-spider's shape: the app has a lifespan that never names Redis, and a yield
    dependency opens a client on a literal URL. The literal is the only URL the app's clients
    use, so the lifespan starts the shared client on it, as written."""
    literal = redis_url
    app = {
        "app/__init__.py": "",
        "app/main.py": f'''from contextlib import asynccontextmanager

from fastapi import Depends, FastAPI
from redis.asyncio import Redis

STARTED = []


{yield_provider("get_cache", f'Redis.from_url("{literal}")')}

@asynccontextmanager
async def lifespan(app: FastAPI):
    STARTED.append(True)
    yield


app = FastAPI(title="hits", lifespan=lifespan)


@app.post("/hits/{{key}}")
async def hit(key: str, cache: Redis = Depends(get_cache)) -> int:
    return await cache.incr(key)
''',
    }
    repo = git_repo(tmp_path / "hits", app)
    last, opened = _drive(repo, redis_url)
    assert last == 40 and opened >= 40, opened
    init_committed(repo)
    _apply_every_batch(repo)
    main = (repo / "app/main.py").read_text()
    assert f'await init_redis("{literal}")' in main, main
    assert "redis_lifespan" not in main  # the app's own lifespan is the one wired
    assert "Redis.from_url" not in main
    last, opened = _drive(repo, redis_url)
    assert last == 40, last
    assert opened <= 4, opened


# FastAPI-boilerplate's shape: the lifespan is a def inside a factory, passed through a local
# (`lifespan = lifespan_factory(settings)`), and it calls helpers that store the client on
# another module's attribute
FACTORY_APP = {
    "app/__init__.py": "",
    "app/settings.py": 'import os\n\nREDIS_URL = os.environ.get("REDIS_URL", '
                       '"redis://localhost:6379/0")\n',
    "app/cache.py": "client = None\n",
    "app/main.py": '''from contextlib import asynccontextmanager

import redis.asyncio as redis
from fastapi import FastAPI

from app import cache, settings


async def create_cache() -> None:
    cache.client = redis.Redis.from_url(settings.REDIS_URL)


async def close_cache() -> None:
    await cache.client.aclose()


def lifespan_factory(config):
    @asynccontextmanager
    async def lifespan(app: FastAPI):
        await create_cache()
        yield
        await close_cache()

    return lifespan


def create_application() -> FastAPI:
    lifespan = lifespan_factory(settings)
    application = FastAPI(lifespan=lifespan)

    @application.post("/hits/{key}")
    async def hit(key: str) -> int:
        return await cache.client.incr(key)

    return application


app = create_application()
''',
}


def test_a_lifespan_returned_by_a_factory_is_the_one_wired(
        tmp_path: Path, redis_url: str) -> None:
    """The hook is the def the factory returns, not the local that holds it, and the helpers
    it awaits before its yield run at startup, those after it at shutdown: `init_redis()` goes
    where `create_cache()` made the client, `close_redis()` where `close_cache()` closed it,
    and the app still counts on a real server across two lifetimes. Before, the batch
    reported wiring that local, wrote nothing there, and moved the client: the first request
    would have failed."""
    repo = git_repo(tmp_path / "factory", FACTORY_APP)
    assert _drive(repo, redis_url)[0] == 40
    init_committed(repo)
    _apply_every_batch(repo)
    main = (repo / "app/main.py").read_text()
    assert ("async def create_cache() -> None:\n    await init_redis(settings.REDIS_URL)\n"
            "    cache.client = get_redis()\n") in main, main
    assert "async def close_cache() -> None:\n    await close_redis()\n" in main, main
    assert "Redis.from_url" not in main
    last, opened = _drive(repo, redis_url)
    assert last == 40 and opened <= 4, (last, opened)


def test_a_url_name_the_hook_rebinds_stops_the_batch(tmp_path: Path) -> None:
    """`def lifespan_factory(settings)`: inside the lifespan, `settings` is the factory's
    parameter, not the module the client read its URL from. `init_redis(settings.REDIS_URL)`
    there would read another object, so the batch writes nothing and says why."""
    # the client is made at import, so the hook is wired at its top, where `settings` is the
    # factory's parameter (a helper that made the client would be wired where it made it)
    files = dict(FACTORY_APP)
    files["app/cache.py"] = ("import redis.asyncio as redis\n\nfrom app import settings\n\n"
                             "client = redis.Redis.from_url(settings.REDIS_URL)\n")
    files["app/main.py"] = (files["app/main.py"]
                            .replace("def lifespan_factory(config):",
                                     "def lifespan_factory(settings):")
                            .replace("        await create_cache()\n", ""))
    repo = git_repo(tmp_path / "shadow", files)
    init_committed(repo)
    run = migrate("apply", "-C", repo, "--batch", "write-caches", "--no-git")
    assert run.exit_code != 0, run.stdout
    assert "binds settings itself" in run.stderr + run.stdout
    assert (repo / "app/main.py").read_text() == files["app/main.py"]


def test_wire_init_refuses_a_file_without_the_hook_it_was_given() -> None:
    """A planned hook the file does not define is an error, never a silent no-op: the batch
    would move the clients and start nothing."""
    import libcst as cst
    from libcst.codemod import CodemodContext, SkipFile

    from redis_migrate.codemods.wire_lifecycle import WireClose, WireInit

    tree = cst.parse_module("async def present():\n    pass\n")
    with pytest.raises(SkipFile, match="no def missing"):
        WireInit(CodemodContext(filename="a.py"),
                 {"missing": (0, "init_redis()")}).transform_module(tree)
    with pytest.raises(SkipFile, match="no def missing"):
        WireClose(CodemodContext(filename="a.py"), {"missing": "lifespan"}).transform_module(tree)
    wired = WireInit(CodemodContext(filename="a.py"),
                     {"present": (0, "init_redis()")}).transform_module(tree)
    assert "await init_redis()" in wired.code


def test_wire_init_before_the_hooks_own_client_may_read_its_locals() -> None:
    """currency-exchange's shape: the lifespan makes its client from a local
    (`redis_url = ...; client = from_url(redis_url)`). The init goes right before that
    client, where the local means what it meant to the client: no refusal there. Only a URL
    spelled elsewhere and put first in a hook is checked for names the hook rebinds."""
    import libcst as cst
    from libcst.codemod import CodemodContext

    from redis_migrate.codemods.wire_lifecycle import WireInit

    tree = cst.parse_module("async def lifespan(app):\n    redis_url = settings.URL\n"
                            "    client = from_url(redis_url)\n    yield\n")
    wired = WireInit(CodemodContext(filename="a.py"),
                     {"lifespan": (3, "init_redis(redis_url)")}).transform_module(tree)
    assert "    redis_url = settings.URL\n    await init_redis(redis_url)\n" in wired.code


def test_wire_init_attribute_stores_do_not_rebind_the_urls_names() -> None:
    """`settings.ready = True` in the hook stores on the module's object; it binds no name, so
    `init_redis(settings.URL)` first in the hook still reads the module's `settings`."""
    import libcst as cst
    from libcst.codemod import CodemodContext

    from redis_migrate.codemods.wire_lifecycle import WireInit

    tree = cst.parse_module("async def lifespan(app):\n    settings.ready = True\n    yield\n")
    wired = WireInit(CodemodContext(filename="a.py"),
                     {"lifespan": (0, "init_redis(settings.URL)")}).transform_module(tree)
    assert wired.code.startswith("async def lifespan(app):\n    await init_redis(settings.URL)\n")


def test_a_lifespan_helper_that_makes_the_client_is_wired_despite_another_url(
        tmp_path: Path) -> None:
    """courtsight-backend's shape: the lifespan awaits `create_cache()`, which makes the
    client, and another module makes one from another URL. The hook itself makes nothing, and
    the program's clients agree on no URL, so nothing could be wired and every site was
    `lifecycle-not-wired`; the helper runs at startup, so it is wired with its own client's
    URL. The other client, on a URL of its own, moves onto the named client `migrate init`
    wrote for that URL (before named clients were written it stayed `url-differs`)."""
    files = dict(FACTORY_APP)
    files["app/settings.py"] += 'OTHER_URL = os.environ.get("OTHER_URL", "redis://other/1")\n'
    files["app/other.py"] = ("import redis.asyncio as redis\n\nfrom app import settings\n\n"
                             "other = redis.Redis.from_url(settings.OTHER_URL)\n\n\n"
                             "async def seen(key):\n    return await other.get(key)\n")
    repo = git_repo(tmp_path / "two-urls", files)
    init_committed(repo)
    run = migrate("inventory", "-C", repo, "--format", "json")
    sites = {(s["file"], s["line"]): s for s in json.loads(run.stdout)["sites"]}
    made = sites[("app/main.py", 10)]
    assert made["status"] == "pending", made
    other = sites[("app/other.py", 5)]
    assert (other["status"], other["client"]) == ("pending", "other"), other


# CsuScheduleBot's shape: a worker whose client is made at import from an f-string of the
# environment, and a main() that loads the environment first and makes no client itself
EXPRESSION_WORKER = {
    "db.py": '''import os

import redis.asyncio as redis

client = redis.Redis.from_url(f"redis://{os.getenv('REDIS_HOST')}:{os.getenv('REDIS_PORT')}",
                              decode_responses=True)
''',
    "worker.py": '''import asyncio
import os

from db import client


async def main():
    os.environ.setdefault("REDIS_PORT", "6379")
    print(await client.incr("runs"))
    await client.aclose()


if __name__ == "__main__":
    asyncio.run(main())
''',
}


def _run_worker(repo: Path, redis_url: str) -> str:
    host, port = host_and_port(redis_url)
    return run_python(repo, "worker.py", env={"REDIS_HOST": host, "REDIS_PORT": port})


def test_a_worker_is_wired_with_the_one_url_expression_its_clients_share(
        tmp_path: Path, redis_url: str) -> None:
    """No client is made in main(), and the program's one client spells its URL as an
    f-string of two environment reads: host and port, the key of `Redis(host=, port=)`. main()
    is wired with that URL spelled part by part (`/0`, the database it had by default), after
    the line that sets up the environment, and runs on a real server."""
    repo = git_repo(tmp_path / "worker", EXPRESSION_WORKER)
    assert _run_worker(repo, redis_url) == "1"
    init_committed(repo)
    _apply_every_batch(repo)
    worker = (repo / "worker.py").read_text()
    assert ('    os.environ.setdefault("REDIS_PORT", "6379")\n    await init_redis(f\'redis://'
            '{os.getenv("REDIS_HOST")}:{os.getenv("REDIS_PORT")}/0\')\n') in worker, worker
    # the worker's own close is the shared client's now (it was `get_redis().aclose()` beside
    # the wired close_redis(): a close site left for the health batch)
    assert worker.count("close") == 2 and "    await close_redis()\n" in worker, worker
    assert "client" not in (repo / "db.py").read_text()
    assert _run_worker(repo, redis_url) == "2"


def test_a_url_in_newer_syntax_is_wired_in_syntax_the_running_python_reads(
        tmp_path: Path, redis_url: str) -> None:
    """CsuScheduleBot spells its URL with Python 3.12's nested quotes
    (`f"redis://{os.getenv("REDIS_HOST")}"`); copied as written into worker.py, it made a file
    that compiled before the batch fail to compile on 3.11. It is spelled as the running
    Python spells it, and the worker runs on a real server."""
    db = EXPRESSION_WORKER["db.py"].replace("'REDIS_HOST'", '"REDIS_HOST"').replace(
        "'REDIS_PORT'", '"REDIS_PORT"')
    assert '{os.getenv("REDIS_HOST")}' in db
    repo = git_repo(tmp_path / "pep701", {**EXPRESSION_WORKER, "db.py": db})
    init_committed(repo)
    _apply_every_batch(repo)
    worker = (repo / "worker.py").read_text()
    assert "await init_redis(f'redis://" in worker or 'await init_redis(f"redis://' in worker
    compile(worker, "worker.py", "exec")  # raises SyntaxError if it does not
    compile((repo / "db.py").read_text(), "db.py", "exec")
    assert _run_worker(repo, redis_url) == "1"


def test_an_expression_the_hooks_file_cannot_spell_is_not_wired(tmp_path: Path) -> None:
    """A URL with no key (a concatenation) is copied only where the hook's file imports every
    name it uses: worker.py, without `import os`, cannot say `os.getenv(...)`."""
    db = EXPRESSION_WORKER["db.py"].replace(
        """f"redis://{os.getenv('REDIS_HOST')}:{os.getenv('REDIS_PORT')}\"""",
        """"redis://" + os.getenv('REDIS_HOST') + ":" + os.getenv('REDIS_PORT')""")
    assert "+ os.getenv('REDIS_PORT')" in db
    files = {**EXPRESSION_WORKER, "db.py": db,
             "worker.py": EXPRESSION_WORKER["worker.py"].replace("import os\n", "")
             .replace('    os.environ.setdefault("REDIS_PORT", "6379")\n', "")}
    repo = git_repo(tmp_path / "no-os", files)
    init_committed(repo)
    run = migrate("inventory", "-C", repo, "--format", "json")
    site = next(s for s in json.loads(run.stdout)["sites"] if s["file"] == "db.py")
    assert site["reason_code"] == "lifecycle-not-wired", site


HOOKED_WORKER = {
    "app/__init__.py": "",
    "app/settings.py": APP["app/settings.py"],
    "app/store.py": "from redis.asyncio import Redis\n\nredis_client: Redis = None\n\n\n"
                    "async def get_by_key(key):\n    return await redis_client.get(key)\n",
    "app/on.py": source("""
        from redis import asyncio as aioredis

        from app import settings, store


        async def on_start():
            store.redis_client = aioredis.Redis.from_url(settings.REDIS_URL)


        async def on_shutdown():
            await store.redis_client.aclose()
    """),
    "app/main.py": source("""
        from fastapi import FastAPI

        from app.on import on_shutdown, on_start
        from app.store import get_by_key

        app = FastAPI(on_startup=[on_start], on_shutdown=[on_shutdown])


        @app.get("/{key}")
        async def read(key: str):
            return await get_by_key(key)
    """),
    # the worker starts Redis with the app's own hook, as fastapi-template's does
    "app/worker.py": source("""
        import asyncio

        from celery import Celery
        from celery.signals import worker_process_init

        from app.on import on_start

        celery = Celery("w")


        @worker_process_init.connect
        def init_worker(**kwargs):
            asyncio.get_event_loop().run_until_complete(on_start())
    """),
    "app/tasks.py": "from app.store import get_by_key\nfrom app.worker import celery\n\n\n"
                    "@celery.task\nasync def read(key):\n    return await get_by_key(key)\n",
}


def test_a_worker_that_runs_the_apps_startup_hook_is_started_with_it(tmp_path: Path) -> None:
    """fastapi-template's shape: the Celery worker calls the app's `on_start()` as each
    process starts, so the batch that puts init_redis() there starts the worker too; nothing
    waits for it, before the wiring or after."""
    repo = git_repo(tmp_path / "hooked", HOOKED_WORKER)
    init_committed(repo)
    assert _reasons(repo)["app/on.py"][:2] == ("pending", None)
    _apply_every_batch(repo)
    on = (repo / "app/on.py").read_text()
    assert "await init_redis(settings.REDIS_URL)" in on and "from_url" not in on, on
    assert "lifecycle-not-wired" not in migrate("inventory", "-C", repo).stdout

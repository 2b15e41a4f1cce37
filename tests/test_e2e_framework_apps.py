"""The proof on three framework apps that never had a lifecycle module, through the real CLI.

`examples/fastapi_service` (lifespan + `app.state`, a yield dependency, a client factory, a
constructor-injected service, an import-time rate limiter), `examples/aiohttp_service`
(`on_startup` + a lambda `on_shutdown`, a `cleanup_ctx`, `request.app[...]` /
`request.config_dict[...]`, an import-time publisher, a per-request `async with` client) and
`examples/asyncio_worker` (two programs, each `asyncio.run(main())` with a client handed to the
code it runs; XREADGROUP BLOCK). Each is copied into a scratch git repository, as
`test_e2e_team_backend.py` does: `migrate init` creates the lifecycle module from the template,
then every batch runs: the dry-run diff is what `apply --no-git` writes, the tree compiles, and
the example's own suite (a real redis-server, `--runxfail`) never gets worse. The batches must
wire `init_redis()`/`close_redis()` into the app's own startup and shutdown hooks. After the last
one every test passes, including the restart and connection-count tests that fail on the legacy
code, `migrate check` is clean and a second apply changes nothing.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import test_e2e_migration as e2e
from cli_helpers import REPO_ROOT, migrate
from redis_server import RedisServer
from test_e2e_migration import BATCHES, BatchRecord


@dataclass(frozen=True)
class Example:
    name: str
    package: str
    startup_files: tuple[str, ...]  # where init_redis()/close_redis() must be wired
    baseline: dict[str, int]  # the legacy suite's counts under --runxfail
    baseline_failures: tuple[str, ...]
    changed_by_batch: dict[str, set[str]]  # the files each batch rewrites (others: none)
    shapes: Callable[[Path], None] = field(repr=False, compare=False)

    @property
    def lifecycle(self) -> str:
        return f"{self.package}/redis_client.py"


def _text(repo: Path, name: str) -> str:
    return (repo / name).read_text(encoding="utf-8")


def _function(source: str, name: str) -> str:
    """The text of the top-level (async) def `name`, up to the next top-level statement."""
    match = re.search(rf"^(async )?def {name}\(.*?(?=^\S|\Z)", source, re.S | re.M)
    assert match, (name, source)
    return match.group(0)


def _no_client_of_its_own(repo: Path, package: str, lifecycle: str) -> None:
    for path in sorted((repo / package).rglob("*.py")):
        name = path.relative_to(repo).as_posix()
        if name == lifecycle:
            continue
        text = path.read_text(encoding="utf-8")
        assert "from_url(" not in text, (name, text)
        assert ".aclose()" not in text, (name, text)


def _fastapi_shapes(repo: Path) -> None:
    main = _text(repo, "shopapi/main.py")
    lifespan = _function(main, "lifespan")
    before, _, after = lifespan.partition("yield")
    # the lifespan starts the shared client, hands it to app.state, and closes it after yield
    assert "await init_redis(settings.REDIS_URL" in before, lifespan
    assert "app.state.redis = get_redis()" in before, lifespan
    assert before.index("await init_redis(") < before.index("get_redis()"), lifespan
    assert "app.state.leaderboard = Leaderboard(app.state.redis)" in before, lifespan
    assert "await close_redis()" in after and "aclose" not in after, lifespan
    # routes keep reading app.state.redis: it is the shared client now
    catalog = _text(repo, "shopapi/routers/catalog.py")
    assert "request.app.state.redis.get(" in catalog and "request.app.state.redis.mget(" in catalog
    # the yield dependency hands out the shared client and closes nothing
    deps = _function(_text(repo, "shopapi/deps.py"), "get_redis_conn")
    assert "get_redis()" in deps and "yield" in deps, deps
    assert "aclose" not in deps and "finally" not in deps and "from_url" not in deps, deps
    sessions = _text(repo, "shopapi/routers/sessions.py")
    assert "Depends(get_redis_conn)" in sessions  # routes keep their dependency
    # the factory returns the shared client; its callers keep the pipeline, lose the close
    assert "return get_redis()" in _function(_text(repo, "shopapi/clients.py"), "make_client")
    orders = _text(repo, "shopapi/services/orders.py")
    assert orders.count("client.pipeline(transaction=True)") == 2 and "aclose" not in orders
    # the import-time rate limiter is gone
    ratelimit = _text(repo, "shopapi/ratelimit.py")
    assert "get_redis()" in ratelimit and not re.search(r"^\w+ = .*from_url", ratelimit, re.M)
    _no_client_of_its_own(repo, "shopapi", "shopapi/redis_client.py")


def _aiohttp_shapes(repo: Path) -> None:
    app = _text(repo, "chat/app.py")
    # started exactly once, in a hook that runs before every get_redis() of the app's hooks
    # (aiohttp runs cleanup_ctx generators before the on_startup callbacks appended after it)
    assert app.count("await init_redis(config.REDIS_URL") == 1, app
    assert 'app["redis"] = get_redis()' in app and 'app["presence"] = get_redis()' in app, app
    assert "close_redis()" in app and "aclose" not in app, app
    create = _function(app, "create_app")
    assert "app.cleanup_ctx.append(presence_store)" in create
    assert "app.on_startup.append(connect_redis)" in create
    handlers = _text(repo, "chat/handlers.py")
    assert 'request.app["redis"].get(' in handlers
    assert 'request.config_dict["redis"].set(' in handlers
    assert 'request.app["presence"].set(' in handlers
    typing = _function(handlers, "typing")
    assert "get_redis()" in typing and "async with" not in typing, typing
    events = _text(repo, "chat/events.py")
    assert "get_redis()" in events and not re.search(r"^\w+ = .*from_url", events, re.M)
    _no_client_of_its_own(repo, "chat", "chat/redis_client.py")


def _worker_shapes(repo: Path) -> None:
    for name in ("worker/main.py", "worker/producer.py"):  # two programs, each wired in main()
        text = _text(repo, name)
        main = _function(text, "main")
        assert "await init_redis(settings.REDIS_URL" in main, main
        assert re.search(r"client = get_redis\((blocking=True)?\)", main), main
        assert main.index("await init_redis(") < main.index("get_redis("), main
        assert re.search(r"finally:\n\s+await close_redis\(\)", main), main
        assert "aclose" not in main and "from_url" not in main, main
        assert 'if __name__ == "__main__":' in text and "asyncio.run(main(" in text, text
    consumer = _text(repo, "worker/consumer.py")
    assert "async def consume(client," in consumer and "get_redis" not in consumer
    _no_client_of_its_own(repo, "worker", "worker/redis_client.py")


# What both legacy web apps fail before the migration: a second app lifetime, one shared pool.
WEB_APP_FAILURES = ("tests/test_restart.py::test_app_survives_two_lifetimes",
                    "tests/test_connections.py::test_thirty_requests_share_one_pool")

EXAMPLES = {
    example.name: example for example in (
        Example(
            "fastapi_service", "shopapi", ("shopapi/main.py",),
            baseline={"failed": 2, "passed": 8}, baseline_failures=WEB_APP_FAILURES,
            changed_by_batch={
                "write-caches": {"shopapi/main.py", "shopapi/deps.py"},
                "pipelines": {"shopapi/clients.py", "shopapi/services/orders.py"},
                "locks-rate-limits": {"shopapi/ratelimit.py"},
            },
            shapes=_fastapi_shapes),
        Example(
            "aiohttp_service", "chat", ("chat/app.py",),
            baseline={"failed": 2, "passed": 6}, baseline_failures=WEB_APP_FAILURES,
            changed_by_batch={
                "write-caches": {"chat/app.py", "chat/handlers.py"},
                "pubsub-streams-queues": {"chat/events.py"},
            },
            shapes=_aiohttp_shapes),
        Example(
            "asyncio_worker", "worker", ("worker/main.py", "worker/producer.py"),
            baseline={"passed": 6},
            baseline_failures=(),
            changed_by_batch={"pubsub-streams-queues": {"worker/main.py", "worker/producer.py"}},
            shapes=_worker_shapes),
    )
}


@dataclass
class AppMigration(e2e.MigratedCopy):
    example: Example


def _suite_files(repo: Path) -> dict[str, bytes]:
    return {p.relative_to(repo).as_posix(): p.read_bytes()
            for p in sorted((repo / "tests").rglob("*.py"))}


@pytest.fixture(scope="module", params=list(EXAMPLES))
def app(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory,
        redis_server: RedisServer) -> AppMigration:
    example = EXAMPLES[request.param]
    repo = e2e.scratch_copy(REPO_ROOT / "examples" / example.name,
                            tmp_path_factory.mktemp(example.name) / example.name, example.name)
    originals = _suite_files(repo)
    baseline = e2e.run_suite(repo, redis_server)
    init = e2e.init_and_commit(repo)
    records: dict[str, BatchRecord] = {}
    previous = baseline
    for name in BATCHES:
        record = records[name] = e2e.apply_batch(repo, name, repo / example.package)
        # a batch that changed nothing cannot change the suite's result: keep the last run
        record.suite = e2e.run_suite(repo, redis_server) if record.changed_files else previous
        previous = record.suite
        e2e.commit_batch(repo, record)
    return AppMigration(repo, baseline, init.exit_code, init.stdout + init.stderr, records,
                        originals, example)


def test_the_legacy_code_fails_exactly_the_restart_and_connection_tests(app: AppMigration) -> None:
    run = app.baseline
    assert run.counts == app.example.baseline, run.output
    for test in app.example.baseline_failures:
        assert f"FAILED {test}" in run.output, run.output


def test_init_creates_the_module_from_the_template_fitted_to_the_app(app: AppMigration) -> None:
    out = app.init_output
    assert app.init_exit == 0, out
    assert f"created {app.example.lifecycle} from the template" in out, out
    assert "decode_responses: True" in out, out
    assert (app.repo / app.example.lifecycle).is_file()


@pytest.mark.parametrize("batch", BATCHES)
def test_every_batch_applies_with_nothing_left_manual(app: AppMigration, batch: str) -> None:
    record = app.batches[batch]
    assert record.apply_exit == 0, record.apply_stdout + record.apply_stderr
    assert "0 left manual" in record.apply_stdout, record.apply_stdout


@pytest.mark.parametrize("batch", BATCHES)
def test_dry_run_shows_exactly_what_apply_writes(app: AppMigration, batch: str) -> None:
    record = app.batches[batch]
    assert record.dry_run_exit == 0, record.dry_run_stdout + record.dry_run_stderr
    assert record.status_after_dry_run == "", f"--dry-run wrote: {record.status_after_dry_run}"
    assert record.changed_files == record.dry_run_files
    assert e2e.dry_run_diff(record.dry_run_stdout, batch) == record.expected_diff


@pytest.mark.parametrize("batch", BATCHES)
def test_each_batch_rewrites_its_own_sites(app: AppMigration, batch: str) -> None:
    record = app.batches[batch]
    assert set(record.changed_files) == app.example.changed_by_batch.get(batch, set()), \
        record.apply_stdout


def test_the_first_batch_that_hands_out_get_redis_wires_the_startup_hook(app: AppMigration) -> None:
    first = next(b for b in BATCHES if app.batches[b].changed_files)
    record = app.batches[first]
    for name in app.example.startup_files:
        assert name in record.changed_files, (name, record.apply_stdout)
        assert f"lifecycle  {name}:" in record.apply_stdout, record.apply_stdout
    # the lifecycle module is the template as init wrote it: wiring goes into the app
    for b in BATCHES:
        assert app.example.lifecycle not in app.batches[b].changed_files


@pytest.mark.parametrize("batch", BATCHES)
def test_the_tree_compiles_and_the_suite_never_gets_worse(app: AppMigration, batch: str) -> None:
    record = app.batches[batch]
    assert record.compileall is not None and record.compileall.returncode == 0, \
        record.compileall.stdout + record.compileall.stderr
    index = BATCHES.index(batch)
    before = app.baseline if index == 0 else app.batches[BATCHES[index - 1]].suite
    assert before is not None and record.suite is not None
    assert record.suite.counts.get("failed", 0) <= before.counts.get("failed", 0), \
        record.suite.output
    assert record.suite.counts.get("passed", 0) >= before.counts.get("passed", 0), \
        record.suite.output
    assert "error" not in record.suite.counts and "errors" not in record.suite.counts, \
        record.suite.output


def test_after_the_last_batch_every_test_passes(app: AppMigration) -> None:
    final = app.batches[BATCHES[-1]].suite
    assert final is not None
    assert final.returncode == 0, final.output
    assert set(final.counts) == {"passed"}, final.output  # restart + connections included
    assert final.counts["passed"] == sum(app.baseline.counts.values())


def test_the_rewritten_code_has_the_wanted_shapes(app: AppMigration) -> None:
    app.example.shapes(app.repo)


def test_check_is_clean_and_the_tests_were_not_touched(app: AppMigration) -> None:
    check = migrate("check", "-C", app.repo)
    assert check.exit_code == 0, check.stdout + check.stderr
    assert _suite_files(app.repo) == app.originals


@pytest.mark.parametrize("batch", BATCHES)
def test_a_second_apply_changes_nothing(app: AppMigration, batch: str) -> None:
    e2e.assert_second_apply_changes_nothing(app.repo, batch)

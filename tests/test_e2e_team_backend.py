"""The proof on a backend another team wrote: `examples/team_backend`, through the real CLI.

Its phase-1 module is its own (`storefront/infra/redis_pool.py`: `decode_responses=True`, a URL
from a settings object, `socket_timeout` from a settings default, `get_redis()` without
arguments). A copy becomes a scratch git repository; `migrate init` must read that module as
it is, then every batch runs as in `test_e2e_migration.py`: the dry-run diff is what `apply`
writes, the tree compiles, and the example's own suite runs on a real redis-server with
`--runxfail`. On the legacy code the restart and connection-count tests fail; after `init` and
every batch, every test passes, and the notifications test (aioredis 1.x behind a lazy getter,
skipped while the module still imports aioredis) checks what the converted code stores.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import test_e2e_migration as e2e
from cli_helpers import migrate
from redis_server import RedisServer
from test_e2e_migration import BATCHES, BatchRecord

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "team_backend"
LIFECYCLE = "storefront/infra/redis_pool.py"
RESTART_TEST = "tests/test_restart.py::test_app_survives_two_lifetimes"
CONNECTIONS_TEST = "tests/test_connections.py::test_one_pool_for_the_whole_app"
TEST_FILES = ("tests/conftest.py", "tests/test_jobs.py", "tests/test_orders.py")


TeamMigration = e2e.MigratedCopy


@pytest.fixture(scope="module")
def team(tmp_path_factory: pytest.TempPathFactory, redis_server: RedisServer) -> TeamMigration:
    repo = e2e.scratch_copy(EXAMPLE, tmp_path_factory.mktemp("team") / "team_backend",
                            "team backend")
    originals = {name: (repo / name).read_bytes() for name in (*TEST_FILES, LIFECYCLE)}
    baseline = e2e.run_suite(repo, redis_server)
    init = e2e.init_and_commit(repo)
    records: dict[str, BatchRecord] = {}
    for name in BATCHES:
        record = records[name] = e2e.apply_batch(repo, name, repo / "storefront")
        assert record.apply_exit == 0, \
            f"apply --batch {name} failed:\n{record.apply_stdout}{record.apply_stderr}"
        record.suite = e2e.run_suite(repo, redis_server)
        e2e.commit_batch(repo, record)
    return TeamMigration(repo, baseline, init.exit_code, init.stdout + init.stderr, records,
                         originals)


def test_the_legacy_code_fails_the_restart_and_connection_tests(team: TeamMigration) -> None:
    run = team.baseline
    assert run.counts.get("failed") == 2, run.output
    assert f"FAILED {RESTART_TEST}" in run.output, run.output
    assert f"FAILED {CONNECTIONS_TEST}" in run.output, run.output
    assert run.counts.get("skipped") == 1, run.output  # notifications: still aioredis 1.x


def test_init_reads_the_teams_module_as_it_is(team: TeamMigration) -> None:
    out = team.init_output
    assert team.init_exit == 0, out
    assert f"found the lifecycle module at {LIFECYCLE}" in out
    for line in ("url: settings.redis_url", "decode_responses: True",
                 "socket_timeout: 2.0 (the default of Settings.redis_socket_timeout",
                 "accessor: get_redis()", "capabilities: shared-client"):
        assert line in out, (line, out)
    assert "created" not in out  # the team's module is the target: no template is written
    assert not (team.repo / "backend").exists()


@pytest.mark.parametrize("batch", [b for b in BATCHES if b != "health"])
def test_dry_run_shows_exactly_what_apply_writes(team: TeamMigration, batch: str) -> None:
    record = team.batches[batch]
    assert record.dry_run_exit == 0, record.dry_run_stdout
    assert record.status_after_dry_run == ""
    assert record.dry_run_files and record.changed_files == record.dry_run_files
    assert e2e.dry_run_diff(record.dry_run_stdout, batch) == record.expected_diff
    assert "0 left manual" in record.apply_stdout, record.apply_stdout


@pytest.mark.parametrize("batch", BATCHES)
def test_the_tree_compiles_and_the_suite_never_gets_worse(team: TeamMigration,
                                                          batch: str) -> None:
    record = team.batches[batch]
    assert record.compileall is not None and record.compileall.returncode == 0
    assert record.suite is not None
    before = team.baseline if batch == BATCHES[0] else team.batches[
        BATCHES[BATCHES.index(batch) - 1]].suite
    assert before is not None
    assert record.suite.counts.get("failed", 0) <= before.counts.get("failed", 0), \
        record.suite.output


def test_after_every_batch_every_test_passes(team: TeamMigration) -> None:
    final = team.batches[BATCHES[-1]].suite
    assert final is not None
    assert final.returncode == 0, final.output
    assert set(final.counts) == {"passed"}, final.output  # nothing failed, nothing skipped
    assert final.counts["passed"] == sum(team.baseline.counts.values())


def test_only_the_long_block_gets_the_blocking_client_which_the_batch_adds(
        team: TeamMigration) -> None:
    record = team.batches["pubsub-streams-queues"]
    assert LIFECYCLE in record.changed_files
    module = (team.repo / LIFECYCLE).read_text()
    assert "def get_redis(*, blocking: bool = False) -> Redis:" in module
    assert "socket_timeout=None" in module and "_client_blocking.aclose()" in module
    queues = (team.repo / "storefront/workers/queues.py").read_text()
    short, long = queues.split("async def take_long_job")
    assert "get_redis()" in short and "blocking" not in short
    assert "get_redis(blocking=True)" in long
    assert "under the central socket_timeout of 2 s: get_redis() serves it" in \
        record.apply_stdout
    # no earlier batch touched the module: only the batch whose rewrite needs it extends it
    for name in BATCHES[:BATCHES.index("pubsub-streams-queues")]:
        assert LIFECYCLE not in team.batches[name].changed_files


def test_test_files_stand_apart(team: TeamMigration) -> None:
    for name in TEST_FILES:
        assert (team.repo / name).read_bytes() == team.originals[name], name
    check = migrate("check", "-C", team.repo)
    assert check.exit_code == 0, check.stdout + check.stderr


def test_aioredis1_getter_code_is_converted(team: TeamMigration) -> None:
    text = (team.repo / "storefront/legacy/notifications.py").read_text()
    for gone in ("import aioredis", "hmset_dict", "expire=", "create_redis_pool",
                 "wait_closed"):
        assert gone not in text, (gone, text)
    assert "return get_redis()" in text


@pytest.mark.parametrize("batch", BATCHES)
def test_a_second_apply_changes_nothing(team: TeamMigration, batch: str) -> None:
    e2e.assert_second_apply_changes_nothing(team.repo, batch)

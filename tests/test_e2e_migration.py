"""The proof on the example backend: every batch, in order, through the real CLI.

A copy of `examples/legacy_backend` becomes a scratch git repository. For each batch the dry-run
diff is checked against what the real `apply --no-git` then writes, the tree must compile, and the
example's own test suite runs against a real redis-server: until `write-caches` removes the
import-time singleton exactly the restart test fails (it runs with `--runxfail`), from then on
everything passes. After the last batch the app is started once and its Redis connections are
counted, `check` may only report the manual sites, and a second apply changes nothing.
"""

from __future__ import annotations

import difflib
import json
import os
import re
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from cli_helpers import Run, copy_example_tree, example_repo, git, migrate
from redis_server import RedisServer

BATCHES = ["health", "read-caches", "write-caches", "pipelines", "pubsub-streams-queues",
           "locks-rate-limits"]
RESTART_TEST = "tests/test_restart.py::test_app_survives_two_lifetimes"
FIXED_BY = "write-caches"  # removes backend.services.legacy_redis.redis_client (seed §1)
EXAMPLE_TESTS = 23  # 22 that pass on the legacy code + the restart scenario
SUMMARY_WORDS = r"passed|failed|xfailed|xpassed|errors?|skipped|deselected|warnings?"


@dataclass
class SuiteRun:
    returncode: int
    counts: dict[str, int]
    output: str


@dataclass
class BatchRecord:
    name: str
    dry_run_exit: int = -1
    dry_run_stdout: str = ""
    dry_run_stderr: str = ""
    status_after_dry_run: str = ""
    dry_run_files: list[str] = field(default_factory=list)
    expected_diff: str = ""  # difflib of HEAD -> the file as apply wrote it, as `render.diff`
    apply_exit: int = -1
    apply_stdout: str = ""
    apply_stderr: str = ""
    changed_files: list[str] = field(default_factory=list)
    compileall: subprocess.CompletedProcess[str] | None = None
    suite: SuiteRun | None = None


@dataclass
class Migration:
    repo: Path
    server: RedisServer
    baseline: SuiteRun
    batches: dict[str, BatchRecord]


@dataclass
class MigratedCopy:
    """A copy of an example taken through `migrate init`, then every batch."""

    repo: Path
    baseline: SuiteRun  # the example's own suite on the legacy code
    init_exit: int
    init_output: str
    batches: dict[str, BatchRecord]
    originals: dict[str, bytes]  # files no command may change, as they were


def _env(server: RedisServer) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in {"PYTEST_ADDOPTS", "PYTHONPATH"}}
    env["REDIS_URL"] = server.url  # the example's conftest uses it instead of starting its own
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    return env


def run_suite(repo: Path, server: RedisServer, *tests: str) -> SuiteRun:
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--runxfail", *tests],
        cwd=repo, env=_env(server), capture_output=True, text=True, timeout=120)
    output = proc.stdout + proc.stderr
    lines = [line for line in output.strip().splitlines() if re.search(r" in [\d.]+s", line)]
    summary = lines[-1] if lines else ""
    counts = {word: int(n) for n, word in re.findall(rf"(\d+) ({SUMMARY_WORDS})", summary)}
    return SuiteRun(proc.returncode, counts, output)


def _diff_targets(diff: str) -> list[str]:
    return [line[len("+++ b/"):].rstrip("\n") for line in diff.splitlines()
            if line.startswith("+++ b/")]


def dry_run_diff(stdout: str, batch: str) -> str:
    """The diff part of `apply --dry-run` output (the summary starts with 'batch NAME (')."""
    marker = f"batch {batch} ("
    index = stdout.find(marker)
    assert index >= 0, stdout
    assert index == 0 or stdout[index - 1] == "\n", stdout
    return stdout[:index]


def _expected_diff(repo: Path, files: list[str]) -> str:
    out: list[str] = []
    for path in sorted(files):
        before = git(repo, "show", f"HEAD:{path}").splitlines(keepends=True)
        after = (repo / path).read_bytes().decode("utf-8").splitlines(keepends=True)
        out.extend(difflib.unified_diff(before, after, f"a/{path}", f"b/{path}"))
    return "".join(out)


def _changed(repo: Path) -> list[str]:
    return sorted(git(repo, "diff", "--name-only").split())


def exclude_bytecode(repo: Path) -> None:
    """compileall writes __pycache__; keep it out of `git status` without touching the tree."""
    (repo / ".git" / "info" / "exclude").write_text("__pycache__/\n*.pyc\n", encoding="utf-8")


def scratch_copy(source: Path, repo: Path, message: str) -> Path:
    """A copy of `source` at `repo`, a fresh git repository with one commit (`message`)."""
    copy_example_tree(source, repo)
    git(repo, "init", "-q", "-b", "main")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", message)
    exclude_bytecode(repo)
    return repo


def init_and_commit(repo: Path) -> Run:
    """`migrate init`, its result committed; what it printed."""
    init = migrate("init", "-C", repo)
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "migrate init")
    return init


def apply_batch(repo: Path, name: str, compiled: Path) -> BatchRecord:
    """`apply --dry-run`, then `apply --no-git`, of batch `name`: what each printed, the files
    the dry run's diff names and those apply changed, the diff of what apply wrote (as
    `render.diff` shows it), and `compileall` of `compiled` after it."""
    record = BatchRecord(name)
    dry = migrate("apply", "--batch", name, "--dry-run", "-C", repo)
    record.dry_run_exit, record.dry_run_stdout, record.dry_run_stderr = (
        dry.exit_code, dry.stdout, dry.stderr)
    record.status_after_dry_run = git(repo, "status", "--porcelain")
    record.dry_run_files = sorted(_diff_targets(dry.stdout))
    real = migrate("apply", "--batch", name, "--no-git", "-C", repo)
    record.apply_exit, record.apply_stdout, record.apply_stderr = (
        real.exit_code, real.stdout, real.stderr)
    record.changed_files = _changed(repo)
    record.expected_diff = _expected_diff(repo, record.changed_files)
    record.compileall = subprocess.run(
        [sys.executable, "-m", "compileall", "-q", str(compiled)],
        capture_output=True, text=True, timeout=60)
    return record


def commit_batch(repo: Path, record: BatchRecord) -> None:
    if record.changed_files:
        git(repo, "commit", "-q", "-am", f"migrate batch {record.name}")


def assert_second_apply_changes_nothing(repo: Path, batch: str) -> Run:
    again = migrate("apply", "--batch", batch, "--no-git", "-C", repo)
    assert again.exit_code == 0, again.stdout + again.stderr
    assert git(repo, "status", "--porcelain") == ""
    assert "nothing to change" in again.stdout, again.stdout
    return again


@pytest.fixture(scope="module")
def migration(tmp_path_factory: pytest.TempPathFactory, redis_server: RedisServer) -> Migration:
    repo = example_repo(tmp_path_factory.mktemp("e2e"))
    exclude_bytecode(repo)
    baseline = run_suite(repo, redis_server)
    records: dict[str, BatchRecord] = {}
    for name in BATCHES:
        record = records[name] = apply_batch(repo, name, repo)
        assert record.apply_exit == 0, \
            f"apply --batch {name} failed:\n{record.apply_stdout}{record.apply_stderr}"
        record.suite = run_suite(repo, redis_server)
        untracked = git(repo, "status", "--porcelain", "--untracked-files=all")
        assert not [line for line in untracked.splitlines() if line.startswith("??")], untracked
        commit_batch(repo, record)
    return Migration(repo, redis_server, baseline, records)


def test_the_legacy_code_fails_only_the_restart_test(migration: Migration) -> None:
    run = migration.baseline
    assert run.counts == {"failed": 1, "passed": EXAMPLE_TESTS - 1}, run.output
    assert f"FAILED {RESTART_TEST}" in run.output, run.output


@pytest.mark.parametrize("batch", BATCHES)
def test_dry_run_shows_exactly_what_apply_writes(migration: Migration, batch: str) -> None:
    record = migration.batches[batch]
    assert record.dry_run_exit == 0, record.dry_run_stdout + record.dry_run_stderr
    assert record.status_after_dry_run == "", f"--dry-run wrote: {record.status_after_dry_run}"
    assert record.dry_run_files, f"batch {batch}: the dry run shows no diff"
    assert record.changed_files == record.dry_run_files
    # Not only the same files: the same diff, line for line.
    assert dry_run_diff(record.dry_run_stdout, batch) == record.expected_diff
    assert "would rewrite" in record.dry_run_stdout
    assert f"batch {batch} (" in record.apply_stdout and "rewrote" in record.apply_stdout


@pytest.mark.parametrize("batch", BATCHES)
def test_the_tree_compiles_after(migration: Migration, batch: str) -> None:
    done = migration.batches[batch].compileall
    assert done is not None and done.returncode == 0, done and (done.stdout + done.stderr)


@pytest.mark.parametrize("batch", BATCHES)
def test_the_example_suite_after(migration: Migration, batch: str) -> None:
    run = migration.batches[batch].suite
    assert run is not None
    if BATCHES.index(batch) < BATCHES.index(FIXED_BY):
        assert run.counts == {"failed": 1, "passed": EXAMPLE_TESTS - 1}, run.output
        assert f"FAILED {RESTART_TEST}" in run.output, run.output
        assert "second app lifetime failed" in run.output, run.output
    else:
        assert run.counts == {"passed": EXAMPLE_TESTS}, run.output
        assert run.returncode == 0, run.output


def test_the_restart_test_passes_alone_after_the_migration(migration: Migration) -> None:
    run = run_suite(migration.repo, migration.server, RESTART_TEST)
    assert run.counts == {"passed": 1}, run.output
    assert run.returncode == 0, run.output


# Runs inside the migrated copy: one app lifetime, 50 requests over migrated clients.
CONNECTIONS = r"""
import json, os

import redis
from fastapi.testclient import TestClient

from backend.main import app
from backend.services.redis_client import get_redis

admin = redis.Redis.from_url(os.environ["REDIS_URL"])
admin.flushall()
admin.hset("catalog:item:sku-1", mapping={"name": "Beans", "price_cents": "2490"})

def received():
    return int(admin.info("stats")["total_connections_received"])

with TestClient(app) as client:
    pool_size = get_redis().connection_pool.max_connections
    before = received()
    requests = [
        lambda i: client.get(f"/products/{1 + i % 3}"),  # RedisCache + PageViewCounter
        lambda i: client.put(f"/profiles/{i}", json={"display_name": f"u{i}"}),  # legacy_redis
        lambda i: client.get(f"/profiles/{i - 1}"),
        lambda i: client.post(f"/carts/c{i % 4}/items", json={"sku": "sku-1"}),  # carts pipeline
        lambda i: client.get("/catalog/sku-1"),                              # function-local read
        lambda i: client.post(f"/activity/{i}", params={"action": "view"}),  # stream
        lambda i: client.get("/activity"),
        lambda i: client.get("/flags/beta"),
    ]
    statuses = {}
    for i in range(50):
        response = requests[i % len(requests)](i)
        statuses.setdefault(response.status_code, 0)
        statuses[response.status_code] += 1
        assert response.status_code < 300, (i, response.status_code, response.text)
    after = received()
print(json.dumps({"before": before, "after": after, "pool_size": pool_size,
                  "statuses": statuses}))
"""


def test_fifty_requests_reuse_the_lifecycle_pool(migration: Migration) -> None:
    env = _env(migration.server)
    env["PYTHONPATH"] = str(migration.repo)
    proc = subprocess.run([sys.executable, "-c", CONNECTIONS], cwd=migration.repo, env=env,
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    figures = json.loads(proc.stdout.strip().splitlines()[-1])
    opened = figures["after"] - figures["before"]
    print(f"\n50 requests on the migrated app opened {opened} new Redis connection(s) "
          f"(pool max_connections={figures['pool_size']}, statuses {figures['statuses']})")
    assert sum(figures["statuses"].values()) == 50
    assert opened <= figures["pool_size"], figures
    assert opened <= 5, figures


def test_check_reports_only_the_manual_sites(migration: Migration) -> None:
    check = migrate("check", "-C", migration.repo)
    assert check.exit_code == 1, check.stdout + check.stderr
    findings = check.stdout.splitlines()
    assert findings
    for line in findings:
        assert "[manual:" in line, line
    located = {(m.group(1), int(m.group(2)))
               for m in (re.match(r"([^:]+):(\d+):\d+: ", line) for line in findings) if m}
    assert len(located) == len(findings), findings

    inventory = migrate("inventory", "--format", "json", "-C", migration.repo)
    assert inventory.exit_code == 0, inventory.stderr
    sites = json.loads(inventory.stdout)["sites"]
    manual = [s for s in sites if s["status"] == "manual"]
    assert manual == sites, [s for s in sites if s["status"] != "manual"]  # nothing else is left
    assert located == {(s["file"], s["line"]) for s in manual}
    by_file = {}
    for site in manual:
        by_file.setdefault(site["file"], set()).add(site["reason_code"])
    assert by_file == {
        "backend/workers/catalog_sync.py": {"sync-client"},       # the sync worker
        "backend/services/jobs.py": {"options-differ"},           # pool with max_connections
    }  # the aioredis 1.x mailer is converted and moved (issue 5)
    mailer = (migration.repo / "backend/workers/legacy_mailer.py").read_text()
    assert "import aioredis" not in mailer and "get_redis(blocking=True)" in mailer
    compile(mailer, "legacy_mailer.py", "exec")
    assert all("max_connections" in s["reason"] for s in manual if s["file"].endswith("jobs.py"))


@pytest.mark.parametrize("batch", BATCHES)
def test_a_second_apply_changes_nothing(migration: Migration, batch: str) -> None:
    again = assert_second_apply_changes_nothing(migration.repo, batch)
    assert "  rewritten  " not in again.stdout, again.stdout

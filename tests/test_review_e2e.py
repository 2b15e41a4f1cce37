"""The proof of the review workflow on the example backend, through the real CLI.

A copy of `examples/legacy_backend` becomes a scratch repository with a bare repository as its
remote. All six batches are applied, each on its own branch, stacked in order (`--stack`) and
pushed; then three are merged into `main` the three ways GitHub merges (fast-forward, merge
commit, squash), one is rolled back by merging its revert branch, and `migrate status --format
json` is checked at every step. The example's own test suite runs on `main` against a real
redis-server after the merges and after the rollback: until `write-caches` (which removes the
import-time singleton) is merged the restart test is an expected failure; while it is merged the
suite runs with `--runxfail` and everything passes.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

from cli_helpers import example_repo, git, migrate
from redis_server import RedisServer

BATCHES = ["health", "read-caches", "write-caches", "pipelines", "pubsub-streams-queues",
           "locks-rate-limits"]
BRANCH = {name: f"redis-migration/{i:02d}-{name}" for i, name in enumerate(BATCHES, 1)}
# pending / manual sites per batch in the legacy example (from its SITES.md and the inventory)
LEGACY = {"health": (3, 0), "read-caches": (2, 0), "write-caches": (3, 2), "pipelines": (3, 0),
          "pubsub-streams-queues": (5, 2), "locks-rate-limits": (3, 0)}
EXAMPLE_TESTS = 23
SINGLETON_BATCH = "write-caches"
SUMMARY_WORDS = r"passed|failed|xfailed|xpassed|errors?|skipped|deselected"


def _snapshot(repo: Path) -> dict[str, str]:
    digest = hashlib.sha256()
    for path in sorted(p for p in repo.rglob("*") if ".git" not in p.relative_to(repo).parts):
        if path.is_file():
            digest.update(path.relative_to(repo).as_posix().encode() + b"\0" +
                          path.read_bytes() + b"\0")
    return {"branch": git(repo, "symbolic-ref", "--short", "HEAD").strip(),
            "head": git(repo, "rev-parse", "HEAD").strip(),
            "status": git(repo, "status", "--porcelain", "--untracked-files=all"),
            "files": digest.hexdigest()}


def _rev(repo: Path, ref: str) -> str:
    return git(repo, "rev-parse", ref).strip()


def _status(repo: Path) -> dict[str, dict[str, Any]]:
    run = migrate("status", "--format", "json", "-C", repo)
    assert run.exit_code == 0, run.stdout + run.stderr
    return {row["batch"]: row for row in json.loads(run.stdout)["batches"]}


def _suite(repo: Path, server: RedisServer, runxfail: bool) -> tuple[int, dict[str, int], str]:
    env = {k: v for k, v in os.environ.items() if k not in {"PYTEST_ADDOPTS", "PYTHONPATH"}}
    env["REDIS_URL"] = server.url
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    args = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"]
    if runxfail:
        args.append("--runxfail")
    proc = subprocess.run(args, cwd=repo, env=env, capture_output=True, text=True, timeout=120)
    output = proc.stdout + proc.stderr
    lines = [line for line in output.strip().splitlines() if re.search(r" in [\d.]+s", line)]
    summary = lines[-1] if lines else ""
    counts = {word: int(n) for n, word in re.findall(rf"(\d+) ({SUMMARY_WORDS})", summary)}
    return proc.returncode, counts, output


def _check_suite(repo: Path, server: RedisServer, singleton_merged: bool) -> None:
    """Plain while the singleton is on main (its restart test is an xfail); else --runxfail."""
    code, counts, output = _suite(repo, server, runxfail=singleton_merged)
    assert code == 0, output
    if singleton_merged:
        assert counts == {"passed": EXAMPLE_TESTS}, output
    else:
        assert counts == {"passed": EXAMPLE_TESTS - 1, "xfailed": 1}, output


def _remote_tip(remote: Path, branch: str) -> str:
    return git(remote, "rev-parse", f"refs/heads/{branch}").strip()


def test_six_batches_three_merges_one_rollback(tmp_path: Path,
                                                redis_server: RedisServer) -> None:
    repo = example_repo(tmp_path)
    git(repo, "config", "user.name", "Migration Tester")
    git(repo, "config", "user.email", "tester@example.invalid")
    (repo / ".git" / "info" / "exclude").write_text("__pycache__/\n*.pyc\n", encoding="utf-8")
    remote = tmp_path / "origin.git"
    git(tmp_path, "init", "-q", "--bare", str(remote))
    git(repo, "remote", "add", "origin", str(remote))
    git(repo, "push", "-q", "origin", "main")
    legacy_tree = _rev(repo, "main^{tree}")

    # --- before anything: every batch pending, nothing in git --------------------------------
    rows = _status(repo)
    assert list(rows) == BATCHES
    for name, row in rows.items():
        assert (row["pending"], row["manual"]) == LEGACY[name], row
        assert row["branch"] is None and row["merged"] is False and row["stacked_on"] is None
    _check_suite(repo, redis_server, singleton_merged=False)

    # --- all six batches, each on its own branch, stacked in order, pushed ------------------
    user = _snapshot(repo)
    previous = _rev(repo, "main")
    for name in BATCHES:
        run = migrate("apply", "--batch", name, "--stack", "--push", "-C", repo)
        assert run.exit_code == 0, f"apply {name}:\n{run.stdout}{run.stderr}"
        tip = _rev(repo, BRANCH[name])
        assert _rev(repo, f"{BRANCH[name]}^") == previous, name  # built on the previous batch
        assert f"Migrate-Batch: {name}" in git(repo, "log", "-1", "--format=%B", tip)
        assert _remote_tip(remote, BRANCH[name]) == tip
        assert _snapshot(repo) == user, f"apply {name} touched the user's work tree"
        previous = tip
    rows = _status(repo)
    for i, name in enumerate(BATCHES):
        row = rows[name]
        assert row["branch"] == BRANCH[name] and row["commit"] == _rev(repo, BRANCH[name])
        assert row["pushed"] is True and row["merged"] is False and row["merged_as"] is None
        assert row["stacked_on"] == (BRANCH[BATCHES[i - 1]] if i else None), row
        assert (row["pending"], row["manual"]) == LEGACY[name]  # main is still the legacy code

    # --- merge 1: health, fast-forward -------------------------------------------------------
    git(repo, "merge", "-q", "--ff-only", BRANCH["health"])
    rows = _status(repo)
    assert (rows["health"]["merged"], rows["health"]["merged_as"]) == (True, "fast-forward")
    assert rows["health"]["pending"] == 0 and rows["health"]["flags"] == []
    assert rows["read-caches"]["stacked_on"] is None  # its base is merged now
    assert rows["read-caches"]["merged"] is False
    _check_suite(repo, redis_server, singleton_merged=False)

    # --- merge 2: read-caches, with a merge commit -------------------------------------------
    git(repo, "merge", "-q", "--no-ff", BRANCH["read-caches"],
        "-m", f"Merge pull request #2 from acme/{BRANCH['read-caches']}")
    rows = _status(repo)
    assert (rows["read-caches"]["merged"], rows["read-caches"]["merged_as"]) == (True, "merge")
    assert rows["read-caches"]["pending"] == 0
    assert rows["health"]["merged_as"] == "fast-forward"
    _check_suite(repo, redis_server, singleton_merged=False)

    # --- merge 3: write-caches, squashed as GitHub does it ----------------------------------
    before_squash_tree = _rev(repo, "main^{tree}")
    original = git(repo, "log", "-1", "--format=%B", BRANCH["write-caches"])
    subject, _, body = original.partition("\n")
    git(repo, "merge", "-q", "--squash", BRANCH["write-caches"])
    git(repo, "commit", "-q", "-m", f"{subject} (#3)\n{body}")
    git(repo, "push", "-q", "origin", "main")
    rows = _status(repo)
    assert (rows["write-caches"]["merged"], rows["write-caches"]["merged_as"]) == (
        True, "squash")
    assert (rows["write-caches"]["pending"], rows["write-caches"]["manual"]) == (0, 2)
    for name in ("pipelines", "pubsub-streams-queues", "locks-rate-limits"):
        assert rows[name]["merged"] is False and rows[name]["pushed"] is True
        assert (rows[name]["pending"], rows[name]["manual"]) == LEGACY[name]
    assert rows["pubsub-streams-queues"]["stacked_on"] == BRANCH["pipelines"]
    assert rows["locks-rate-limits"]["stacked_on"] == BRANCH["pubsub-streams-queues"]
    assert all(row["flags"] == [] for row in rows.values()), rows
    _check_suite(repo, redis_server, singleton_merged=True)

    # --- rollback: read-caches is refused (write-caches is merged after it) -----------------
    refs = git(repo, "for-each-ref")
    refused = migrate("rollback", "--batch", "read-caches", "-C", repo)
    assert refused.exit_code == 2, refused.stdout + refused.stderr
    assert "write-caches" in refused.stderr
    assert git(repo, "for-each-ref") == refs

    # --- rollback of write-caches, reviewed and merged ---------------------------------------
    user = _snapshot(repo)
    run = migrate("rollback", "--batch", "write-caches", "-C", repo)
    assert run.exit_code == 0, run.stdout + run.stderr
    revert = "redis-migration/revert-write-caches"
    assert _snapshot(repo) == user
    assert _rev(repo, f"{revert}^{{tree}}") == before_squash_tree
    assert _rev(repo, f"{revert}^") == user["head"]
    rows = _status(repo)
    assert rows["write-caches"]["revert_branch"] == revert
    assert rows["write-caches"]["rolled_back"] is False
    git(repo, "merge", "-q", "--no-ff", revert, "-m", "Merge pull request #7 (revert)")
    rows = _status(repo)
    row = rows["write-caches"]
    assert row["merged"] is True and row["rolled_back"] is True, row
    assert (row["pending"], row["manual"]) == LEGACY["write-caches"]
    assert row["flags"] == []  # the sites are back because of the rollback, not by accident
    for name in ("health", "read-caches"):
        assert rows[name]["merged"] is True and rows[name]["rolled_back"] is False
        assert rows[name]["pending"] == 0
    assert rows["health"]["merged_as"] == "fast-forward"
    assert rows["read-caches"]["merged_as"] == "merge"
    _check_suite(repo, redis_server, singleton_merged=False)

    # Health and read-caches are still in; only write-caches' files went back to legacy.
    changed = set(git(repo, "diff", "--name-only", legacy_tree, "main").split())
    health_and_reads = set(git(repo, "diff", "--name-only", legacy_tree,
                               BRANCH["read-caches"]).split())
    assert changed == health_and_reads

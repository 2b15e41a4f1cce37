"""`migrate apply` without `--no-git`, `status` and `rollback` (issue 4, SPEC §7).

Every test works on a real scratch git repository (with its own `user.name`/`user.email`), a
real bare repository as the remote where one is needed, and the real CLI. The crash tests run the
CLI as a separate process that SIGKILLs itself at the fault point named in `MIGRATE_FAULT`.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from cli_helpers import BACKEND, MODULE_CLIENT, function_local, git, git_repo, migrate

PREFIX = "redis-migration/"
READ_BRANCH = "redis-migration/02-read-caches"
WRITE_BRANCH = "redis-migration/03-write-caches"
PIPE_BRANCH = "redis-migration/04-pipelines"
FAULTS = ["worktree-added", "mid-write", "written", "committed", "branch-set"]
STATUS_KEYS = {"order", "batch", "pending", "manual", "branch", "commit", "pushed", "pr",
               "merged", "merged_as", "stacked_on", "revert_branch", "rolled_back", "flags"}





READS = function_local("lookup", "get")
READS2 = function_local("present", "exists")
# Stays manual (another server than the central client), and its URL carries a password.
SECRET = function_local("legacy_lookup", "get", "'redis://:hunter2@cache.internal:6379/3'")
WRITES = MODULE_CLIENT  # write-caches: a module-level client
PIPES = (  # pipelines
    "import redis.asyncio as redis\n"
    "\n"
    "from backend import settings\n"
    "\n\n"
    "async def bump_all(keys):\n"
    "    r = redis.Redis.from_url(settings.REDIS_URL)\n"
    "    try:\n"
    "        async with r.pipeline() as pipe:\n"
    "            for k in keys:\n"
    "                pipe.incr(k)\n"
    "            return await pipe.execute()\n"
    "    finally:\n"
    "        await r.aclose()\n"
)

BASE = BACKEND
READ_FILES = {"backend/reads.py": READS, "backend/reads2.py": READS2}
ALL_FILES = {**READ_FILES, "backend/writes.py": WRITES, "backend/pipes.py": PIPES}


# --- helpers ----------------------------------------------------------------------------------

def new_repo(path: Path, files: dict[str, str]) -> Path:
    """A scratch repository on `main` with its own committer identity (the CLI commits)."""
    repo = git_repo(path, {**BASE, **files})
    git(repo, "config", "user.name", "Migration Tester")
    git(repo, "config", "user.email", "tester@example.invalid")
    return repo


def bare_remote(repo: Path, path: Path, name: str = "origin") -> Path:
    git(path.parent, "init", "-q", "--bare", str(path))
    git(repo, "remote", "add", name, str(path))
    return path


def rev(repo: Path, ref: str) -> str | None:
    proc = subprocess.run(["git", "rev-parse", "--verify", "--quiet", ref], cwd=repo,
                          capture_output=True, text=True)
    return proc.stdout.strip() if proc.returncode == 0 else None


def tree(repo: Path, ref: str) -> str:
    return git(repo, "rev-parse", f"{ref}^{{tree}}").strip()


def branches(repo: Path) -> list[str]:
    return git(repo, "for-each-ref", "--format=%(refname:short)", "refs/heads/").split()


def migration_branches(repo: Path) -> list[str]:
    return [b for b in branches(repo) if b.startswith(PREFIX)]


def all_refs(repo: Path) -> str:
    return git(repo, "for-each-ref", "--format=%(refname) %(objectname)")


def worktrees(repo: Path) -> list[str]:
    return [line for line in git(repo, "worktree", "list", "--porcelain").splitlines()
            if line.startswith("worktree ")]


def files_digest(repo: Path) -> str:
    """One hash over every file of the work tree (tracked or not), outside `.git`."""
    digest = hashlib.sha256()
    for path in sorted(p for p in repo.rglob("*") if ".git" not in p.relative_to(repo).parts):
        if path.is_file():
            digest.update(path.relative_to(repo).as_posix().encode() + b"\0")
            digest.update(path.read_bytes() + b"\0")
    return digest.hexdigest()


def snapshot(repo: Path) -> dict[str, str]:
    """What the user sees: branch, HEAD, `git status`, and the bytes of every file."""
    return {
        "branch": git(repo, "symbolic-ref", "--quiet", "--short", "HEAD").strip(),
        "head": git(repo, "rev-parse", "HEAD").strip(),
        "status": git(repo, "status", "--porcelain", "--untracked-files=all"),
        "files": files_digest(repo),
    }


def message(repo: Path, ref: str) -> str:
    return git(repo, "log", "-1", "--format=%B", ref)


def trailers(repo: Path, ref: str) -> list[str]:
    return git(repo, "log", "-1", "--format=%(trailers:only,unfold)", ref).split("\n")


def status_rows(repo: Path, *extra: str) -> dict[str, dict]:
    run = migrate("status", "--format", "json", "-C", repo, *extra)
    assert run.exit_code == 0, run.stdout + run.stderr
    return {row["batch"]: row for row in json.loads(run.stdout)["batches"]}


def apply(repo: Path, batch: str, *flags: str | Path, env: dict[str, str] | None = None):
    return migrate("apply", "--batch", batch, "-C", repo, *flags, env=env)


def one_error_line(run) -> str:
    lines = run.stderr.strip().splitlines()
    assert len(lines) == 1, run.stderr
    assert "Traceback" not in run.stderr
    return lines[0]


def expected_read_tree(tmp_path: Path, files: dict[str, str] = READ_FILES) -> str:
    """The tree a clean `apply --batch read-caches` produces from a repository holding `files`."""
    clean = new_repo(tmp_path / "clean-reference", files)
    run = apply(clean, "read-caches")
    assert run.exit_code == 0, run.stdout + run.stderr
    return tree(clean, READ_BRANCH)


# --- refusals ---------------------------------------------------------------------------------

def test_a_modified_tracked_file_is_refused_and_kept(tmp_path: Path) -> None:
    repo = new_repo(tmp_path / "r", READ_FILES)
    edited = READS + "# work in progress\n"
    (repo / "backend/reads.py").write_text(edited, encoding="utf-8")
    before = snapshot(repo)
    run = apply(repo, "read-caches")
    assert run.exit_code == 2, run.stdout + run.stderr
    line = one_error_line(run)
    assert "uncommitted" in line or "dirty" in line, line
    assert snapshot(repo) == before
    assert (repo / "backend/reads.py").read_text(encoding="utf-8") == edited
    assert git(repo, "status", "--porcelain") == " M backend/reads.py\n"
    assert git(repo, "stash", "list") == ""
    assert migration_branches(repo) == []


def test_a_staged_change_is_refused_and_kept_staged(tmp_path: Path) -> None:
    repo = new_repo(tmp_path / "r", READ_FILES)
    (repo / "backend/reads2.py").write_text(READS2 + "# staged\n", encoding="utf-8")
    git(repo, "add", "backend/reads2.py")
    before = snapshot(repo)
    run = apply(repo, "read-caches")
    assert run.exit_code == 2, run.stdout + run.stderr
    one_error_line(run)
    assert snapshot(repo) == before
    assert git(repo, "diff", "--cached", "--name-only") == "backend/reads2.py\n"
    assert git(repo, "stash", "list") == ""
    assert migration_branches(repo) == []


def test_untracked_files_alone_do_not_block_and_stay_out_of_the_commit(tmp_path: Path) -> None:
    repo = new_repo(tmp_path / "r", READ_FILES)
    (repo / "notes.txt").write_text("scratch\n", encoding="utf-8")
    (repo / "backend/draft.py").write_text("x = 1\n", encoding="utf-8")
    before = snapshot(repo)
    run = apply(repo, "read-caches")
    assert run.exit_code == 0, run.stdout + run.stderr
    assert snapshot(repo) == before
    assert (repo / "notes.txt").read_text(encoding="utf-8") == "scratch\n"
    changed = git(repo, "diff", "--name-only", "main", READ_BRANCH).split()
    assert changed == ["backend/reads.py", "backend/reads2.py"]


def test_a_detached_head_is_refused(tmp_path: Path) -> None:
    repo = new_repo(tmp_path / "r", READ_FILES)
    head = git(repo, "rev-parse", "HEAD").strip()
    git(repo, "checkout", "-q", "--detach")
    status_before = git(repo, "status", "--porcelain")
    run = apply(repo, "read-caches")
    assert run.exit_code == 2, run.stdout + run.stderr
    assert "detached" in one_error_line(run).lower()
    assert git(repo, "rev-parse", "HEAD").strip() == head
    assert subprocess.run(["git", "symbolic-ref", "-q", "HEAD"], cwd=repo).returncode != 0
    assert git(repo, "status", "--porcelain") == status_before
    assert migration_branches(repo) == []


# --- the branch and its commit ----------------------------------------------------------------

def test_branch_commit_subject_body_and_trailers(tmp_path: Path) -> None:
    repo = new_repo(tmp_path / "r", READ_FILES)
    main_head = git(repo, "rev-parse", "main").strip()
    run = apply(repo, "read-caches")
    assert run.exit_code == 0, run.stdout + run.stderr
    assert migration_branches(repo) == [READ_BRANCH]
    tip = rev(repo, READ_BRANCH)
    assert tip and tip[:12] in run.stdout and READ_BRANCH in run.stdout
    assert git(repo, "rev-parse", f"{READ_BRANCH}^").strip() == main_head  # one commit on main
    assert git(repo, "rev-list", "--count", f"main..{READ_BRANCH}").strip() == "1"
    text = message(repo, READ_BRANCH)
    assert text.splitlines()[0] == "redis-migration: read-caches (4 sites in 2 files)"
    for site in ("backend/reads.py:7", "backend/reads.py:11", "backend/reads2.py:7",
                 "backend/reads2.py:11"):
        assert site in text, text
    assert [t for t in trailers(repo, READ_BRANCH) if t] == [
        "Migrate-Batch: read-caches", "Migrate-Sites: 4"]
    changed = git(repo, "diff", "--name-only", "main", READ_BRANCH).split()
    assert changed == ["backend/reads.py", "backend/reads2.py"]
    rewritten = git(repo, "show", f"{READ_BRANCH}:backend/reads.py")
    assert "get_redis()" in rewritten and "from_url" not in rewritten
    assert "aclose" not in rewritten


def test_subject_counts_in_the_singular(tmp_path: Path) -> None:
    repo = new_repo(tmp_path / "r", {"backend/reads.py": READS})
    run = apply(repo, "read-caches")
    assert run.exit_code == 0, run.stdout + run.stderr
    assert (message(repo, READ_BRANCH).splitlines()[0]
            == "redis-migration: read-caches (2 sites in 1 file)")
    assert "Migrate-Sites: 2" in trailers(repo, READ_BRANCH)


def test_the_users_branch_head_and_files_are_untouched(tmp_path: Path) -> None:
    repo = new_repo(tmp_path / "r", ALL_FILES)
    git(repo, "checkout", "-q", "-b", "feature/login")
    (repo / "backend/login.py").write_text("LOGIN = True\n", encoding="utf-8")
    git(repo, "add", "backend/login.py")
    git(repo, "commit", "-q", "-m", "login")
    (repo / "scratch.txt").write_text("untracked\n", encoding="utf-8")
    before = snapshot(repo)
    run = apply(repo, "read-caches")
    assert run.exit_code == 0, run.stdout + run.stderr
    assert snapshot(repo) == before
    assert before["branch"] == "feature/login"
    # No --base, no configured base: the branch starts from the current branch.
    assert git(repo, "rev-parse", f"{READ_BRANCH}^").strip() == before["head"]
    assert worktrees(repo) == [f"worktree {repo}"]


def test_base_comes_from_the_flag_then_the_config(tmp_path: Path) -> None:
    repo = new_repo(tmp_path / "r", {**READ_FILES, "pyproject.toml":
                                     '[tool.migrate]\nbase-branch = "main"\n'})
    main_head = git(repo, "rev-parse", "main").strip()
    git(repo, "checkout", "-q", "-b", "feature")
    (repo / "backend/extra.py").write_text("EXTRA = 1\n", encoding="utf-8")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "extra")
    feature_head = git(repo, "rev-parse", "HEAD").strip()
    run = apply(repo, "read-caches")  # configured base-branch wins over the current branch
    assert run.exit_code == 0, run.stdout + run.stderr
    assert git(repo, "rev-parse", f"{READ_BRANCH}^").strip() == main_head
    run = apply(repo, "read-caches", "--replace", "--base", "feature")  # --base wins over both
    assert run.exit_code == 0, run.stdout + run.stderr
    assert git(repo, "rev-parse", f"{READ_BRANCH}^").strip() == feature_head
    assert git(repo, "symbolic-ref", "--short", "HEAD").strip() == "feature"


def test_nothing_to_change_creates_no_branch(tmp_path: Path) -> None:
    repo = new_repo(tmp_path / "r", READ_FILES)  # no health-check sites at all
    before = snapshot(repo)
    run = apply(repo, "health")
    assert run.exit_code == 0, run.stdout + run.stderr
    assert "no branch" in run.stdout, run.stdout
    assert migration_branches(repo) == []
    assert snapshot(repo) == before
    assert worktrees(repo) == [f"worktree {repo}"]


def test_an_existing_branch_is_refused_and_replace_rebuilds_the_same_tree(
        tmp_path: Path) -> None:
    repo = new_repo(tmp_path / "r", READ_FILES)
    assert apply(repo, "read-caches").exit_code == 0
    first_tip, first_tree = rev(repo, READ_BRANCH), tree(repo, READ_BRANCH)
    again = apply(repo, "read-caches")
    assert again.exit_code == 2, again.stdout + again.stderr
    line = one_error_line(again)
    assert READ_BRANCH in line and "--replace" in line, line
    assert rev(repo, READ_BRANCH) == first_tip
    # Someone left the branch somewhere else: --replace rebuilds it from the base.
    git(repo, "branch", "-f", READ_BRANCH, "main")
    before = snapshot(repo)
    replaced = apply(repo, "read-caches", "--replace")
    assert replaced.exit_code == 0, replaced.stdout + replaced.stderr
    assert tree(repo, READ_BRANCH) == first_tree
    assert git(repo, "rev-parse", f"{READ_BRANCH}^").strip() == git(repo, "rev-parse",
                                                                      "main").strip()
    assert snapshot(repo) == before


def test_replace_refuses_to_move_the_branch_checked_out_by_the_user(tmp_path: Path) -> None:
    repo = new_repo(tmp_path / "r", READ_FILES)
    assert apply(repo, "read-caches").exit_code == 0
    (repo / "backend/settings.py").write_text("REDIS_URL = 'redis://localhost:6379/1'\n",
                                              encoding="utf-8")
    git(repo, "commit", "-q", "-am", "another database")
    git(repo, "checkout", "-q", READ_BRANCH)  # the user is reviewing the batch branch
    tip, before = rev(repo, READ_BRANCH), snapshot(repo)
    run = apply(repo, "read-caches", "--replace", "--base", "main")
    # Moving the checked-out branch would leave the user's index and work tree out of step
    # with HEAD (a staged reverse change): refuse instead, touching nothing.
    assert snapshot(repo) == before, git(repo, "status", "--porcelain")
    assert rev(repo, READ_BRANCH) == tip
    assert run.exit_code == 2, run.stdout + run.stderr
    assert READ_BRANCH in one_error_line(run)


# --- the team's tests ---------------------------------------------------------------------------

def test_a_failing_test_command_keeps_the_branch_and_exits_1(tmp_path: Path) -> None:
    repo = new_repo(tmp_path / "r", READ_FILES)
    remote = bare_remote(repo, tmp_path / "remote.git")
    before = snapshot(repo)
    command = "echo collecting; echo 3 failed, 9 passed in 0.1s; exit 3"
    run = apply(repo, "read-caches", "--test-cmd", command, "--push")
    assert run.exit_code == 1, run.stdout + run.stderr
    assert "3 failed, 9 passed in 0.1s" in run.stdout  # the tail of its output
    assert "exit 3" in run.stdout
    assert rev(repo, READ_BRANCH) is not None  # kept for inspection
    assert "Migrate-Batch: read-caches" in trailers(repo, READ_BRANCH)
    assert snapshot(repo) == before
    assert worktrees(repo) == [f"worktree {repo}"]
    pushed = subprocess.run(["git", "--git-dir", str(remote), "rev-parse", "--verify",
                             "--quiet", f"refs/heads/{READ_BRANCH}"], capture_output=True)
    assert pushed.returncode != 0, "a branch whose tests fail must not be pushed"


def test_a_passing_test_command_runs_on_the_batch_branch(tmp_path: Path) -> None:
    repo = new_repo(tmp_path / "r", READ_FILES)
    # Only true of the rewritten file: proves the command ran on the batch's checkout.
    command = "grep -q 'get_redis()' backend/reads.py && ! grep -q from_url backend/reads2.py"
    run = apply(repo, "read-caches", "--test-cmd", command)
    assert run.exit_code == 0, run.stdout + run.stderr
    assert "passed" in run.stdout
    assert rev(repo, READ_BRANCH) is not None
    assert (repo / "backend/reads.py").read_text(encoding="utf-8") == READS


# --- crashes ------------------------------------------------------------------------------------

@pytest.mark.parametrize("fault", FAULTS)
def test_a_crash_leaves_the_tree_as_it_was_or_the_batch_committed(tmp_path: Path,
                                                                  fault: str) -> None:
    expected_tree = expected_read_tree(tmp_path)
    repo = new_repo(tmp_path / "r", READ_FILES)  # two files: mid-write falls between them
    (repo / "untracked.txt").write_text("keep me\n", encoding="utf-8")
    before = snapshot(repo)
    env = {k: v for k, v in os.environ.items() if k != "MIGRATE_FAULT"}
    env["MIGRATE_FAULT"] = fault
    proc = subprocess.run([sys.executable, "-m", "redis_migrate", "apply", "--batch", "read-caches",
                           "-C", str(repo)], env=env, capture_output=True, text=True,
                          timeout=120)
    assert proc.returncode == -9, (proc.returncode, proc.stdout, proc.stderr)
    assert snapshot(repo) == before
    assert len(worktrees(repo)) == 2  # the killed run's temporary worktree is still registered
    tip = rev(repo, f"refs/heads/{READ_BRANCH}")
    if fault == "branch-set":
        assert tip is not None
    if tip is not None:  # a complete commit, exactly what a clean apply makes
        assert tree(repo, READ_BRANCH) == expected_tree
        assert [t for t in trailers(repo, READ_BRANCH) if t] == [
            "Migrate-Batch: read-caches", "Migrate-Sites: 4"]
        assert git(repo, "rev-parse", f"{READ_BRANCH}^").strip() == before["head"]
    assert migration_branches(repo) == ([READ_BRANCH] if tip else [])
    # A normal run afterwards works and clears what the killed one left behind.
    flags = ["--replace"] if tip else []
    run = apply(repo, "read-caches", *flags)
    assert run.exit_code == 0, run.stdout + run.stderr
    assert tree(repo, READ_BRANCH) == expected_tree
    assert snapshot(repo) == before
    assert worktrees(repo) == [f"worktree {repo}"]
    assert "prunable" not in git(repo, "worktree", "list", "--porcelain")


# --- the pull request body ----------------------------------------------------------------------

def test_pr_body_has_table_manual_reasons_checklist_and_rollback_without_secrets(
        tmp_path: Path) -> None:
    repo = new_repo(tmp_path / "r", {**READ_FILES, "backend/legacy.py": SECRET})
    body_file = tmp_path / "pr.md"
    run = apply(repo, "read-caches", "--pr-body", body_file)
    assert run.exit_code == 0, run.stdout + run.stderr
    body = body_file.read_text(encoding="utf-8")
    # The exact rollback command.
    assert "migrate rollback --batch read-caches" in body
    # The rollout checklist, line for line from batches/02-read-caches.toml.
    from redis_migrate.batch_catalog import load_batches
    batch = next(b for b in load_batches() if b.name == "read-caches")
    assert batch.checklist
    for item in batch.checklist:
        assert f"- [ ] {item}" in body, item
    # The grouped table: one row per identical rewrite, naming every site it covers.
    rows = [line for line in body.splitlines() if line.startswith("| ")]
    local = [r for r in rows if "function-local" in r]
    assert len(local) == 1, rows
    assert "`backend/reads.py:7`" in local[0] and "`backend/reads2.py:7`" in local[0]
    closes = [r for r in rows if "close-call" in r]
    assert len(closes) == 1 and "backend/reads.py:11" in closes[0] and (
        "backend/reads2.py:11" in closes[0]), rows
    # The manual sites, with their reason.
    manual = [line for line in body.splitlines() if "backend/legacy.py:7" in line]
    assert manual and "url-differs" in manual[0], body
    assert "cache.internal" in manual[0]
    # No secret anywhere: body, output, commit message.
    for text in (body, run.stdout, run.stderr, message(repo, READ_BRANCH)):
        assert "hunter2" not in text
    assert "hunter2" in (repo / "backend/legacy.py").read_text(encoding="utf-8")  # untouched


# --- push and stack -----------------------------------------------------------------------------

def test_push_to_a_bare_remote_and_status_says_pushed(tmp_path: Path) -> None:
    repo = new_repo(tmp_path / "r", ALL_FILES)
    remote = bare_remote(repo, tmp_path / "remote.git")
    run = apply(repo, "read-caches", "--push")
    assert run.exit_code == 0, run.stdout + run.stderr
    assert "pushed" in run.stdout and "origin" in run.stdout
    local_tip = rev(repo, READ_BRANCH)
    remote_tip = git(remote, "rev-parse", f"refs/heads/{READ_BRANCH}").strip()
    assert remote_tip == local_tip
    assert apply(repo, "write-caches", "--stack").exit_code == 0  # not pushed
    rows = status_rows(repo)
    assert rows["read-caches"]["pushed"] is True
    assert rows["write-caches"]["pushed"] is False
    assert rows["write-caches"]["branch"] == WRITE_BRANCH


def test_push_to_the_named_remote(tmp_path: Path) -> None:
    repo = new_repo(tmp_path / "r", READ_FILES)
    origin = bare_remote(repo, tmp_path / "origin.git")
    mirror = bare_remote(repo, tmp_path / "mirror.git", name="mirror")
    run = apply(repo, "read-caches", "--push", "--remote", "mirror")
    assert run.exit_code == 0, run.stdout + run.stderr
    assert git(mirror, "rev-parse", f"refs/heads/{READ_BRANCH}").strip() == rev(repo,
                                                                                 READ_BRANCH)
    assert git(origin, "for-each-ref") == ""


def test_stack_builds_on_the_previous_unmerged_branch(tmp_path: Path) -> None:
    repo = new_repo(tmp_path / "r", ALL_FILES)
    assert apply(repo, "read-caches").exit_code == 0
    # Without --stack the next batch is refused: read-caches is still pending on main.
    refused = apply(repo, "write-caches")
    assert refused.exit_code == 2, refused.stdout + refused.stderr
    assert "read-caches" in refused.stderr
    before = snapshot(repo)
    run = apply(repo, "write-caches", "--stack")
    assert run.exit_code == 0, run.stdout + run.stderr
    assert git(repo, "rev-parse", f"{WRITE_BRANCH}^").strip() == rev(repo, READ_BRANCH)
    assert snapshot(repo) == before
    rows = status_rows(repo)
    assert rows["write-caches"]["stacked_on"] == READ_BRANCH
    assert rows["read-caches"]["stacked_on"] is None
    assert rows["write-caches"]["merged"] is False


def test_stack_skips_batches_already_merged_into_the_base(tmp_path: Path) -> None:
    repo = new_repo(tmp_path / "r", ALL_FILES)
    assert apply(repo, "read-caches").exit_code == 0
    git(repo, "merge", "-q", "--ff-only", READ_BRANCH)
    assert apply(repo, "write-caches", "--stack").exit_code == 0
    assert git(repo, "rev-parse", f"{WRITE_BRANCH}^").strip() == rev(repo, "main")
    run = apply(repo, "pipelines", "--stack")  # nearest earlier unmerged: write-caches
    assert run.exit_code == 0, run.stdout + run.stderr
    assert git(repo, "rev-parse", f"{PIPE_BRANCH}^").strip() == rev(repo, WRITE_BRANCH)
    rows = status_rows(repo)
    assert rows["write-caches"]["stacked_on"] is None
    assert rows["pipelines"]["stacked_on"] == WRITE_BRANCH


def test_stack_treats_a_squash_merged_batch_as_merged(tmp_path: Path) -> None:
    repo = new_repo(tmp_path / "r", ALL_FILES)
    assert apply(repo, "read-caches").exit_code == 0
    squash_merge(repo, READ_BRANCH, 3)
    assert status_rows(repo)["read-caches"]["merged_as"] == "squash"
    run = apply(repo, "write-caches", "--stack")
    assert run.exit_code == 0, run.stdout + run.stderr
    # read-caches is merged (squashed) into main: the next batch starts from main, not from
    # the stale read-caches branch (whose commit would come back a second time).
    assert git(repo, "rev-parse", f"{WRITE_BRANCH}^").strip() == rev(repo, "main")
    assert status_rows(repo)["write-caches"]["stacked_on"] is None


# --- status -------------------------------------------------------------------------------------

def test_status_json_fields_before_and_after(tmp_path: Path) -> None:
    repo = new_repo(tmp_path / "r", {**ALL_FILES, "backend/legacy.py": SECRET})
    rows = status_rows(repo)
    assert list(rows) == ["health", "read-caches", "write-caches", "pipelines",
                          "pubsub-streams-queues", "locks-rate-limits"]
    for row in rows.values():
        assert set(row) == STATUS_KEYS, row
    read = rows["read-caches"]
    assert (read["order"], read["pending"], read["manual"]) == (2, 4, 2)
    assert read["branch"] is None and read["commit"] is None and read["merged"] is False
    assert read["pushed"] is False and read["pr"] is None and read["flags"] == []
    assert rows["write-caches"]["pending"] == 1 and rows["pipelines"]["pending"] == 2
    assert apply(repo, "read-caches").exit_code == 0
    read = status_rows(repo)["read-caches"]
    assert read["branch"] == READ_BRANCH and read["commit"] == rev(repo, READ_BRANCH)
    assert read["merged"] is False and read["merged_as"] is None
    assert read["pending"] == 4  # still pending on main until the branch is merged
    git(repo, "merge", "-q", "--no-ff", READ_BRANCH, "-m", "Merge read-caches")
    read = status_rows(repo)["read-caches"]
    assert (read["merged"], read["merged_as"], read["pending"], read["manual"]) == (
        True, "merge", 0, 2)
    assert read["rolled_back"] is False and read["revert_branch"] is None
    assert read["flags"] == []
    table = migrate("status", "-C", repo)
    assert table.exit_code == 0 and "read-caches" in table.stdout
    for text in (table.stdout, json.dumps(rows)):
        assert "hunter2" not in text


def test_status_flags_sites_that_reappear_after_the_merge(tmp_path: Path) -> None:
    repo = new_repo(tmp_path / "r", READ_FILES)
    assert apply(repo, "read-caches").exit_code == 0
    git(repo, "merge", "-q", "--ff-only", READ_BRANCH)
    assert status_rows(repo)["read-caches"]["flags"] == []
    (repo / "backend/reads3.py").write_text(function_local("again", "get"), encoding="utf-8")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "a new read cache, the old way")
    read = status_rows(repo)["read-caches"]
    assert read["merged"] is True and read["pending"] == 2
    assert read["flags"] and "reappeared" in read["flags"][0], read


# --- rollback -----------------------------------------------------------------------------------

def squash_merge(repo: Path, branch: str, number: int) -> None:
    """What GitHub's "Squash and merge" makes: one commit, the PR's message and trailers."""
    original = message(repo, branch)
    subject, _, body = original.partition("\n")
    git(repo, "merge", "-q", "--squash", branch)
    git(repo, "commit", "-q", "-m", f"{subject} (#{number})\n{body}")


def merge(repo: Path, how: str, branch: str) -> None:
    if how == "merge":
        git(repo, "merge", "-q", "--no-ff", branch, "-m", f"Merge pull request #1 from {branch}")
    elif how == "squash":
        squash_merge(repo, branch, 2)
    else:
        git(repo, "merge", "-q", "--ff-only", branch)


@pytest.mark.parametrize("how", ["merge", "squash", "fast-forward"])
def test_rollback_finds_and_reverts_the_batch(tmp_path: Path, how: str) -> None:
    repo = new_repo(tmp_path / "r", ALL_FILES)
    tree_before = tree(repo, "main")
    assert apply(repo, "read-caches").exit_code == 0
    merge(repo, how, READ_BRANCH)
    assert status_rows(repo)["read-caches"]["merged_as"] == how
    before = snapshot(repo)
    run = migrate("rollback", "--batch", "read-caches", "-C", repo)
    assert run.exit_code == 0, run.stdout + run.stderr
    revert = f"{PREFIX}revert-read-caches"
    assert revert in run.stdout
    assert ("mainline" in run.stdout) == (how == "merge"), run.stdout
    assert snapshot(repo) == before
    assert tree(repo, revert) == tree_before
    assert git(repo, "rev-parse", f"{revert}^").strip() == before["head"]  # one commit
    assert "Migrate-Revert: read-caches" in trailers(repo, revert)
    assert worktrees(repo) == [f"worktree {repo}"]
    row = status_rows(repo)["read-caches"]
    assert row["revert_branch"] == revert and row["rolled_back"] is False
    git(repo, "merge", "-q", "--ff-only", revert)
    row = status_rows(repo)["read-caches"]
    assert row["rolled_back"] is True and row["pending"] == 4 and row["flags"] == []


def test_rollback_is_refused_while_a_later_batch_is_merged_unless_forced(
        tmp_path: Path) -> None:
    repo = new_repo(tmp_path / "r", ALL_FILES)
    assert apply(repo, "read-caches").exit_code == 0
    merge(repo, "merge", READ_BRANCH)
    assert apply(repo, "write-caches").exit_code == 0
    merge(repo, "fast-forward", WRITE_BRANCH)
    refs = all_refs(repo)
    before = snapshot(repo)
    run = migrate("rollback", "--batch", "read-caches", "-C", repo)
    assert run.exit_code == 2, run.stdout + run.stderr
    line = one_error_line(run)
    assert "write-caches" in line and "--force" in line, line
    assert all_refs(repo) == refs and snapshot(repo) == before
    forced = migrate("rollback", "--batch", "read-caches", "--force", "-C", repo)
    assert forced.exit_code == 0, forced.stdout + forced.stderr
    revert = f"{PREFIX}revert-read-caches"
    assert git(repo, "show", f"{revert}:backend/reads.py") == READS
    assert "get_redis" in git(repo, "show", f"{revert}:backend/writes.py")
    assert snapshot(repo) == before


def test_rollback_dry_run_creates_nothing(tmp_path: Path) -> None:
    repo = new_repo(tmp_path / "r", READ_FILES)
    assert apply(repo, "read-caches").exit_code == 0
    merge(repo, "merge", READ_BRANCH)
    merge_commit = rev(repo, "main")
    refs, before = all_refs(repo), snapshot(repo)
    run = migrate("rollback", "--batch", "read-caches", "--dry-run", "-C", repo)
    assert run.exit_code == 0, run.stdout + run.stderr
    assert merge_commit[:12] in run.stdout and "would" in run.stdout
    assert all_refs(repo) == refs and snapshot(repo) == before
    assert worktrees(repo) == [f"worktree {repo}"]


def test_rollback_of_a_batch_never_merged_is_a_usage_error(tmp_path: Path) -> None:
    repo = new_repo(tmp_path / "r", READ_FILES)
    assert apply(repo, "read-caches").exit_code == 0
    refs = all_refs(repo)
    run = migrate("rollback", "--batch", "read-caches", "-C", repo)
    assert run.exit_code == 2, run.stdout + run.stderr
    assert "Migrate-Batch: read-caches" in one_error_line(run)
    assert all_refs(repo) == refs


def test_rollback_conflict_leaves_the_repository_as_it_was(tmp_path: Path) -> None:
    repo = new_repo(tmp_path / "r", READ_FILES)
    assert apply(repo, "read-caches").exit_code == 0
    merge(repo, "fast-forward", READ_BRANCH)
    migrated = (repo / "backend/reads.py").read_text(encoding="utf-8")
    assert "    return await r.get(key)\n" in migrated
    # The same lines the batch rewrote change again on main after the merge.
    (repo / "backend/reads.py").write_text(
        migrated.replace("    return await r.get(key)\n",
                         "    value = await r.get(key.lower())\n    return value\n"),
        encoding="utf-8")
    git(repo, "commit", "-q", "-am", "lower-case keys")
    (repo / "untracked.txt").write_text("mine\n", encoding="utf-8")
    refs, before = all_refs(repo), snapshot(repo)
    run = migrate("rollback", "--batch", "read-caches", "-C", repo)
    assert run.exit_code == 1, run.stdout + run.stderr
    line = one_error_line(run)
    assert "backend/reads.py" in line and "conflict" in line, line
    assert "backend/reads2.py" not in line, line
    assert rev(repo, f"refs/heads/{PREFIX}revert-read-caches") is None
    assert all_refs(repo) == refs and snapshot(repo) == before
    assert worktrees(repo) == [f"worktree {repo}"]
    assert not (repo / ".git" / "REVERT_HEAD").exists()


def test_rollback_of_a_stacked_batch_merged_with_its_base_reverts_only_that_batch(
        tmp_path: Path) -> None:
    repo = new_repo(tmp_path / "r", ALL_FILES)
    assert apply(repo, "read-caches").exit_code == 0
    assert apply(repo, "write-caches", "--stack").exit_code == 0
    # The stacked PR is merged first: one merge commit brings both batches in.
    git(repo, "merge", "-q", "--no-ff", WRITE_BRANCH, "-m", "Merge write-caches (stacked)")
    rows = status_rows(repo)
    assert rows["read-caches"]["merged"] is True and rows["write-caches"]["merged"] is True
    migrated_reads = {p: (repo / p).read_text(encoding="utf-8") for p in READ_FILES}
    run = migrate("rollback", "--batch", "write-caches", "-C", repo)
    assert run.exit_code in (0, 2), run.stdout + run.stderr
    revert = f"{PREFIX}revert-write-caches"
    if run.exit_code == 0:
        # read-caches is still merged and was not asked to go: only write-caches is undone.
        assert git(repo, "show", f"{revert}:backend/writes.py") == WRITES
        for path, text in migrated_reads.items():
            assert git(repo, "show", f"{revert}:{path}") == text, path
    else:  # or it refuses, saying the merge commit also carries read-caches
        assert "read-caches" in one_error_line(run)
        assert rev(repo, f"refs/heads/{revert}") is None

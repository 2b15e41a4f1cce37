"""What the review workflow leaves when it stops part-way, said truthfully (issue 10, items 7,
11 and 15).

- An interrupt after the batch branch exists (during `--test-cmd`, the push, or once `rollback`
  has made its revert branch) names the branch, its commit and how to undo it, instead of
  "nothing was written".
- A `--pr-body` path that cannot be written is refused in one line before any branch is made; a
  write of it that fails later is one line too.
- What the tool prints, writes into a pull request or into the user's code names no document
  that is not in this repository.

The CLI runs as a separate process on real scratch git repositories (with a real bare repository
as the remote, whose pre-receive hook holds a push open) and receives a real SIGINT once it is
where the test wants it: its `--test-cmd` or the hook creates a marker file, or it pauses at a
fault point (MIGRATE_FAULT=pause-<point>, redis_migrate/faults.py). The rest runs through the CLI
in-process.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from cli_helpers import (
    BACKEND,
    LIFECYCLE,
    REPO_ROOT,
    example_repo,
    function_local,
    git,
    git_repo,
    migrate,
    wait_for,
    write,
)

from redis_migrate.scan.lifecycle import compat_template_text, template_text

READ_BRANCH = "redis-migration/02-read-caches"
REVERT_BRANCH = "redis-migration/revert-read-caches"
FILES = {
    **BACKEND,
    "backend/reads.py": function_local("lookup", "get"),
    "backend/reads2.py": function_local("present", "exists"),
}
# Words that cite the design documents the tool was written from, none of which ships with it.
OUTSIDE_DOCUMENTS = ("§", "seed", "SPEC", "strategy", "facts")


# --- helpers ------------------------------------------------------------------------------------

def new_repo(path: Path) -> Path:
    repo = git_repo(path, FILES)
    git(repo, "config", "user.name", "Migration Tester")
    git(repo, "config", "user.email", "tester@example.invalid")
    return repo


def rev(repo: Path, ref: str) -> str | None:
    proc = subprocess.run(["git", "rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}"],
                          cwd=repo, capture_output=True, text=True)
    return proc.stdout.strip() if proc.returncode == 0 else None


def branches(repo: Path) -> list[str]:
    return git(repo, "for-each-ref", "--format=%(refname:short)", "refs/heads/").split()


def snapshot(repo: Path) -> tuple[str, str, str]:
    """What the user sees: the branch checked out, HEAD, and `git status` with untracked files."""
    return (git(repo, "symbolic-ref", "--short", "HEAD"), git(repo, "rev-parse", "HEAD"),
            git(repo, "status", "--porcelain", "--untracked-files=all"))


def worktrees(repo: Path) -> list[str]:
    return [line for line in git(repo, "worktree", "list", "--porcelain").splitlines()
            if line.startswith("worktree ")]


def one_line(stderr: str) -> str:
    lines = stderr.strip().splitlines()
    assert len(lines) == 1, stderr
    assert "internal error" not in stderr and "Traceback" not in stderr, stderr
    return lines[0]


def interrupt_when(marker: Path, *args: str | Path, fault: str | None = None) -> tuple[int, str]:
    """Run `python -m redis_migrate ARGS…`; send it SIGINT once `marker` exists; its exit code and
    stderr. With `fault`, it pauses at that fault point and the marker is deleted after the
    signal, so that it goes on."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("MIGRATE_FAULT")}
    if fault is not None:
        env["MIGRATE_FAULT"] = f"pause-{fault}"
        env["MIGRATE_FAULT_MARKER"] = str(marker)
    proc = subprocess.Popen(
        [sys.executable, "-m", "redis_migrate", *map(str, args)], cwd=REPO_ROOT, env=env,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        # a test runner started in the background may ignore SIGINT, and children inherit that
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    wait_for(proc, marker, f"{marker.name} never appeared")
    proc.send_signal(signal.SIGINT)
    if fault is not None:
        time.sleep(0.2)  # let the handler run while the process is still paused
        marker.unlink()
    try:
        _, stderr = proc.communicate(timeout=120)
    finally:
        marker.unlink(missing_ok=True)  # releases a push hook still waiting
    return proc.returncode, stderr


def sleeper(marker: Path) -> str:
    """A `--test-cmd` that creates `marker`, then sleeps long past any test's patience."""
    code = (f"import pathlib, time; pathlib.Path({str(marker)!r}).write_text('x'); "
            f"time.sleep(60)")
    return f'{sys.executable} -c "{code}"'


def holding_remote(repo: Path, path: Path, marker: Path) -> Path:
    """A bare remote `origin` whose pre-receive hook creates `marker`, then waits (up to a
    minute) until it is deleted, so that a push to it stays open until the test lets it go."""
    git(path.parent, "init", "-q", "--bare", str(path))
    hook = path / "hooks" / "pre-receive"
    hook.write_text("#!/bin/sh\n"
                    f"touch '{marker}'\n"
                    "i=0\n"
                    f"while [ -e '{marker}' ] && [ $i -lt 600 ]; do sleep 0.1; i=$((i+1)); done\n"
                    "exit 1\n", encoding="utf-8")
    hook.chmod(0o755)
    git(repo, "remote", "add", "origin", str(path))
    return path


# --- an interrupt once the batch branch exists ---------------------------------------------------

def _made_branch(code: int, stderr: str, repo: Path, branch: str) -> tuple[str, str]:
    """An interrupt after `branch` was made: exit 130, the branch stands (fully committed), and
    the last line of stderr says it was created, not that nothing was written. The branch's
    commit and that line."""
    assert code == 130, stderr
    tip = rev(repo, branch)
    assert tip is not None, stderr  # the branch stands, fully committed
    last = stderr.strip().splitlines()[-1]
    assert "nothing was written" not in stderr, stderr
    assert f"creating branch {branch} (commit {tip[:12]})" in last, last
    return tip, last


def test_sigint_during_the_test_command_names_the_branch_and_how_to_undo_it(
        tmp_path: Path) -> None:
    repo = new_repo(tmp_path / "r")
    before = snapshot(repo)
    marker = tmp_path / "tests-started"
    code, stderr = interrupt_when(marker, "apply", "--batch", "read-caches", "-C", repo,
                                  "--test-cmd", sleeper(marker))
    tip, last = _made_branch(code, stderr, repo, READ_BRANCH)
    assert "while running the tests" in last, last
    assert f"`git branch -D {READ_BRANCH}`" in last and "--replace" in last, last
    assert "Migrate-Batch: read-caches" in git(repo, "log", "-1", "--format=%B", tip)
    assert snapshot(repo) == before  # the user's tree and branch are as they were
    assert worktrees(repo) == [f"worktree {repo}"]
    # and what the message says works: --replace rebuilds the same branch
    run = migrate("apply", "--batch", "read-caches", "--replace", "-C", repo)
    assert run.exit_code == 0, run.stdout + run.stderr


def test_sigint_during_the_test_command_of_a_replace_says_where_the_branch_was(
        tmp_path: Path) -> None:
    repo = new_repo(tmp_path / "r")
    main_tip = rev(repo, "main")
    assert main_tip is not None
    git(repo, "branch", READ_BRANCH, "main")  # an old branch of the batch, at main
    marker = tmp_path / "tests-started"
    code, stderr = interrupt_when(marker, "apply", "--batch", "read-caches", "--replace",
                                  "-C", repo, "--test-cmd", sleeper(marker))
    assert code == 130, stderr
    tip = rev(repo, READ_BRANCH)
    assert tip is not None and tip != main_tip, stderr
    last = stderr.strip().splitlines()[-1]
    assert f"moving branch {READ_BRANCH} from {main_tip[:12]} to commit {tip[:12]}" in last, last
    assert f"`git branch -f {READ_BRANCH} {main_tip[:12]}`" in last, last
    assert "nothing was written" not in stderr, stderr


def test_sigint_during_the_push_says_the_push_may_not_have_landed(tmp_path: Path) -> None:
    repo = new_repo(tmp_path / "r")
    before = snapshot(repo)
    marker = tmp_path / "push-started"
    holding_remote(repo, tmp_path / "remote.git", marker)
    body = tmp_path / "out" / "deeper" / "pr.md"  # folders the check makes, then removes
    code, stderr = interrupt_when(marker, "apply", "--batch", "read-caches", "-C", repo,
                                  "--push", "--pr-body", body)
    tip, last = _made_branch(code, stderr, repo, READ_BRANCH)
    assert "writing 1 file(s) in full" in last and "pr.md" in last, last  # the PR body
    assert "while pushing it to origin" in last, last
    assert f"git ls-remote origin {READ_BRANCH}" in last, last
    assert f"`git branch -D {READ_BRANCH}`" in last, last
    assert body.read_text(encoding="utf-8").startswith("## Redis migration, batch 2")
    assert sorted(p.name for p in body.parent.iterdir()) == ["pr.md"]  # no probe left over
    assert snapshot(repo) == before


def test_sigint_once_rollback_made_its_branch_names_it(tmp_path: Path) -> None:
    repo = new_repo(tmp_path / "r")
    assert migrate("apply", "--batch", "read-caches", "-C", repo).exit_code == 0
    git(repo, "merge", "-q", "--ff-only", READ_BRANCH)
    before = snapshot(repo)
    marker = tmp_path / "revert-branch-set"
    code, stderr = interrupt_when(marker, "rollback", "--batch", "read-caches", "-C", repo,
                                  fault="revert-branch-set")
    tip, last = _made_branch(code, stderr, repo, REVERT_BRANCH)
    assert "review and merge" in last and f"`git branch -D {REVERT_BRANCH}`" in last, last
    assert "Migrate-Revert: read-caches" in git(repo, "log", "-1", "--format=%B", tip)
    assert snapshot(repo) == before
    assert worktrees(repo) == [f"worktree {repo}"]


# --- a --pr-body that cannot be written -----------------------------------------------------------

@pytest.mark.parametrize("where", ["missing-root", "directory", "under-a-file"])
def test_an_unwritable_pr_body_is_refused_before_any_branch(tmp_path: Path, where: str) -> None:
    repo = new_repo(tmp_path / "r")
    before = snapshot(repo)
    (tmp_path / "a-file").write_text("x")
    body = {"missing-root": Path("/proc/nope/x"),  # /proc takes no new folder, even from root
            "directory": tmp_path,
            "under-a-file": tmp_path / "a-file" / "x"}[where]
    reason = {"missing-root": "/proc/nope: No such file or directory",
              "directory": "Is a directory",
              "under-a-file": f"{tmp_path / 'a-file'}: Not a directory"}[where]
    listing = sorted(p.name for p in tmp_path.iterdir())
    run = migrate("apply", "--batch", "read-caches", "--pr-body", body, "-C", repo)
    assert run.exit_code == 2, run.stdout + run.stderr
    line = one_line(run.stderr)
    assert f"cannot write {body}" in line and reason in line, line
    assert run.stdout == ""
    assert branches(repo) == ["main"]
    assert snapshot(repo) == before
    assert worktrees(repo) == [f"worktree {repo}"]
    assert sorted(p.name for p in tmp_path.iterdir()) == listing
    assert (tmp_path / "a-file").read_text() == "x"


def test_a_pr_body_that_fails_to_write_after_the_branch_is_one_line(tmp_path: Path) -> None:
    """The folder is writable when `apply` starts; the team's tests replace it by a file."""
    repo = new_repo(tmp_path / "r")
    folder = tmp_path / "out"
    folder.mkdir()
    body = folder / "pr.md"
    run = migrate("apply", "--batch", "read-caches", "--pr-body", body, "-C", repo,
                  "--test-cmd", f"rmdir '{folder}' && touch '{folder}'")
    assert run.exit_code == 2, run.stdout + run.stderr
    line = one_line(run.stderr)
    tip = rev(repo, READ_BRANCH)
    assert tip is not None
    assert f"cannot write {body}" in line, line
    assert f"branch {READ_BRANCH} (commit {tip[:12]}) is made but not pushed" in line, line
    assert "--replace" in line, line


# --- what is printed, written into a PR or into the user's code ---------------------------------

def _names_no_outside_document(text: str, what: str) -> None:
    for word in OUTSIDE_DOCUMENTS:
        assert word not in text, (what, word, [line for line in text.splitlines()
                                               if word in line])


def test_check_and_the_pr_body_name_no_document_outside_the_repository(tmp_path: Path) -> None:
    example = example_repo(tmp_path)
    run = migrate("check", "-C", example)
    assert run.exit_code == 1, run.stdout + run.stderr
    assert "owner-singleton" in migrate("check", "--format", "json", "-C", example).stdout
    _names_no_outside_document(run.stdout + run.stderr, "check")
    for batch in ("health", "pipelines"):
        body = tmp_path / f"pr-{batch}.md"
        run = migrate("apply", "--batch", batch, "--force-order", "--pr-body", body,
                      "-C", example)
        assert run.exit_code in (0, 1), run.stdout + run.stderr
        _names_no_outside_document(body.read_text(encoding="utf-8"), f"PR body of {batch}")
        _names_no_outside_document(git(example, "log", "-1", "--format=%B",
                                       f"redis-migration/0{'1' if batch == 'health' else '4'}"
                                       f"-{batch}"), f"commit of {batch}")


def test_lifecycle_gaps_name_no_document_outside_the_repository(tmp_path: Path) -> None:
    bare = ("import redis.asyncio as redis\n\n_client = None\n\n\n"
            "async def init_redis(url):\n    global _client\n"
            "    _client = redis.Redis.from_url(url)\n\n\n"
            "def get_redis():\n    return _client\n\n\n"
            "async def close_redis():\n    await _client.aclose()\n")
    repo = git_repo(tmp_path / "r", {**FILES, LIFECYCLE: bare})
    run = migrate("check", "-C", repo)
    assert run.exit_code == 1, run.stdout + run.stderr
    assert "does not set socket_timeout explicitly" in run.stdout, run.stdout
    _names_no_outside_document(run.stdout + run.stderr, "check")


def test_the_templates_written_into_user_code_name_no_outside_document(tmp_path: Path) -> None:
    _names_no_outside_document(template_text(), "redis_client.py template")
    _names_no_outside_document(compat_template_text(), "redis_compat.py template")
    # and `init` writes the template as it is
    repo = git_repo(tmp_path / "r", {k: v for k, v in FILES.items() if k != LIFECYCLE})
    write(repo, {"pyproject.toml": "[project]\nname = 'r'\n"})
    run = migrate("init", "-C", repo)
    assert run.exit_code == 0, run.stdout + run.stderr
    _names_no_outside_document((repo / LIFECYCLE).read_text(encoding="utf-8"), "init")

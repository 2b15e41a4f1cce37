"""A batch is written whole or not at all, whatever stops the run (issue 10 item 7).

The real CLI runs as a separate process on real scratch git repositories. It either kills itself
(SIGKILL) at the fault point named in MIGRATE_FAULT, or pauses there (MIGRATE_FAULT=pause-<point>:
it creates the marker file and waits until the test deletes it) so that the test can send SIGINT
or SIGTERM at exactly that moment. The run that follows a crash goes through the CLI in-process.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from cli_helpers import BACKEND, REPO_ROOT, function_local, git, git_repo, migrate, wait_for, write

from redis_migrate.errors import ApplyError
from redis_migrate.rewrite.fileio import Replacement, replace_all

BASE = BACKEND
# The read-caches batch of five files: the write loop renames five files.
READS = {f"backend/reads{n}.py": function_local(f"lookup{n}", operation)
         for n, operation in enumerate(["get", "exists", "ttl", "strlen", "hgetall"])}
TARGETS = sorted(READS)
JOURNAL = ".git/migrate-journal.json"


# --- helpers ------------------------------------------------------------------------------------

def new_repo(path: Path) -> Path:
    return git_repo(path, {**BASE, **READS})


def rewritten(repo: Path) -> list[str]:
    """The batch's files that no longer hold their original content."""
    return [p for p in TARGETS if (repo / p).read_text(encoding="utf-8") != READS[p]]


def untracked(repo: Path) -> list[str]:
    """Untracked files (temporary files left behind would show here)."""
    return git(repo, "ls-files", "--others", "--exclude-standard").split()


def start(repo: Path, *args: str, fault: str, marker: Path | None = None) -> subprocess.Popen:
    """`python -m redis_migrate apply --batch read-caches ARGS… -C repo` with a fault point set."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("MIGRATE_FAULT")}
    env["MIGRATE_FAULT"] = fault
    if marker is not None:
        env["MIGRATE_FAULT_MARKER"] = str(marker)
    return subprocess.Popen(
        [sys.executable, "-m", "redis_migrate", "apply", "--batch", "read-caches", *args,
         "-C", str(repo)],
        cwd=REPO_ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        # a test runner started in the background may ignore SIGINT, and children inherit that
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))


def crash(repo: Path, fault: str, *args: str) -> None:
    """Run apply until it kills itself at `fault`."""
    proc = start(repo, *args, fault=fault)
    stdout, stderr = proc.communicate(timeout=180)
    assert proc.returncode == -signal.SIGKILL, (proc.returncode, stdout, stderr)


def signal_at(repo: Path, tmp_path: Path, point: str, signum: int,
              *args: str) -> tuple[int, str]:
    """Run apply, send `signum` while it is paused at `point`; its exit code and stderr."""
    marker = tmp_path / f"paused-at-{point}"
    proc = start(repo, *args, fault=f"pause-{point}", marker=marker)
    wait_for(proc, marker, f"never paused at {point}")
    proc.send_signal(signum)
    time.sleep(0.2)  # let the handler run while the process is still paused
    marker.unlink()
    _, stderr = proc.communicate(timeout=180)
    return proc.returncode, stderr


def reference(tmp_path: Path) -> dict[str, str]:
    """What a clean `apply --no-git` writes: the five files rewritten."""
    repo = new_repo(tmp_path / "reference")
    run = migrate("apply", "--batch", "read-caches", "--no-git", "-C", repo)
    assert run.exit_code == 0, run.stdout + run.stderr
    return {p: (repo / p).read_text(encoding="utf-8") for p in TARGETS}


def tree_files(repo: Path) -> dict[str, str]:
    return {p: (repo / p).read_text(encoding="utf-8") for p in TARGETS}


# --- a crash in the middle of the write loop ----------------------------------------------------

def test_a_crash_mid_write_is_reported_then_rolled_back_by_the_next_apply(tmp_path: Path) -> None:
    repo = new_repo(tmp_path / "r")
    head = git(repo, "rev-parse", "HEAD")
    crash(repo, "mid-write", "--no-git")
    assert rewritten(repo) == TARGETS[:1]  # killed between the first and the second rename
    assert (repo / JOURNAL).is_file()  # what the next start needs to undo it
    # Commands that only read say so, and change nothing.
    for command in ("check", "status"):
        run = migrate(command, "-C", repo)
        warnings = [line for line in run.stderr.splitlines() if "interrupted write" in line]
        assert len(warnings) == 1, run.stderr
        assert warnings[0].startswith("warning:") and "1 of its 5 file(s)" in warnings[0]
        assert "backend/reads0.py" in warnings[0] and "migrate apply" in warnings[0]
    assert rewritten(repo) == TARGETS[:1]
    # The next apply (here the review workflow, which refuses a dirty tree) rolls it back first.
    run = migrate("apply", "--batch", "read-caches", "-C", repo)
    assert run.exit_code == 0, run.stdout + run.stderr
    lines = [line for line in run.stderr.splitlines() if "interrupted write" in line]
    assert lines == ["rolled back an interrupted write: 1 of its 5 file(s) had been written "
                     "(backend/reads0.py) and are back as they were before it"], run.stderr
    assert rewritten(repo) == []  # 0 of 5 changed in the work tree
    assert git(repo, "status", "--porcelain", "--untracked-files=all") == ""
    assert not (repo / JOURNAL).exists()
    assert git(repo, "rev-parse", "HEAD") == head
    assert git(repo, "branch", "--list", "redis-migration/*").strip()  # the batch, on its branch


def test_the_next_no_git_apply_rolls_back_in_one_line_then_writes_the_batch_whole(
        tmp_path: Path) -> None:
    expected = reference(tmp_path)
    repo = new_repo(tmp_path / "r")
    crash(repo, "mid-write", "--no-git")
    assert (repo / JOURNAL).is_file()
    run = migrate("apply", "--batch", "read-caches", "--no-git", "-C", repo)
    assert run.exit_code == 0, run.stdout + run.stderr
    assert run.stderr.splitlines() == [
        "rolled back an interrupted write: 1 of its 5 file(s) had been written "
        "(backend/reads0.py) and are back as they were before it"]
    assert "rewrote 10 site(s) in 5 file(s)" in run.stdout
    assert tree_files(repo) == expected
    assert untracked(repo) == []
    assert not (repo / JOURNAL).exists()


def test_a_file_changed_after_the_crash_is_left_as_it_is(tmp_path: Path) -> None:
    repo = new_repo(tmp_path / "r")
    crash(repo, "mid-write", "--no-git")
    edited = (repo / TARGETS[0]).read_text(encoding="utf-8") + "# edited after the crash\n"
    (repo / TARGETS[0]).write_text(edited, encoding="utf-8")
    run = migrate("apply", "--batch", "read-caches", "--no-git", "-C", repo)
    assert run.exit_code == 0, run.stdout + run.stderr
    line = run.stderr.splitlines()[0]
    assert line == ("cleared an interrupted write: 1 of its file(s) changed since were left "
                    "as they are (backend/reads0.py)"), run.stderr
    assert (repo / TARGETS[0]).read_text(encoding="utf-8") == edited
    assert not (repo / JOURNAL).exists()


def test_a_crash_before_the_first_rename_leaves_no_temporary_file(tmp_path: Path) -> None:
    repo = new_repo(tmp_path / "r")
    crash(repo, "journal-written", "--no-git")
    assert rewritten(repo) == []
    assert len(untracked(repo)) == 5  # the content after, waiting beside each target
    run = migrate("apply", "--batch", "read-caches", "--dry-run", "-C", repo)
    assert len(untracked(repo)) == 5, "a dry run writes nothing, not even a rollback"
    assert "warning: an interrupted write left a journal" in run.stderr
    run = migrate("apply", "--batch", "read-caches", "-C", repo)
    assert run.exit_code == 0, run.stdout + run.stderr
    assert ("cleared an interrupted write: none of its 5 file(s) had been written"
            in run.stderr.splitlines())
    assert untracked(repo) == [] and rewritten(repo) == []
    assert not (repo / JOURNAL).exists()


def test_outside_git_the_journal_sits_at_the_target_root(tmp_path: Path) -> None:
    repo = tmp_path / "plain"
    write(repo, {**BASE, **READS})
    crash(repo, "mid-write", "--no-git")
    assert (repo / ".migrate-journal.json").is_file()
    assert rewritten(repo) == TARGETS[:1]
    run = migrate("apply", "--batch", "read-caches", "--no-git", "-C", repo)
    assert run.exit_code == 0, run.stdout + run.stderr
    assert run.stderr.startswith("rolled back an interrupted write: 1 of its 5 file(s)")
    assert rewritten(repo) == TARGETS
    assert not (repo / ".migrate-journal.json").exists()
    assert sorted(p.name for p in repo.iterdir()) == ["backend"]


# --- signals ----------------------------------------------------------------------------------

def test_sigint_in_the_write_loop_waits_for_the_whole_batch_and_says_so(tmp_path: Path) -> None:
    expected = reference(tmp_path)
    repo = new_repo(tmp_path / "r")
    code, stderr = signal_at(repo, tmp_path, "mid-write", signal.SIGINT, "--no-git")
    assert code == 130, stderr
    assert tree_files(repo) == expected  # all five, not one
    assert "nothing was written" not in stderr
    assert stderr.splitlines()[-1] == (
        "error: interrupted after writing 5 file(s) in full (backend/reads0.py, "
        "backend/reads1.py, backend/reads2.py, … (2 more)); no file was left half-written")
    assert untracked(repo) == []
    assert not (repo / JOURNAL).exists()


def test_sigterm_in_the_write_loop_waits_for_the_whole_batch(tmp_path: Path) -> None:
    repo = new_repo(tmp_path / "r")
    code, stderr = signal_at(repo, tmp_path, "mid-write", signal.SIGTERM, "--no-git")
    assert code == -signal.SIGTERM, stderr  # then it ends as SIGTERM ends a process
    assert rewritten(repo) == TARGETS
    assert untracked(repo) == []
    assert not (repo / JOURNAL).exists()


def test_sigint_before_the_first_rename_writes_nothing_and_says_so(tmp_path: Path) -> None:
    repo = new_repo(tmp_path / "r")
    code, stderr = signal_at(repo, tmp_path, "journal-written", signal.SIGINT, "--no-git")
    assert code == 130, stderr
    assert stderr.splitlines()[-1] == "error: interrupted; nothing was written"
    assert rewritten(repo) == []
    assert untracked(repo) == []  # the temporary files are gone too
    assert not (repo / JOURNAL).exists()


def test_sigint_in_the_review_workflow_write_leaves_the_work_tree_alone(tmp_path: Path) -> None:
    """The branch workflow writes in a temporary worktree: nothing of it reaches the user."""
    repo = new_repo(tmp_path / "r")
    code, stderr = signal_at(repo, tmp_path, "mid-write", signal.SIGINT)
    assert code == 130, stderr
    assert stderr.splitlines()[-1] == "error: interrupted; nothing was written"
    assert git(repo, "status", "--porcelain", "--untracked-files=all") == ""
    assert not git(repo, "branch", "--list", "redis-migration/*").strip()


# --- an error in the rename loop ----------------------------------------------------------------

def test_an_error_in_the_rename_loop_puts_back_the_files_already_renamed(tmp_path: Path) -> None:
    repo = git_repo(tmp_path / "r", {"a.py": "a = 1\n", "b.py": "b = 1\n", "c/keep.py": "c\n"})
    replacements = [Replacement(repo / "a.py", b"a = 1\n", b"a = 2\n"),
                    Replacement(repo / "b.py", b"b = 1\n", b"b = 2\n"),
                    Replacement(repo / "new.py", None, b"new = 1\n"),
                    # renaming a file over a folder that is not empty fails, after three renames
                    Replacement(repo / "c", b"", b"not a folder\n")]
    with pytest.raises(ApplyError) as raised:
        replace_all(repo, replacements)
    assert "could not write c:" in str(raised.value)
    assert "the 3 file(s) already written were put back: nothing was written" in str(raised.value)
    assert git(repo, "status", "--porcelain", "--untracked-files=all") == ""
    assert not (repo / JOURNAL).exists()

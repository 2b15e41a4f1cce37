"""All access to git, in one module (as pre-commit keeps it in `git.py`).

The read-only calls on the inventory's hot path (`ls-files`, `grep`) run the `git` executable
directly: importing GitPython costs more than the whole text prefilter on a large tree.
"""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path


def _git(repo: Path, *args: str, stdin: bytes | None = None) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(["git", "-C", str(repo), *args], input=stdin, capture_output=True,
                          check=False)


def is_work_tree(repo: Path) -> bool:
    """Whether `repo` is inside a git work tree (and git is installed)."""
    if shutil.which("git") is None:
        return False
    result = _git(repo, "rev-parse", "--is-inside-work-tree")
    return result.returncode == 0 and result.stdout.strip() == b"true"


def list_files(repo: Path, pathspec: str = "*.py") -> list[str]:
    """Tracked files plus untracked ones that are not ignored, relative to `repo`."""
    result = _git(repo, "ls-files", "-z", "--cached", "--others", "--exclude-standard",
                  "--", pathspec)
    if result.returncode != 0:
        raise OSError(result.stderr.decode(errors="replace").strip() or "git ls-files failed")
    return sorted({p for p in result.stdout.decode("utf-8", "surrogateescape").split("\0") if p})


def start_grep(repo: Path, patterns: list[str], *, words: bool = False,
               pathspec: str = "*.py") -> Callable[[], set[str]]:
    """Start `git grep -l` in the background; the returned function waits for its answer.

    Lets the inventory search for importers while it parses the files found so far.
    """
    if not patterns:
        return set
    args = ["git", "-C", str(repo), "grep", "-l", "-z", "-I", "-F", "--untracked", "--no-color"]
    if words:
        args.append("-w")
    for pattern in patterns:  # as arguments, not on stdin: git starts searching at once
        args += ["-e", pattern]
    args += ["--", pathspec]
    process = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE)

    def wait() -> set[str]:
        out, err = process.communicate()
        if process.returncode not in (0, 1):  # 1: nothing matched
            raise OSError(err.decode(errors="replace").strip() or "git grep failed")
        return {p for p in out.decode("utf-8", "surrogateescape").split("\0") if p}

    return wait


def current_branch(repo: Path) -> str | None:
    """The checked-out branch, or None on a detached HEAD or in a repository with no commits."""
    result = _git(repo, "symbolic-ref", "--quiet", "--short", "HEAD")
    if result.returncode != 0:
        return None
    return result.stdout.decode().strip() or None

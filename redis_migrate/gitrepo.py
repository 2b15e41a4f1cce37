"""All access to git, in one module (as pre-commit keeps it in `git.py`).

Every call runs the `git` executable, one way (`_git`), in the repository it is given
(`git -C`), with the variables that would point git at another repository removed from its
environment (`git_env`): a hook or a wrapper that exported `GIT_DIR` or `GIT_INDEX_FILE` must
not send a batch's commit into another index.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

# What `git rev-parse --local-env-vars` lists: the variables that say which repository,
# index and object store git works on. Identity (GIT_AUTHOR_*), SSH and config variables stay.
REPOSITORY_VARIABLES = frozenset({
    "GIT_ALTERNATE_OBJECT_DIRECTORIES", "GIT_COMMON_DIR", "GIT_DIR", "GIT_GRAFT_FILE",
    "GIT_IMPLICIT_WORK_TREE", "GIT_INDEX_FILE", "GIT_INTERNAL_SUPER_PREFIX", "GIT_NAMESPACE",
    "GIT_NO_REPLACE_OBJECTS", "GIT_OBJECT_DIRECTORY", "GIT_PREFIX", "GIT_REPLACE_REF_BASE",
    "GIT_SHALLOW_FILE", "GIT_WORK_TREE",
})


def git_env(extra: dict[str, str] | None = None) -> dict[str, str]:
    """This process's environment without the variables that point git elsewhere."""
    env = {k: v for k, v in os.environ.items() if k not in REPOSITORY_VARIABLES}
    env.update(extra or {})
    return env


def _git(repo: Path, *args: str, stdin: bytes | None = None) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(["git", "-C", str(repo), *args], input=stdin, capture_output=True,
                          check=False, env=git_env())


def is_work_tree(repo: Path) -> bool:
    """Whether `repo` is inside a git work tree (and git is installed)."""
    if shutil.which("git") is None:
        return False
    result = _git(repo, "rev-parse", "--is-inside-work-tree")
    return result.returncode == 0 and result.stdout.strip() == b"true"


def is_ignored_folder(repo: Path) -> bool:
    """Whether the folder `repo`, inside a work tree, is ignored there as a whole (a vendored
    copy, a checkout listed in the enclosing repository's .gitignore)."""
    return _git(repo, "check-ignore", "-q", "--", ".").returncode == 0


def list_links(repo: Path, pathspec: str = "*.py") -> list[str]:
    """Symbolic links among `list_files(repo)`, which `git grep` never reads through: tracked
    ones by their mode (120000), untracked ones by a look at each (there are few)."""
    tracked = _git(repo, "ls-files", "-z", "--stage", "--", pathspec)
    others = _git(repo, "ls-files", "-z", "--others", "--exclude-standard", "--", pathspec)
    if tracked.returncode != 0 or others.returncode != 0:
        return []
    entries = tracked.stdout.decode("utf-8", "surrogateescape").split("\0")
    links = {entry.partition("\t")[2] for entry in entries if entry.startswith("120000 ")}
    links.update(path for path in others.stdout.decode("utf-8", "surrogateescape").split("\0")
                 if path and (repo / path).is_symlink())
    return sorted(links)


def list_files(repo: Path, pathspec: str = "*.py") -> list[str]:
    """Tracked files plus untracked ones that are not ignored, relative to `repo`."""
    result = _git(repo, "ls-files", "-z", "--cached", "--others", "--exclude-standard",
                  "--", pathspec)
    if result.returncode != 0:
        raise OSError(result.stderr.decode(errors="replace").strip() or "git ls-files failed")
    return sorted({p for p in result.stdout.decode("utf-8", "surrogateescape").split("\0") if p})


def _grep_args(repo: Path, options: list[str], patterns: list[str], pathspec: str,
               outside: list[str] | None) -> list[str]:
    """`git grep -l` with `options` for any of `patterns`: in the work tree (tracked files and
    untracked ones not ignored), or with `outside` (exclude pathspecs) every file of the folder
    but those, as `--no-index` reads a folder that is no work tree."""
    # no -I: a file git takes for binary (a NUL byte) is still read, so that its parse error
    # is reported as it is outside git
    args = ["git", "-C", str(repo), "grep", "-l", "-z", *options, "--no-color"]
    args += ["--untracked"] if outside is None else ["--no-index", "--no-exclude-standard"]
    for pattern in patterns:  # as arguments, not on stdin: git starts searching at once
        args += ["-e", pattern]
    return [*args, "--", pathspec, *(outside or ())]


class RunningGrep:
    """A `git grep -l` started in the background: call it for the files it found (it waits,
    and raises OSError if git failed), or `cancel` it unasked."""

    def __init__(self, process: subprocess.Popen[bytes] | None,
                 patterns: tuple[str, ...] = ()) -> None:
        self.process = process  # None: nothing to search for
        self.patterns = patterns  # what it searches for

    def __call__(self) -> set[str]:
        if self.process is None:
            return set()
        out, err = self.process.communicate()
        if self.process.returncode not in (0, 1):  # 1: nothing matched
            raise OSError(err.decode(errors="replace").strip() or "git grep failed")
        return {p for p in out.decode("utf-8", "surrogateescape").split("\0") if p}

    def cancel(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.communicate()


def start_grep(repo: Path, patterns: list[str], *, words: bool = False,
               pathspec: str = "*.py", outside: list[str] | None = None,
               threads: int | None = None) -> RunningGrep:
    """Start `git grep -l -F` in the background (`outside`: see `_grep_args`; `threads`:
    git's search threads, None for its default of one per core).

    Lets the inventory search for importers while it parses the files found so far.
    """
    if not patterns:
        return RunningGrep(None)
    args = _grep_args(repo, ["-F", "-w"] if words else ["-F"], patterns, pathspec, outside)
    if threads is not None:
        args[1:1] = ["-c", f"grep.threads={threads}"]
    return RunningGrep(subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                        stderr=subprocess.PIPE, env=git_env()),
                       tuple(patterns))


def start_pcre_grep(repo: Path, patterns: list[str], pathspec: str = "*.py",
                    outside: list[str] | None = None) -> Callable[[], set[str] | None]:
    """`git grep -l -P` for any of `patterns` (Perl-compatible, read as bytes), started in the
    background; the returned function waits, and answers None if git could not run it (a git
    built without PCRE): the caller then searches another way. `outside`: see `_grep_args`."""
    args = _grep_args(repo, ["-P"], patterns, pathspec, outside)
    # the C locale: no UTF-8 mode, in which PCRE would stop at text that is not UTF-8
    process = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, env=git_env({"LC_ALL": "C"}))

    def wait() -> set[str] | None:
        out, _ = process.communicate()
        if process.returncode not in (0, 1):  # 1: nothing matched
            return None
        return {p for p in out.decode("utf-8", "surrogateescape").split("\0") if p}

    return wait


def current_branch(repo: Path) -> str | None:
    """The checked-out branch, or None on a detached HEAD or in a repository with no commits."""
    result = _git(repo, "symbolic-ref", "--quiet", "--short", "HEAD")
    if result.returncode != 0:
        return None
    return result.stdout.decode().strip() or None


def require_work_tree(repo: Path, why: str) -> None:
    """Refuse a command that needs git history outside a git work tree: one line, exit 2.

    `why` says what the command does with git and how to do without it.
    """
    from redis_migrate.errors import UsageError

    if shutil.which("git") is None:
        raise UsageError(f"git is not installed; {why}")
    if not is_work_tree(repo):
        raise UsageError(f"{repo}: not a git repository; {why}")


# --- the review workflow: branches, commits, worktrees, notes -----------------------------------

class GitError(Exception):
    """A git operation that failed in a way the user must hear about."""


def run(repo: Path, *args: str) -> str:
    """`git ARGS` in `repo`; its standard output without the final newline. GitError (with
    git's own message) when git fails."""
    result = _git(repo, *args)
    if result.returncode != 0:
        detail = result.stderr.decode("utf-8", "replace").strip()
        raise GitError(detail or f"git {' '.join(args)} failed")
    return result.stdout.decode("utf-8", "surrogateescape").removesuffix("\n")


def try_run(repo: Path, *args: str) -> str | None:
    """Like `run`, None when git fails."""
    try:
        return run(repo, *args)
    except GitError:
        return None


def git_dir(repo: Path) -> Path:
    """The repository's common git directory (shared by all its worktrees)."""
    return Path(run(repo, "rev-parse", "--path-format=absolute", "--git-common-dir"))


def is_detached(repo: Path) -> bool:
    return try_run(repo, "symbolic-ref", "--quiet", "HEAD") is None


def has_tracked_changes(repo: Path) -> bool:
    """Staged or unstaged changes to tracked files (untracked files do not count)."""
    return bool(run(repo, "status", "--porcelain", "--untracked-files=no"))


def rev_parse(repo: Path, ref: str) -> str | None:
    """The commit `ref` names, or None."""
    return try_run(repo, "rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}")


def branch_exists(repo: Path, name: str) -> bool:
    return rev_parse(repo, f"refs/heads/{name}") is not None


def add_worktree(repo: Path, path: Path, commit: str) -> None:
    """A detached worktree of `commit` at `path`: the user's own work tree is never touched."""
    run(repo, "worktree", "add", "--detach", "--quiet", str(path), commit)


def remove_worktree(repo: Path, path: Path) -> None:
    try_run(repo, "worktree", "remove", "--force", str(path))
    try_run(repo, "worktree", "prune")


def prune_worktrees(repo: Path) -> None:
    try_run(repo, "worktree", "prune")


def commit_paths(worktree: Path, paths: list[str], message: str) -> str:
    """Commit exactly `paths` in `worktree` (hooks skipped: the batch is tested by --test-cmd)."""
    run(worktree, "add", "--", *paths)
    message_file = Path(run(worktree, "rev-parse", "--absolute-git-dir")) / "MIGRATE_MSG"
    message_file.write_text(message, encoding="utf-8")
    run(worktree, "commit", "--quiet", "--no-verify", "-F", str(message_file))
    return run(worktree, "rev-parse", "HEAD")


def set_branch(repo: Path, name: str, commit: str) -> None:
    """Point branch `name` at `commit` in one atomic ref update."""
    run(repo, "update-ref", "-m", "redis-migrate", f"refs/heads/{name}", commit)


def is_ancestor(repo: Path, ancestor: str, descendant: str) -> bool:
    return try_run(repo, "merge-base", "--is-ancestor", ancestor, descendant) is not None


def commits_with_trailer(repo: Path, ref: str, key: str, value: str) -> list[str]:
    """Commits reachable from `ref` whose message has the trailer `key: value`, newest first."""
    out = try_run(repo, "log", ref, "--format=%H", "--fixed-strings",
                  f"--grep={key}: {value}")
    found = []
    for sha in (out or "").split():
        trailers = run(repo, "log", "-1", "--format=%(trailers:only,unfold)", sha)
        body = run(repo, "log", "-1", "--format=%B", sha)
        if f"{key}: {value}" in trailers.splitlines() or f"{key}: {value}" in body.splitlines():
            found.append(sha)
    return found


def commits_between(repo: Path, start: str, end: str) -> list[str]:
    """Commits reachable from `end` but not from `start`, newest first."""
    return (try_run(repo, "rev-list", f"{start}..{end}") or "").split()


def trailer_values(repo: Path, commit: str, key: str) -> list[str]:
    """The values of trailer `key` in `commit`'s message."""
    out = try_run(repo, "log", "-1", f"--format=%(trailers:key={key},valueonly)", commit)
    return [line.strip() for line in (out or "").splitlines() if line.strip()]


def first_parent_history(repo: Path, ref: str) -> list[tuple[str, list[str]]]:
    """`ref`'s first-parent history as (commit, parents), newest first."""
    out = run(repo, "log", "--first-parent", "--format=%H %P", ref)
    return [(line.split()[0], line.split()[1:]) for line in out.splitlines() if line]


def subject_of(repo: Path, commit: str) -> str:
    return run(repo, "log", "-1", "--format=%s", commit)


NOTES_REF = "refs/notes/redis-migration"


def add_note(repo: Path, commit: str, text: str) -> None:
    """Attach `text` to `commit` in the migration's notes ref (the PR address lives there)."""
    run(repo, "notes", f"--ref={NOTES_REF}", "add", "-f", "-m", text, commit)


def note_of(repo: Path, commit: str) -> str | None:
    return try_run(repo, "notes", f"--ref={NOTES_REF}", "show", commit)


def remote_url(repo: Path, remote: str) -> str | None:
    return try_run(repo, "remote", "get-url", remote)


def push_branch(repo: Path, remote: str, branch: str, force: bool = False) -> None:
    """Push the branch, and record the remote-tracking ref `status` compares with."""
    spec = f"{'+' if force else ''}refs/heads/{branch}:refs/heads/{branch}"
    run(repo, "push", "--quiet", remote, spec)
    run(repo, "update-ref", f"refs/remotes/{remote}/{branch}", f"refs/heads/{branch}")


def remote_tip(repo: Path, remote: str, branch: str) -> str | None:
    return rev_parse(repo, f"refs/remotes/{remote}/{branch}")


def revert_all(worktree: Path, commits: list[tuple[str, int | None]], message: str) -> list[str]:
    """Revert each (commit, mainline) in order and commit once with `message`.

    On a conflict the revert is aborted and the conflicting files are returned.
    """
    for commit, mainline in commits:
        args = ["revert", "--no-commit"]
        if mainline:
            args += ["-m", str(mainline)]
        try:
            run(worktree, *args, commit)
        except GitError:
            conflicts = (try_run(worktree, "diff", "--name-only", "--diff-filter=U") or "")
            try_run(worktree, "revert", "--abort")
            return conflicts.split() or ["(git revert failed without naming a file)"]
    message_file = Path(run(worktree, "rev-parse", "--absolute-git-dir")) / "MIGRATE_MSG"
    message_file.write_text(message, encoding="utf-8")
    run(worktree, "commit", "--quiet", "--no-verify", "-F", str(message_file))
    return []


def head(repo: Path) -> str:
    return run(repo, "rev-parse", "HEAD")

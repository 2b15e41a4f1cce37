"""The search for the files that name redis, started before the rest of a run needs it.

On a large folder outside git most of an inventory is `git grep --no-index`, which needs
nothing of the analysis: started first, it runs on another core while Python imports the CLI
and the analysis and walks the folder. The `migrate` executable starts it before the CLI
loads (`redis_migrate.launch`), the CLI's inventory takes it over (`prefetch`), and
`discovery.discover` keeps it if its walk leaves out no folder, or stops it.

This module is imported before everything else in such a run: it imports git and the list
of environment folders, nothing more.
"""

from __future__ import annotations

import atexit
import os
from pathlib import Path

from redis_migrate import gitrepo
from redis_migrate.scan.environments import EXCLUDED_DIRS
from redis_migrate.workers import cpu_count

# What every inventory searches for first: the files that mention the client library.
PREFILTER_NEEDLE = "redis"


class Prefetch:
    """What `prefetch` found and started for `discover`: whether git holds the target, and
    for a folder it does not, the search for the prefilter's needles, already running."""

    # not a dataclass: this module loads before dataclasses is imported, which costs more
    # than the search's start
    __slots__ = ("in_git", "early")

    def __init__(self, in_git: bool, early: gitrepo.RunningGrep | None = None) -> None:
        self.in_git = in_git
        self.early = early

    def cancel(self) -> None:
        """Stop the search if nothing took it (a run that failed before listing files)."""
        if self.early is not None:
            self.early.cancel()


# searches `start_ahead` started, by the resolved folder, until `prefetch` takes one; those
# left (a command line that failed before its inventory) are stopped at exit
_ahead: dict[Path, Prefetch] = {}


def start_ahead(repo: Path) -> None:
    """Start `prefetch(repo)` now, for the `prefetch` call that comes later in this process.
    A search nothing takes is stopped when the process exits."""
    try:
        resolved = repo.resolve()
        if not resolved.is_dir():
            return  # the CLI says what is wrong with it
    except (OSError, RuntimeError):
        return
    _ahead[resolved] = _start(resolved)


def prefetch(repo: Path) -> Prefetch:
    """Start, for a folder git does not hold, `git grep --no-index` for the prefilter's
    needle over it but its environment folders, before the caller loads the analysis: on a
    large tree the search then runs on another core while Python imports and walks.
    `discover` keeps it if its walk leaves out no other folder, and stops it otherwise.

    The search `start_ahead` started for `repo` is taken rather than started twice; one
    started for another folder is stopped."""
    resolved = repo.resolve()
    ahead = _ahead.pop(resolved, None)
    _stop_ahead()
    return ahead if ahead is not None else _start(resolved)


def _start(repo: Path) -> Prefetch:
    in_git = gitrepo.is_work_tree(repo) and not gitrepo.is_ignored_folder(repo)
    return Prefetch(in_git, None if in_git else start_early(repo, [PREFILTER_NEEDLE]))


def _stop_ahead() -> None:
    for ahead in _ahead.values():
        ahead.cancel()
    _ahead.clear()


atexit.register(_stop_ahead)


def start_early(repo: Path, needles: list[str]) -> gitrepo.RunningGrep | None:
    """`git grep --no-index` for `needles` over the folder but the environment folders at
    its top, started before or while the walk goes on: on a site-packages the walk is a
    quarter of the search (and on two cores git's threads have one to themselves while
    Python walks). The top's folders are named literally: the `**` globs that exclude them
    at any depth cost git a sixth of its search; one deeper is found by the walk, and the
    search then stopped.

    git searches with one thread fewer than the cores: Python imports and walks on the last
    one meanwhile. On two cores, git's two threads and Python on one core each made the
    interpreter's site-packages a tenth slower to inventory than one thread does."""
    try:
        with os.scandir(repo) as entries:
            top = sorted(entry.name for entry in entries if entry.name in EXCLUDED_DIRS)
        return gitrepo.start_grep(repo, needles,
                                  outside=[f":(exclude,literal){name}" for name in top],
                                  threads=max(1, cpu_count() - 1))
    except OSError:  # no git (the walk's search is in Python), or no folder to list
        return None

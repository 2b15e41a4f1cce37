"""The walk of a folder that no git work tree holds: its Python files, honouring every
`.gitignore` on the way, never following a symbolic link to a folder (so a link looping back
cannot trap it), and leaving out environment folders and virtual environments of any name.
"""

from __future__ import annotations

import operator
import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from redis_migrate.scan.environments import EXCLUDED_DIRS, environment_excludes

if TYPE_CHECKING:
    # imported where a spec is made (see `gitignore_spec`)
    from pathspec import GitIgnoreSpec


@dataclass(slots=True)
class Walk:
    """What `walk` found."""

    files: list[str]  # every .py file the walk found, links to files included
    links: list[str]  # those that are symbolic links
    skipped_dirs: list[str]  # folders it did not enter, but for the EXCLUDED_DIRS names
    nested_environments: bool = False  # whether it met one of those below the top

    def outside(self) -> list[str] | None:
        """Exclude pathspecs for `git grep --no-index` to search what the walk found (and
        links aside, which git does not follow): None when there are too many folders to
        name (git matches each file against each pathspec)."""
        if len(self.skipped_dirs) > _MAX_GIT_EXCLUDES:
            return None
        return (environment_excludes()
                + [f":(exclude,literal){folder}" for folder in self.skipped_dirs])


_MAX_GIT_EXCLUDES = 200


def walk(repo: Path, many: Callable[[], object] | None = None, many_at: int = 0) -> Walk:
    """Every .py file below `repo` that no `.gitignore` on its way ignores.

    `many` is called once the walk has found `many_at` files and left out no folder (but
    those of `EXCLUDED_DIRS` at the top), if it does."""
    found = Walk([], [], [])
    ignores: dict[str, GitIgnoreSpec] = {}
    pending = [""]  # folders to read, the next one last: the order of a sorted os.walk
    top = str(repo)
    while pending:
        rel_root = pending.pop()
        # strings, not Paths: a Path per folder was a fifth of the walk of a site-packages
        root = os.path.join(top, rel_root) if rel_root else top
        try:
            with os.scandir(root) as entries:
                listed = sorted(entries, key=_name)
        except OSError:
            continue
        if rel_root and any(entry.name == "pyvenv.cfg" for entry in listed):
            # a virtual environment: seen in its own listing rather than by a stat of every
            # folder's pyvenv.cfg (3,000 of them in a site-packages)
            found.skipped_dirs.append(rel_root)
            continue
        if any(entry.name == ".gitignore" for entry in listed):
            spec = _read_gitignore(os.path.join(root, ".gitignore"))
            if spec is not None:
                ignores[rel_root] = spec
        below = []
        for entry in listed:
            rel = f"{rel_root}/{entry.name}".lstrip("/")
            if _is_dir(entry):
                if entry.name in EXCLUDED_DIRS:
                    found.nested_environments |= bool(rel_root)
                    continue
                if entry.is_symlink():
                    continue  # a link to a folder is not followed, by git grep either
                if _ignored(ignores, rel + "/"):
                    found.skipped_dirs.append(rel)
                else:
                    below.append(rel)
            elif entry.name.endswith(".py") and not _ignored(ignores, rel):
                found.files.append(rel)
                if entry.is_symlink():
                    found.links.append(rel)
        pending.extend(reversed(below))
        many = _call_once_many(found, many, many_at)
    return found


def _call_once_many(found: Walk, many: Callable[[], object] | None, many_at: int,
                    ) -> Callable[[], object] | None:
    """Call `many` if the walk so far found `many_at` files and left out no folder; what
    is still to call: `many` until that is decided, then None."""
    if many is None:
        return None
    left_out = bool(found.skipped_dirs) or found.nested_environments
    if not left_out and len(found.files) < many_at:
        return many
    if not left_out:
        many()
    return None


_name = operator.attrgetter("name")


def _read_gitignore(path: str) -> GitIgnoreSpec | None:
    """The spec of the .gitignore at `path`; None if it cannot be read as text."""
    try:
        with open(path, encoding="utf-8") as handle:
            return gitignore_spec(handle.read().splitlines())
    except (OSError, UnicodeDecodeError):
        return None


def _is_dir(entry: os.DirEntry[str]) -> bool:
    try:
        return entry.is_dir()
    except OSError:
        return False


def gitignore_spec(lines: Iterable[str]) -> GitIgnoreSpec:
    """`lines` as git reads a .gitignore. pathspec is imported here, when a tree first
    needs it: most runs (a git work tree, the default include) never do, and importing it
    is a twentieth of an inventory of a site-packages."""
    import pathspec

    return pathspec.GitIgnoreSpec.from_lines(lines)


def _ignored(ignores: dict[str, GitIgnoreSpec], rel: str) -> bool:
    for base, spec in ignores.items():
        if base == "":
            if spec.match_file(rel):
                return True
        elif rel.startswith(base + "/") and spec.match_file(rel[len(base) + 1:]):
            return True
    return False

"""Which files the analysis looks at, and the cheap text prefilter that decides which it parses.

In a git work tree: the files git tracks plus untracked ones that are not ignored, grepped with
`git grep`. Elsewhere: a walk that honours every `.gitignore` on the way and never follows
symbolic links (so a link looping back cannot trap it), grepped in Python.
"""

from __future__ import annotations

import os
import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pathspec

from migrate import gitrepo
from migrate.config import Config
from migrate.model import Skipped

# Never analysed, wherever they are: environments and vendored dependencies.
EXCLUDED_DIRS = frozenset({".venv", "site-packages", "node_modules", ".git", "__pycache__",
                           ".tox", ".nox", ".mypy_cache", ".pytest_cache"})


@dataclass(slots=True)
class FileSet:
    """The Python files of a target, with the text searches the prefilter needs."""

    repo: Path
    files: list[str]
    in_git: bool
    skipped: list[Skipped] = field(default_factory=list)
    links: list[str] = field(default_factory=list)  # among `files`; git grep skips them
    left_out: dict[str, int] = field(default_factory=dict)  # why -> how many .py files
    how: str = ""  # how the files were listed, for the message of a run that finds none

    def grep(self, needles: list[str], *, words: bool = False) -> set[str]:
        """The files of this set that contain any of `needles` (as words if `words`)."""
        return self.start_grep(needles, words=words)()

    def start_grep(self, needles: list[str], *,
                   words: bool = False) -> Callable[[], set[str]]:
        """Like `grep`, started now and answered when the returned function is called."""
        if not needles:
            return set
        if self.in_git:
            wanted = set(self.files)
            wait = gitrepo.start_grep(self.repo, needles, words=words)
            # read through the links here, so `readable` reports those that matter
            links = self._search(needles, words, self.links) if self.links else set()
            return lambda: (wait() & wanted) | links
        result = self._search(needles, words)
        return lambda: result

    def _search(self, needles: list[str], words: bool,
                paths: list[str] | None = None) -> set[str]:
        pattern = _needle_regex(needles, words)
        found = set()
        for path in self.files if paths is None else paths:
            try:
                data = (self.repo / path).read_bytes()
            except OSError:
                continue
            if pattern.search(data):
                found.add(path)
        return found

    def readable(self, paths: set[str]) -> list[str]:
        """`paths` minus links (reported as skipped) and files gone from the work tree.

        Only the files the prefilter picked are looked at: a stat per file of a large tree
        would cost more than the prefilter itself.
        """
        keep = []
        for path in sorted(paths):
            full = self.repo / path
            if full.is_symlink():
                self.skipped.append(Skipped(path, None, "symbolic link, not followed (its "
                                                        "target is scanned where it lives)"))
            elif full.is_file():
                keep.append(path)
        return keep


def _needle_regex(needles: list[str], words: bool) -> re.Pattern[bytes]:
    body = b"|".join(re.escape(n.encode()) for n in sorted(needles, key=len, reverse=True))
    return re.compile(rb"\b(?:" + body + rb")\b" if words else body)


def discover(repo: Path, config: Config) -> FileSet:
    """List the target's Python files, minus excluded ones; note the ones that cannot be read.

    git lists them when the target is a folder its work tree holds; a folder the enclosing
    repository ignores (a vendored copy, a checkout listed in its .gitignore) is walked, so
    the file set never depends on what git's index happens to hold.
    """
    in_git = gitrepo.is_work_tree(repo) and not gitrepo.is_ignored_folder(repo)
    candidates = gitrepo.list_files(repo) if in_git else _walk(repo)
    include = pathspec.GitIgnoreSpec.from_lines(config.include)
    exclude = pathspec.GitIgnoreSpec.from_lines(config.exclude)
    lifecycle = config.lifecycle_module.replace(os.sep, "/")
    files: list[str] = []
    left_out: Counter[str] = Counter()
    for path in candidates:
        if not path.endswith(".py"):
            continue
        if EXCLUDED_DIRS.intersection(path.split("/")[:-1]):
            left_out[ENVIRONMENTS] += 1
        elif not include.match_file(path):
            left_out["not matched by [tool.migrate] include"] += 1
        elif exclude.match_file(path):
            left_out["matched by [tool.migrate] exclude"] += 1
        elif path == lifecycle:
            left_out[LIFECYCLE_ITSELF] += 1
        else:
            files.append(path)
    how = ("files git tracks or would add" if in_git
           else "a walk of the folder that honours its .gitignore files")
    links = gitrepo.list_links(repo) if in_git else []
    return FileSet(repo=repo, files=files, in_git=in_git, links=links,
                   left_out=dict(left_out), how=how)


LIFECYCLE_ITSELF = "the lifecycle module itself"
ENVIRONMENTS = f"in environment or dependency folders ({', '.join(sorted(EXCLUDED_DIRS))})"


def _walk(repo: Path) -> list[str]:
    """Every .py file below `repo` that no `.gitignore` on its way ignores."""
    found: list[str] = []
    ignores: dict[str, pathspec.GitIgnoreSpec] = {}
    for root, dirs, filenames in os.walk(repo, followlinks=False):
        rel_root = os.path.relpath(root, repo).replace(os.sep, "/")
        rel_root = "" if rel_root == "." else rel_root
        if ".gitignore" in filenames:
            try:
                lines = (Path(root) / ".gitignore").read_text(encoding="utf-8").splitlines()
                ignores[rel_root] = pathspec.GitIgnoreSpec.from_lines(lines)
            except (OSError, UnicodeDecodeError):
                pass
        dirs[:] = sorted(d for d in dirs if d not in EXCLUDED_DIRS
                         and not (Path(root) / d / "pyvenv.cfg").exists()
                         and not _ignored(ignores, f"{rel_root}/{d}".lstrip("/") + "/"))
        for name in sorted(filenames):
            rel = f"{rel_root}/{name}".lstrip("/")
            if name.endswith(".py") and not _ignored(ignores, rel):
                found.append(rel)
    return found


def _ignored(ignores: dict[str, pathspec.GitIgnoreSpec], rel: str) -> bool:
    for base, spec in ignores.items():
        if base == "":
            if spec.match_file(rel):
                return True
        elif rel.startswith(base + "/") and spec.match_file(rel[len(base) + 1:]):
            return True
    return False


TEST_DIRS = frozenset({"tests", "test"})


def is_test_path(path: str) -> bool:
    """Whether a repo-relative, `/`-separated path is test code (SPEC §3).

    Test code is what pytest collects by default and where it lives: a file under a `tests/` or
    `test/` folder (at any depth), `test_*.py`, `*_test.py` and `conftest.py`. Only whole names
    count: `contest.py`, `latest.py`, `attestation/x.py`, `testing/x.py` and `testing_utils.py`
    are application code (pytest collects none of them).
    """
    *folders, name = path.split("/")
    if TEST_DIRS.intersection(folders):
        return True
    return (name == "conftest.py" or (name.startswith("test_") and name.endswith(".py"))
            or name.endswith("_test.py"))


def module_name(path: str) -> tuple[str, bool]:
    """The dotted module name of a repo-relative path, and whether it is a package."""
    parts = path.removesuffix(".py").split("/")
    if parts[-1] == "__init__":
        return ".".join(parts[:-1]), True
    return ".".join(parts), False

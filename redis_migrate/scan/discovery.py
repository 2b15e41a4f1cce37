"""Which files the analysis looks at, and the cheap text prefilter that decides which it parses.

In a git work tree: the files git tracks plus untracked ones that are not ignored, grepped with
`git grep`. Elsewhere: a walk that honours every `.gitignore` on the way and never follows
symbolic links (so a link looping back cannot trap it), grepped with `git grep --no-index` over
what it listed when the tree is large, in Python when it is small or git cannot run. A copy of
the client library itself is left out, with the other files left out and why.
"""

from __future__ import annotations

import functools
import os
import re
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Protocol, TypeAlias

from redis_migrate import gitrepo
from redis_migrate.analysis.test_paths import TEST_DIRS as TEST_DIRS
from redis_migrate.analysis.test_paths import is_test_path as is_test_path
from redis_migrate.config import DEFAULT_INCLUDE, Config
from redis_migrate.model import Skipped
from redis_migrate.scan.early_search import Prefetch, start_early
from redis_migrate.scan.environments import EXCLUDED_DIRS
from redis_migrate.scan.folder_walk import gitignore_spec
from redis_migrate.scan.folder_walk import walk as _walk

if TYPE_CHECKING:
    from concurrent.futures import Executor


class ByteSearch(Protocol):
    """What `FileSet.matching` looks for: a compiled expression, or anything that answers
    `search(data)` with something true when the bytes match."""

    def search(self, data: bytes, /) -> object: ...


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
    # a walked folder: what `git grep --no-index` must leave out to search only the walked
    # files (the folders the walk did not enter); None in git, or once git failed here
    outside: list[str] | None = None
    # worker processes for the searches of a large tree outside git (the parser's), or how to
    # start them when a search in Python first needs them (git grep, when it runs, needs none)
    executor: Executor | None = field(default=None, repr=False, compare=False)
    start_executor: Callable[[], Executor | None] | None = field(default=None, repr=False,
                                                                compare=False)
    # the git grep `discover` started before or beside the walk, taken by the first search
    early: gitrepo.RunningGrep | None = field(default=None, repr=False, compare=False)

    def grep(self, needles: list[str], *, words: bool = False) -> set[str]:
        """The files of this set that contain any of `needles` (as words if `words`)."""
        return self.start_grep(needles, words=words)()

    def start_grep(self, needles: list[str], *,
                   words: bool = False) -> Callable[[], set[str]]:
        """Like `grep`, started now and answered when the returned function is called."""
        return self.start_search(needles, words=words)[0]

    def start_search(self, needles: list[str], *, words: bool = False,
                     ) -> tuple[Callable[[], set[str]], Callable[[], None]]:
        """Like `start_grep`, and the way to drop the search unasked: a git grep runs
        meanwhile (it is stopped), a search in Python runs only when asked."""
        if not needles:
            return set, _nothing
        if self.in_git or self._git_searches():
            wanted = set(self.files)
            try:
                if words:
                    wait = _start_git_word_grep(self.repo, needles, self.outside)
                    cancel = _nothing
                else:
                    running = self._early(needles) or gitrepo.start_grep(
                        self.repo, needles, outside=self.outside)
                    wait, cancel = running, running.cancel
            except OSError:  # no git to run: only a walked folder gets here
                self.outside = None  # and git is not asked again
                return self._python_grep(needles, words), _nothing
            # read through the links here, so `readable` reports those that matter
            links = self._search([needles], words, self.links)[0] if self.links else set()

            def answer() -> set[str]:
                try:
                    return (wait() & wanted) | links
                except OSError:
                    if self.in_git:
                        raise
                    self.outside = None
                    return self._python_grep(needles, words)()
            return answer, cancel
        return self._python_grep(needles, words), _nothing

    def _early(self, needles: list[str]) -> gitrepo.RunningGrep | None:
        """The search for `needles` `discover` started, if it did (taken once)."""
        early, self.early = self.early, None
        if early is not None and early.patterns != tuple(needles):
            early.cancel()
            return None
        return early

    def _git_searches(self) -> bool:
        """Whether `git grep --no-index` searches this walked folder: it reads a large tree
        several times faster than Python, whose `in` goes over each file once per needle."""
        return self.outside is not None and len(self.files) >= PARALLEL_SEARCH

    def _python_grep(self, needles: list[str], words: bool) -> Callable[[], set[str]]:
        """The search in Python, done when first asked."""
        found: list[set[str]] = []

        def answer() -> set[str]:
            if not found:
                found.append(self._search([needles], words)[0])
            return found[0]
        return answer

    def _search(self, groups: list[list[str]], words: bool,
                paths: list[str] | None = None) -> list[set[str]]:
        """Read the files and look for each group of needles here, in the worker processes
        if there are many files and `executor` is set. The cost does not grow with the number
        of needles: fixed strings are looked for with `in`, words with one trie-shaped
        expression."""
        paths = self.files if paths is None else paths
        repo = str(self.repo)
        found: list[set[str]] = [set() for _ in groups]
        if self.executor is None and self.start_executor and len(paths) >= PARALLEL_SEARCH:
            self.executor = self.start_executor()
        if self.executor is None or len(paths) < PARALLEL_SEARCH:
            parts: Iterable[list[list[str]]] = [_search_files(repo, paths, groups, words)]
        else:
            size = max(_SEARCH_CHUNK_MIN, len(paths) // 16)
            chunks = [paths[i:i + size] for i in range(0, len(paths), size)]
            parts = self.executor.map(_search_files, [repo] * len(chunks), chunks,
                                      [groups] * len(chunks), [words] * len(chunks))
        for part in parts:
            for into, hits in zip(found, part):
                into.update(hits)
        return found

    def matching(self, paths: set[str], pattern: ByteSearch) -> set[str]:
        """The `paths` whose bytes match `pattern`: a second, finer look at what a fixed-string
        search picked (files that cannot be read are kept: the parser reports them)."""
        return self.matching_each(paths, [pattern])[0]

    def matching_each(self, paths: set[str],
                      patterns: list[ByteSearch]) -> list[set[str]]:
        """For each of `patterns`, the `paths` whose bytes match it (as `matching`), each
        file read once for all of them."""
        kept: list[set[str]] = [set() for _ in patterns]
        for path in paths:
            try:
                data = (self.repo / path).read_bytes()
            except OSError:
                for each in kept:
                    each.add(path)
                continue
            for pattern, each in zip(patterns, kept):
                if pattern.search(data):
                    each.add(path)
        return kept

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


def _nothing() -> None:
    """Nothing to stop."""


PARALLEL_SEARCH = 2000  # files; below this, handing them to worker processes costs more
_SEARCH_CHUNK_MIN = 200


def _search_files(repo: str, paths: list[str], groups: list[list[str]],
                  words: bool) -> list[list[str]]:
    """For each group of needles, the `paths` (relative to `repo`) whose bytes hold one of
    them (a whole word if `words`); files that cannot be read are left out. Runs in worker
    processes too."""
    searches = [_word_search(_needle_regex(needles, True)) if words else
                _fixed_search([n.encode() for n in sorted(set(needles), key=len, reverse=True)])
                for needles in groups]
    found: list[list[str]] = [[] for _ in groups]
    root = Path(repo)
    for path in paths:
        try:
            data = (root / path).read_bytes()
        except OSError:
            continue
        for hits, search in zip(found, searches):
            if search(data):
                hits.append(path)
    return found


def needle_pattern(needles: list[str], *, words: bool = False) -> re.Pattern[bytes]:
    """Any of `needles` in bytes (as words if `words`), as one trie-shaped expression."""
    return _needle_regex(needles, words)


def _needle_regex(needles: list[str], words: bool) -> re.Pattern[bytes]:
    """Any of `needles` (between ASCII word boundaries if `words`), as one expression shaped
    like a trie: the engine follows one branch per byte instead of trying every needle."""
    return _compiled(tuple(sorted(set(needles))), words)


@functools.lru_cache(maxsize=16)  # a worker searching chunk after chunk builds it once
def _compiled(needles: tuple[str, ...], words: bool) -> re.Pattern[bytes]:
    body = _trie_source(list(needles)).encode()
    return re.compile(rb"\b" + body + rb"\b" if words else body)


def _word_search(pattern: re.Pattern[bytes]) -> Callable[[bytes], bool]:
    return lambda data: pattern.search(data) is not None


def _fixed_search(encoded: list[bytes]) -> Callable[[bytes], bool]:
    return lambda data: any(needle in data for needle in encoded)


# a character -> the rest of the needles that go on with it ("" ends a needle)
_Trie: TypeAlias = "dict[str, _Trie]"


def _trie_source(needles: list[str]) -> str:
    """A regular expression (Python's and PCRE's syntax) matching exactly the `needles`."""
    trie: _Trie = {}
    for needle in needles:
        node = trie
        for char in needle:
            node = node.setdefault(char, {})
        node[""] = {}  # a needle ends here

    def source(node: _Trie) -> str:
        branches = [re.escape(char) + source(child)
                    for char, child in sorted(node.items()) if char]
        if not branches:
            return ""
        body = branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"
        return f"(?:{body})?" if "" in node else body

    return source(trie)


# `git grep -w` with many `-e` words reads each line once per word: with the names of the
# modules that hold clients (as many as there are such modules) its cost grew with the square
# of the tree. One PCRE trie per group of words keeps it flat; `-F -w` where git has no PCRE.
_GIT_WORD_GROUP = 1000
_git_pcre: list[bool] = []  # [] until tried: whether this git's grep takes -P


def _start_git_word_grep(repo: Path, words: list[str], outside: list[str] | None = None,
                         ) -> Callable[[], set[str]]:
    """`git grep -l -w` for `words` (identifiers), started now; the function waits.
    `outside`: a walked folder's exclude pathspecs (`gitrepo._grep_args`)."""
    if _git_pcre and not _git_pcre[0]:
        return gitrepo.start_grep(repo, words, words=True, outside=outside)
    ordered = sorted(set(words))
    # git's -w: not preceded nor followed by an ASCII word character
    wait = gitrepo.start_pcre_grep(repo, [
        r"(?<![A-Za-z0-9_])" + _trie_source(ordered[i:i + _GIT_WORD_GROUP])
        + r"(?![A-Za-z0-9_])" for i in range(0, len(ordered), _GIT_WORD_GROUP)],
        outside=outside)

    def answer() -> set[str]:
        found = wait()
        if found is None:  # this git has no PCRE (or failed): the plain word search
            _git_pcre[:] = [False]
            return gitrepo.start_grep(repo, words, words=True, outside=outside)()
        _git_pcre[:] = [True]
        return found

    return answer


def discover(repo: Path, config: Config, *, search_first: Sequence[str] = (),
             prefetched: Prefetch | None = None) -> FileSet:
    """List the target's Python files, minus excluded ones; note the ones that cannot be read.

    git lists them when the target is a folder its work tree holds; a folder the enclosing
    repository ignores (a vendored copy, a checkout listed in its .gitignore) is walked, so
    the file set never depends on what git's index happens to hold.

    `search_first`: needles whose fixed-string search (`FileSet.grep`) a walked folder
    starts beside the walk, once the walk has found enough files for git to search them
    (`PARALLEL_SEARCH`), and keeps if the walk leaves out no other folder. `prefetched`:
    what `prefetch` found and started, taken over (its search is kept on the same terms).
    """
    started: list[gitrepo.RunningGrep | None] = []
    if prefetched is not None:
        in_git = prefetched.in_git
        started.append(prefetched.early)
        prefetched.early = None  # this run's now: kept below, or stopped
    else:
        in_git = gitrepo.is_work_tree(repo) and not gitrepo.is_ignored_folder(repo)

    def start_beside_walk() -> None:
        started.append(start_early(repo, list(search_first)))

    walked = None if in_git else _walk(repo, None if started or not search_first
                                       else start_beside_walk, PARALLEL_SEARCH)
    early = started[0] if started else None
    candidates = gitrepo.list_files(repo) if walked is None else walked.files
    lifecycle = config.lifecycle_module.replace(os.sep, "/")
    files: list[str] = []
    left_out: Counter[str] = Counter()
    libraries = tuple(f"{folder}/" for folder in client_library_folders(repo, candidates))
    # the default include takes every .py file and no exclude takes none: a match of each
    # path of a large tree against them was a fifth of the listing
    include_all = tuple(config.include) == DEFAULT_INCLUDE
    include = functools.cache(lambda: gitignore_spec(config.include))
    exclude = functools.cache(lambda: gitignore_spec(config.exclude))
    for path in candidates:
        if not path.endswith(".py"):
            continue
        if EXCLUDED_DIRS.intersection(path.split("/")[:-1]):
            left_out[ENVIRONMENTS] += 1
        elif libraries and path.startswith(libraries):
            left_out[CLIENT_LIBRARY] += 1
        elif not include_all and not include().match_file(path):
            left_out["not matched by [tool.migrate] include"] += 1
        elif config.exclude and exclude().match_file(path):
            left_out["matched by [tool.migrate] exclude"] += 1
        elif path == lifecycle:
            left_out[LIFECYCLE_ITSELF] += 1
        else:
            files.append(path)
    how = ("files git tracks or would add" if in_git
           else "a walk of the folder that honours its .gitignore files")
    if walked is None:
        return FileSet(repo=repo, files=files, in_git=True, links=gitrepo.list_links(repo),
                       left_out=dict(left_out), how=how)
    kept = set(files)
    fileset = FileSet(repo=repo, files=files, in_git=False,
                      links=[path for path in walked.links if path in kept],
                      left_out=dict(left_out), how=how, outside=walked.outside())
    if early is not None:
        if not walked.skipped_dirs and not walked.nested_environments \
                and fileset._git_searches():
            fileset.early = early  # it reads what the walk read (and answers for those)
        else:
            early.cancel()  # it reads folders the walk left out, or git is not the way
    return fileset


LIFECYCLE_ITSELF = "the lifecycle module itself"
ENVIRONMENTS = f"in environment or dependency folders ({', '.join(sorted(EXCLUDED_DIRS))})"
CLIENT_LIBRARY = "in a copy of the Redis client library itself (redis-py or aioredis)"

# What a copy of the client library holds, in the files that tell it apart from an app's own
# `redis/` package: redis-py and aioredis 2 (a fork of it), then aioredis 1.
_LIBRARY_SIGNATURES = (
    {"__init__.py": b"", "exceptions.py": b"", "client.py": b"class Redis",
     "connection.py": b"class ConnectionPool"},
    {"__init__.py": b"", "errors.py": b"", "connection.py": b"class RedisConnection",
     "pool.py": b"class ConnectionsPool"},
)


def client_library_folders(repo: Path, paths: list[str]) -> list[str]:
    """The folders among `paths` that are a copy of the client library (a vendored redis-py,
    a site-packages copied under another name): its own `Redis(connection_pool=...)` calls
    are how clients are made, not clients of the target. Rewriting them would break the
    library, and `check` would never pass while they stand."""
    listed = set(paths)
    found = []
    for path in paths:
        folder, _, name = path.rpartition("/")
        if name != "__init__.py" or folder.rpartition("/")[2] not in ("redis", "aioredis"):
            continue
        for signature in _LIBRARY_SIGNATURES:
            if all(f"{folder}/{file}" in listed and _holds(repo / folder / file, text)
                   for file, text in signature.items()):
                found.append(folder)
                break
    return found


def _holds(path: Path, text: bytes) -> bool:
    if not text:
        return True
    try:
        return text in path.read_bytes()
    except OSError:
        return False


def module_name(path: str) -> tuple[str, bool]:
    """The dotted module name of a repo-relative path, and whether it is a package."""
    parts = path.removesuffix(".py").split("/")
    if parts[-1] == "__init__":
        return ".".join(parts[:-1]), True
    return ".".join(parts), False

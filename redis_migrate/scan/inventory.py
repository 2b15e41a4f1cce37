"""The inventory engine: discover, prefilter, parse in parallel, link, classify. Returns data.

Speed comes from parsing only what can matter. Pass 1 parses the files that mention `redis` at
all (every client is created through an import that does), and, if they make, share or subclass
a client, the files that name a framework's app or request objects (through which a client
travels without being named). A file that only imports a client from another module need not
mention redis (`from app.cache import client as c`), so pass 2 greps for the modules that hold
clients and parses the files that name them and one of their exported names; it repeats while
new modules turn up (re-exports).

Every step costs in proportion to the tree (bench/README.md measures it, from 1k to 50k files
and on copies of real site-packages): the searches are one read of each file whatever the
number of names looked for, and the link's closure grows with what it finds, not with its
square. `progress` (a callback) hears how far a run got; the engine itself never prints.
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
import re
from collections.abc import Callable, Iterable
from functools import cache, partial
from pathlib import Path
from typing import TYPE_CHECKING

from redis_migrate.analysis import scopes
from redis_migrate.analysis.extract import extract
from redis_migrate.analysis.facts import (
    ARGS,
    LITERAL_PREFIX,
    LOCALS,
    RETURN,
    SHARED,
    SHARED_BLOCKING,
    FileFacts,
    without_credentials,
)
from redis_migrate.analysis.link import (
    LinkedSite,
    ModuleIndex,
    central_option_keys,
    central_url_keys,
    follow_reexports,
    link,
)
from redis_migrate.analysis.newer_syntax import parse_source
from redis_migrate.batch_catalog import Batch
from redis_migrate.config import Config
from redis_migrate.errors import UsageError
from redis_migrate.model import Skipped
from redis_migrate.redis_api import CLIENT_CLASSES
from redis_migrate.scan.classify import classify
from redis_migrate.scan.discovery import (
    LIFECYCLE_ITSELF,
    FileSet,
    discover,
    module_name,
    needle_pattern,
)
from redis_migrate.scan.early_search import PREFILTER_NEEDLE, Prefetch
from redis_migrate.scan.lifecycle import template_text
from redis_migrate.scan.lifecycle_reader import LifecycleFacts, read_lifecycle
from redis_migrate.scan.named_clients import named_clients
from redis_migrate.scan.prefilter import CAN_START, FRAMEWORK_FILE, FRAMEWORK_NEEDLES, REDIS_MENTION
from redis_migrate.scan.programs import ImportGraph
from redis_migrate.scan.report import Inventory
from redis_migrate.scan.safety import UnreadableImporters
from redis_migrate.scan.sync_url import SyncUrl
from redis_migrate.scan.wiring import WiringFacts, wiring_facts
from redis_migrate.workers import cpu_count, process_pool

if TYPE_CHECKING:
    from concurrent.futures import ProcessPoolExecutor

# below both, starting worker processes costs more than it saves (a few large files pay:
# rq's and aiohttp's modules on a venv are 63 files and 1.9 MB, half a second each way)
_PARALLEL_THRESHOLD = 48
_PARALLEL_BYTES = 256 * 1024
_MAX_PASSES = 6


Progress = Callable[[str, int, int | None], None]
"""What the engine reports as it goes: a step (`"parsing"`), how far it got, and out of how
many (None while unknown). The engine never prints; the CLI may show it."""


def build_inventory(repo: Path, config: Config, batches: list[Batch],
                    paths: list[str] | None = None, jobs: int | None = None,
                    *, allow_empty: bool = False,
                    progress: Progress | None = None,
                    prefetched: Prefetch | None = None) -> Inventory:
    """Every site of the repository at `repo` (reported for `paths` only, if given).

    Raises UsageError when the repository holds no Python file to analyse, unless
    `allow_empty` (`init` in a new project: there is nothing to migrate, and that is fine).
    `progress` is called as the run goes (see `Progress`); `prefetched`: what
    `early_search.prefetch` started for `repo` (taken over).
    """
    report = progress or _silent
    repo = repo.resolve()
    report("listing files", 0, None)
    fileset = discover(repo, config, search_first=[PREFILTER_NEEDLE], prefetched=prefetched)
    if not fileset.files and not fileset.left_out.get(LIFECYCLE_ITSELF) and not allow_empty:
        raise UsageError(_nothing_found(repo, fileset))
    wanted = _normalise_paths(repo, paths) if paths else None
    lifecycle_names = _lifecycle_names(config)
    jobs = jobs or cpu_count()

    modules_on_disk = _ModulesOnDisk(fileset.files)
    with _Parser(repo, lifecycle_names, jobs, report) as parser:
        parsed, linked = _parse_and_link(fileset, parser, modules_on_disk, report)

    report("classifying", 0, None)
    good = [f for f in parsed.values() if f.error is None]
    lifecycle = read_team_module(repo, config)
    imports_of = cache(partial(_module_imports, repo, modules_on_disk, {
        f.module: {local: target for scope, local, target in f.imports if scope == f.module}
        for f in good}))
    for site in linked:
        # the central URL is followed through re-exports below: each client's URL is too, or
        # `from app import settings` (re-exported from app.config) differs from itself
        if site.url_key:
            site.url_key = _through_reexports(site.url_key, imports_of)
    if lifecycle is not None and lifecycle.sync_url is not None:
        lifecycle.sync_url = _canonical_sync_url(lifecycle.sync_url, good, imports_of)
    wiring = wiring_facts(good, linked, imports_of,
                          ImportGraph(repo, fileset.files, modules_on_disk.path_of,
                                      partial(fileset.grep, words=True)))
    if lifecycle is None or lifecycle.template:
        # only the template's init_redis() is known to take clients=
        wiring.named = named_clients(wiring, good, linked, imports_of, config.clients)
    central = {_through_reexports(key, imports_of) if key else key
               for key in _central_urls(lifecycle, good, wiring)}
    if lifecycle is not None and lifecycle.template:
        # only the template's init_redis() is known to give clients={"default": ...} to the
        # shared client; a team's module is read for what it does itself
        wires = wiring.needs_wiring or wiring.app_lifespan is not None
        passed = wiring.central_options if wires else central_option_keys(good)
        lifecycle.passed_options = {name: _through_reexports(key, imports_of)
                                    for name, key in passed.items()}
    skipped = list(fileset.skipped)
    skipped += [Skipped(f.path, f.error_line, f.error) for f in parsed.values() if f.error]
    unreadable = UnreadableImporters.of(repo, skipped, {f.module.split(".")[0] for f in good})
    sites = classify(linked, batches, config, central, lifecycle, wiring, unreadable)
    if wanted is not None:
        sites = [s for s in sites if _selected(s.file, wanted)]
    if wanted is not None:
        skipped = [s for s in skipped if _selected(s.file, wanted)]
    skipped.sort(key=lambda s: s.file)
    return Inventory(sites=sites, skipped=skipped, files_total=len(fileset.files),
                     files_parsed=len(parsed), lifecycle_module=config.lifecycle_module,
                     include_tests=config.include_tests, lifecycle=lifecycle,
                     details={(s.path, s.loc.line, s.loc.col, s.kind): s for s in linked},
                     facts={f.path: f for f in good}, wiring=wiring,
                     left_out=fileset.left_out)


def _parse_and_link(fileset: FileSet, parser: _Parser, modules_on_disk: _ModulesOnDisk,
                    report: Progress) -> tuple[dict[str, FileFacts], list[LinkedSite]]:
    """Parse the files that mention redis, then (if any of them makes or uses a client) the
    framework files, the importers of what they hold and the files of its holders, until
    nothing new is found; and the link of all they hold."""
    parsed: dict[str, FileFacts] = {}
    linked: list[LinkedSite] = []
    searched: set[tuple[str, str]] = set()
    if not fileset.in_git:
        # a search of the walk in Python reads every file: in the parser's worker processes,
        # started then (git grep, when it can run, reads them faster and needs none)
        fileset.start_executor = parser.executor
    report("searching", 0, len(fileset.files))
    # The framework files matter only if the files that mention redis make or share a client:
    # their search runs while pass 1 parses (git) or when asked (Python), and is dropped
    # otherwise. On a large tree with no client (a site-packages) it was most of the
    # searching; started beside the search for redis, it only slowed that one on two cores.
    mentions, can_start = fileset.matching_each(fileset.grep([PREFILTER_NEEDLE]),
                                                [REDIS_MENTION, CAN_START])
    framework_files, drop_framework = fileset.start_search(list(FRAMEWORK_NEEDLES))
    framework = True  # until pass 2 has read the framework files
    subclasses: dict[str, str] = {}
    todo = mentions & can_start  # the rest wait for what these start
    try:
        for _ in range(_MAX_PASSES):
            for facts in parser.parse(fileset.readable(todo), subclasses or None):
                parsed[facts.path] = facts
            good = [f for f in parsed.values() if f.error is None]
            if framework:  # pass 1 read the files that mention redis
                framework = False
                if not _anything_to_follow(good):
                    break
                # pass 1 read the files that can start something, and they do: the other
                # files that mention redis now, with the framework files
                todo = (mentions - parsed.keys()) | fileset.matching(
                    framework_files() - mentions, FRAMEWORK_FILE)
                for facts in parser.parse(fileset.readable(todo)):
                    parsed[facts.path] = facts
                parsed = dict(sorted(parsed.items()))  # pass 1 in path order, as always
                good = [f for f in parsed.values() if f.error is None]
            if _read_subclass_instances(fileset, parser, parsed, subclasses):
                good = [f for f in parsed.values() if f.error is None]
            report("linking", 0, None)
            linked = []  # the last pass's result is not needed while this one links
            linked = link(good)
            # Not overlapped with parsing: on two cores git grep and the parser only compete.
            report("searching for importers", 0, None)
            todo = (_importers(fileset, linked, good, searched)
                    | _holder_files(fileset, linked, modules_on_disk)) - parsed.keys()
            if not todo:
                break
    finally:
        drop_framework()  # still running: nothing to follow, or a pass failed
    return parsed, linked


def _read_subclass_instances(fileset: FileSet, parser: _Parser, parsed: dict[str, FileFacts],
                             subclasses: dict[str, str]) -> bool:
    """Whether the parsed files define client subclasses not in `subclasses` (which grows by
    them): their instances anywhere are sites, so the files naming them are read (again)
    knowing all of them, before the link, which then runs once per pass and not once more."""
    found = False
    while True:
        known = _client_subclasses([f for f in parsed.values() if f.error is None])
        if known.keys() <= subclasses.keys():
            return found
        subclasses.update(known)
        found = True
        names = sorted({name.rsplit(".", 1)[1] for name in subclasses})
        for facts in parser.parse(fileset.readable(fileset.grep(names, words=True)),
                                  subclasses):
            parsed[facts.path] = facts


def _canonical_sync_url(sync_url: SyncUrl, good: list[FileFacts],
                        imports_of: Callable[[str], dict[str, str]]) -> SyncUrl:
    """The module's sync URL keys as the clients' URLs resolve (through re-exports too)."""
    index = ModuleIndex(f.module for f in good)
    return dataclasses.replace(sync_url, keys=frozenset(
        _through_reexports(index.canonical(key), imports_of) for key in sync_url.keys))

def _silent(step: str, done: int, total: int | None) -> None:
    """The progress report of a caller that shows none."""


def _anything_to_follow(files: list[FileFacts]) -> bool:
    """Whether the files that mention redis (those of them that can: `CAN_START`) make a
    client, use the lifecycle module's shared one, or subclass a client class.

    If not, no file can hold a site: a client is made only through an import that spells
    redis, the lifecycle module's accessors are named `*_redis`, and the files found later
    (framework objects, importers) only carry what these make. The files named by the
    framework needles are then not read at all: on a large tree without Redis they are most
    of the parsing.
    """
    shared = (SHARED, SHARED_BLOCKING)
    for facts in files:
        if (facts.sites or facts.central_urls or facts.central_closes
                or any(value in shared for _, value in facts.edges)
                or any(use.key in shared for use in facts.uses)
                or any(escape.key in shared for escape in facts.escapes)
                or any(value in shared for i in facts.instances for value in i.values)):
            return True
    return bool(_client_subclasses(files))


def _nothing_found(repo: Path, fileset: FileSet) -> str:
    """Why a run found no Python file: what listed them, and what was left out."""
    left = "; ".join(f"{count} {why}" for why, count in sorted(fileset.left_out.items()))
    return (f"no Python file to analyse in {repo} (listed as {fileset.how}"
            + (f"; left out: {left}" if left else "") + ")")


def read_team_module(repo: Path, config: Config) -> LifecycleFacts | None:
    """What the team's lifecycle module offers (None while it does not exist: `init` first)."""
    if not (repo / config.lifecycle_module).is_file():
        return None
    facts = read_lifecycle(repo, config.lifecycle_module, config.lifecycle_import,
                           config.central, template_text())
    if not facts.problems and not facts.has("blocking-client"):
        # imported here: it needs LibCST's codemod machinery, which takes longer to import
        # than a small tree takes to analyse
        from redis_migrate.scan.lifecycle_extension import blocking_extension

        facts.blocking_extension, facts.blocking_gap = blocking_extension(repo, facts)
    return facts


def _through_reexports(key: str, imports_of: Callable[[str], dict[str, str]]) -> str:
    """`core.setup.settings.REDIS_URL` as `core.config.settings.REDIS_URL` when `core.setup`
    (a module the analysis did not parse: it never names Redis) imports `settings` from
    `core.config`: the key the clients' own URLs resolve to."""
    def imported_as(prefix: str) -> str | None:
        module, _, name = prefix.rpartition(".")
        return imports_of(module).get(name)

    return follow_reexports(key, imported_as)


def _central_urls(lifecycle: LifecycleFacts | None, good: list[FileFacts],
                  wiring: WiringFacts | None = None) -> set[str]:
    """What the central client's URL resolves to: read from the module, or passed to it (by
    the app, or by the init_redis() call a batch wires with the anchor client's URL)."""
    passed = central_url_keys(good)
    if wiring is not None and wiring.needs_wiring and wiring.anchor is not None:
        passed = {wiring.anchor.url_key or ""}
    elif wiring is not None and wiring.app_lifespan is not None:
        passed = {wiring.app_lifespan.url_key}
    elif wiring is not None and not passed and wiring.assumed_url is not None:
        # nothing here starts the module: the program that does passes the URL init chose,
        # the one most clients use; a client on another would connect elsewhere
        passed = {wiring.assumed_url}
    central = lifecycle.central if lifecycle is not None else None
    if central is None or lifecycle is None or lifecycle.template:
        return passed
    # a team's init_redis() is not known to take credentials beside its URL: the wiring
    # passes the URL alone, and a client with a password of its own differs from it
    passed = {without_credentials(key) for key in passed}
    wires = wiring is not None and (wiring.needs_wiring and wiring.anchor is not None
                                    or wiring.app_lifespan is not None)
    if wires and lifecycle.url_parameter and passed - {""}:
        return passed  # the batch wires init_redis(<that URL>): the module's default is unused
    own = central.url_key
    if own is not None and not own.startswith(LITERAL_PREFIX) and "." in own:
        own = ModuleIndex(f.module for f in good).canonical(own)
    urls = {own or ""}
    if lifecycle.url_parameter and passed - {""}:
        urls |= passed - {""}
    return urls


def _lifecycle_names(config: Config) -> tuple[str, ...]:
    by_path, _ = module_name(config.lifecycle_module)
    return tuple(dict.fromkeys((config.lifecycle_import, by_path)))


def _parse_one(task: tuple[str, str, str, bool, tuple[str, ...], dict[str, str] | None],
               ) -> FileFacts:
    repo, path, module, is_package, lifecycle_names, subclasses = task
    try:
        data = (Path(repo) / path).read_bytes()
    except OSError as exc:
        facts = FileFacts(path=path, module=module)
        facts.error = f"cannot read: {exc.strerror or exc}"
        return facts
    return extract(path, module, is_package, data, lifecycle_names, subclasses)


def _client_subclasses(files: list[FileFacts]) -> dict[str, str]:
    """The target's own subclasses of a redis-py client class (through each other, across
    files) -> the redis-py class they derive from."""
    index = ModuleIndex.of(files)
    bases = {cls: tuple(index.canonical(b) for b in found)
             for f in files for cls, found in f.classes.items()}
    result: dict[str, str] = {}
    changed = True
    while changed:
        changed = False
        for cls, found in bases.items():
            base = next((b if b in CLIENT_CLASSES else result[b] for b in found
                         if b in CLIENT_CLASSES or b in result), None)
            if base is not None and cls not in result:
                result[cls] = base
                changed = True
    return result


class _Parser:
    """Extracts facts from files, in worker processes kept for all passes when it pays."""

    def __init__(self, repo: Path, lifecycle_names: tuple[str, ...], jobs: int,
                 report: Progress = _silent) -> None:
        self.repo, self.lifecycle_names, self.jobs = str(repo), lifecycle_names, jobs
        self.report = report
        self.pool: ProcessPoolExecutor | None = None
        self.done = 0  # files parsed so far, over all passes (what the progress shows)
        self.total = 0

    def __enter__(self) -> _Parser:
        return self

    def __exit__(self, *exc: object) -> None:
        if self.pool is not None:
            self.pool.shutdown(cancel_futures=True)

    def executor(self) -> ProcessPoolExecutor | None:
        """The worker processes (started now), or None when the run uses one process."""
        if self.jobs <= 1:
            return None
        if self.pool is None:
            self.pool = process_pool(self.jobs)
        return self.pool

    def parse(self, paths: list[str],
              subclasses: dict[str, str] | None = None) -> list[FileFacts]:
        tasks = [(self.repo, p, *module_name(p), self.lifecycle_names, subclasses)
                 for p in paths]
        self.total += len(tasks)
        self.report("parsing", self.done, self.total)
        results: Iterable[FileFacts]
        # once the workers run (a pass before started them), even a few files go to them:
        # the client subclasses' files read again are a library's largest (redis/client.py)
        started = self.pool is not None and len(tasks) > 1
        if self.jobs <= 1 or not (started or self._worth_workers(paths)):
            results = map(_parse_one, tasks)
        else:
            pool = self.executor()
            assert pool is not None
            chunk = max(1, len(tasks) // (self.jobs * 4))
            results = pool.map(_parse_one, tasks, chunksize=chunk)
        facts = []
        for each in results:
            facts.append(each)
            self.done += 1
            self.report("parsing", self.done, self.total)
        return facts

    def _worth_workers(self, paths: list[str]) -> bool:
        """Whether `paths` are enough work to start the worker processes for."""
        if len(paths) >= _PARALLEL_THRESHOLD:
            return True
        size = 0
        for path in paths:
            with contextlib.suppress(OSError):  # the parse reports it
                size += os.stat(os.path.join(self.repo, path)).st_size
        return size >= _PARALLEL_BYTES


def _importers(fileset: FileSet, linked: list[LinkedSite], parsed: list[FileFacts],
               searched: set[tuple[str, str]]) -> set[str]:
    """Files that may import a client-holding name from a parsed module (pass 2 and on).

    A candidate names the module (its last component, as a word: import statements spell it)
    and one of the names it exports. `searched` holds the (module, name) pairs already looked
    for; only new ones are searched, so a pass that finds no new exported name ends the loop.
    """
    modules = {f.module for f in parsed}
    exports: dict[str, set[str]] = {}
    for site in linked:
        for holder in site.holders:
            found = _split_export(holder, modules)
            if found and found not in searched:
                searched.add(found)
                exports.setdefault(found[0], set()).add(found[1])
    if not exports:
        return set()
    components = sorted({m.rsplit(".", 1)[-1] for m in exports})
    names = sorted({n for ns in exports.values() for n in ns})
    name_pattern = needle_pattern(names, words=True)  # one trie: flat in the number of names
    imports_module = _import_spelling(sorted(exports), (fileset.repo / "__init__.py").is_file())
    result = set()
    for path in fileset.grep(components, words=True):
        try:
            data = (fileset.repo / path).read_bytes()
        except OSError:
            result.add(path)  # let the parse step report it
            continue
        if name_pattern.search(data) and imports_module(path, data):
            result.add(path)
    return result


def _import_spelling(modules: list[str], root_is_package: bool,
                     ) -> Callable[[str, bytes], bool]:
    """Whether a file's text (and its path) can import one of `modules`.

    An absolute import of `a.b.c` spells the package right above `c` next to it: `b.c` (`import
    a.b.c`, `from a.b.c import X`, `b.c` from a nearer import root), or `b` before `import`
    or `as` (`from a.b import c`, `import a.b as ab` and then `ab.c`). A relative import (`from
    .c import X`) reaches only the modules of its own top-level package, unless the folder
    the tool runs in is a package itself. Without this, every file that says `typing` and
    `Any` would import `redis.typing`, and every file of any package with a relative import
    and a word like `Pipeline` would be read as an importer of the redis package's modules.
    A module at the top (`cache`) is imported as `import cache`, `from cache import X`: the
    name search alone decides.
    """
    if any("." not in m for m in modules):
        return lambda _path, _data: True
    pairs = sorted({".".join(m.split(".")[-2:]) for m in modules})
    above = sorted({m.split(".")[-2] for m in modules})
    tops = {m.split(".", 1)[0] for m in modules}
    dotted = needle_pattern(pairs, words=True)
    # `from a.b import c` (a backslash may end the line between), `import a.b as ab`; not
    # `import asyncio` at the end of one line and `import x` on the next
    importing = re.compile(rb"\b" + needle_pattern(above).pattern
                           + rb"(?:[ \t]|\\\r?\n)+(?:import|as)\b")

    def spelled(path: str, data: bytes) -> bool:
        if dotted.search(data) or importing.search(data):
            return True
        return b"from ." in data and (root_is_package
                                      or module_name(path)[0].split(".", 1)[0] in tops)
    return spelled


class _ModulesOnDisk:
    """Module name, as an import spells it, -> the file of the target that defines it."""

    def __init__(self, files: list[str]) -> None:
        self.files = files
        # the files by the last part of their module name, built on first use: a module
        # spelled `b.c` is a file whose module name is `b.c` or ends in `.b.c`. (An index of
        # every suffix of every name held a set per suffix: 44 MiB on 50,000 files.)
        self._by_last: dict[str, list[str]] | None = None

    def path_of(self, module: str) -> str | None:
        """The one file whose module name is `module` or ends in `.module` (None: no file,
        or more than one)."""
        if self._by_last is None:
            self._by_last = {}
            for path in self.files:
                last = module_name(path)[0].rpartition(".")[2]
                self._by_last.setdefault(last, []).append(path)
        tail = f".{module}"
        found = {path for path in self._by_last.get(module.rpartition(".")[2], ())
                 if (name := module_name(path)[0]) == module or name.endswith(tail)}
        return next(iter(found)) if len(found) == 1 else None


def _module_imports(repo: Path, modules: _ModulesOnDisk, parsed: dict[str, dict[str, str]],
                    module: str) -> dict[str, str]:
    """The module-level imports of a module (local -> target): from its facts if the
    analysis parsed it, else read from disk; empty when it cannot be read."""
    if module in parsed:
        return parsed[module]
    path = modules.path_of(module)
    if path is None:
        return {}
    try:
        tree = parse_source((repo / path).read_bytes())
    except (OSError, SyntaxError, ValueError):
        return {}
    package = scopes.package_of(module, path.endswith("__init__.py"))
    return scopes.collect_scope(tree.body, package).imports


def _holder_files(fileset: FileSet, linked: list[LinkedSite],
                  modules: _ModulesOnDisk) -> set[str]:
    """Files of modules whose objects hold a client but that were not parsed yet.

    `cache.client = Redis(...)` in `setup.py` stores the client on an object of `app.cache`,
    which uses it as `self.client` without naming Redis or importing anything that does.
    """
    found: set[str] = set()
    for site in linked:
        # and the callees it is passed to without being followed: `provider_cls(redis=...)`
        # picks a class of another module, whose __init__ (or its base's) keeps it
        callees = [key.partition(f".{ARGS}.")[0] for key in site.escaped_into]
        for holder in [*site.holders, *callees]:
            if holder.startswith("@") or f".{LOCALS}." in holder:
                continue
            parts = holder.removesuffix(f".{RETURN}").split(".")
            for n in range(len(parts) - 1, 0, -1):
                path = modules.path_of(".".join(parts[:n]))
                if path is not None:
                    found.add(path)
                    break
    return found


def _split_export(key: str, modules: set[str]) -> tuple[str, str] | None:
    """(module, top-level name) if `key` names something at the top of a parsed module."""
    if f".{LOCALS}." in key:
        return None
    parts = key.removesuffix(f".{RETURN}").split(".")
    for n in range(len(parts) - 1, 0, -1):
        module = ".".join(parts[:n])
        if module in modules:
            return module, parts[n]
    return None


def _normalise_paths(repo: Path, paths: list[str]) -> list[str]:
    result = []
    for raw in paths:
        path = Path(raw)
        full = path if path.is_absolute() else (Path.cwd() / path)
        if not full.exists():
            full = repo / raw
        if not full.exists():
            raise UsageError(f"{raw}: no such file or directory")
        try:
            rel = full.resolve().relative_to(repo)
        except ValueError:
            raise UsageError(f"{raw}: not inside the repository {repo}") from None
        result.append("" if str(rel) == "." else rel.as_posix())
    return result


def _selected(file: str, wanted: list[str]) -> bool:
    return any(w == "" or file == w or file.startswith(w.rstrip("/") + "/") for w in wanted)

"""Where the app starts and stops, and how a batch wires `init_redis()`/`close_redis()` there.

The rewrites hand out `get_redis()`, which only works once `init_redis()` has run. When the app
already calls it (phase 1 done), nothing is wired. When it calls it nowhere, a batch puts it in
the app's own startup hook: the first hook (lifespan, startup hook, worker `main()`, by file and
line) that creates a client from a URL, right before the statement that creates it, with that
client's URL, so that the shared client connects where that client did. The stop side is
`await close_redis()`: in place of the old client's close in a shutdown hook or lifespan, else
after the lifespan's `yield` (or at the end of a startup hook's paired shutdown hook).

When no hook creates a client itself (the lifespan calls `await manager.connect()`, or the
clients are created lazily on first use), the hook is still wired, as its first statement,
with the URL the app's clients agree on, or else the one most of them use (the URL `migrate
init` chose for the module; clients on the others stay `manual`, `url-differs`), when it is
a module-level name of the target (`settings.REDIS_URL`): the hook's file imports that name
as the app already spells it, or as one more name from a module it imports from already. A
URL the clients spell as a string literal (`"redis://localhost"`) is copied as written.

A FastAPI app whose one hook is a module-level `@app.on_event("shutdown")` def gets a startup
hook beside it, registered the same way (`lifespan=` would stop FastAPI running on_event
hooks); a plain def that a hook calls is never an anchor (it cannot await init_redis()).

Options that change what the client does and that every client of the program takes from the
same name (`db=settings.REDIS_DB`) go with the URL, when the lifecycle module's init_redis()
takes them: `init_redis(settings.REDIS_URL, clients={"default": {"db": settings.REDIS_DB}})`.
The shared client then selects the same database the clients did, and they can move to it.

An ASGI app made with no hook at all (`Litestar(route_handlers=...)`) is given one: a
`redis_lifespan` beside it that calls `init_redis(<the agreed URL>)` and, on the way out,
`close_redis()`, passed as `lifespan=` (a list for Litestar).

The app is given that lifespan beside other programs too (a Celery worker, a script's
`main()` that does not start the app), when it is the one web app: the sites those programs
run (`redis_migrate.scan.programs`) stay `manual` with reason code `lifecycle-not-wired`, and
the app's own sites move.

An app whose hooks the analysis sees but that has neither cannot be wired safely: its
sites are `manual` with reason code `lifecycle-not-wired`. A repository with no call of
init_redis() and no recognisable hook at all (a library package, an app started from
elsewhere) keeps the earlier contract, that phase 1 wired the module (SPEC §2), and every
rewritten site says so in a note.
"""

from __future__ import annotations

import ast
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from redis_migrate.analysis.facts import (
    ENV_PREFIX,
    HOST_PREFIX,
    LITERAL_PREFIX,
    LOCALS,
    SHARED,
    SHARED_BLOCKING,
    FileFacts,
    Location,
    credential_parts,
    credentials_in,
    without_credentials,
)
from redis_migrate.analysis.frameworks import FASTAPI_CLASSES, LIFESPAN_CONSTRUCTORS, WORKER_APPS
from redis_migrate.analysis.link import LinkedSite, ModuleIndex, app_hooks
from redis_migrate.analysis.newer_syntax import parse_source
from redis_migrate.redis_api import URL_PARTS
from redis_migrate.scan.discovery import is_test_path
from redis_migrate.scan.programs import ImportGraph, OtherProgram

if TYPE_CHECKING:
    from redis_migrate.scan.named_clients import NamedClients

STARTING = ("lifespan", "startup", "main")
# the (module, name) imports a spelling of a URL needs in the hook's file, and the spelling
Imports = tuple[tuple[str, str], ...]
Spelled = tuple[str, Imports]
# The options init_redis(clients={"default": ...}) can carry for the shared client, because
# they change what its commands return or where they go; timeouts and pool sizing it sets
# itself (scan/safety.py). aioredis 1.x clients: only db means the same thing in redis-py.
INIT_OPTIONS = ("db", "decode_responses", "max_connections", "protocol")


@dataclass(frozen=True, slots=True)
class SharedOptions:
    """The options init_redis(clients={"default": ...}) gives the shared client, as (option,
    key, code as the hook's file spells it), and the imports that spelling needs."""

    options: tuple[tuple[str, str, str], ...] = ()
    imports: tuple[tuple[str, str], ...] = ()

    @property
    def keys(self) -> dict[str, str]:
        """option -> the key it resolves to."""
        return {name: key for name, key, _ in self.options}


@dataclass(slots=True)
class AppLifespan:
    """Where an ASGI app made with no hook gets `lifespan=`: its file, the constructor's line
    (the codemod finds the call by what it resolves to), whether it takes a list (Litestar),
    the URL as the file spells it and the import that spelling needs."""

    path: str
    line: int
    listed: bool
    url_code: str
    url_imports: Imports  # (module, name) the app's file must import for url_code
    url_key: str = ""  # what that URL resolves to: the central client's, once wired
    options: SharedOptions = SharedOptions()  # what init_redis() gives the shared client
    # a FastAPI app whose one hook is a module-level `@app.on_event("shutdown")` def: the
    # startup hook goes before that def, registered the same way (`lifespan=` would stop
    # FastAPI from running its on_event hooks), and the shutdown hook closes
    beside: str = ""
    on_app: str = ""
    # the clients' `username=` / `password=`, which init_redis() gives the shared client
    # beside the URL: (keyword, code as the app's file spells it)
    credentials: tuple[tuple[str, str], ...] = ()


@dataclass(slots=True)
class WiringFacts:
    """What the repository does about the lifecycle module's start and stop today."""

    wired: bool  # init_redis() is called somewhere
    closed: bool  # close_redis() is called somewhere
    hooks: dict[str, str] = field(default_factory=dict)  # function key -> hook kind
    # per program, the client whose hook and URL the wiring uses: the app's first, then each
    # worker `main()` (a process of its own, started by `asyncio.run`)
    anchors: list[LinkedSite] = field(default_factory=list)
    # for an anchor that is a hook without a client of its own: the (module, name) its file
    # must import to spell the URL (`from app.config import settings`), by hook function key
    url_imports: dict[str, Imports] = field(default_factory=dict)
    apps: list[str] = field(default_factory=list)  # async app objects made here, with where
    # an app made with no hook, that a batch gives a lifespan (see `AppLifespan`)
    app_lifespan: AppLifespan | None = None
    # apps made with no hook of their own that no worker `main()` starts (its module neither
    # makes nor imports the app's): wiring the mains would leave their requests unstarted
    unstarted: list[str] = field(default_factory=list)
    # by anchor function key: the options its init_redis() passes the shared client
    init_options: dict[str, SharedOptions] = field(default_factory=dict)
    # by anchor function key: the credentials of the URL it is wired with, (keyword, code)
    init_credentials: dict[str, tuple[tuple[str, str], ...]] = field(default_factory=dict)
    # programs beside the app that gets a lifespan, which the batch does not wire
    others: list[OtherProgram] = field(default_factory=list)
    # no init_redis() call and no hook (a library, or an app started from elsewhere): the
    # URL most clients use, which `migrate init` told the team to pass to init_redis()
    assumed_url: str | None = None
    # the named clients the app's calls create and the wired call would (template only)
    named: NamedClients | None = None

    @property
    def central_options(self) -> dict[str, str]:
        """What the app's wiring will pass the shared client: option -> key."""
        if self.app_lifespan is not None:
            return self.app_lifespan.options.keys
        anchor = self.anchor
        if anchor is None or not self.needs_wiring:
            return {}
        return self.init_options.get(anchor.function or "", SharedOptions()).keys

    @property
    def anchor(self) -> LinkedSite | None:
        """The app's anchor (the one every other site's URL is compared with)."""
        return self.anchors[0] if self.anchors else None

    @property
    def needs_wiring(self) -> bool:
        return not self.wired and bool(self.hooks)

    @property
    def assumed(self) -> str | None:
        """The note for a repository with no call of init_redis() and no hook: a library
        package, or an app started from elsewhere (phase 1 wired it; SPEC §2)."""
        if self.wired or self.hooks or self.apps:
            return None
        return ("init_redis() is called nowhere in this repository and no startup hook was "
                "found: get_redis() works only if the program that imports this code calls "
                "`await init_redis()` at startup")

    def elsewhere(self, paths: Iterable[str]) -> str | None:
        """Why a site of these files cannot move: another program runs one of them (None:
        none does)."""
        for other in self.others:
            for path in paths:
                if path in other.paths:
                    return other.refusal(path)
        return None

    def refusal(self) -> str | None:
        """Why sites cannot move until the app is wired by hand, if they cannot."""
        if not self.wired and not self.hooks and self.apps and self.app_lifespan is None:
            # the app is here and starts nothing: get_redis() would raise at the first request
            if len(self.apps) > 1:  # a web app and a worker app (Celery): two programs
                return ("init_redis() is called nowhere, and the programs made here ("
                        + ", ".join(self.apps[:3]) + ") have no startup hook the batch can "
                        "put it in: start it in each (a lifespan for the web app, the "
                        "worker's process-init signal) with `await init_redis(<url>)`")
            return (f"init_redis() is called nowhere, and the app ({self.apps[0]}) has no "
                    f"startup hook to call it from: give it one (lifespan / on_startup) that "
                    f"calls `await init_redis(<url>)`, and `await close_redis()` at shutdown")
        if not self.wired and self.unstarted and self.app_lifespan is None:
            return (f"init_redis() is called nowhere, and the app ({self.unstarted[0]}) has no "
                    f"startup hook of its own: the worker main() the batch would wire does not "
                    f"start it. Give the app one (lifespan / on_startup) that calls `await "
                    f"init_redis(<url>)`, and `await close_redis()` at shutdown")
        if not self.needs_wiring or self.anchor is not None or self.app_lifespan is not None:
            return None
        names = sorted({f"{_short(k)}()" for k in self.hooks})
        return ("init_redis() is called nowhere, and none of the app's hooks ("
                + ", ".join(names[:3])
                + ") creates a client from a URL to wire it with: call `await init_redis(<url>)`"
                  " at startup and `await close_redis()` at shutdown (migrate init printed how)")


def wiring_facts(files: list[FileFacts], linked: list[LinkedSite],
                 imports_of: Callable[[str], dict[str, str]] | None = None,
                 graph: ImportGraph | None = None) -> WiringFacts:
    """Read once per inventory: whether and where the app starts the lifecycle module.

    `imports_of(module)`: the module-level imports (local -> target) of a module that was not
    parsed, to see through re-exports (`from core.setup import settings`). `graph`: what the
    target's modules import, to tell which programs run them (none: the app alone)."""
    index = ModuleIndex.of(files)
    facts = WiringFacts(wired=any(f.central_urls for f in files),
                        closed=any(f.central_closes for f in files),
                        hooks=_redis_hooks(app_hooks(files, index), files, linked),
                        apps=[f"{name} at {f.path}:{loc.line}" for f in files
                              for _, name, loc in f.apps])
    # `await init_redis()` goes right before the client: not in a plain def the hook calls
    # (`setup_redis(app)`), which cannot await; the hook itself is wired then (below)
    candidates = sorted((s for s in linked if s.kind == "instantiation" and s.hook in STARTING
                         and s.url_code and s.holder != "return" and s.in_async_function
                         and (s.family == "client" or s.clients_of_pool)),
                        key=lambda s: (STARTING.index(s.hook or "main"), s.path, s.loc.line))
    app = next((s for s in candidates if s.hook != "main"), None)
    programs: dict[str | None, LinkedSite] = {}
    for site in candidates:
        if site.hook == "main" or site is app:
            programs.setdefault(site.function, site)  # one anchor per hook
    facts.anchors = sorted(programs.values(), key=lambda s: s is not app)
    if facts.needs_wiring and not facts.anchors:
        _hook_anchors(facts, files, linked, index, imports_of or (lambda module: {}))
    if facts.needs_wiring and not facts.anchors:
        facts.app_lifespan = _startup_beside(facts, files, linked, index,
                                             imports_of or (lambda module: {}))
    if facts.needs_wiring:
        for anchor in facts.anchors:
            _init_options(facts, anchor, files, linked, index, imports_of or (lambda m: {}))
    if not facts.wired and not facts.hooks and facts.apps:
        facts.app_lifespan = _app_lifespan(files, linked, index,
                                           imports_of or (lambda module: {}))
    if not facts.wired and not facts.hooks and not facts.apps:
        facts.assumed_url = _hook_url(_wirable(linked))
    if not facts.wired and facts.hooks and all(k == "main" for k in facts.hooks.values()):
        by_module = {f.module: f for f in files}
        mains = [m for m in (_module_of(k, by_module) for k in facts.hooks) if m is not None]
        facts.unstarted = [f"{name} at {f.path}:{loc.line}" for f in files
                           for _, name, loc in f.apps
                           if not any(_reaches(m, {f.module}, by_module) for m in mains)]
    if graph is None:
        return facts
    # the workers and scripts beside the app, with the files each runs (read once)
    beside = _other_programs(files, graph,
                             [k for k, kind in facts.hooks.items() if kind == "main"])
    if not facts.wired and facts.app_lifespan is None and beside:
        _beside_other_programs(facts, files, linked, index, imports_of or (lambda m: {}),
                               beside)
    if not facts.others:
        facts.others = _unstarted(facts, files, beside or [])
    return facts


def _beside_other_programs(facts: WiringFacts, files: list[FileFacts],
                           linked: list[LinkedSite], index: ModuleIndex,
                           imports_of: Callable[[str], dict[str, str]],
                           others: list[OtherProgram]) -> None:
    """The one web app, made with no hook, beside programs the batch cannot wire (task-queue
    workers; script `main()`s that do not start the app): the app gets a lifespan, from the
    URL its own clients agree on, and the files the other programs run are theirs
    (`WiringFacts.elsewhere`). Left as it was when any of that does not hold."""
    made = [(f, cls, name, loc) for f in files for cls, name, loc in f.apps]
    web = [m for m in made if m[1] in LIFESPAN_CONSTRUCTORS]
    mains = [key for key, kind in facts.hooks.items() if kind == "main"]
    if len(web) != 1 or len(mains) != len(facts.hooks):
        return  # no web app, or hooks of the app's own (wired there)
    if mains and not facts.unstarted:
        return  # a main() starts the app: it is wired there
    elsewhere = set().union(*(other.paths for other in others))
    lifespan = _app_lifespan([web[0][0]], [s for s in linked if s.path not in elsewhere],
                             index, imports_of, all_files=files)
    if lifespan is None:
        return
    facts.app_lifespan, facts.others = lifespan, others
    facts.hooks, facts.anchors, facts.unstarted = {}, [], []
    facts.url_imports, facts.init_options = {}, {}


def _unstarted(facts: WiringFacts, files: list[FileFacts],
               programs: list[OtherProgram]) -> list[OtherProgram]:
    """The `programs` that run none of the files that start the shared client: those that
    call init_redis() now, and those the batch wires."""
    starting = {f.path for f in files if f.central_urls} | {a.path for a in facts.anchors}
    if facts.app_lifespan is not None:
        starting.add(facts.app_lifespan.path)
    return [other for other in programs if not other.paths & starting]


def _other_programs(files: list[FileFacts], graph: ImportGraph,
                    mains: list[str]) -> list[OtherProgram] | None:
    """The task-queue workers made in `files` and the programs of `mains`, with the files each
    runs (None: the apps made are not one web app and workers, or a main is not found)."""
    made = [(f, cls, name, loc) for f in files for cls, name, loc in f.apps]
    workers = [m for m in made if m[1] in WORKER_APPS]
    if len(made) - len(workers) > 1 or any(m[1] not in (*LIFESPAN_CONSTRUCTORS, *WORKER_APPS)
                                           for m in made):
        return None
    others: list[OtherProgram] = []
    for f, _, name, loc in workers:
        roots = {f.path} | graph.importers(f.path) | graph.named(f.path)
        others.append(OtherProgram(
            f"the worker process of {name} made at {f.path}:{loc.line}",
            frozenset(graph.closure(roots)),
            "Start it in each worker process as well (`await init_redis(<url>)` as it starts, "
            "`await close_redis()` as it stops)"))
    by_module = {f.module: f for f in files}
    for key in mains:
        module = _module_of(key, by_module)
        if module is None:
            return None
        path = by_module[module].path
        others.append(OtherProgram(
            f"the script started by {_short(key)}() in {path}",
            frozenset(graph.closure({path})),
            f"Call `await init_redis(<url>)` at the start of its {_short(key)}() and `await "
            f"close_redis()` at its end"))
    return others


def _redis_hooks(hooks: dict[str, str], files: list[FileFacts],
                 linked: list[LinkedSite]) -> dict[str, str]:
    """The hooks, without the script `main()`s whose module reaches no Redis: a
    `create_tables.py` beside the app runs no Redis code, so it neither needs the lifecycle
    started nor keeps the app from getting a lifespan of its own."""
    by_module = {f.module: f for f in files}
    holders = {s.path for s in linked if s.kind == "instantiation" and not is_test_path(s.path)}
    redis_modules = {f.module for f in files if f.path in holders or any(
        use.key in (SHARED, SHARED_BLOCKING) for use in f.uses)}
    kept = {}
    for key, kind in hooks.items():
        module = _module_of(key, by_module)
        if kind == "main" and module is not None \
                and not _reaches(module, redis_modules, by_module):
            continue
        kept[key] = kind
    return kept


def _app_lifespan(files: list[FileFacts], linked: list[LinkedSite], index: ModuleIndex,
                  imports_of: Callable[[str], dict[str, str]],
                  all_files: list[FileFacts] | None = None) -> AppLifespan | None:
    """The one ASGI app made in `files`, made with no hook, whose clients agree on one
    module-level URL the app's file can spell: it can be given a lifespan that starts and
    stops the lifecycle module. (`all_files`: every parsed file, when `files` is the app's.)"""
    made = [(f, cls, loc) for f in files for cls, _, loc in f.apps]
    files = all_files if all_files is not None else files
    if len(made) != 1 or made[0][1] not in LIFESPAN_CONSTRUCTORS:
        return None
    app_file, cls, loc = made[0]
    return _hook_for_app(app_file, loc.line, LIFESPAN_CONSTRUCTORS[cls], files, linked, index,
                         imports_of)


def _startup_beside(facts: WiringFacts, files: list[FileFacts], linked: list[LinkedSite],
                    index: ModuleIndex, imports_of: Callable[[str], dict[str, str]],
                    ) -> AppLifespan | None:
    """A FastAPI app whose one hook is a shutdown hook, a module-level def registered with
    `@app.on_event("shutdown")` where the app is made: it gets a startup hook beside it, with
    the URL its clients agree on (as `_app_lifespan`). None when any of that does not hold."""
    if len(facts.hooks) != 1:
        return None
    [(key, kind)] = facts.hooks.items()
    found = [(f, h) for f in files for h in f.hooks if h.function == key and h.on_app]
    if kind != "shutdown" or len(found) != 1:
        return None
    app_file, hook = found[0]
    name = key[len(app_file.module) + 1:] if key.startswith(app_file.module + ".") else ""
    made = [loc for cls, _, loc in app_file.apps if cls in FASTAPI_CLASSES]
    if not name or "." in name or len(made) != 1:
        return None
    return _hook_for_app(app_file, made[0].line, False, files, linked, index, imports_of,
                         beside=name, on_app=hook.on_app)


def _hook_for_app(app_file: FileFacts, line: int, listed: bool, files: list[FileFacts],
                  linked: list[LinkedSite], index: ModuleIndex,
                  imports_of: Callable[[str], dict[str, str]], beside: str = "",
                  on_app: str = "") -> AppLifespan | None:
    """The hook the app made at `app_file:line` is given, with the one URL its clients agree
    on as the app's file can spell it (`str(...)` where they spelled it so), and the options
    they share; None when they agree on no URL that file can spell."""
    wirable = _wirable(linked)
    url = _hook_url(wirable)
    if url is None:
        return None
    spelled = spell_with_credentials(url, app_file, files, index, imports_of,
                                     literal_codes(wirable))
    if spelled is None:
        return None
    code, needed = as_clients_spell(spelled[0], url, wirable)
    return AppLifespan(app_file.path, line, listed, code, needed, url_key=url,
                       options=_shared_options(wirable, app_file, files, index, imports_of),
                       beside=beside, on_app=on_app, credentials=spelled[1])


def _wirable(linked: list[LinkedSite]) -> list[LinkedSite]:
    """The app's async clients whose URL a hook can spell: a module-level name it can
    import, or a string literal (copied as written: `"redis://localhost"`)."""
    return [s for s in linked if s.kind == "instantiation" and s.url_key
            and (not s.url_key.startswith(LITERAL_PREFIX) or literal_code(s.url_code) is not None)
            # host=, port=, db=: a URL the hook spells part by part (`_spell_host`), its
            # credentials given beside it; not with TLS or a socket, which the key does not
            # hold (no url_code then)
            and (not s.url_key.startswith(HOST_PREFIX) or s.url_code is not None
                 or (bool(credentials_in(s.url_key)) and not _tls_or_socket(s)))
            and f".{LOCALS}." not in s.url_key
            and s.library != "redis-sync" and not is_test_path(s.path)]


def _tls_or_socket(site: LinkedSite) -> bool:
    return any(k.startswith("ssl") or k in ("unix_socket_path", "connection_pool")
               for k in site.keywords)


def spell_with_credentials(url_key: str, hook_file: FileFacts, files: list[FileFacts],
                           index: ModuleIndex, imports_of: Callable[[str], dict[str, str]],
                           literals: dict[str, str] | None = None,
                           ) -> tuple[Spelled, tuple[tuple[str, str], ...]] | None:
    """The URL as the hook's file spells it (`spell_url`), and the credentials the key holds
    beside it as (keyword, code) for `init_redis(clients={"default": ...})`, their imports
    joined to the URL's; None when one part cannot be spelled (a literal password is not
    copied into another file)."""
    spelled = spell_url(without_credentials(url_key), hook_file, files, index, imports_of,
                        literals)
    if spelled is None:
        return None
    code, needed = spelled
    credentials: list[tuple[str, str]] = []
    for name, part in credential_parts(url_key).items():
        if part.startswith(LITERAL_PREFIX):
            return None
        found = spell_url(part, hook_file, files, index, imports_of)
        if found is None:
            return None
        credentials.append((name, found[0]))
        needed += tuple(i for i in found[1] if i not in needed)
    return (code, needed), tuple(credentials)


def literal_code(code: str | None) -> str | None:
    """`code` when it is one plain string literal (not an f-string or a concatenation)."""
    if code is None:
        return None
    try:
        node = ast.parse(code.strip(), mode="eval").body
    except SyntaxError:
        return None
    return code.strip() if isinstance(node, ast.Constant) and isinstance(node.value, str) \
        else None


def literal_codes(sites: Iterable[LinkedSite]) -> dict[str, str]:
    """URL key -> the literal as written, for the sites whose URL is a string literal."""
    return {s.url_key: code for s in sites
            if s.url_key and s.url_key.startswith((LITERAL_PREFIX, HOST_PREFIX))
            for code in [literal_code(s.url_code)] if code is not None}


def as_clients_spell(spelled: Spelled, url_key: str,
                      sites: Iterable[LinkedSite]) -> Spelled:
    """`str(settings.redis_url)` when a client with that URL spelled it so: a pydantic
    `RedisDsn` is not a string, and `init_redis()` hands the URL to `from_url()`."""
    code, needed = spelled
    if any(s.url_key == url_key and (s.url_code or "").startswith("str(") for s in sites):
        return f"str({code})", needed
    return spelled


def _hook_url(sites: list[LinkedSite]) -> str | None:
    """The URL key a hook passes to init_redis() for the `_wirable` sites of a program: the
    one they agree on, else the one most of them use, as `migrate init` chose it for the
    module it wrote (the others stay `manual`, `url-differs`). None: no site has one."""
    votes: Counter[str] = Counter(s.url_key for s in sites if s.url_key)
    texts = {s.url_key: url_text(s) or s.url_key for s in reversed(sites) if s.url_key}
    return most_used_url(votes, texts) if votes else None


def most_used_url(votes: Mapping[str, int], texts: Mapping[str, str]) -> str:
    """The URL most clients use (`votes`, by URL); in a tie, one the app configures
    (`settings.REDIS_URL`) before a literal, which is how scripts and examples beside the app
    spell theirs, then by its text (`texts`, by URL), for the same answer on every run."""
    return max(votes, key=lambda url: (votes[url], literal_code(texts[url]) is None, texts[url]))


def url_text(linked: LinkedSite) -> str | None:
    """The URL a client connects to, as code init can pass to init_redis(): `Redis(host=h,
    port=p)` as `f"redis://{h}:{p}/0"`, not its host alone. None for a parameter or a local
    (`url`), which names no URL init can use, even where the analysis knows what its callers
    pass (the wiring spells that in the hook's file)."""
    if (not linked.url or not linked.url_key or "<locals>" in linked.url_key
            or linked.url_parameter is not None):
        return None
    code = linked.url_code
    if code and "redis://" in code:
        return code  # built from host=, port=, db=, or an f-string URL of such parts
    if linked.url_key.startswith(HOST_PREFIX):
        # `Redis(host=h, password=p, ssl=True)`: no URL spelled from it (the key does not
        # hold credentials or TLS); its host alone is no URL init_redis() could take
        return None
    return linked.url


def _hook_anchors(facts: WiringFacts, files: list[FileFacts], linked: list[LinkedSite],
                  index: ModuleIndex, imports_of: Callable[[str], dict[str, str]]) -> None:
    """Anchors at the top of the app's first startup hook and of each worker `main()`, with
    the one URL the clients of that program agree on (see the module docstring)."""
    by_module = {f.module: f for f in files}
    starting = sorted(((k, kind) for k, kind in facts.hooks.items()
                       if kind in STARTING and "<lambda" not in k),
                      key=lambda item: (STARTING.index(item[1]), item[0]))
    app_hook = next(((k, kind) for k, kind in starting if kind != "main"), None)
    chosen = [app_hook] if app_hook else []
    chosen += [(k, kind) for k, kind in starting if kind == "main"]
    clients = _wirable(linked)
    made = [s for s in linked if s.kind == "instantiation" and not is_test_path(s.path)]
    client_modules = {f.module for f in files if f.path in {s.path for s in made}}
    literals = literal_codes(clients)
    for key, kind in chosen:
        module = _module_of(key, by_module)
        if module is None or key not in by_module[module].defs:
            # `app.register_listener(conn.connect, ...)`: a method of an object, not a def of
            # that module the batch could put init_redis() in
            continue
        top = program_of(by_module[module].path)
        own = [s for s in clients if program_of(s.path) == top]
        if kind == "main" and not _reaches(module, client_modules, by_module):
            continue  # a script that neither holds a client nor imports one: no Redis there
        url = _hook_url(own) or _hook_url(clients)
        if url is None:  # no URL with a key: one expression every client of the program spells?
            code = _shared_expression([s for s in made if program_of(s.path) == top] or made,
                                      by_module[module], by_module)
            if code is not None:
                facts.anchors.append(_hook_anchor(by_module[module].path, key, kind, None, code))
            continue
        spelled = spell_with_credentials(url, by_module[module], files, index, imports_of,
                                         literals)
        if spelled is None:
            continue
        (code, needed), credentials = as_clients_spell(spelled[0], url, clients), spelled[1]
        facts.anchors.append(_hook_anchor(by_module[module].path, key, kind, url, code))
        if needed:
            facts.url_imports[key] = needed
        if credentials:
            facts.init_credentials[key] = credentials


def _init_options(facts: WiringFacts, anchor: LinkedSite, files: list[FileFacts],
                  linked: list[LinkedSite], index: ModuleIndex,
                  imports_of: Callable[[str], dict[str, str]]) -> None:
    """The options every client of the anchor's program takes from one name, spelled in the
    anchor's file (see the module docstring); an option some client lacks or names otherwise
    stays the client's own, and is refused where it differs."""
    wirable = _wirable(linked)
    # as for its URL: the clients of its program, else all (a worker.py beside cache.py)
    clients = [s for s in wirable if program_of(s.path) == program_of(anchor.path)] or wirable
    hook_file = next((f for f in files if f.path == anchor.path), None)
    if hook_file is None:
        return
    shared = _shared_options(clients, hook_file, files, index, imports_of)
    if shared.options:
        facts.init_options[anchor.function or ""] = shared


def _shared_options(clients: list[LinkedSite], hook_file: FileFacts, files: list[FileFacts],
                    index: ModuleIndex, imports_of: Callable[[str], dict[str, str]],
                    ) -> SharedOptions:
    """(option, key, code in the hook's file) for each of `INIT_OPTIONS` that all `clients`
    take from the same name, and the imports those spellings need."""
    found: list[tuple[str, str, str]] = []
    needed: list[tuple[str, str]] = []
    for name in INIT_OPTIONS:
        if name != "db" and any(s.library == "aioredis1" for s in clients):
            continue
        if name == "db" and any(s.url_key and s.url_key.startswith(HOST_PREFIX)
                                for s in clients):
            continue  # Redis(host=h, db=n): the URL the hook spells holds the db
        keys = {dict(s.option_keys).get(name) for s in clients}
        key = keys.pop() if len(keys) == 1 else None
        if key is None or f".{LOCALS}." in key:
            continue
        spelled = spell_url(key, hook_file, files, index, imports_of)
        if spelled is None:
            continue
        found.append((name, key, spelled[0]))
        needed += [i for i in spelled[1] if i not in needed]
    return SharedOptions(tuple(found), tuple(needed))


def _hook_anchor(path: str, function: str, kind: str, url_key: str | None,
                 url_code: str) -> LinkedSite:
    """The anchor of a hook that makes no client: wired at its top with `url_code`."""
    return LinkedSite(kind="hook", path=path, loc=Location(0, 0), pattern="", library="",
                      scope="function", rewrite="", snippet="", function=function,
                      url_key=url_key, url_code=url_code, hook=kind)


def _shared_expression(sites: list[LinkedSite], hook_file: FileFacts,
                       by_module: dict[str, FileFacts]) -> str | None:
    """The URL expression every client of the program (`sites`) is made from, when it is one
    and the hook's file can spell it as written: `f"redis://{os.getenv('REDIS_HOST')}:6379"`
    in one module, whose names (`os`) are imports the hook's module makes of the same thing.
    The hook reads it at startup where the client read it at import (as for `env:` URLs)."""
    if not sites or any(s.library == "redis-sync" or s.url_key is not None or not s.url_code
                        or s.family != "client" or URL_PARTS & set(s.keywords) - {"url"}
                        for s in sites):
        return None
    codes = {s.url_code.strip() for s in sites if s.url_code}
    paths = {s.path for s in sites}
    if len(codes) != 1 or len(paths) != 1:
        return None
    code = codes.pop()
    try:
        tree = parse_source(code)
    except (SyntaxError, ValueError):
        return None
    if len(tree.body) != 1 or not isinstance(tree.body[0], ast.Expr):
        return None
    client_file = next((f for f in by_module.values() if f.path in paths), None)
    if client_file is None:
        return None
    theirs = {local: target for scope, local, target in client_file.imports
              if scope == client_file.module}
    ours = {local: target for scope, local, target in hook_file.imports
            if scope == hook_file.module}
    names = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name)}
    if any(name not in theirs or ours.get(name) != theirs[name] for name in names):
        return None  # a name of its module's own, or one the hook's file lacks or rebinds
    return code


def _reaches(module: str, targets: set[str], by_module: dict[str, FileFacts]) -> bool:
    """Whether `module` imports one of `targets`, directly or through the target's modules."""
    seen: set[str] = set()
    todo = [module]
    while todo:
        current = todo.pop()
        if current in targets:
            return True
        if current in seen or current not in by_module:
            continue
        seen.add(current)
        for _, _, target in by_module[current].imports:
            parts = target.split(".")  # `a.b.c` imports the modules a.b.c, a.b and a
            todo.extend(prefix for n in range(len(parts), 0, -1)
                        if (prefix := ".".join(parts[:n])) in by_module)
    return False


def program_of(path: str) -> str:
    """The program a repository path belongs to: its top folder (`api/`, `ingest/`)."""
    return path.split("/")[0]


def _module_of(key: str, by_module: dict[str, FileFacts]) -> str | None:
    parts = key.split(".")
    for n in range(len(parts) - 1, 0, -1):
        if ".".join(parts[:n]) in by_module:
            return ".".join(parts[:n])
    return None


def spell_url(url_key: str, hook_file: FileFacts, files: list[FileFacts],
               index: ModuleIndex, imports_of: Callable[[str], dict[str, str]],
               literals: dict[str, str] | None = None,
               ) -> Spelled | None:
    """How the hook's file spells the URL, and the import that makes it so (None: none
    needed); None when it cannot (the name it needs is bound to something else there).
    `literals`: the code of the literal URLs, by key."""
    if "<" in url_key:
        return None  # `settings.url.<replace:…>`: a method's result, not a name to import
    if credentials_in(url_key):
        return None  # credentials beside the URL: spelling the URL alone would drop them
    if url_key.startswith(LITERAL_PREFIX):
        code = (literals or {}).get(url_key)
        return (code, ()) if code is not None else None
    if url_key.startswith(HOST_PREFIX):
        if url_key in (literals or {}):  # Redis(host="cache", port=6380): redis://cache:6380/0
            return (literals or {})[url_key], ()
        return _spell_host(url_key, lambda part: spell_url(part, hook_file, files, index,
                                                           imports_of))
    module_level = {local: target for scope, local, target in hook_file.imports
                    if scope == hook_file.module}
    if url_key.startswith(ENV_PREFIX):
        return _spell_env(url_key, hook_file, module_level)
    reexports = {f"{f.module}.{local}": index.canonical(target) for f in files
                 for scope, local, target in f.imports if scope == f.module}
    for local, target in module_level.items():  # already imported: `settings` or `REDIS_URL`
        canonical = index.canonical(target)
        for _ in range(8):  # `from core.setup import settings`, itself from core.config
            module, _, name = canonical.rpartition(".")
            if canonical not in reexports and module and module not in reexports:
                reexports[module] = ""  # read once
                reexports.update({f"{module}.{local}": index.canonical(target)
                                  for local, target in imports_of(module).items()})
            canonical = reexports.get(canonical, canonical)
        if url_key == canonical or url_key.startswith(canonical + "."):
            return local + url_key[len(canonical):], ()
    # the app's own spelling of an import of the URL's first name, from any of its files
    for facts in files:
        for _, local, target in facts.imports:
            canonical = index.canonical(target)
            if (url_key.startswith(canonical + ".") or url_key == canonical) and "." in target:
                name = target.rpartition(".")[2]
                if name in module_level or _binds(hook_file, name):
                    return None  # the hook's module binds that name to something else
                return name + url_key[len(canonical):], ((target.rpartition(".")[0], name),)
    return _from_imported_module(url_key, hook_file, index, module_level)


def _from_imported_module(url_key: str, hook_file: FileFacts, index: ModuleIndex,
                          module_level: dict[str, str]) -> Spelled | None:
    """`settings.get_url` of a module the hook's file already imports from (`from
    app.redis.config import redis`): one more name from it, `from app.redis.config import
    settings`, runs nothing the file did not run already. None when no such module holds the
    URL's first name, or the file binds that name to something else."""
    modules = {target.rpartition(".")[0] for scope, _, target in hook_file.imports
               if scope == hook_file.module and "." in target}
    for module in sorted(modules, key=len, reverse=True):
        home = index.canonical(module)
        if home not in index.full or not url_key.startswith(home + "."):
            continue
        rest = url_key[len(home) + 1:]
        name = rest.split(".")[0]
        if f"{home}.{name}" in index.full or name in module_level or _binds(hook_file, name):
            return None
        return rest, ((module, name),)
    return None


def _spell_host(url_key: str, spell: Callable[[str], Spelled | None]) -> Spelled | None:
    """`host:<host>|<port>|<db>` as the hook's file spells it (`spell_host`), with its imports
    from one module at most: two names of a module it already imports from, `REDIS_HOST`
    and `REDIS_PORT`, run nothing new."""
    spelled = spell_host(url_key, spell)
    if spelled is None or len({module for module, _ in spelled[1]}) > 1:
        return None
    return spelled


def spell_host(url_key: str, spell: Callable[[str], Spelled | None]) -> Spelled | None:
    """`host:<host>|<port>|<db>` as `f"redis://{settings.HOST}:{settings.PORT}/0"`, each
    named part as `spell` names it, and the imports they need; None when one cannot be (a
    literal host beside a named port: its text is only known by its hash). Before Python
    3.12 an f-string cannot hold its own quote: `getenv("REDIS_HOST")` goes in single
    quotes, and parts holding both kinds cannot be spelled."""
    parts = url_key[len(HOST_PREFIX):].split("|")
    if len(parts) != 3:
        return None
    codes: list[str] = []
    needed: list[tuple[str, str]] = []
    for part in parts:
        if part.isdigit():
            codes.append(part)
            continue
        spelled = None if part.startswith(LITERAL_PREFIX) else spell(part)
        if spelled is None or "{" in spelled[0] or "}" in spelled[0]:
            return None
        codes.append("{" + spelled[0] + "}")
        needed += [i for i in spelled[1] if i not in needed]
    quote = "'" if any('"' in code for code in codes) else '"'
    if quote == "'" and any("'" in code for code in codes):
        return None
    return f"f{quote}redis://{codes[0]}:{codes[1]}/{codes[2]}{quote}", tuple(needed)


def _spell_env(url_key: str, hook_file: FileFacts, module_level: dict[str, str],
               ) -> Spelled | None:
    """`env:REDIS_URL` as `os.getenv("REDIS_URL")` (with its default, if it had one) where
    the hook's file imports os, else as `getenv(...)` with `from os import getenv`. The hook
    reads the environment at startup where the client read it at import: the same value,
    unless the app changes its own environment in between."""
    name, equals, default = url_key[len(ENV_PREFIX):].partition("=")
    if "#" in name:
        return None  # a default with credentials is only known by its hash
    arguments = ", ".join(_quoted(s) for s in ([name, default] if equals else [name]))
    os_name = next((local for local, target in module_level.items() if target == "os"), None)
    if os_name is not None:
        return f"{os_name}.getenv({arguments})", ()
    if _binds(hook_file, "getenv") or (
            "getenv" in module_level and module_level["getenv"] != "os.getenv"):
        return None  # the file binds `getenv` to something else
    needed: Imports = () if module_level.get("getenv") == "os.getenv" else (("os", "getenv"),)
    return f"getenv({arguments})", needed


def _binds(hook_file: FileFacts, name: str) -> bool:
    """Whether the hook's module binds `name` itself (a class, a def, an assignment of
    anything): an import of that name added to it would be shadowed, or shadow it."""
    own = f"{hook_file.module}.{name}"
    return (name in hook_file.module_names or own in hook_file.classes
            or own in hook_file.defs or any(key == own for key, _ in hook_file.edges))


def _quoted(text: str) -> str:
    """A string literal in double quotes, as most code spells an environment variable."""
    return '"' + repr(text)[1:-1] + '"' if '"' not in text and "'" not in text else repr(text)


def _short(key: str) -> str:
    return key.rpartition(".")[2]


def relative(key: str, module: str) -> str:
    """`pkg.mod.f.<locals>.g` -> `f.<locals>.g` for a key inside `module`."""
    return key[len(module) + 1:] if key.startswith(module + ".") else key


def enclosing_def(function: str) -> str | None:
    """The def a lambda sits in (`f.<locals>.<lambda:3:4>` -> `f`; at module level None)."""
    head, separator, _ = function.rpartition(f".{LOCALS}.")
    if separator:
        return head
    return None

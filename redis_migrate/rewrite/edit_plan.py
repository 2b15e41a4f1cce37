"""From a batch's sites to per-file rewrite plans: the data each codemod is handed.

The repo-wide analysis has already decided what every site is; here each pending site of the
batch becomes entries in the plans of the files it touches. A module-level client touches its
own file and every file that imports it (under any alias, or through `import m` then
`m.client`): the batch rewrites them together, as one unit.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import overload

from redis_migrate.analysis.facts import LOCALS, RETURN, FileFacts
from redis_migrate.analysis.link import ImportIndex, LinkedSite, ModuleIndex
from redis_migrate.codemods._accessor import Accessor
from redis_migrate.model import Site
from redis_migrate.redact import mask_secrets
from redis_migrate.scan.discovery import module_name
from redis_migrate.scan.report import Inventory
from redis_migrate.scan.wiring import (
    AppLifespan,
    Imports,
    SharedOptions,
    WiringFacts,
    enclosing_def,
)


@dataclass(slots=True)
class FilePlan:
    """What the codemods do to one file."""

    path: str
    module: str
    package: str
    calls: dict[tuple[int, int], Accessor] = field(default_factory=dict)
    attributes: dict[tuple[str, str], Accessor] = field(default_factory=dict)
    getters: dict[str, tuple[str, Accessor]] = field(default_factory=dict)
    remove_names: set[str] = field(default_factory=set)
    references: dict[str, Accessor] = field(default_factory=dict)
    closes: dict[str | None, set[str]] = field(default_factory=dict)
    sites: list[Site] = field(default_factory=list)  # the batch's sites in this file
    convert: str | None = None  # "aioredis1"/"aioredis2": convert calls on the moved clients
    # function path -> spellings of the moved client there (`redis`, `svc.redis`); class path ->
    # `self.<attribute>` (in every method of the class, `self` being its first parameter)
    convert_receivers: dict[str | None, set[str]] = field(default_factory=dict)
    convert_calls: set[str] = field(default_factory=set)  # getters returning it (`m.get_pool`)
    released_globals: set[str] = field(default_factory=set)  # a moved getter's cache global
    # closes in a lambda's body, by the def the lambda is in (`lambda app: app["r"].aclose()`)
    lambda_closes: dict[str | None, set[str]] = field(default_factory=dict)
    replaced_closes: set[str | None] = field(default_factory=set)  # -> `await close_redis()`
    wire_init: dict[str, tuple[int, str]] = field(default_factory=dict)  # hook -> (line, call)
    wire_close: dict[str, str] = field(default_factory=dict)  # hook -> kind
    wire_imports: list[tuple[str, str]] = field(default_factory=list)  # for the init's URL
    # an app made with no hook: (whether lifespan= takes a list, the init call)
    wire_app: tuple[bool, str] | None = None
    # a FastAPI app whose one hook is a shutdown hook: (the app's name, the shutdown def the
    # new `@app.on_event("startup")` hook goes before, the init call)
    wire_startup: tuple[str, str, str] | None = None
    # the names the file read before the rewrite (set as it starts): an import of Redis that
    # was unused already stays, as the rewrite found it
    read_before: frozenset[str] | None = None
    aliases: tuple[tuple[str, str], ...] = ()  # accessor -> the name this file calls it by
    # modules this file imported a moved client from that run calls of their own at import
    # (`load_dotenv()`): module -> the first such call; a dropped import keeps them running
    setup_modules: dict[str, str] = field(default_factory=dict)
    # (class path, field): dataclass fields made from a moved client, made default_factory
    field_defaults: set[tuple[str, str]] = field(default_factory=set)

    # module-level pools the batch removes that this file imports (`from app.redis import
    # POOL`): their import goes once the clients built on them have moved; and module clients
    # given lazy_redis() (their import goes only if nothing here reads them any more)
    dropped_imports: set[str] = field(default_factory=set)

    @property
    def removed_modules(self) -> set[str]:
        """Modules whose clients or pools this file referenced (their imports may now be
        unused)."""
        return {name.rpartition(".")[0] for name in (*self.references, *self.dropped_imports)}


def plan_batch(inventory: Inventory, batch: str, lifecycle_import: str,
               compat: bool = False) -> dict[str, FilePlan]:
    """The plans of every file the batch's pending sites touch.

    With `compat`, aioredis clients move to the compat wrapper (`get_compat_redis()`) and keep
    their 1.x-shaped calls instead of having them converted.
    """
    facts: dict[str, FileFacts] = inventory.facts
    index = ModuleIndex.of(facts.values())
    imports = ImportIndex(facts, index)
    plans: dict[str, FilePlan] = {}

    def plan_for(path: str) -> FilePlan:
        if path not in plans:
            module, is_package = module_name(path)
            package = module if is_package else module.rpartition(".")[0]
            plans[path] = FilePlan(path, module, package)
        return plans[path]

    for site in inventory.sites:
        if site.batch != batch or site.status != "pending":
            continue
        linked: LinkedSite = inventory.details[(site.file, site.line, site.col, site.kind)]
        aioredis = site.library in ("aioredis1", "aioredis2")
        accessor = Accessor(lifecycle_import, "needs-blocking-client" in site.flags, site.client,
                            sync=site.sync, compat=compat and aioredis,
                            blocking_function=_blocking_function(inventory),
                            lazy="lazy-client" in site.flags)
        plan = plan_for(site.file)
        plan.sites.append(site)
        if site.kind == "instantiation":
            _plan_instantiation(plan, linked, accessor, imports, plan_for)
            if aioredis and not compat:
                _plan_conversion(plan, linked, site.library, facts, index, imports, plan_for)
        elif site.kind == "close":
            _plan_close(plan, linked, inventory)
    by_module = {f.module: f for f in facts.values()}
    for plan in plans.values():
        for module in plan.removed_modules - {plan.module}:
            calls = by_module[module].setup_calls if module in by_module else []
            if calls:
                plan.setup_modules[module] = calls[0]
    return plans


def plan_wiring(inventory: Inventory, batch: str, plans: dict[str, FilePlan],
                init_takes_url: bool) -> list[str]:
    """Put `init_redis()`/`close_redis()` into the app's hooks when the app calls neither
    (see `redis_migrate.scan.wiring`); return one line per change, for the summary and the PR."""
    wiring = inventory.wiring
    moving = [s for s in inventory.sites if s.batch == batch and s.status == "pending"
              and s.kind == "instantiation"]
    if wiring is not None and wiring.app_lifespan is not None and moving:
        return _wire_app(plans, wiring, wiring.app_lifespan, init_takes_url,
                         inventory.lifecycle is not None
                         and bool(inventory.lifecycle.passed_options),
                         _takes_credentials(inventory)) + [
            f"{other.name} is not started by it: the sites of the files it runs wait "
            f"(lifecycle-not-wired)" for other in wiring.others]
    if wiring is None or not wiring.needs_wiring or not wiring.anchors or not moving:
        return []
    lines: list[str] = []
    for anchor in wiring.anchors:
        lines += _wire_anchor(inventory, batch, plans, anchor, init_takes_url)
    return lines


def _wire_anchor(inventory: Inventory, batch: str, plans: dict[str, FilePlan],
                 anchor: LinkedSite, init_takes_url: bool) -> list[str]:
    wiring = inventory.wiring
    assert wiring is not None  # the anchors are the wiring facts
    plan = plans.get(anchor.path)
    if plan is None:
        module, is_package = module_name(anchor.path)
        plan = plans[anchor.path] = FilePlan(
            anchor.path, module, module if is_package else module.rpartition(".")[0])
    function = _relative(anchor.function, plan.module) or ""
    url = anchor.url_code if init_takes_url else None
    lifecycle = inventory.lifecycle
    # the options the analysis compared the clients with (`passed_options`), and only then
    shared = wiring.init_options.get(anchor.function or "") \
        if url and lifecycle is not None and lifecycle.passed_options else None
    options = _default_options(shared, wiring.init_credentials.get(anchor.function or "", ()),
                               bool(url) and _takes_credentials(inventory))
    named = _named_entries(wiring, anchor.function or "") if url else ([], ())
    call = init_call(url, options, named[0])
    plan.wire_init[function] = (anchor.loc.line, call)
    if url:
        plan.wire_imports += [i for i in (*wiring.url_imports.get(anchor.function or "", ()),
                                          *named[1]) if i not in plan.wire_imports]
    if shared is not None:
        plan.wire_imports += [i for i in shared.imports if i not in plan.wire_imports]
    shown = mask_secrets(f"await {call}")
    where = (f"before the client created at line {anchor.loc.line}" if anchor.loc.line
             else "as its first statement")
    lines = [f"{plan.path}: {function}() starts the shared client: {shown}, {where}"]
    stops: list[tuple[FilePlan, str, str]] = []
    if anchor.hook in ("lifespan", "main"):
        stops.append((plan, function, anchor.hook))
    elif not wiring.closed:
        for key, kind in sorted(wiring.hooks.items()):
            if kind == "shutdown" and key.startswith(plan.module + ".") and "<lambda" not in key:
                stops.append((plan, _relative(key, plan.module) or "", kind))
    for target, name, kind in stops[:1]:
        target.wire_close[name] = kind
        where = "after its yield" if kind == "lifespan" else "at its end"
        lines.append(f"{target.path}: {name}() stops it: await close_redis() ({where}, unless "
                     f"an old client's close there became it)")
    closed_with_it = any(
        d.kind == "close" and anchor.atom in d.origins and d.hook == "shutdown"
        for d in inventory.details.values()) and anchor_site_pending(inventory, anchor, batch)
    if not stops and not wiring.closed and not closed_with_it:
        lines.append(f"{plan.path}: no shutdown hook found beside {function}(): add "
                     f"`await close_redis()` where the app stops")
    return lines


def _default_options(shared: SharedOptions | None, credentials: tuple[tuple[str, str], ...],
                     with_credentials: bool) -> list[tuple[str, str]]:
    """What `init_redis(clients={"default": ...})` gives the shared client, as (option, code):
    the options the clients share, then their credentials when the call takes them."""
    options = [(name, code) for name, _, code in (shared.options if shared else ())]
    return options + list(credentials) if with_credentials else options


def _takes_credentials(inventory: Inventory) -> bool:
    """Whether init_redis() gives the shared client `clients={"default": {"password": ...}}`:
    the template's does; a team's module is not assumed to (the analysis then compares the
    clients with a central URL without their credentials: `url-differs`)."""
    return inventory.lifecycle is None or inventory.lifecycle.template


def _named_entries(wiring: WiringFacts, hook: str) -> tuple[list[tuple[str, str]], Imports]:
    """The named clients the hook's init_redis() creates, and the imports they need."""
    named = wiring.named
    if named is None:
        return [], ()
    return named.entries.get(hook, []), named.imports.get(hook, ())


def init_call(url: str | None, options: list[tuple[str, str]],
              named: list[tuple[str, str]] | None = None) -> str:
    """`init_redis(<url>)`, with the options the shared client is given, if any, and the
    named clients (`"limiter": {"url": ...}`) it creates beside it."""
    if not url:
        return "init_redis()"
    entries = [f'"{name}": {entry}' for name, entry in named or []]
    if options:
        given = ", ".join(f'"{name}": {code}' for name, code in options)
        entries.insert(0, f'"default": {{{given}}}')
    if not entries:
        return f"init_redis({url})"
    return f"init_redis({url}, clients={{{', '.join(entries)}}})"


def _wire_app(plans: dict[str, FilePlan], wiring: WiringFacts, app: AppLifespan,
              init_takes_url: bool, takes_options: bool,
              takes_credentials: bool) -> list[str]:
    """An app made with no hook gets `lifespan=` (see `WireAppLifespan`)."""
    plan = plans.get(app.path)
    if plan is None:
        module, is_package = module_name(app.path)
        plan = plans[app.path] = FilePlan(
            app.path, module, module if is_package else module.rpartition(".")[0])
    options = _default_options(app.options if takes_options else None, app.credentials,
                               init_takes_url and takes_credentials)
    named = _named_entries(wiring, app.path) if init_takes_url else ([], ())
    call = init_call(app.url_code if init_takes_url else None, options, named[0])
    if init_takes_url:
        plan.wire_imports += [i for i in (*app.url_imports, *named[1])
                              if i not in plan.wire_imports]
    if options:
        plan.wire_imports += [i for i in app.options.imports if i not in plan.wire_imports]
    if app.beside:
        plan.wire_startup = (app.on_app, app.beside, call)
        plan.wire_close[app.beside] = "shutdown"
        return [f"{app.path}: the app's one hook is a shutdown hook, {app.beside}(): it gets "
                f"@{app.on_app}.on_event(\"startup\") beside it, which starts the shared client "
                f"({mask_secrets(f'await {call}')}), and {app.beside}() stops it "
                f"(await close_redis(), at its end)"]
    plan.wire_app = (app.listed, call)
    return [f"{app.path}: the app made at line {app.line} has no hook: it gets "
            f"lifespan={'[redis_lifespan]' if app.listed else 'redis_lifespan'}, which starts "
            f"the shared client ({mask_secrets(f'await {call}')}) and stops it "
            f"(await close_redis())"]


def anchor_site_pending(inventory: Inventory, anchor: LinkedSite, batch: str) -> bool:
    """Whether the batch moves the anchor client itself."""
    return any(s.file == anchor.path and s.line == anchor.loc.line and s.kind == "instantiation"
               and s.batch == batch and s.status == "pending" for s in inventory.sites)


def _plan_close(plan: FilePlan, linked: LinkedSite, inventory: Inventory) -> None:
    function = _relative(linked.function, plan.module)
    spellings = _spellings(linked, plan.module)
    if linked.receiver:
        spellings.add(linked.receiver)  # `app["redis"]`, `request.app.state.redis`
    if linked.in_lambda:
        plan.lambda_closes.setdefault(enclosing_def(function or ""), set()).update(spellings)
        return
    plan.closes.setdefault(function, set()).update(spellings)
    wiring = inventory.wiring
    if linked.hook in ("shutdown", "lifespan", "main") and wiring is not None \
            and not wiring.closed and (wiring.wired or wiring.anchor is not None):
        plan.replaced_closes.add(function)  # where the app stops: the shared client's close


def _blocking_function(inventory: Inventory) -> str | None:
    """The team's own blocking accessor when it is not `get_redis(blocking=True)`."""
    lifecycle = inventory.lifecycle
    call = lifecycle.blocking_call() if lifecycle is not None else None
    return call[0] if call is not None and call[0] != "get_redis" else None


def _plan_instantiation(plan: FilePlan, linked: LinkedSite, accessor: Accessor,
                        imports: ImportIndex, plan_for: Callable[[str], FilePlan]) -> None:
    bound = linked.bound_to or ""
    if accessor.lazy:
        # held at import by an object that keeps it: the global stays, given the stand-in,
        # and everything that reads it keeps reading it; an importer that read it only to
        # close it (that close is close_redis() now) drops its import
        plan.calls[(linked.loc.line, linked.loc.col)] = accessor
        _drop_imports_elsewhere(plan, _reachable_as(linked), imports, plan_for)
        return
    for path, cls, name in linked.field_defaults:
        # `redis: Redis = make_client()` would call get_redis() as the class body runs, at
        # import: it is read at each construction instead
        holder = plan_for(path)
        holder.field_defaults.add((_relative(cls, holder.module) or cls, name))
    if linked.function is None:  # module-client or pool-client at module level
        name = bound[len(plan.module) + 1:] if bound.startswith(plan.module + ".") else bound
        plan.remove_names.add(name)
        keys = _reachable_as(linked)
        if linked.family == "client":
            for path, targets in imports.references(keys, plan.module).items():
                plan_for(path).references.update({t: accessor for t in targets})
            for path, cls, attribute in linked.init_attributes:
                # `self.client = client` in the __init__ of an object built at import:
                # get_redis() there would run before init_redis(); a property reads it later
                holder = plan_for(path)
                holder.attributes[(_relative(cls, holder.module) or cls, attribute)] = accessor
        else:  # a pool: the clients built on it move with it; its imports elsewhere go
            _drop_imports_elsewhere(plan, keys, imports, plan_for)
        return
    function = _relative(linked.function, plan.module) or ""
    if linked.rewrite == "instance-attribute" and not linked.on_class:
        class_path, _, attribute = _relative(bound, plan.module).rpartition(".")
        plan.attributes[(class_path, attribute)] = accessor
    elif linked.rewrite == "lazy-getter":
        global_name = bound.rpartition(".")[2]
        plan.getters[function] = (global_name, accessor)
    else:
        plan.calls[(linked.loc.line, linked.loc.col)] = accessor


def _reachable_as(linked: LinkedSite) -> set[str]:
    """Every name a module client or pool is reachable under: its own, and re-exports of it."""
    return {linked.bound_to or "", *(h for h in linked.holders if f".{LOCALS}." not in h)}


def _drop_imports_elsewhere(plan: FilePlan, keys: set[str], imports: ImportIndex,
                            plan_for: Callable[[str], FilePlan]) -> None:
    """Other files' imports of `keys` go where nothing reads them after the rewrite."""
    for path, targets in imports.references(keys, plan.module).items():
        if path != plan.path:
            plan_for(path).dropped_imports.update(targets)


def _plan_conversion(plan: FilePlan, linked: LinkedSite, library: str,
                     facts: dict[str, FileFacts], index: ModuleIndex, imports: ImportIndex,
                     plan_for: Callable[[str], FilePlan]) -> None:
    """aioredis calls on the moved client, wherever the analysis follows it.

    Every key the link found holding the client becomes a receiver in the file that spells it:
    locals of any function (`redis = await get_pool()`, aliases, `async with … as r`,
    parameters it is passed to), attributes of a class (`self.redis`), and the getters that
    return it (`(await get_pool()).set(…)`). A key that may also hold another client or object
    is left alone: converting its calls could break the other one.
    """
    plan.convert = library
    modules = {f.module: (path, f) for path, f in facts.items()}
    mixed = set(linked.mixed_holders) - {linked.bound_to}
    for key in linked.holders:
        owner = _owner(key, modules)
        if key in mixed or owner is None:
            continue
        path, file_facts = owner
        receiver = _receiver(key[len(file_facts.module) + 1:], file_facts)
        if receiver is not None:
            target = plan_for(path)
            target.convert = library
            target.convert_receivers.setdefault(receiver[0], set()).add(receiver[1])
        elif key.endswith(f".{RETURN}") and key.count(".") == file_facts.module.count(".") + 2:
            getter = key[: -len(RETURN) - 1]  # a module-level function returning the client
            for reader, names in imports.references({getter}, file_facts.module).items():
                target = plan_for(reader)
                target.convert = library
                target.convert_calls.update(names)
    if linked.function is None and linked.family == "client":  # a module client's importers
        keys = {linked.bound_to or "", *(h for h in linked.holders if f".{LOCALS}." not in h)}
        for path in imports.references(keys, plan.module):
            plan_for(path).convert = library
    if linked.rewrite == "lazy-getter" and linked.bound_to:
        if not _read_elsewhere(linked.bound_to, plan.path, facts, index):
            plan.released_globals.add(linked.bound_to.rpartition(".")[2])


def _owner(key: str, modules: dict[str, tuple[str, FileFacts]]) -> tuple[str, FileFacts] | None:
    """The analysed file whose module the key lives in (the longest module prefix)."""
    parts = key.split(".")
    for n in range(len(parts) - 1, 0, -1):
        found = modules.get(".".join(parts[:n]))
        if found is not None:
            return found
    return None


def _receiver(relative: str, file_facts: FileFacts) -> tuple[str, str] | None:
    """(function or class path, spelling) for a key relative to its module, if it has one.

    `f.<locals>.redis` -> ("f", "redis"); `f.<locals>.svc.redis` -> ("f", "svc.redis");
    `C.m.<locals>.r` -> ("C.m", "r"); `C.redis` (C a class) -> ("C", "self.redis").
    """
    cls, _, attribute = relative.rpartition(".")
    if cls and f"{file_facts.module}.{cls}" in file_facts.classes and "<" not in attribute:
        return cls, f"self.{attribute}"
    function, separator, name = relative.rpartition(f".{LOCALS}.")
    if separator and "<" not in name:
        return function, name
    return None


def _read_elsewhere(key: str, path: str, facts: dict[str, FileFacts],
                    index: ModuleIndex) -> bool:
    """Whether a file other than `path` may use the module global `key`.

    It may if it imports the name, or the module itself (`import app.legacy as legacy`: the
    facts do not record every `legacy._pool` read), or reads or assigns it in a way the facts
    record.
    """
    module = key.rpartition(".")[0]

    def names(key_: str) -> bool:
        canonical = index.canonical(key_)
        return canonical == key or canonical.startswith(key + ".")

    for other, file_facts in facts.items():
        if other == path:
            continue
        for _scope, _local, target in file_facts.imports:
            canonical = index.canonical(target)
            if canonical == module or module.startswith(canonical + "."):
                return True
        keys = [*(target for _scope, _local, target in file_facts.imports),
                *(k for edge in file_facts.edges for k in edge),
                *(use.key for use in file_facts.uses),
                *(escape.key for escape in file_facts.escapes),
                *(read for read, _loc in file_facts.import_time_reads)]
        if any(names(k) for k in keys):
            return True
    return False


@overload
def _relative(key: str, module: str) -> str: ...
@overload
def _relative(key: str | None, module: str) -> str | None: ...
def _relative(key: str | None, module: str) -> str | None:
    """`pkg.mod.C.m` -> `C.m` for a key inside `module`."""
    if key is None:
        return None
    return key[len(module) + 1:] if key.startswith(module + ".") else key


def _spellings(close: LinkedSite, module: str) -> set[str]:
    """How the closed receiver is written inside the function that closes it."""
    key = _relative(close.bound_to, module) or ""
    function = _relative(close.function, module)
    spellings = {key}
    if function and key.startswith(f"{function}.{LOCALS}."):
        spellings.add(key[len(function) + len(LOCALS) + 2:])
    if function and "." in function:
        class_path = function.rpartition(".")[0]
        if key.startswith(class_path + "."):
            spellings.add("self." + key[len(class_path) + 1:])
    return spellings

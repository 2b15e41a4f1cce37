"""The repo-wide link: join every file's facts and follow each client to where it is used.

Given the facts of all parsed files, it works out which keys may hold which client (through
assignments, imports under any alias, `import m` then `m.client`, attributes of instances, values
returned by getters, base classes), then lists every site with the operations done on the client
it creates, the close calls made on it, and the module-level objects whose class owns one.
"""

from __future__ import annotations

import builtins
import sys
from collections import Counter, defaultdict, deque
from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Literal

from redis_migrate.analysis.consumers import consumer_of
from redis_migrate.analysis.facts import (
    ARGS,
    ENV_PREFIX,
    INJECTED,
    INSTANCE_PREFIX,
    LOCALS,
    RETURN,
    SHARED,
    SHARED_BLOCKING,
    SITE_PREFIX,
    FileFacts,
    InstanceFact,
    Location,
    SiteFact,
    site_atom,
)
from redis_migrate.analysis.frameworks import (
    FRAMEWORK_ATTRIBUTES,
    FRAMEWORK_CLASSES,
    FRAMEWORK_GLOBALS,
)
from redis_migrate.analysis.test_paths import is_test_path
from redis_migrate.model import Library, Scope, SiteKind
from redis_migrate.redis_api import (
    AIOREDIS1_API,
    ASYNC_WITH,
    BLOCKING_OPS,
    CLOSE_METHODS,
    LIBRARY_PREFIXES,
    POOL_CLOSE_METHODS,
)

_THIRD_PARTY_TOPS = frozenset({"redis", "aioredis"})
_IN_LOCALS = f".{LOCALS}."  # a def's locals lie below its key: `C.m.<locals>.x`
# Bases whose code the analysis never reads and that many unrelated classes share (ABC, Generic,
# Protocol, Enum, Exception…): their attributes are passed down, never shared back (`_inherit`).
_LIBRARY_BASE_TOPS = frozenset(sys.stdlib_module_names) | {"typing_extensions"}
_BUILTIN_CLASSES = frozenset(name for name, value in vars(builtins).items()
                             if isinstance(value, type))


@dataclass(slots=True)
class Operation:
    """A command done on a client, where it was done."""

    method: str
    path: str
    loc: Location
    hint: bool
    in_async: bool = False
    block: str | None = None  # a blocking read's block time in seconds ("0" forever, "?")


@dataclass(slots=True)
class LinkedSite:
    """A site with everything the classifier needs; not yet given a purpose or a batch."""

    kind: SiteKind | Literal["hook"]  # hook: a wiring anchor (scan/wiring.py), never a site
    path: str
    loc: Location
    pattern: str
    library: Library | Literal[""]  # "": a wiring anchor's
    scope: Scope  # module | class | function (never test: classify decides that)
    rewrite: str
    snippet: str
    atom: str | None = None  # for instantiations: the atom of the client/pool created
    origins: tuple[str, ...] = ()  # for close/owner sites: the atoms of the clients concerned
    shared: bool = False  # a close of the lifecycle module's shared client
    operations: list[Operation] = field(default_factory=list)
    escapes: list[str] = field(default_factory=list)
    # where it is passed without the analysis following it: the argument keys (`Binance.<args>.
    # redis`), whose callee's file the inventory then reads too
    escaped_into: list[str] = field(default_factory=list)
    holders: list[str] = field(default_factory=list)
    # holders that may also hold another client, pool or object (a helper called with both)
    mixed_holders: list[str] = field(default_factory=list)
    url: str | None = None
    keywords: tuple[str, ...] = ()
    clients_of_pool: tuple[str, ...] = ()  # for pools: the client atoms built on it
    in_async_function: bool = False
    family: str = "client"
    base: str | None = None  # the redis-py class a family "subclass" client derives from
    holder: str = "expression"  # global | member | local | return | with | argument | …
    function: str | None = None  # the def the site is in
    bound_to: str | None = None  # the key it is first assigned to (canonical)
    url_key: str | None = None  # canonical key of its URL argument
    # the parameter the URL came through (`make_pool.<locals>.url`), when url_key is what the
    # callers pass: the site spells the parameter's name, which is no URL outside its def
    url_parameter: str | None = None
    options: tuple[tuple[str, str], ...] = ()
    option_keys: tuple[tuple[str, str], ...] = ()  # (option, canonical key): `db=settings.DB`
    import_time_uses: list[str] = field(default_factory=list)  # "path:line" used at import
    # "path:line: kept by X()": handed at import to an object that only keeps it (a known
    # consumer with `keeps`, a class of the app), or read there into a name: lazy_redis() may
    # stand in for it, unless something uses it as the object is built (`built_with_use`)
    import_time_holds: list[str] = field(default_factory=list)
    built_with_use: list[str] = field(default_factory=list)  # "path:line" in an __init__
    # where code replaces the module global that holds it by name, and the name it spells:
    # ("path:line", "app.cache.client") for `mock.patch("app.cache.client")`, which fails once
    # the rewrite removes the global
    patched_by_name: list[tuple[str, str]] = field(default_factory=list)
    # dataclass fields whose default is made from it (path, class, field): each becomes a
    # `default_factory` when the site moves (see FileFacts.field_defaults)
    field_defaults: list[tuple[str, str, str]] = field(default_factory=list)
    # attributes a class built at import sets to it in `__init__` (path, class, attribute):
    # each becomes a property returning the accessor, read when used (a module client only)
    init_attributes: list[tuple[str, str, str]] = field(default_factory=list)
    # held in an attribute a classmethod reads or sets on the class (`cls._instance`)
    on_class: bool = False
    hook: str | None = None  # the kind of app hook its function is (startup, lifespan, main…)
    at_start: bool = False  # its def runs as the app starts (a startup hook, or one it calls)
    url_code: str | None = None  # the URL argument's source, unmasked (never printed)
    receiver: str | None = None  # for a close: the closed expression as source
    in_lambda: bool = False  # for a close: made in a lambda's body
    returned_to: list[str] = field(default_factory=list)  # keys that hold what its def returns
    # its def is a module-level provider (it yields the client) that nothing in the
    # repository imports, calls or passes on (a dependency no route uses): the client goes
    # nowhere. A factory that returns it may be called from outside: that stays in doubt.
    def_unreferenced: bool = False
    consumers: list[str] = field(default_factory=list)  # known libraries it is handed to


def follow_reexports(key: str, target_of: Callable[[str], str | None]) -> str:
    """`key` with its longest prefix that `target_of` names as a re-export (`core.settings`
    -> `core.config.settings`) replaced by what it re-exports, again until none is: a chain of
    re-exports, bounded so that a cycle ends.

    A target below its own prefix is not followed: `from linkly.settings import settings` in
    `linkly/__init__.py` binds `linkly.settings` to `linkly.settings.settings`, but a key
    under `linkly.settings` names that module's globals, and following it would only grow
    the key (`linkly.settings.settings.settings…`)."""
    for _ in range(8):
        parts = key.split(".")
        for n in range(len(parts), 1, -1):
            prefix = ".".join(parts[:n])
            target = target_of(prefix)
            if target is not None and not target.startswith(f"{prefix}."):
                key = ".".join([target, *parts[n:]])
                break
        else:
            return key
    return key


class ModuleIndex:
    """Maps module names as imports spell them onto the modules found on disk.

    A repository may hold its import root below the top (`src/app/…`, `examples/x/backend/…`):
    `backend.services.cache` then names the file module `examples.x.backend.services.cache`.
    A dotted prefix that is not a module itself but is the suffix of exactly one is mapped to it.
    """

    def __init__(self, modules: Iterable[str]) -> None:
        self.full = set(modules)
        self.by_suffix: dict[str, set[str]] = defaultdict(set)
        for module in self.full:
            parts = module.split(".")
            for start in range(1, len(parts)):
                self.by_suffix[".".join(parts[start:])].add(module)
        self._cache: dict[str, str] = {}
        self.reexports: dict[str, str] = {}  # `core.get_redis` -> `core.redis.get_redis`

    @classmethod
    def of(cls, files: Iterable[FileFacts]) -> ModuleIndex:
        """The index of the analysed files, seeing through the re-exports of their defs and
        classes: `from .redis import get_redis` in `core/__init__.py` makes `core.get_redis`
        (and `Depends(get_redis)` after `from core import get_redis`) name the def itself."""
        files = list(files)
        index = cls(f.module for f in files)
        defined = {d for f in files for d in (*f.defs, *f.classes, *f.dependency_aliases)}
        for facts in files:
            for scope, local, target in facts.imports:
                name = f"{facts.module}.{local}"
                # a name that is also a module (`from .lifespan import lifespan` in a
                # package) keeps naming the module: its keys are the module's
                if scope == facts.module and name not in defined and name not in index.full:
                    resolved = index.canonical(target)
                    if resolved in defined and resolved != name:
                        index.reexports[name] = resolved
        index._cache.clear()
        return index

    def canonical(self, key: str) -> str:
        """`key` with its module part replaced by the module on disk it names."""
        cached = self._cache.get(key)
        if cached is not None:
            return cached
        if key.startswith(INSTANCE_PREFIX):
            result = INSTANCE_PREFIX + self.canonical(key[len(INSTANCE_PREFIX):])
        elif key.startswith((SITE_PREFIX, ENV_PREFIX)) or key in (SHARED, SHARED_BLOCKING):
            result = key
        else:
            result = self._canonical_name(key)
            if self.reexports:
                result = follow_reexports(result, self.reexports.get)
        self._cache[key] = result
        return result

    def _canonical_name(self, key: str) -> str:
        parts = key.split(".")
        for n in range(len(parts), 0, -1):
            prefix = ".".join(parts[:n])
            if prefix in self.full:
                return key
            candidates = self.by_suffix.get(prefix)
            if candidates and len(candidates) == 1 and (n > 1 or prefix not in _THIRD_PARTY_TOPS):
                return next(iter(candidates)) + key[len(prefix):]
        return key


class ImportIndex:
    """Every file's imports, resolved once: which files reach a key, and under which names.

    Built from the files' facts and the module index, so the planner asks it per client instead
    of resolving every import of every file again for each one.
    """

    def __init__(self, facts: dict[str, FileFacts], index: ModuleIndex) -> None:
        self._order = list(facts)
        self._by_module: dict[str, list[str]] = defaultdict(list)  # module -> its files
        # canonical target -> (file, the target as that file imports it)
        self._by_target: dict[str, list[tuple[str, str]]] = defaultdict(list)
        for path, file_facts in facts.items():
            self._by_module[file_facts.module].append(path)
            for _scope, _local, target in file_facts.imports:
                self._by_target[index.canonical(target)].append((path, target))

    def references(self, keys: Iterable[str], defining_module: str) -> dict[str, set[str]]:
        """Per file (in the facts' order), the absolute names under which it can reach one of
        `keys`: the key itself in its defining module and in the modules it lies under, and
        through each import of the key or of a module above it, the imported name followed by
        the rest of the key (`from app import cache` reaches `app.cache.client`)."""
        found: dict[str, set[str]] = defaultdict(set)
        for key in keys:
            for path in self._by_module.get(defining_module, ()):
                found[path].add(key)
            parts = key.split(".")
            for n in range(1, len(parts) + 1):
                prefix = ".".join(parts[:n])
                if n < len(parts):  # a module the key lies under names it in full
                    for path in self._by_module.get(prefix, ()):
                        found[path].add(key)
                for path, target in self._by_target.get(prefix, ()):
                    found[path].add(target + key[len(prefix):])
        return {path: found[path] for path in self._order if found.get(path)}


def library_of(callee: str, aioredis1_file: bool) -> Library:
    """The library family a constructor's qualified name belongs to."""
    for prefix, family in LIBRARY_PREFIXES:
        if callee.startswith(prefix):
            if family == "aioredis":
                last = callee.rsplit(".", 1)[1]
                return "aioredis1" if aioredis1_file or last in AIOREDIS1_API else "aioredis2"
            return "redis-asyncio" if family == "redis-asyncio" else "redis-sync"
    return "redis-sync"


def _scope_and_rewrite(site: SiteFact) -> tuple[Scope, str]:
    in_function = site.function is not None
    if site.family == "pool" or site.pool_keys:
        held: dict[str, Scope] = {"global": "module", "member": "class"}
        return held.get(site.holder, "function" if in_function else "module"), "pool-client"
    if site.holder == "global":
        return "module", "lazy-getter" if in_function else "module-client"
    if site.holder == "member":
        return "class", "instance-attribute"
    if in_function:
        return "function", "function-local"
    return "module", "module-client"


class _Graph:
    """Which keys may hold which atoms: a flow-insensitive points-to closure.

    The closure is computed by one worklist (`close`): every rule fires once for each new fact
    (a key, an atom a key holds, a copy edge), so its cost is the size of the result, not the
    number of rounds times the size of the graph. Keys aliased to each other (an instance's
    attribute and its class's) hold the same atoms: they share one set, so a class whose
    hundred subclasses all keep `self.parent` costs one set, not a hundred.
    """

    def __init__(self, index: ModuleIndex) -> None:
        self.index = index
        self.flows: dict[str, set[str]] = defaultdict(set)  # key -> keys that copy it
        self.holds: dict[str, set[str]] = defaultdict(set)  # aliased keys: one set object
        self.keys: set[str] = set()
        self.classes: dict[str, tuple[str, ...]] = {}
        # (argument key, parameter key) of every def, bound once a caller passes something
        self.parameters: dict[str, set[str]] = defaultdict(set)
        self.bound_arguments: set[str] = set()
        # while closing: the keys below each dotted prefix, and the facts the rules must see
        self._closing = False
        self._below: dict[str, list[str]] = defaultdict(list)
        self._new_keys: list[str] = []
        # atoms new to a key (to all the keys aliased to it) that the rules have not seen yet,
        # gathered so that each key's edges are walked once for many atoms
        self._new_atoms: dict[str, set[str]] = {}
        self._pending: deque[str] = deque()
        self._joined: list[tuple[list[str], set[str]]] = []  # keys that joined a group
        self._named: frozenset[str] = frozenset()
        self._alias_of: dict[str, str] = {}  # key -> the first key of its aliased keys
        self._aliased: dict[str, list[str]] = {}  # that first key -> all of them
        # after the closure, the sets are read only: what each set holds of the sites
        self._sites_in: dict[int, tuple[set[str], Collection[str], list[str]]] = {}

    def touch(self, key: str) -> str:
        key = self.index.canonical(key)
        self._enter(key)
        return key

    def _enter(self, key: str) -> None:
        if key not in self.keys:
            self.keys.add(key)
            if self._closing:
                self._new_keys.append(key)

    def add(self, key: str, value: str) -> None:
        """`key` may hold `value` (an atom, or whatever the key `value` holds)."""
        self._add(self.index.canonical(key), self.index.canonical(value))

    def _add(self, key: str, value: str) -> None:
        """`add` for a key and a value already canonical (canonical names are fixed points)."""
        self._enter(key)
        if _is_atom(value):
            held = self.holds[key]
            if value not in held:
                held.add(value)
                if self._closing:
                    self._changed(key, {value})
            return
        self._enter(value)
        copies = self.flows[value]
        if key not in copies:
            copies.add(key)
            if self._closing and self.holds.get(value):
                self._give(key, self.holds[value])

    def _give(self, key: str, atoms: set[str]) -> None:
        held = self.holds[key]
        missing = atoms - held
        if missing:
            held |= missing
            self._changed(key, missing)

    def _changed(self, key: str, atoms: set[str]) -> None:
        """`atoms` (a set of the caller's, now the graph's) are new to `key`'s set."""
        group = self._alias_of.get(key, key)
        pending = self._new_atoms.get(group)
        if pending is None:
            self._new_atoms[group] = atoms
            self._pending.append(group)
        else:
            pending |= atoms

    def _unite(self, one: str, other: str) -> None:
        """Aliased keys hold the same atoms: one set for both groups, the smaller joining the
        larger; what is new to either is given to the rules for all (seeing an atom twice
        changes nothing)."""
        a, b = self._alias_of.get(one, one), self._alias_of.get(other, other)
        if a == b:
            return
        group_a, group_b = self._aliased.get(a, [a]), self._aliased.get(b, [b])
        if len(group_a) < len(group_b):
            a, b, group_a, group_b = b, a, group_b, group_a
        held_a, held_b = self.holds[a], self.holds[b]
        new_to_a = held_b - held_a
        new_to_b = (held_a - held_b) | self._new_atoms.pop(b, set())
        held_a |= held_b
        group_a.extend(group_b)
        self._aliased[a] = group_a
        self._aliased.pop(b, None)
        self._alias_of[a] = a
        for key in group_b:
            self._alias_of[key] = a
            self.holds[key] = held_a
        if new_to_b:  # for the keys of the smaller group only
            self._joined.append((group_b, new_to_b))
        if new_to_a:
            self._changed(a, new_to_a)

    def close(self) -> None:
        """Propagate atoms to a fixpoint, expanding attribute access on instances as it goes.

        Rules: a key holds what the keys it copies hold; `k.rest` for a key k holding
        instance:C is `C.rest` (unless it is C's own key); `C.rest` shares `Base.rest`; a def's
        parameter holds what its callers pass, once the argument key is in use.
        """
        self._closing = True
        self._named = frozenset(self.keys)  # the keys the code itself names
        for key in self.keys:
            self._index(key)
        for key, atoms in list(self.holds.items()):
            if atoms:
                self._changed(key, set(atoms))
        for cls in self.classes:
            for sub in list(self._below.get(cls, ())):
                self._inherit(cls, sub)
        for argument in [a for a in self.parameters if a in self.keys]:
            self._bind(argument)
        while self._new_keys or self._pending or self._joined:
            while self._new_keys:
                self._key_rules(self._new_keys.pop())
            if self._joined:
                self._atom_rules(*self._joined.pop())
            elif self._pending:
                group = self._pending.popleft()
                atoms = self._new_atoms.pop(group, set())
                if atoms:  # none: it joined another group, which took its atoms
                    self._atom_rules(self._aliased.get(group, [group]), atoms)
        self._closing = False

    def _index(self, key: str) -> None:
        at = key.find(".")
        while at != -1:
            self._below[key[:at]].append(key)
            at = key.find(".", at + 1)

    def _key_rules(self, key: str) -> None:
        """A key that came into use: the rules of the prefixes above it, and its callees."""
        self._index(key)
        at = key.find(".")
        while at != -1:
            prefix = key[:at]
            for atom in list(self.holds.get(prefix, ())):
                if atom.startswith(INSTANCE_PREFIX):
                    self._expand(prefix, atom[len(INSTANCE_PREFIX):], key)
            if prefix in self.classes:
                self._inherit(prefix, key)
            at = key.find(".", at + 1)
        if key in self.parameters:
            self._bind(key)

    def _atom_rules(self, keys: list[str], atoms: set[str]) -> None:
        """Atoms new to `keys` (aliased keys): to the keys that copy them; an instance's
        attributes below them."""
        classes: list[str] | None = None
        for i in range(len(keys)):  # keys joining meanwhile bring their own atoms
            key = keys[i]
            held = self.holds.get(key)
            for target in self.flows.get(key, ()):  # giving adds no copy edge
                if held is None or self.holds.get(target) is not held:  # not aliased to it
                    self._give(target, atoms)
            below = self._below.get(key)
            if below:
                if classes is None:
                    classes = [a[len(INSTANCE_PREFIX):] for a in atoms
                               if a.startswith(INSTANCE_PREFIX)]
                count = len(below)  # keys added meanwhile see these atoms when they come
                for cls in classes:
                    for j in range(count):
                        self._expand(key, cls, below[j])

    def _expand(self, key: str, cls: str, sub: str) -> None:
        """`sub` (below `key`, which holds instance:cls) is the attribute of cls it names."""
        if sub.startswith(cls + "."):
            # `app.settings` names both a module and, through a package re-export, the
            # instance of a class defined in it: the class's own keys are not attributes of
            # the instance (aliasing them grows C.C.C… forever)
            return
        self._alias(sub, cls + sub[len(key):])

    def _inherit(self, cls: str, sub: str) -> None:
        """`cls.rest` shares `Base.rest` for each base of cls: what the base's code keeps on
        `self` is what the subclass's reads, and the other way round.

        What the base's code does not name only flows down, from the base to the subclass;
        sharing it back would make one object of all the subclasses (every `self.peer` of a
        package's hundred node classes, every attribute of two classes with a common library
        base) and the closure would grow with their square. So flow down only: what calling
        the base makes (`Base.<return>`: a subclass instance is one of the base, an app
        class's subclass is the app, but calling the base makes no subclass instance); the
        attributes of a library base (ABC, Generic, Protocol, Enum, Exception…), whose code
        the analysis never reads; and the attributes of a base of the target that no code
        names (`Base.peer` when only the subclasses set `self.peer`). A base the analysis has
        not read (its file was not parsed) shares everything: its code may use it.
        """
        rest = sub[len(cls):]
        if _IN_LOCALS in rest:
            # `C.m.<locals>.x` is what C's own `m` keeps in a local: the base's `m`, if it
            # has one, is another def with its own locals (what a call passes goes through
            # `m.<args>`, shared). Aliasing them made every mixin of a class hold the locals
            # of every method of the class (45,000 keys of the 76,000 the closure made on a
            # site-packages holding the redis package).
            return
        for base in self.classes[cls]:
            target = self.index.canonical(base + rest)
            if (rest == f".{RETURN}"
                    or (base in self.classes and target not in self._named)
                    or (base not in self.classes and _library_base(base))):
                self._add(sub, target)
            else:
                self._alias(sub, target)

    def _bind(self, argument: str) -> None:
        """A def's parameter holds what its callers pass; only argument keys in use are bound."""
        for parameter in self.parameters.pop(argument):
            self.add(parameter, argument)
        self.bound_arguments.add(argument)

    def sites_in(self, atoms: set[str], sites: Collection[str]) -> list[str]:
        """The atoms of `atoms` (one of `holds`' sets) that are in `sites`; a set shared by
        many aliased keys is looked through once."""
        found = self._sites_in.get(id(atoms))
        if found is None or found[0] is not atoms or found[1] is not sites:
            found = (atoms, sites, [atom for atom in atoms if atom in sites])
            self._sites_in[id(atoms)] = found
        return found[2]

    def followed(self, argument: str) -> bool:
        """Whether a def takes what is passed as `argument` (directly, or via an instance)."""
        argument = self.index.canonical(argument)
        return argument in self.bound_arguments or any(
            key in self.bound_arguments for key in self.flows.get(argument, ()))

    def _alias(self, key: str, target: str) -> None:
        """`key` (a key in use) and `target` are one place: `obj.client = c` elsewhere is
        `Cache.client`, and `request.app.state.redis` is the app's `state.redis`."""
        target = self.index.canonical(target)
        if _is_atom(target):  # not a place: `key` holds it
            self._add(key, target)
            return
        self._enter(target)
        self._unite(key, target)
        self.flows[target].add(key)
        self.flows[key].add(target)


def _library_base(base: str) -> bool:
    """A class of the standard library (or of typing_extensions) or a builtin."""
    top, dot, _ = base.partition(".")
    return top in _LIBRARY_BASE_TOPS if dot else base in _BUILTIN_CLASSES


def _is_atom(value: str) -> bool:
    return value.startswith((SITE_PREFIX, INSTANCE_PREFIX)) or value in (SHARED, SHARED_BLOCKING)


def link(files: list[FileFacts]) -> list[LinkedSite]:
    """Follow every client through all files; return the sites, in file and line order."""
    index = ModuleIndex.of(files)
    graph, site_facts = _build_graph(files, index)
    sites = _instantiation_sites(site_facts, index)
    _parameter_sources(sites.values(), graph,
                       {k: v for f in files for k, v in f.url_constants.items()})
    _attach_holders(sites, graph)
    _attach_returns(files, sites, graph)
    _attach_pools(sites, site_facts, graph)
    closes = _attach_uses(files, sites, site_facts, graph)
    hooks = app_hooks(files, index)
    started = started_defs(files, index, hooks)
    for site in [*sites.values(), *closes]:
        site.hook = hooks.get(site.function or "")
        site.at_start = site.function in started
        if site.rewrite == "lazy-getter" and site.hook in ("startup", "lifespan", "main"):
            # `global client; client = Redis(...)` in a startup hook is no getter: the global
            # stays and is given get_redis() there (the holder stays, as for app.state)
            site.rewrite = "function-local"
    _attach_escapes(files, sites, graph)
    _attach_import_time_reads(files, sites, graph)
    _attach_class_attributes(files, sites)
    _attach_patches(files, sites, graph)
    owners = _owner_singletons(files, sites, graph)
    result = [*sites.values(), *closes, *owners]
    result.sort(key=lambda s: (s.path, s.loc.line, s.loc.col, s.kind))
    return result


def _build_graph(files: list[FileFacts], index: ModuleIndex,
                 ) -> tuple[_Graph, dict[str, tuple[FileFacts, SiteFact]]]:
    """The flow graph of every file's edges, closed; and each site's atom -> its facts."""
    graph = _Graph(index)
    for atom in (SHARED, SHARED_BLOCKING):  # `get_redis().aclose()` uses the atom directly
        graph.add(atom, atom)
    # framework objects: `FastAPI()` is the app, `request.app` too, `current_app` as well
    for cls, pseudo in FRAMEWORK_CLASSES.items():
        graph.add(f"{cls}.{RETURN}", INSTANCE_PREFIX + pseudo)
    for key, pseudo in (*FRAMEWORK_ATTRIBUTES.items(), *FRAMEWORK_GLOBALS.items()):
        graph.add(key, INSTANCE_PREFIX + pseudo)
    site_facts: dict[str, tuple[FileFacts, SiteFact]] = {}
    for facts in files:
        for site in facts.sites:
            atom = site_atom(facts.path, site.index)
            site_facts[atom] = (facts, site)
            graph.add(atom, atom)
        _add_file_edges(graph, facts, index)
    _constructor_parameters(graph)
    graph.close()
    return graph, site_facts


def _add_file_edges(graph: _Graph, facts: FileFacts, index: ModuleIndex) -> None:
    """One file's assignments, classes, uses, escapes and call arguments, into the graph."""
    for key, value in facts.edges:
        graph.add(key, value)
    for cls, bases in facts.classes.items():
        cls = graph.touch(cls)
        graph.classes[cls] = tuple(index.canonical(b) for b in bases)
        graph.add(f"{cls}.{RETURN}", INSTANCE_PREFIX + cls)
    for use in facts.uses:
        graph.touch(use.key)
    for escape in facts.escapes:
        graph.touch(escape.key)
        for argument in escape.into:
            graph.add(argument, escape.key)
    for argument, parameter in facts.parameters:
        graph.parameters[index.canonical(argument)].add(parameter)


def _instantiation_sites(site_facts: dict[str, tuple[FileFacts, SiteFact]],
                         index: ModuleIndex) -> dict[str, LinkedSite]:
    """One instantiation site per constructor call found, keyed by its atom."""
    sites: dict[str, LinkedSite] = {}
    for atom, (facts, fact) in site_facts.items():
        scope, rewrite = _scope_and_rewrite(fact)
        sites[atom] = LinkedSite(
            kind="instantiation", path=facts.path, loc=fact.loc, pattern=fact.callee,
            library=library_of(fact.base or fact.callee, facts.aioredis1), scope=scope,
            rewrite=rewrite,
            snippet=fact.snippet, atom=atom, url=fact.url, keywords=fact.keywords,
            in_async_function=fact.in_async_function, family=fact.family, holder=fact.holder,
            function=index.canonical(fact.function) if fact.function else None,
            bound_to=index.canonical(fact.bound_to) if fact.bound_to else None,
            url_key=index.canonical(fact.url_key) if fact.url_key else None,
            options=fact.options, url_code=fact.url_code, base=fact.base,
            option_keys=tuple((name, index.canonical(key)) for name, key in fact.option_keys))
    return sites


def _attach_holders(sites: dict[str, LinkedSite], graph: _Graph) -> None:
    """Each site's holders: the keys that may hold its client (and those holding others too)."""
    holders: dict[str, list[str]] = defaultdict(list)
    for key, atoms in graph.holds.items():
        for atom in graph.sites_in(atoms, sites):
            if key != atom and not key.endswith(f".{INJECTED}"):  # a type alias holds nothing
                holders[atom].append(key)
    for atom, keys in holders.items():
        sites[atom].holders = sorted(keys)
        sites[atom].mixed_holders = sorted(k for k in keys if any(
            other not in (atom, SHARED, SHARED_BLOCKING) for other in graph.holds[k]))


def _attach_returns(files: list[FileFacts], sites: dict[str, LinkedSite],
                    graph: _Graph) -> None:
    """Refine each site's holder; a client a def returns goes to the keys its callers keep."""
    # `make_client().incr(k)`: a caller that uses what a def returns without keeping it
    used_directly = {graph.index.canonical(u.key) for f in files for u in f.uses}
    referenced: set[str] | None = None
    for site in sites.values():
        _refine_holder(site, graph)
        if not site.function:
            continue
        returned = f"{site.function}.{RETURN}"
        kept = sorted({*graph.flows.get(returned, ()), *({returned} & used_directly)})
        if site.holder in ("return", "yield"):
            site.returned_to = kept
        if (site.holder == "yield" or returned in site.holders) and not kept \
                and _module_provider(site.function, files):
            referenced = _referenced(files, graph) if referenced is None else referenced
            site.def_unreferenced = site.function not in referenced


def _module_provider(key: str, files: list[FileFacts]) -> bool:
    """Whether `key` is a def at the top level of a module (not a method, not nested) that
    yields (a dependency provider)."""
    module, _, _ = key.rpartition(".")
    return any(f.module == module and key in f.defs and key in f.providers for f in files)


def _referenced(files: list[FileFacts], graph: _Graph) -> set[str]:
    """Every def a file imports, calls or passes as a value (`Depends(f)`, `x = f`), and the
    keys those are read through (`f.<return>` counts for `f`)."""
    found: set[str] = set()
    for facts in files:
        found.update(graph.index.canonical(target) for _, _, target in facts.imports)
        found.update(graph.index.canonical(callee) for _, callee in facts.calls)
        found.update(graph.index.canonical(u.key) for u in facts.uses)
    for value in graph.flows:
        found.add(graph.index.canonical(value))
    # `f.<return>` kept or used by a caller is a reference to `f` (its own locals are not)
    suffix = f".{RETURN}"
    return found | {key[:-len(suffix)] for key in found if key.endswith(suffix)}


def _attach_class_attributes(files: list[FileFacts], sites: dict[str, LinkedSite]) -> None:
    """A client held in `Class.attr` that a classmethod reads or sets through `cls`: on the
    class itself, where a property (what the rewrite makes of `self.attr`) is not read."""
    keys = {key for facts in files for key in facts.class_attributes}
    if not keys:
        return
    for site in sites.values():
        if site.holder == "member" and (site.bound_to in keys or keys & set(site.holders)):
            site.on_class = True


def _attach_import_time_reads(files: list[FileFacts], sites: dict[str, LinkedSite],
                              graph: _Graph) -> None:
    """A client read at import (`alias = client`) cannot become get_redis(). A dataclass
    field default made from it is read at each construction once it is a default_factory,
    and what an `__init__` stores on self at each construction: at import only where the
    class is built at import."""
    by_class, stored = _read_at_construction(files, sites, graph)
    _attach_import_time_args(files, sites, graph)
    suffix = f".{RETURN}"
    for facts in files:
        for key, loc in facts.import_time_reads:
            built = graph.index.canonical(key[:-len(suffix)]) if key.endswith(suffix) else ""
            constructed = _with_bases(built, graph.classes) if built else []
            if not built and not graph.sites_in(_atoms(graph, key), sites):
                # `pool = client.connection_pool`, `get = client.get`: an attribute of the
                # client read as the module loads, which no stand-in can answer then
                _used_at_import(key.rpartition(".")[0], f"{facts.path}:{loc.line}", sites,
                                graph)
                continue
            for read in (key, *(k for cls in constructed for k in by_class.get(cls, ()))):
                lazy = next(((cls, *stored[(cls, read)]) for cls in constructed
                             if (cls, read) in stored), None)
                for atom in graph.sites_in(_atoms(graph, read), sites):
                    if atom not in sites:
                        continue
                    site = sites[atom]
                    if lazy is not None and _module_global(site, read, graph):
                        cls, path, attribute = lazy
                        if (path, cls, attribute) not in site.init_attributes:
                            site.init_attributes.append((path, cls, attribute))
                    else:
                        # read at construction: say which object holds it, the line alone
                        # shows only `cache = Cacher()`
                        via = "" if read == key else f": {built.rpartition('.')[2]}() is " \
                                                     f"built with it"
                        # a read into a name or an object of the app: nothing is sent yet
                        site.import_time_holds.append(f"{facts.path}:{loc.line}{via}")


def _attach_import_time_args(files: list[FileFacts], sites: dict[str, LinkedSite],
                             graph: _Graph) -> None:
    """A client handed to a call made at import is held there when the callee only keeps it
    (`_keeper`), and used there otherwise."""
    for facts in files:
        for key, loc, into in facts.import_time_args:
            keeper = _keeper(into, graph)
            where = f"{facts.path}:{loc.line}"
            if keeper is None:
                _used_at_import(key, where, sites, graph)
                continue
            for atom in graph.sites_in(_atoms(graph, key), sites):
                if atom in sites and sites[atom].library != "redis-sync":
                    sites[atom].import_time_holds.append(f"{where}: kept by {keeper}")


def _used_at_import(key: str, where: str, sites: dict[str, LinkedSite], graph: _Graph) -> None:
    """The async clients `key` may hold are used as a module loads, at `where`."""
    for atom in graph.sites_in(_atoms(graph, key), sites):
        if atom in sites and sites[atom].library != "redis-sync":
            sites[atom].import_time_uses.append(where)


def _keeper(into: tuple[str, ...], graph: _Graph) -> str | None:
    """`RedisStorage()` when the callee an argument goes into only keeps it as it is built: a
    known consumer marked `keeps`, or a class of the app (whose `__init__` the link reads: a
    use there is `built_with_use`). None for any other callee."""
    for key in into:
        callee, _, _ = key.rpartition(f".{ARGS}.")
        consumer = consumer_of(key)
        if consumer.keeps if consumer is not None else \
                graph.index.canonical(callee) in graph.classes:
            return f"{callee.rpartition('.')[2]}()"
    return None


def _read_at_construction(files: list[FileFacts], sites: dict[str, LinkedSite], graph: _Graph,
                          ) -> tuple[dict[str, list[str]], dict[tuple[str, str], tuple[str, str]]]:
    """Per class, the value keys read each time it is built (its dataclass field defaults,
    what its `__init__` stores on self); and the module clients an `__init__` stores once,
    as a plain name, in an attribute nothing else in the class sets: (class, key) -> (path,
    attribute), which become properties rather than reads. Records each field default on
    the sites it holds."""
    by_class: dict[str, list[str]] = defaultdict(list)
    stored: dict[tuple[str, str], tuple[str, str]] = {}
    for facts in files:
        assigned = Counter(key for key, _ in facts.edges)
        for cls, attribute, key, plain in facts.init_reads:
            canonical = graph.index.canonical(cls)
            by_class[canonical].append(key)
            if plain and assigned[f"{cls}.{attribute}"] == 1:
                stored[(canonical, key)] = (facts.path, attribute)
        for cls, name, key, _loc in facts.field_defaults:
            by_class[graph.index.canonical(cls)].append(key)
            for atom in graph.sites_in(_atoms(graph, key), sites):
                if atom in sites:
                    sites[atom].field_defaults.append((facts.path, cls, name))
    return by_class, stored


def _module_global(site: LinkedSite, key: str, graph: _Graph) -> bool:
    """Whether `key` names the module global that holds `site` (or a re-export of it)."""
    if site.holder != "global" or site.function is not None or site.family != "client":
        return False
    canonical = graph.index.canonical(key)
    return canonical == site.bound_to or canonical in (graph.index.canonical(h)
                                                       for h in site.holders)


def _with_bases(cls: str, classes: dict[str, tuple[str, ...]]) -> list[str]:
    """`cls` and its bases the analysis knows, nearest first (a subclass built at import runs
    its base's `__init__`)."""
    found = [cls]
    for known in found:
        found += [b for b in classes.get(known, ()) if b not in found]
    return found


def _attach_patches(files: list[FileFacts], sites: dict[str, LinkedSite],
                    graph: _Graph) -> None:
    """A module global holding a client that code replaces by name: `mock.patch(
    "utils.redis.redis_client")` in a test fails once the rewrite removes the global."""
    for facts in files:
        for key, loc in facts.patched:
            canonical = graph.index.canonical(key)
            for atom in graph.sites_in(_atoms(graph, canonical), sites):
                site = sites[atom]
                if site.holder == "global" and canonical in (
                        graph.index.canonical(h) for h in site.holders):
                    site.patched_by_name.append((f"{facts.path}:{loc.line}", key))


def _parameter_sources(sites: Collection[LinkedSite], graph: _Graph,
                       constants: Mapping[str, str]) -> None:
    """A URL or option that is a parameter of the site's def stands for what its callers
    pass, when that is one key: `def make_pool(url, max_connection)` called only as
    `make_pool(settings.REDIS_URL, settings.REDIS_MAX)`, or `def connect(url=settings.URL)`
    called as `connect()` (the default). Two callers passing different keys, or a caller and
    the default, leave the parameter as it is. One pass over the graph for all such sites."""
    def local(key: str) -> bool:
        return f".{LOCALS}." in key or f".{ARGS}." in key

    wanted = {key for site in sites for key in (site.url_key, *dict(site.option_keys).values())
              if key and local(key)}
    if not wanted:
        return
    feeding = _feeding(graph, wanted)
    # a parameter is fed by the argument keys of its calls (`make_pool.<args>.0`), which are
    # fed by what each caller passes; a method's argument key (`Limiter.init.<args>.0`) is
    # one place with each caller's (`limiter.init.<args>.0`), which is fed by what it passes
    for _ in range(_ARGUMENT_HOPS):
        arguments = {value for values in feeding.values() for value in values
                     if f".{ARGS}." in value} - feeding.keys()
        if not arguments:
            break
        feeding.update(_feeding(graph, arguments))

    def passed(key: str, seen: set[str]) -> set[str]:
        found: set[str] = set()
        for value in feeding.get(key, ()):
            if f".{ARGS}." not in value:
                found.add(value)
            elif value not in seen:
                seen.add(value)
                found |= passed(value, seen)
        return found

    def resolved(key: str) -> str:
        found = passed(key, {key})
        only = next(iter(found)) if len(found) == 1 else None
        if only is None or local(only):
            return key
        # `def __init__(self, url=REDIS_URL)` with `REDIS_URL = os.environ.get(...)`: the key
        # `from_url(REDIS_URL)` gets in that module, not the global's name
        return constants.get(only, only)

    for site in sites:
        if site.url_key and local(site.url_key):
            parameter, site.url_key = site.url_key, resolved(site.url_key)
            if site.url_key != parameter:
                site.url_parameter = parameter
        site.option_keys = tuple((name, resolved(key) if local(key) else key)
                                 for name, key in site.option_keys)


_ARGUMENT_HOPS = 4  # a caller's argument key, a method's, an instance's: a few hops at most


def _feeding(graph: _Graph, keys: set[str]) -> dict[str, list[str]]:
    """Each of `keys` -> the keys and values it copies."""
    feeding: dict[str, list[str]] = defaultdict(list)
    for value, copies in graph.flows.items():
        for key in copies & keys:
            feeding[key].append(value)
    return feeding


def app_hooks(files: list[FileFacts], index: ModuleIndex | None = None) -> dict[str, str]:
    """Every function registered as an app hook -> its kind (startup, shutdown, lifespan,
    main); a function registered both ways is a lifespan."""
    # `ModuleIndex.of` sees through re-exports (`from .startup import on_startup`)
    index = index or ModuleIndex.of(files)
    defined = {name for f in files for name in f.defs}
    values: dict[str, list[str]] | None = None  # binding -> values, built when first needed
    found: dict[str, str] = {}
    called_at_import = {index.canonical(key) for f in files for key in f.calls_at_import}
    for facts in files:
        for hook in facts.hooks:
            if hook.kind == "main" and hook.run_by \
                    and index.canonical(hook.run_by) in called_at_import:
                continue  # `broker = setup_sync()` runs its asyncio.run() as modules load
            key = index.canonical(hook.function)
            if key in index.full:  # `from .lifespan import lifespan` in a package's __init__
                key = f"{key}.{key.rpartition('.')[2]}"
            keys = [key]
            if key not in defined:  # `lifespan = lifespan_factory(settings)`: the def it returns
                if values is None:
                    values = _bindings(files, index)
                # a parameter may get either of two (`lifespan or lifespan_factory(s)`): both
                keys = sorted(_returned_defs(key, values, defined, index)) or [key]
            for function in keys:
                kind = found.get(function)
                found[function] = hook.kind if kind in (None, hook.kind) else "lifespan"
    return _hook_helpers(files, index, found)


def _bindings(files: list[FileFacts], index: ModuleIndex) -> dict[str, list[str]]:
    """Binding -> the values it may hold: assignments, and the arguments a def's parameters
    receive (`create_app(lifespan)` -> `create_app.<locals>.lifespan_func`) outside test code
    (a test's `create_app(lifespan_test)` does not change the app's hook)."""
    values: dict[str, list[str]] = defaultdict(list)
    parameter_of: dict[str, list[str]] = defaultdict(list)
    for each in files:
        for target, value in each.edges:
            values[target].append(value)
        for argument, parameter in each.parameters:
            parameter_of[index.canonical(argument)].append(parameter)
    for each in files:
        if is_test_path(each.path):
            continue
        for escape in each.escapes:
            for slot in escape.into:
                for parameter in parameter_of.get(index.canonical(slot), ()):
                    values[parameter].append(escape.key)
    return values


def _returned_defs(key: str, values: Mapping[str, list[str]], defined: set[str],
                   index: ModuleIndex) -> set[str]:
    """The defs a name or a factory's return leads to (`create_app.<locals>.lifespan` ->
    `lifespan_factory.<return>` -> `lifespan_factory.<locals>.lifespan`)."""
    reached: set[str] = set()
    todo, seen = [key], {key}
    for _ in range(6):  # a few bindings deep: a local, a return, a re-export
        following = []
        for current in todo:
            for value in values.get(current, ()):
                value = index.canonical(value)
                if value in defined:
                    reached.add(value)
                elif value not in seen:
                    seen.add(value)
                    following.append(value)
        todo = following
    return reached


def _hook_helpers(files: list[FileFacts], index: ModuleIndex,
                  found: dict[str, str]) -> dict[str, str]:
    """The target's own defs a startup or shutdown hook calls run as that hook: `await
    on_start()` in a startup hook makes `on_start` a startup hook, so the client it creates is
    wired where it is made (and a worker that calls `on_start()` too is wired by the same
    edit). In a lifespan, a step of its own (`await create_cache()`, the result unused: not a
    getter whose client the lifespan keeps) is a startup hook before the yield and a shutdown
    hook after it. A def called from hooks of both kinds is left out."""
    return _called_by_hooks(files, index, found, depth=1, through_instances=False)


def started_defs(files: list[FileFacts], index: ModuleIndex,
                 hooks: dict[str, str]) -> set[str]:
    """The defs that run as the app starts: its startup hooks (`hooks`, `app_hooks`), and
    what they call a few calls deep, methods of module-level instances included
    (`rate_limiter.initialize(url)` in `create_rate_limit_pool()`, which the lifespan calls).
    Not anchors for the wiring (a method may run again later); what makes a URL one the app
    reads as it starts."""
    deeper = _called_by_hooks(files, index, hooks, depth=_HELPER_DEPTH, through_instances=True)
    return {key for key, kind in deeper.items() if kind in ("startup", "lifespan", "main")}


_HELPER_DEPTH = 3  # a hook's helper, the helper's, a method it calls


def _called_by_hooks(files: list[FileFacts], index: ModuleIndex, found: dict[str, str],
                     depth: int, through_instances: bool) -> dict[str, str]:
    """`found` (hooks by kind) and the target's defs its startup and shutdown hooks call,
    `depth` calls deep, each of the kind of the hooks calling it (none when both kinds do)."""
    defined = {name for f in files for name in f.defs}
    methods = _MethodsOfInstances(files, defined) if through_instances else None
    calls = [(index.canonical(caller), callee) for f in files for caller, callee in set(f.calls)]
    steps = [(index.canonical(caller), callee, "shutdown" if late else "startup")
             for f in files for caller, callee, late in set(f.steps)]
    hooks = dict(found)
    for _ in range(depth):
        helpers: dict[str, str] = {}
        made = [(callee, hooks.get(caller)) for caller, callee in calls]
        made += [(callee, kind) for caller, callee, kind in steps
                 if found.get(caller) == "lifespan"]
        for callee, kind in made:
            if kind not in ("startup", "shutdown"):
                continue
            key = index.canonical(callee)
            if key not in defined and methods is not None:
                key = methods.of(key) or key  # `limiter.init(url)`: `Limiter.init`
            if key in found or key not in defined:
                continue
            helpers[key] = kind if helpers.get(key, kind) == kind else "mixed"
        deeper = {k: kind for k, kind in helpers.items() if kind != "mixed"}
        if deeper.keys() <= hooks.keys() - found.keys():
            break
        hooks = {**found, **deeper}
    return hooks


class _MethodsOfInstances:
    """`limiter.init` -> `app.limits.Limiter.init` for a module-level `limiter = Limiter()`
    bound once, to an instance of a class of the target (read when first asked)."""

    def __init__(self, files: list[FileFacts], defined: set[str]) -> None:
        self.files, self.defined = files, defined
        self.classes: dict[str, str] | None = None  # module-level name -> its one class

    def of(self, key: str) -> str | None:
        owner, _, method = key.rpartition(".")
        if self.classes is None:
            self.classes = self._instances()
        cls = self.classes.get(owner)
        return f"{cls}.{method}" if cls is not None and f"{cls}.{method}" in self.defined \
            else None

    def _instances(self) -> dict[str, str]:
        bound: dict[str, list[str]] = defaultdict(list)
        for facts in self.files:
            globals_ = {f"{facts.module}.{name}" for name in facts.module_names}
            for target, value in facts.edges:
                if target in globals_:
                    bound[target].append(value)
        classes = {cls for facts in self.files for cls in facts.classes}
        suffix = f".{RETURN}"
        return {name: values[0].removesuffix(suffix) for name, values in bound.items()
                if len(values) == 1 and values[0].endswith(suffix)
                and values[0].removesuffix(suffix) in classes}


def _constructor_parameters(graph: _Graph) -> None:
    """`Service(client)` passes the client to `Service.__init__(self, client)`; `Binance(redis=
    r)` to the `__init__` of its base `Provider` when Binance has none of its own."""
    marker = f".__init__.{ARGS}."
    slots: dict[str, list[str]] = defaultdict(list)  # class -> its __init__'s argument slots
    for argument in list(graph.parameters):  # one look at each argument, not one per class
        at = argument.find(marker)
        while at != -1:
            cls = argument[:at]
            if cls in graph.classes:
                slot = argument[at + len(marker):]
                graph.parameters[f"{cls}.{ARGS}.{slot}"] |= graph.parameters[argument]
                slots[cls].append(slot)
            at = argument.find(marker, at + 1)
    for cls in graph.classes:
        if cls in slots:
            continue
        base = _inherited_init(cls, graph.classes, slots)
        for slot in slots.get(base or "", ()):
            graph.parameters[f"{cls}.{ARGS}.{slot}"] |= graph.parameters[f"{base}.{ARGS}.{slot}"]


def _inherited_init(cls: str, classes: dict[str, tuple[str, ...]],
                    slots: dict[str, list[str]]) -> str | None:
    """The base whose `__init__` a class without one runs: the first, depth first (Python's
    order for single inheritance and for the usual mixin-first classes)."""
    seen = {cls}
    todo = list(classes.get(cls, ()))
    while todo:
        base = todo.pop(0)
        if base in seen:
            continue
        seen.add(base)
        if base in slots:
            return base
        todo[:0] = classes.get(base, ())
    return None


def _refine_holder(site: LinkedSite, graph: _Graph) -> None:
    """An attribute set on an object that is the app (`app.state.redis` on an `app` imported
    from another module) is app state."""
    if site.holder != "attribute" or not site.bound_to:
        return
    owner = site.bound_to.rpartition(".")[0]
    if owner in graph.index.full and site.function is not None:
        # `cache.client = Redis(...)` where `cache` is a module of the target: the module's
        # global, set from elsewhere (a startup hook in `on.py` fills `redis.redis_client`)
        site.holder = "global"
        return
    parts = site.bound_to.split(".")
    for n in range(len(parts) - 1, 0, -1):
        prefix = ".".join(parts[:n])
        if any(a.startswith(INSTANCE_PREFIX + "@") for a in graph.holds.get(prefix, ())):
            site.holder = "app-state"
            return


def central_url_keys(files: list[FileFacts]) -> set[str]:
    """What the URLs passed to the lifecycle module's init_redis() resolve to ("" = default,
    or not known statically: an environment read, which settings may also make)."""
    index = ModuleIndex.of(files)
    return {index.canonical(k) if k and not k.startswith(ENV_PREFIX) else ""
            for f in files for k in f.central_urls}


def central_option_keys(files: list[FileFacts]) -> dict[str, str]:
    """The options `init_redis(clients={"default": {...}})` gives the shared client, by what
    they name (`db` -> `app.config.settings.REDIS_DB`); an option passed two ways is left out."""
    index = ModuleIndex.of(files)
    found: dict[str, set[str]] = {}
    for f in files:
        for name, key in f.central_options:
            found.setdefault(name, set()).add(index.canonical(key))
    return {name: keys.pop() for name, keys in found.items() if len(keys) == 1}


def _atoms(graph: _Graph, key: str) -> set[str]:
    return graph.holds.get(graph.index.canonical(key), set())


def _attach_pools(sites: dict[str, LinkedSite],
                  site_facts: dict[str, tuple[FileFacts, SiteFact]], graph: _Graph) -> None:
    built_on: dict[str, list[str]] = defaultdict(list)
    for atom, (_, fact) in site_facts.items():
        for key in fact.pool_keys:
            for pool in graph.sites_in(_atoms(graph, key), sites):
                if pool in sites:
                    built_on[pool].append(atom)
    for pool, clients in built_on.items():
        sites[pool].clients_of_pool = tuple(clients)


def _attach_uses(files: list[FileFacts], sites: dict[str, LinkedSite],
                 site_facts: dict[str, tuple[FileFacts, SiteFact]],
                 graph: _Graph) -> list[LinkedSite]:
    """Give each site its operations; return the close sites found on the way."""
    closes: dict[tuple[str, int, int], LinkedSite] = {}
    # `async with self._get_redis() as r:` on an @asynccontextmanager def exits the generator,
    # which closes the client only if its own code does (that close is a use of its own)
    managed = {graph.index.canonical(f"{q}.{RETURN}") for f in files for q in f.managed}
    for facts in files:
        for use in facts.uses:
            key, method = use.key, use.method
            if method == ASYNC_WITH and graph.index.canonical(key) in managed:
                continue
            via_pool_attribute = method == "disconnect" and key.endswith(".connection_pool")
            if via_pool_attribute:
                key = key[: -len(".connection_pool")]
            atoms = _atoms(graph, key)
            if not atoms:
                continue
            closed: list[str] = []
            # only the clients and the shared one matter: not the instances it may also be
            shared = [atom for atom in (SHARED, SHARED_BLOCKING) if atom in atoms]
            for atom in (*shared, *graph.sites_in(atoms, sites)):
                if atom in (SHARED, SHARED_BLOCKING):
                    if method in CLOSE_METHODS or method == ASYNC_WITH:
                        closed.append(atom)
                    continue
                site = sites.get(atom)
                if site is None:
                    continue
                is_pool = site_facts[atom][1].family == "pool"
                if (method in CLOSE_METHODS or method == ASYNC_WITH or via_pool_attribute
                        or (is_pool and method in POOL_CLOSE_METHODS)):
                    closed.append(atom)
                else:
                    site.operations.append(Operation(method, facts.path, use.loc, use.hint,
                                                     use.in_async, use.block))
                if use.function is None:
                    site.import_time_uses.append(f"{facts.path}:{use.loc.line}")
                elif use.function.endswith(".__init__") and method not in CLOSE_METHODS:
                    site.built_with_use.append(f"{facts.path}:{use.loc.line}")
            if closed:
                where = (facts.path, use.loc.line, use.loc.col)
                if where not in closes:
                    closes[where] = _close_site(facts.path, use.loc, method, via_pool_attribute,
                                                closed, sites)
                    closes[where].function = (graph.index.canonical(use.function)
                                              if use.function else None)
                    closes[where].bound_to = graph.index.canonical(key)
                    closes[where].receiver = use.receiver
                    closes[where].in_lambda = use.in_lambda
    return list(closes.values())


def _close_site(path: str, loc: Location, method: str, via_pool_attribute: bool,
                closed: list[str], sites: dict[str, LinkedSite]) -> LinkedSite:
    if method == ASYNC_WITH:
        pattern = "async with"
    elif via_pool_attribute:
        pattern = ".connection_pool.disconnect()"
    else:
        pattern = f".{method}()"
    origins = tuple(sorted(a for a in closed if a in sites))
    shared = any(a in (SHARED, SHARED_BLOCKING) for a in closed)
    library = sites[origins[0]].library if origins else "redis-asyncio"
    scope = sites[origins[0]].scope if origins else "function"
    return LinkedSite(kind="close", path=path, loc=loc, pattern=pattern, library=library,
                      scope=scope, rewrite="close-call", snippet=pattern, origins=origins,
                      shared=shared and not origins)


def _attach_escapes(files: list[FileFacts], sites: dict[str, LinkedSite],
                    graph: _Graph) -> None:
    for facts in files:
        for escape in facts.escapes:
            if any(graph.followed(a) for a in escape.into):
                continue  # passed to a def the analysis follows it into
            consumer = next((c for c in map(consumer_of, escape.into) if c), None)
            for atom in graph.sites_in(_atoms(graph, escape.key), sites):
                site = sites.get(atom)
                if site is not None and consumer is not None:
                    if escape.in_init and not consumer.keeps:
                        site.built_with_use.append(f"{facts.path}:{escape.loc.line}")
                    # a library known to keep it: its commands count as the site's own
                    for method in consumer.operations:
                        block = consumer.block_seconds if method in BLOCKING_OPS else None
                        site.operations.append(Operation(
                            method, facts.path, escape.loc, False, not consumer.sync,
                            None if block is None else str(block)))
                    note = f"{consumer.callable} at {facts.path}:{escape.loc.line}"
                    if note not in site.consumers:
                        site.consumers.append(note)
                elif site is not None:
                    note = f"passed to {escape.target} at {facts.path}:{escape.loc.line}"
                    if escape.target == "a container":
                        note = f"stored in a container at {facts.path}:{escape.loc.line}"
                    if note not in site.escapes:
                        site.escapes.append(note)
                    site.escaped_into.extend(k for k in escape.into
                                             if k not in site.escaped_into)


def _factory_calls(facts: FileFacts, instance: InstanceFact, sites: dict[str, LinkedSite],
                   graph: _Graph) -> list[LinkedSite]:
    """`_client = get_redis_client(...)` at module level: the app's own factory builds a
    client at import. One site per call, so that `check` names every module doing it."""
    made = sorted({a for v in instance.values if v.endswith(f".{RETURN}")
                   for a in _atoms(graph, v) if a in sites and sites[a].kind == "instantiation"})
    if not made:
        return []
    factory = next(v for v in instance.values if v.endswith(f".{RETURN}"))
    return [LinkedSite(
        kind="factory-call", path=facts.path, loc=instance.loc,
        pattern=factory[: -len(f".{RETURN}")], library=sites[made[0]].library, scope="module",
        rewrite="factory-call", snippet=instance.snippet, origins=tuple(made),
        holders=[graph.index.canonical(instance.target)])]


def _owner_singletons(files: list[FileFacts], sites: dict[str, LinkedSite],
                      graph: _Graph) -> list[LinkedSite]:
    """Module-level instances of classes that hold a client of their own (seed §4.4)."""
    owned: dict[str, set[str]] = defaultdict(set)  # class -> client atoms its attributes hold
    for key, atoms in graph.holds.items():
        cls, _, attribute = key.rpartition(".")
        if cls in graph.classes and attribute != RETURN:  # a direct attribute, not a local
            owned[cls].update(graph.sites_in(atoms, sites))
    result = []
    for facts in files:
        for instance in facts.instances:
            classes = {a[len(INSTANCE_PREFIX):] for v in instance.values
                       for a in _atoms(graph, v) if a.startswith(INSTANCE_PREFIX)}
            origins = sorted({a for cls in classes for a in owned.get(cls, ())})
            if not origins:
                result += _factory_calls(facts, instance, sites, graph)
                continue
            first = sites[origins[0]]
            result.append(LinkedSite(
                kind="owner-singleton", path=facts.path, loc=instance.loc,
                pattern=sorted(classes)[0], library=first.library, scope="module",
                rewrite="owner-singleton", snippet=instance.snippet, origins=tuple(origins),
                # the instance is what other modules import (`from m import cache`)
                holders=[graph.index.canonical(instance.target)]))
    return result

"""Expression evaluation for the extractor: what a name, attribute or call may stand for.

The statement walk lives in `extract.py`; this half resolves names through scopes, follows
attribute chains, records client-creating calls (sites), tracked method calls (uses) and values
handed to code the analysis does not follow (escapes).
"""

from __future__ import annotations

import ast
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from redis_migrate.analysis import scopes
from redis_migrate.analysis.facts import (
    ARGS,
    INSTANCE_PREFIX,
    LOCALS,
    RETURN,
    SHARED,
    SHARED_BLOCKING,
    EscapeFact,
    FileFacts,
    HookFact,
    Location,
    SiteFact,
    UseFact,
    site_atom,
)
from redis_migrate.analysis.frameworks import (
    ANNOTATED,
    ASYNC_APPS,
    CLOSING_WRAPPERS,
    DEPENDENCY_MARKERS,
    DI_PROVIDERS,
    FRAMEWORK_ATTRIBUTES,
    FRAMEWORK_CLASSES,
    FRAMEWORK_GLOBALS,
    HOOK_EVENTS,
    HOOK_KEYWORDS,
    HOOK_LISTS,
    INJECT_BIND_METHODS,
    INJECT_READS,
    MAPPING_OBJECTS,
    MAPPING_READS,
    PARTIALS,
    RUNNERS,
    SANIC_EVENTS,
    WORKER_APPS,
    injected,
    named_dependency,
)
from redis_migrate.analysis.source_text import has_rate_limit_hint
from redis_migrate.redis_api import (
    AIOREDIS1_API,
    ASYNC_WITH,
    CLOSE_METHODS,
    CONSTRUCTORS,
    COUNTER_OPS,
    POOL_CLOSE_METHODS,
    SITE_CONSTRUCTORS,
    TRACKED_METHODS,
    URL_PARTS,
)


@dataclass(slots=True)
class _Frame:
    kind: str  # "module" | "class" | "function"
    qualname: str
    info: scopes.ScopeInfo
    is_async: bool = False
    self_name: str | None = None  # first parameter of a method: what `self` is called
    self_class: str | None = None
    # parameters known to be a framework object (`request: Request`): name -> pseudo-class
    types: dict[str, str] = field(default_factory=dict)
    dataclass: bool = False  # a class made by `@dataclass`: its annotated defaults are fields
    yielded: bool = False  # a def that has yielded by this point of its body (a lifespan)


class Evaluator(ABC):
    """The expression half of the extractor. The statement walk (`extract._Extractor`)
    subclasses it and supplies the abstract hooks: binding assignment targets, and positions and
    text read from the source."""

    facts: FileFacts
    frames: list[_Frame]
    site_of_call: dict[int, int]
    get_redis_names: set[str]
    init_redis_names: set[str]
    close_redis_names: set[str]
    module_types: dict[str, str]  # module-level names bound to a framework object
    unannotated_types: dict[str, str]  # parameter spellings that are framework objects here
    uses_inject: bool  # the module imports python-inject
    tool_script: bool  # the module is a tool's script (alembic's env.py)
    uses_litestar: bool  # the module imports litestar
    uses_aiogram: bool  # the module imports aiogram
    main_guard: bool  # evaluating the body of `if __name__ == "__main__":` at module level
    subclasses: dict[str, str]  # the target's subclasses of redis.Redis -> their client base
    statement_call: ast.Call | None  # the call an expression statement makes (`await f()`)
    deferred_call: bool  # evaluating a call a DI container makes later, not at import
    # module-level dicts of names, set once and never changed: `PROVIDERS = {"a": A, "b": B}`;
    # `PROVIDERS[name]` and `PROVIDERS.get(name)` may be any of their values
    dispatch_tables: dict[str, tuple[ast.expr, ...]]
    # names bound to a value picked from one (`cls = PROVIDERS[name]`): calling them calls
    # one of the table's values, `cls(redis=...)` passes `redis` to each of those classes
    picked: dict[str, tuple[str, ...]]

    # --- hooks the statement walk supplies -------------------------------------------------

    @abstractmethod
    def _bind(self, target: ast.expr, value_node: ast.expr,
              values: tuple[str, ...]) -> tuple[str, ...]:
        """Record that the keys `target` names may hold `values`; return those keys."""

    @abstractmethod
    def _loc(self, node: ast.AST) -> Location:
        """Where `node` starts: its line and its 1-based column in characters."""

    @abstractmethod
    def _snippet(self, node: ast.expr | ast.stmt) -> str:
        """`node`'s source on one line, secrets masked, cut to a readable length."""

    @abstractmethod
    def _url(self, node: ast.Call) -> str | None:
        """The snippet of the URL (or address, or host) a client-creating call is given."""

    @abstractmethod
    def _url_key(self, node: ast.Call) -> str | None:
        """The key of the URL a client-creating call is given (see `_key_of`)."""

    @abstractmethod
    def _url_code(self, node: ast.Call) -> str | None:
        """The URL a client-creating call connects to, as code to hand to `init_redis`."""

    @abstractmethod
    def _key_of(self, node: ast.expr) -> str | None:
        """The key a URL expression names: a hashed literal, an environment variable or the
        Name/Attribute chain (`settings.REDIS_URL`); None for anything else."""

    @abstractmethod
    def _with_credentials(self, key: str | None, given: Mapping[str, ast.expr]) -> str | None:
        """`key` with the credentials among `given` (keyword -> value) joined to it."""

    # --- names ---------------------------------------------------------------------------

    def _function(self) -> _Frame | None:
        for frame in reversed(self.frames):
            if frame.kind == "function":
                return frame
        return None

    def _name_key(self, name: str, store: bool = False) -> str | None:
        """Resolve a bare name to a key (a qualified name), as Python's scoping would."""
        innermost = True
        for frame in reversed(self.frames):
            info = frame.info
            if frame.kind == "class" and not innermost:
                continue  # class bodies are not visible from the functions inside them
            innermost = False
            if frame.kind == "function":
                if name in info.globals:
                    return self._module_key(name)
                if name in info.nonlocals:
                    continue
            if name in info.imports:
                return info.imports[name]
            if name in info.bound:
                if frame.kind == "function":
                    return f"{frame.qualname}.{LOCALS}.{name}"
                return f"{frame.qualname}.{name}"
            if store and frame.kind != "module":
                return f"{frame.qualname}.{LOCALS}.{name}"
        return None  # a builtin, or a name from a star import

    def _module_key(self, name: str) -> str:
        info = self.frames[0].info
        return info.imports.get(name, f"{self.facts.module}.{name}")

    # --- expressions ---------------------------------------------------------------------

    def _eval_pure(self, node: ast.expr) -> tuple[str, ...]:
        """Evaluate a Name/Attribute chain without recording anything (already visited)."""
        if isinstance(node, ast.Name):
            return self._name_value(node.id)
        if isinstance(node, ast.Attribute):
            return self._attr(self._eval_pure(node.value), node.attr)
        if isinstance(node, ast.Subscript):
            item = _item_name(node.slice, self._eval_pure)
            return self._attr(self._eval_pure(node.value), item) if item else ()
        return ()

    def _name_value(self, name: str) -> tuple[str, ...]:
        for frame in reversed(self.frames):
            if frame.kind != "function":
                break
            if frame.self_name == name:  # `self` (or `cls`) of the method we are in
                return (f"{INSTANCE_PREFIX}{frame.self_class}",)
            if name in frame.types:
                return (f"{INSTANCE_PREFIX}{frame.types[name]}",)
            if name in frame.info.bound:
                break
        key = self._name_key(name)
        if key is None:
            return ()
        pseudo = FRAMEWORK_GLOBALS.get(key) or self.module_types.get(key)
        if pseudo is not None:  # `current_app`, or this module's `app = FastAPI()`
            return (f"{INSTANCE_PREFIX}{pseudo}", key)
        return (key,)

    @staticmethod
    def _attr(values: tuple[str, ...], attr: str) -> tuple[str, ...]:
        out = []
        for value in values:
            if value.startswith(INSTANCE_PREFIX):
                key = f"{value[len(INSTANCE_PREFIX):]}.{attr}"
                pseudo = FRAMEWORK_ATTRIBUTES.get(key)  # `request.app` is the app
                out.append(f"{INSTANCE_PREFIX}{pseudo}" if pseudo else key)
            else:
                out.append(f"{value}.{attr}")
        return tuple(out)

    def _dispatch_table(self, node: ast.expr) -> tuple[str, ...] | None:
        """What a read of the dispatch table `node` names may be (None: not one)."""
        if not isinstance(node, ast.Name) or node.id not in self.dispatch_tables \
                or self._name_key(node.id) != f"{self.facts.module}.{node.id}":
            return None
        return tuple(v for value in self.dispatch_tables[node.id]
                     for v in self._eval_pure(value))

    def _subscript(self, node: ast.Subscript) -> tuple[str, ...]:
        """`app["redis"]` and `app[REDIS_KEY]` are attribute-like keys: `app.[redis]`."""
        if self._annotated_dependencies(node) is not None:
            return ()  # a type: holds nothing at run time (its parameters do)
        table = self._dispatch_table(node.value)
        if table is not None:
            self._eval(node.slice)
            return table
        values = self._eval(node.value)
        item = _item_name(node.slice, self._eval_pure)
        if item is None:
            self._eval(node.slice)
            return ()
        return self._attr(values, item)

    def _annotated_dependencies(self, node: ast.expr) -> tuple[str, ...] | None:
        """What a parameter annotated `Annotated[Redis, Depends(get_redis)]` is given (the
        provider's return); None when `node` is not an `Annotated[...]` with a dependency."""
        if not isinstance(node, ast.Subscript) or not any(
                v in ANNOTATED for v in self._eval_pure(node.value)):
            return None
        calls = dependency_calls(node, self._eval_pure)
        return tuple(v for call in calls for v in self._eval(call)) if calls else None

    def _eval(self, node: ast.expr | None) -> tuple[str, ...]:
        """Evaluate an expression: record what it creates and uses, return what it may be."""
        if node is None:
            return ()
        if isinstance(node, ast.Name):
            return self._name_value(node.id)
        if isinstance(node, ast.Attribute):
            return self._attr(self._eval(node.value), node.attr)
        if isinstance(node, ast.Await):
            return self._eval(node.value)
        if isinstance(node, ast.Call):
            return self._call(node)
        if isinstance(node, ast.Subscript):
            return self._subscript(node)
        if isinstance(node, (ast.Yield, ast.YieldFrom)):
            return self._yield(node)
        if isinstance(node, ast.Lambda):
            return self._lambda(node)
        return self._eval_other(node)

    def _eval_other(self, node: ast.expr) -> tuple[str, ...]:
        """`_eval` for the expressions that pass values on or hold them (`a or b`, `x if c
        else y`, `(n := v)`, containers) and for those that only hold sub-expressions."""
        if isinstance(node, (ast.BoolOp, ast.IfExp)):
            parts = node.values if isinstance(node, ast.BoolOp) else [node.body, node.orelse]
            if isinstance(node, ast.IfExp):
                self._eval(node.test)
            return tuple(v for part in parts for v in self._eval(part))
        if isinstance(node, ast.NamedExpr):
            values = self._eval(node.value)
            self._bind(node.target, node.value, values)
            return values
        if isinstance(node, (ast.List, ast.Tuple, ast.Set, ast.Dict)):
            self._container(node)
            return ()
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.expr):
                self._eval(child)
            elif isinstance(child, ast.comprehension):
                self._eval(child.iter)
                for condition in child.ifs:
                    self._eval(condition)
        return ()

    def _container(self, node: ast.List | ast.Tuple | ast.Set | ast.Dict) -> None:
        """What a literal container holds escapes: the analysis does not follow its items."""
        elements = node.values if isinstance(node, ast.Dict) else node.elts
        for key in getattr(node, "keys", ()):
            self._eval(key)
        for element in elements:
            for value in self._eval(element):
                self.facts.escapes.append(EscapeFact(value, self._loc(element), "a container"))

    def _call(self, node: ast.Call) -> tuple[str, ...]:
        method = None
        if isinstance(node.func, ast.Attribute):
            receiver = self._eval(node.func.value)
            method = node.func.attr
            callees = self._attr(receiver, method)
        else:
            receiver = ()
            callees = self._eval(node.func)
            callees = tuple(c for key in callees for c in self.picked.get(key, (key,)))
        self._patch_by_name(node, method)
        special = self._special_call(node, receiver, method, callees)
        if special is not None:
            return special
        pool_keys = self._call_arguments(node, callees)
        app_class = next((c for c in callees if FRAMEWORK_CLASSES.get(c) in ASYNC_APPS
                          or c in WORKER_APPS), None)
        if app_class is not None:
            self.facts.apps.append((app_class, f"{_callee_text(node.func)}()", self._loc(node)))
        constructor = next((c for c in callees if c in SITE_CONSTRUCTORS
                            or c in self.subclasses), None)
        if constructor is not None:
            return (self._site(node, constructor, tuple(pool_keys)),)
        self._lifecycle_call(node, callees)
        self._hook_registration(node, callees, method)
        known = self._known_callee(node, callees)
        if known is not None:
            return known
        if method is not None and method in TRACKED_METHODS:
            for value in receiver:
                self._use(value, method, node)
        caller = self._function()
        if caller is not None:
            made = [(caller.qualname, c) for c in callees if not c.startswith(INSTANCE_PREFIX)]
            self.facts.calls.extend(made)
            if node is self.statement_call:
                self.facts.steps.extend((c, k, caller.yielded) for c, k in made)
        elif not self.deferred_call:  # `stats = Stats(make_client())` runs at import
            self.facts.import_time_reads.extend(
                (f"{c}.{RETURN}", self._loc(node)) for c in callees
                if not c.startswith(INSTANCE_PREFIX))
            if not self.main_guard:  # a script's own run is not every importer's
                self.facts.calls_at_import.extend(callees)
        return tuple(f"{c}.{RETURN}" for c in callees)

    def _patch_by_name(self, node: ast.Call, method: str | None) -> None:
        """Note a name the call replaces: `mock.patch("a.b.c")`, `mocker.patch(...)`,
        `monkeypatch.setattr("a.b.c", value)`; `patch.object(a.b, "c")`,
        `monkeypatch.setattr(a.b, "c", value)` on a module. Only the spelling is read: a key
        that holds no client is never looked at."""
        name = method or (node.func.id if isinstance(node.func, ast.Name) else None)
        if name not in _PATCHERS or not node.args:
            return
        first = node.args[0]
        if isinstance(first, ast.Constant) and isinstance(first.value, str):
            if name != "object" and scopes.DOTTED_NAME.fullmatch(first.value):
                self.facts.patched.append((first.value, self._loc(node)))
            return
        attribute = node.args[1] if len(node.args) > 1 else None
        if name != "patch" and isinstance(attribute, ast.Constant) \
                and isinstance(attribute.value, str):
            self.facts.patched.extend((f"{key}.{attribute.value}", self._loc(node))
                                      for key in self._eval_pure(first)
                                      if not key.startswith(INSTANCE_PREFIX))

    def _special_call(self, node: ast.Call, receiver: tuple[str, ...], method: str | None,
                      callees: tuple[str, ...]) -> tuple[str, ...] | None:
        """What a call evaluates to when it only moves a value around (a `partial`, a mapping
        read, an injector's bind or get); None for any other call."""
        if any(c in PARTIALS for c in callees) and node.args:
            return self._partial(node)
        if isinstance(node.func, ast.Name) and node.func.id in ("anext", "next") \
                and node.args and self._name_key(node.func.id) is None:
            # `await anext(init_pool(...))`: what the generator yields first
            for default in node.args[1:]:
                self._eval(default)
            return self._eval(node.args[0])
        if any(c in DI_PROVIDERS for c in callees) and node.args \
                and not isinstance(node.args[0], ast.Starred):
            # `providers.Factory(Service, redis=pool)`: the container makes the call later
            forwarded = ast.copy_location(
                ast.Call(func=node.args[0], args=node.args[1:], keywords=node.keywords), node)
            ast.fix_missing_locations(forwarded)
            deferred, self.deferred_call = self.deferred_call, True
            try:
                return self._call(forwarded)
            finally:
                self.deferred_call = deferred
        if method in MAPPING_READS and isinstance(node.func, ast.Attribute):
            table = self._dispatch_table(node.func.value)
            if table is not None:
                for arg in node.args:
                    self._eval(arg)
                return table
        if method in MAPPING_READS and node.args and any(
                v == INSTANCE_PREFIX + p for v in receiver for p in MAPPING_OBJECTS):
            # `request.app.get("redis")` reads the same entry as `request.app["redis"]`
            item = _item_name(node.args[0], self._eval_pure)
            if item is not None:
                return self._attr(receiver, item)
        if self.uses_inject and method in INJECT_BIND_METHODS and len(node.args) == 2 \
                and not node.keywords:
            classes = self._eval_pure(node.args[0])
            if classes:  # `binder.bind(Redis, client)`: the injector holds it under Redis
                self._set_holder(node.args[1], "argument")
                for value in self._eval(node.args[1]):
                    self.facts.edges.extend((injected(c), value) for c in classes)
                return ()
        if any(c in INJECT_READS for c in callees) and node.args:
            return tuple(injected(c) for c in self._eval_pure(node.args[0]))
        return None

    def _call_arguments(self, node: ast.Call, callees: tuple[str, ...]) -> list[str]:
        """Evaluate a call's arguments (each is handed to the callees); the pool keys among
        them (`Redis(connection_pool=pool)`)."""
        pool_keys: list[str] = []
        position: int | None = 0
        for arg in node.args:
            if isinstance(arg, ast.Starred):
                position = None  # the positions after `*args` are not known
            self._argument(arg, node, callees, pool_keys, position=position)
            position = None if position is None else position + 1
        for keyword in node.keywords:
            if keyword.arg == "dependencies" and self.uses_litestar \
                    and isinstance(keyword.value, ast.Dict):
                self._named_dependencies(keyword.value)
                continue
            self._argument(keyword.value, node, callees, pool_keys, keyword.arg)
        return pool_keys

    def _lifecycle_call(self, node: ast.Call, callees: tuple[str, ...]) -> None:
        """Record a call of the lifecycle module's `init_redis(url)` or `close_redis()`."""
        if any(c in self.init_redis_names for c in callees):
            url = node.args[0] if node.args else next(
                (k.value for k in node.keywords if k.arg == "url"), None)
            clients = next((k.value for k in node.keywords if k.arg == "clients"), None)
            default = _default_client_options(clients)
            # `clients={"default": {"password": settings.PW}}`: the shared client connects with
            # that password, as a client given `password=settings.PW` beside the same URL
            key = self._with_credentials(self._key_of(url), {
                k.arg: k.value for k in default or () if k.arg}) if url is not None else None
            self.facts.central_urls.append(key or "")
            if default is not None:
                self.facts.central_options += self._option_keys(default)
            if clients is not None:
                self.facts.central_clients += _client_names(clients)
        if any(c in self.close_redis_names for c in callees):
            self.facts.central_closes += 1

    def _option_keys(self, keywords: list[ast.keyword]) -> tuple[tuple[str, str], ...]:
        """(keyword, key) for each option whose value names something (`db=settings.DB`); not
        those that say where it connects (compared as the URL), nor literals (by value)."""
        return tuple((k.arg, key) for k in keywords
                     if k.arg and k.arg not in URL_PARTS and not isinstance(k.value, ast.Constant)
                     for key in [self._key_of(k.value)] if key is not None)

    def _known_callee(self, node: ast.Call,
                      callees: tuple[str, ...]) -> tuple[str, ...] | None:
        """What a call of a framework or lifecycle callable evaluates to (`Depends(p)`,
        `aclosing(c)`, `get_redis()`); None for any other callee."""
        if any(c in DEPENDENCY_MARKERS for c in callees):
            provider = node.args[0] if node.args else next(
                (k.value for k in node.keywords if k.arg == "dependency"), None)
            # `Depends(get_cache)`: the parameter holds what the provider returns or yields
            return tuple(f"{v}.{RETURN}" for v in self._eval_pure(provider)) if provider else ()
        if any(c in CLOSING_WRAPPERS for c in callees) and node.args:
            wrapped = self._eval_pure(node.args[0]) if isinstance(
                node.args[0], (ast.Name, ast.Attribute)) else ()
            for value in wrapped:  # `aclosing(client)` closes the client on exit
                self._use(value, "aclose", node)
            return ()
        if any(c in self.get_redis_names for c in callees):
            blocking = any(k.arg == "blocking" and _truthy(k.value) for k in node.keywords)
            return (SHARED_BLOCKING if blocking else SHARED,)
        return None

    def _named_dependencies(self, table: ast.Dict) -> None:
        """`dependencies={"redis": Provide(provide_redis)}`: what the provider hands out goes
        to the handler parameters called `redis`; anything else in the dict is stored."""
        for item, value in zip(table.keys, table.values):
            if item is not None:
                self._eval(item)
            name = item.value if isinstance(item, ast.Constant) \
                and isinstance(item.value, str) else None
            provided = name is not None and isinstance(value, ast.Call) \
                and any(c in DEPENDENCY_MARKERS for c in self._eval_pure(value.func))
            for found in self._eval(value):
                if provided and name is not None:
                    self.facts.edges.append((named_dependency(name), found))
                else:
                    self.facts.escapes.append(EscapeFact(found, self._loc(value),
                                                         "a container"))

    def _partial(self, node: ast.Call) -> tuple[str, ...]:
        """`partial(f, client)`: f's first parameter gets the client; it stands for f."""
        functions = self._eval(node.args[0])
        for index, arg in enumerate(node.args[1:]):
            if isinstance(arg, ast.Starred):
                break
            for value in self._eval(arg):
                self.facts.escapes.append(EscapeFact(
                    value, self._loc(arg), f"{_callee_text(node.args[0])}()",
                    tuple(f"{f}.{ARGS}.{index}" for f in functions)))
        for keyword in node.keywords:
            for value in self._eval(keyword.value):
                if keyword.arg:
                    self.facts.escapes.append(EscapeFact(
                        value, self._loc(keyword.value), f"{_callee_text(node.args[0])}()",
                        tuple(f"{f}.{ARGS}.{keyword.arg}" for f in functions)))
        return functions

    def _hook_registration(self, node: ast.Call, callees: tuple[str, ...],
                           method: str | None) -> None:
        """Record the functions this call registers to run when the app starts or stops."""
        registered: list[tuple[ast.expr, str]] = []
        func = node.func
        if (method in ("append", "insert", "extend") and isinstance(func, ast.Attribute)
                and isinstance(func.value, ast.Attribute) and func.value.attr in HOOK_LISTS
                and node.args):
            kind = HOOK_LISTS[func.value.attr]
            added = node.args[-1]
            if method == "extend":  # `app.on_startup.extend([setup_redis, setup_ws])`
                elements = added.elts if isinstance(added, (ast.List, ast.Tuple)) else []
                registered.extend((element, kind) for element in elements)
            else:
                registered.append((added, kind))
        if (self.uses_aiogram and method == "register" and isinstance(func, ast.Attribute)
                and isinstance(func.value, ast.Attribute)
                and func.value.attr in ("startup", "shutdown") and node.args):
            # aiogram: `dp.startup.register(on_startup)`, run as the dispatcher starts polling
            registered.append((node.args[0], func.value.attr))
        if (isinstance(func, ast.Call) and isinstance(func.func, ast.Attribute)
                and func.func.attr in ("on_event", "listener") and len(func.args) == 1
                and isinstance(func.args[0], ast.Constant)
                and func.args[0].value in HOOK_EVENTS and len(node.args) == 1):
            # `app.on_event("startup")(on_startup)`: the decorator applied by hand
            registered.append((node.args[0], HOOK_EVENTS[func.args[0].value]))
        if method == "add_event_handler" and len(node.args) >= 2 and isinstance(
                node.args[0], ast.Constant) and node.args[0].value in HOOK_EVENTS:
            registered.append((node.args[1], HOOK_EVENTS[node.args[0].value]))
        event = node.args[1] if len(node.args) >= 2 else next(
            (k.value for k in node.keywords if k.arg == "event"), None)
        if method == "register_listener" and node.args and isinstance(event, ast.Constant) \
                and event.value in SANIC_EVENTS:  # Sanic: `app.register_listener(f, event)`
            registered.append((node.args[0], SANIC_EVENTS[event.value]))
        for keyword in node.keywords:
            if keyword.arg in HOOK_KEYWORDS:
                value = keyword.value
                elements = value.elts if isinstance(value, (ast.List, ast.Tuple)) else [value]
                registered.extend((e, HOOK_KEYWORDS[keyword.arg]) for e in elements)
        if any(c in RUNNERS for c in callees) and node.args and isinstance(
                node.args[0], ast.Call) and not self.tool_script:
            registered.append((node.args[0].func, "main"))
        # aiohttp calls `app.on_startup` / `on_cleanup` / `cleanup_ctx` hooks with the app
        app = (self._eval_pure(func.value.value) if registered and method in (
            "append", "insert", "extend") and isinstance(func, ast.Attribute)
            and isinstance(func.value, ast.Attribute) else ())
        caller = self._function()
        for expr, kind in registered:
            self._register_hook(expr, kind, node, app,
                                caller.qualname if kind == "main" and caller else "")

    def _register_hook(self, expr: ast.expr, kind: str, where: ast.AST,
                       app: tuple[str, ...] = (), run_by: str = "") -> None:
        returned = False
        if isinstance(expr, ast.Call):  # `partial(close, client)`, `lifespan_factory()`
            wraps = expr.args and isinstance(expr.func, (ast.Name, ast.Attribute)) and \
                _callee_text(expr.func).endswith(_HOOK_WRAPPERS)
            returned = not wraps
            expr = expr.args[0] if wraps else expr.func
        if isinstance(expr, ast.Lambda):
            keys: tuple[str, ...] = (self._lambda_key(expr),)
        else:
            keys = self._eval_pure(expr)
        if returned:  # the hook is what the factory returns (the link follows its return)
            keys = tuple(f"{key}.{RETURN}" for key in keys)
        for key in keys:
            if not key.startswith(INSTANCE_PREFIX):
                self.facts.hooks.append(HookFact(key, kind, self._loc(where), run_by=run_by))
                for value in app:  # the hook's first parameter is the app it is registered on
                    self.facts.edges.append((f"{key}.{ARGS}.0", value))

    def _lambda_key(self, node: ast.Lambda) -> str:
        parent = self.frames[-1]
        name = f"<lambda:{node.lineno}:{node.col_offset}>"
        return _child_name(parent, name)

    def _lambda(self, node: ast.Lambda) -> tuple[str, ...]:
        """A lambda's body runs later, as a function of its own: what it returns and uses."""
        for default in (*node.args.defaults, *(d for d in node.args.kw_defaults if d)):
            self._eval(default)
        qualname = self._lambda_key(node)
        frame = _Frame("function", qualname, scopes.collect_scope([], "", node.args),
                       is_async=False)
        self._type_parameters(frame, node.args)
        self.frames.append(frame)
        try:
            for value in self._eval(node.body):
                self.facts.edges.append((f"{qualname}.{RETURN}", value))
        finally:
            self.frames.pop()
        return (qualname,)

    def _yield(self, node: ast.Yield | ast.YieldFrom) -> tuple[str, ...]:
        """A provider's `yield client` hands the client to whoever uses the provider."""
        values = self._eval(node.value)
        function = self._function()
        if function is not None:
            function.yielded = True
        if function is not None and node.value is not None:
            self.facts.providers.append(function.qualname)
            self._set_holder(node.value, "yield", f"{function.qualname}.{RETURN}")
            for value in values:
                self.facts.edges.append((f"{function.qualname}.{RETURN}", value))
        return ()

    def _type_parameters(self, frame: _Frame, args: ast.arguments) -> None:
        """Parameters that are framework objects: annotated so, or spelled so (aiohttp)."""
        for arg in (*args.posonlyargs, *args.args, *args.kwonlyargs):
            pseudo = None
            if arg.annotation is not None:
                pseudo = self._framework_annotation(arg.annotation)
            elif self.unannotated_types:
                pseudo = self.unannotated_types.get(arg.arg)
            if pseudo is not None:
                frame.types[arg.arg] = pseudo

    def _framework_annotation(self, annotation: ast.expr) -> str | None:
        for part in _annotation_parts(annotation):
            for key in self._eval_pure(part):
                if key in FRAMEWORK_CLASSES:
                    return FRAMEWORK_CLASSES[key]
        return None

    def _argument(self, arg: ast.expr, call: ast.Call, callees: tuple[str, ...],
                  pool_keys: list[str], keyword: str | None = None,
                  position: int | None = None) -> None:
        values = self._eval(arg)
        if not values:
            return
        self._set_holder(arg, "argument")
        is_constructor = any(c in CONSTRUCTORS for c in callees)
        if is_constructor and (keyword == "connection_pool" or
                               any(c.endswith(".from_pool") for c in callees)):
            pool_keys.extend(values)
            return
        if isinstance(call.func, ast.Name) and call.func.id in READ_ONLY_BUILTINS \
                and self._name_key(call.func.id) is None:
            return  # `print(app.state.redis)`: read for its text or type, never kept or closed
        target = _callee_text(call.func)
        slot = keyword if keyword is not None else position
        # where a def of the callee would receive it (the link binds it to the parameter)
        into = () if slot is None or is_constructor else tuple(
            f"{c}.{ARGS}.{slot}" for c in callees)
        function = self._function()
        if function is None and not self.deferred_call:
            self.facts.import_time_args.extend((value, self._loc(arg), into) for value in values)
        in_init = function is not None and function.qualname.endswith(".__init__")
        for value in values:
            self.facts.escapes.append(EscapeFact(value, self._loc(arg), f"{target}()", into,
                                                 in_init))

    def _use(self, value: str, method: str, node: ast.AST) -> None:
        if value.startswith(INSTANCE_PREFIX):
            return
        function = self._function()
        receiver = None
        if method in CLOSE_METHODS or method in POOL_CLOSE_METHODS or method == ASYNC_WITH:
            target = node.func.value if isinstance(node, ast.Call) and isinstance(
                node.func, ast.Attribute) else node
            if method == "aclose" and isinstance(node, ast.Call) and not isinstance(
                    node.func, ast.Attribute):
                target = node.args[0]  # `aclosing(client)`
            receiver = _callee_text(target) if isinstance(target, ast.expr) else None
        self.facts.uses.append(UseFact(
            value, method, self._loc(node), function.qualname if function else None,
            method in COUNTER_OPS and self._hint(node, function),  # only counters need it
            bool(function and function.is_async),
            block_time(method, node) if isinstance(node, ast.Call) else None,
            receiver,
            bool(function and function.qualname.rpartition(".")[2].startswith("<lambda:"))))

    def _hint(self, node: ast.AST, function: _Frame | None) -> bool:
        context = function.qualname if function else self.facts.module
        if has_rate_limit_hint(context):
            return True
        if isinstance(node, ast.Call):
            for arg in node.args[:1]:
                for const in ast.walk(arg):
                    if isinstance(const, ast.Constant) and isinstance(const.value, str) \
                            and has_rate_limit_hint(const.value):
                        return True
        return False

    def _site(self, node: ast.Call, callee: str, pool_keys: tuple[str, ...]) -> str:
        function = self._function()
        index = len(self.facts.sites)
        self.facts.sites.append(SiteFact(
            index=index, loc=self._loc(node), callee=callee,
            family=SITE_CONSTRUCTORS.get(callee, "subclass"), base=self.subclasses.get(callee),
            holder="expression", function=function.qualname if function else None,
            in_async_function=bool(function and function.is_async),
            keywords=tuple(k.arg for k in node.keywords if k.arg),
            pool_keys=pool_keys, url=self._url(node), snippet=self._snippet(node),
            url_key=self._url_key(node), url_code=self._url_code(node),
            options=tuple((k.arg, self._snippet(k.value)) for k in node.keywords if k.arg),
            option_keys=self._option_keys(node.keywords)))
        self.site_of_call[id(node)] = index
        if callee.rsplit(".", 1)[1] in AIOREDIS1_API:
            self.facts.aioredis1 = True
        return site_atom(self.facts.path, index)

    def _set_holder(self, value_node: ast.expr, holder: str, key: str | None = None) -> None:
        """The site `value_node` creates (if any) is held as `holder` (under `key`), unless
        something more specific than an expression or an argument already holds it."""
        index = self.site_of_call.get(id(_unwrap(value_node)))
        if index is not None and self.facts.sites[index].holder in ("expression", "argument"):
            self.facts.sites[index].holder = holder
            self.facts.sites[index].bound_to = key


# Blocking reads and where their block time is: (positional index, keyword, unit in seconds).
# blpop(keys, timeout=0) in redis-py; aioredis 1.x takes keys as varargs and timeout= only.
# Calls that replace a name for a test: `patch`/`mocker.patch` take "module.name",
# `patch.object` and `monkeypatch.setattr` an object and "name" (setattr also "module.name").
_PATCHERS = frozenset({"patch", "object", "setattr"})

_BLOCK_ARGUMENT = {
    "blpop": (1, "timeout", 1.0), "brpop": (1, "timeout", 1.0), "bzpopmin": (1, "timeout", 1.0),
    "bzpopmax": (1, "timeout", 1.0), "brpoplpush": (2, "timeout", 1.0),
    "blmove": (2, "timeout", 1.0), "blmpop": (0, "timeout", 1.0),
    "bzmpop": (0, "timeout", 1.0), "xread": (2, "block", 0.001),
    "xreadgroup": (4, "block", 0.001),
}
_LISTENING = frozenset({"listen", "monitor", "pubsub", "subscribe", "psubscribe", "wait"})


def block_time(method: str, call: ast.Call) -> str | None:
    """How long `method(...)` may block, in seconds: "0" forever, "?" not static, None: never."""
    if method in _LISTENING:
        return "0"
    spec = _BLOCK_ARGUMENT.get(method)
    if spec is None:
        return None
    position, keyword, unit = spec
    value: ast.expr | None = next((k.value for k in call.keywords if k.arg == keyword), None)
    if value is None and any(isinstance(a, ast.Starred) for a in call.args):
        return "?"
    if value is None and keyword == "timeout" and method in ("blpop", "brpop", "bzpopmin",
                                                             "bzpopmax") and len(call.args) > 2:
        return "?"  # aioredis 1.x varargs keys: the last positional is a key, not a timeout
    if value is None and len(call.args) > position:
        value = call.args[position]
    if value is None:
        # blpop & co. default to timeout=0 (forever); XREAD without BLOCK does not block
        return "0" if keyword == "timeout" else None
    if isinstance(value, ast.Constant) and value.value is None:
        return None if keyword == "block" else "0"
    if isinstance(value, ast.Constant) and isinstance(value.value, (int, float)) \
            and not isinstance(value.value, bool):
        return repr(float(value.value) * unit)
    return "?"


def _item_name(item: ast.expr,
               evaluate: Callable[[ast.expr], tuple[str, ...]]) -> str | None:
    """The attribute-like name of a subscript: `["redis"]` -> `[redis]`, `[KEY]` -> `[m:KEY]`."""
    if isinstance(item, ast.Constant) and isinstance(item.value, str):
        return "[" + item.value.replace(".", ":") + "]"
    if isinstance(item, (ast.Name, ast.Attribute)):
        keys = evaluate(item)
        if keys and not keys[0].startswith(INSTANCE_PREFIX):
            return "[" + keys[0].replace(".", ":") + "]"
    return None


# Builtins that only read what they are given (its text, type or identity): a client passed
# to one is not handed to code that may keep or close it.
READ_ONLY_BUILTINS = frozenset({
    "print", "repr", "str", "format", "id", "type", "isinstance", "hash", "bool", "callable",
    "hasattr",
})


def dependency_calls(annotation: ast.expr | None,
                     evaluate: Callable[[ast.expr], tuple[str, ...]]) -> list[ast.Call]:
    """The `Depends(...)` calls inside `Annotated[...]`."""
    if annotation is None or not isinstance(annotation, ast.Subscript):
        return []
    found = []
    for node in ast.walk(annotation.slice):
        if isinstance(node, ast.Call) and any(
                k in DEPENDENCY_MARKERS for k in evaluate(node.func)):
            found.append(node)
    return found


def _annotation_parts(annotation: ast.expr) -> list[ast.expr]:
    """`Request`, `Optional[Request]`, `Request | None`, `Annotated[Request, ...]`."""
    if isinstance(annotation, ast.BinOp) and isinstance(annotation.op, ast.BitOr):
        return [*_annotation_parts(annotation.left), *_annotation_parts(annotation.right)]
    if isinstance(annotation, ast.Subscript):
        inner = annotation.slice
        elements = inner.elts if isinstance(inner, ast.Tuple) else [inner]
        return _annotation_parts(elements[0]) if elements else []
    return [annotation]


def _child_name(parent: _Frame, name: str) -> str:
    """The qualified name of a def or class: `f.<locals>.g` inside a function, as Python does."""
    if parent.kind == "function":
        return f"{parent.qualname}.{LOCALS}.{name}"
    return f"{parent.qualname}.{name}"


def _unwrap(node: ast.expr) -> ast.expr:
    while isinstance(node, ast.Await):
        node = node.value
    return node


def _truthy(node: ast.expr) -> bool:
    return isinstance(node, ast.Constant) and bool(node.value)


# wrappers whose first argument is the hook itself: `partial(close, client)`,
# `asynccontextmanager(lifespan)`
_HOOK_WRAPPERS = ("partial", "asynccontextmanager")


def _callee_text(func: ast.expr) -> str:
    try:
        return ast.unparse(func)
    except (ValueError, AttributeError):  # pragma: no cover - unparse of odd nodes
        return "a call"


def _client_names(clients: ast.expr) -> list[str]:
    """The names `clients={"default": {...}, "queue": {...}}` creates ("*": any, for a
    value that is not a dict literal of string keys)."""
    names = [k.value for k in clients.keys if isinstance(k, ast.Constant)
             and isinstance(k.value, str)] if isinstance(clients, ast.Dict) else []
    return names if isinstance(clients, ast.Dict) and len(names) == len(clients.keys) else ["*"]


def _default_client_options(clients: ast.expr | None) -> list[ast.keyword] | None:
    """`clients={"default": {"db": settings.DB}}` as the keywords the default client gets;
    None when there is no such literal."""
    if not isinstance(clients, ast.Dict):
        return None
    for key, value in zip(clients.keys, clients.values):
        if isinstance(key, ast.Constant) and key.value == "default" and isinstance(value, ast.Dict):
            return [ast.keyword(arg=k.value, value=v) for k, v in zip(value.keys, value.values)
                    if isinstance(k, ast.Constant) and isinstance(k.value, str)]
    return None

"""Per-file extraction: parse one module with `ast` and record its Redis facts.

Runs in worker processes, so it takes bytes and returns `FileFacts` (plain data) and never
raises for bad input: a file that cannot be decoded or parsed comes back with `error` set.

Why the standard library's `ast` and not LibCST here: the inventory must parse every candidate
file of a large backend quickly; `ast` is about 8x faster than LibCST's parser and 80x faster
than LibCST with scope metadata (measured on redis-py's client.py). The codemods use LibCST for
the rewrite itself and receive these facts, positions included, as data.

The statement walk is here; expressions are evaluated by `evaluate.Evaluator`, and where a
constructor's arguments say it connects by `url_keys.UrlKeys`, which this walk extends.
"""

from __future__ import annotations

import ast
from collections import Counter
from collections.abc import Callable, Mapping

from redis_migrate.analysis import scopes
from redis_migrate.analysis.evaluate import _child_name, _Frame, _item_name, _unwrap
from redis_migrate.analysis.facts import (
    ARGS,
    INJECTED,
    INSTANCE_PREFIX,
    LOCALS,
    RETURN,
    FileFacts,
    HookFact,
    InstanceFact,
    Location,
)
from redis_migrate.analysis.frameworks import (
    CONTEXT_MANAGER_DECORATORS,
    DISHKA_MODULE,
    FASTAPI_CLASSES,
    FRAMEWORK_CLASSES,
    HOOK_EVENTS,
    HOOK_LISTS,
    INJECT_MODULE,
    LITESTAR_HANDLERS,
    LITESTAR_MODULE,
    SANIC_EVENTS,
    TOOL_SCRIPT_IMPORTS,
    UNANNOTATED_PARAMETERS,
    injected,
    named_dependency,
)
from redis_migrate.analysis.injections import Injections
from redis_migrate.analysis.newer_syntax import parse_source
from redis_migrate.analysis.source_text import decode_source, python2_hint
from redis_migrate.redact import mask_secrets
from redis_migrate.redis_api import AIOREDIS1_API, ASYNC_WITH, CLIENT_CLASSES

# dict methods that change it: a dict called with one is no dispatch table
_MUTATORS = frozenset({"update", "setdefault", "pop", "popitem", "clear", "__setitem__"})
LIFECYCLE_NAMES = frozenset({"get_redis", "init_redis", "close_redis", "get_sync_redis",
                             "get_blocking_redis"})


def extract(path: str, module: str, is_package: bool, data: bytes,
            lifecycle_modules: tuple[str, ...],
            subclasses: Mapping[str, str] | None = None, *,
            parsed: ast.Module | None = None) -> FileFacts:
    """Parse `data` (the file at `path`) and return its facts; never raises on bad input.

    `subclasses`: the target's own subclasses of redis.Redis found in other files (qualified
    name -> client base); those of this file are found on the way. `parsed`: `data`'s tree,
    when the caller parsed it already (the check after a rewrite); it is read, not changed.
    """
    facts = FileFacts(path=path, module=module)
    try:
        text = decode_source(data)
    except (SyntaxError, UnicodeDecodeError, LookupError) as exc:
        facts.error = f"cannot decode: {exc}"
        return facts
    try:
        tree = parsed if parsed is not None else parse_source(text, filename=path)
    except SyntaxError as exc:
        python2 = python2_hint(text, exc.lineno)
        facts.error = f"does not parse: {exc.msg}" + (
            f" (Python 2: {python2}; the tool reads Python 3 code)" if python2 else "")
        facts.error_line = exc.lineno
        return facts
    except (ValueError, RecursionError, MemoryError) as exc:
        facts.error = f"does not parse: {exc}"
        return facts
    try:
        _Extractor(facts, text, is_package, lifecycle_modules, subclasses or {}).run(tree)
    except RecursionError:
        # `ast` builds what the walk, one frame per level, cannot follow: a generated module
        # with a sum of 600 terms. Half a file's facts would be wrong facts: none, and a reason
        deep = FileFacts(path=path, module=module)
        deep.error = ("cannot analyse: an expression nests deeper than the analysis can "
                      "follow (a generated file?)")
        return deep
    facts.setup_calls = [f"{ast.unparse(s.value.func)}()" for s in tree.body
                         if isinstance(s, ast.Expr) and isinstance(s.value, ast.Call)]
    return facts


class _Extractor(Injections):
    """Walks one module, evaluating expressions to the keys and atoms they may stand for."""

    def __init__(self, facts: FileFacts, text: str, is_package: bool,
                 lifecycle_modules: tuple[str, ...], subclasses: Mapping[str, str]) -> None:
        self.facts = facts
        self.subclasses = dict(subclasses)
        self.statement_call = None
        self.text = text
        # not str.splitlines(): it also breaks at \f, \x1c, \u2028…, which ast does not count
        self.lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
        self.byte_lines: list[bytes] | None = None
        self.package = scopes.package_of(facts.module, is_package)
        self.get_redis_names = {f"{m}.get_redis" for m in lifecycle_modules}
        self.init_redis_names = {f"{m}.init_redis" for m in lifecycle_modules}
        self.close_redis_names = {f"{m}.close_redis" for m in lifecycle_modules}
        self.module_types: dict[str, str] = {}
        self.fastapi_apps: set[str] = set()  # module-level names bound to `FastAPI(...)`
        self.deferred_call = False
        self.main_guard = False  # in the body of `if __name__ == "__main__":`
        self.unannotated_types: dict[str, str] = {}
        self.uses_inject = False
        self.uses_dishka = False
        self.tool_script = False
        self.uses_litestar = False
        self.uses_aiogram = False
        self.frames: list[_Frame] = []
        self.site_of_call: dict[int, int] = {}  # id(Call node) -> site index
        self.dispatch_tables: dict[str, tuple[ast.expr, ...]] = {}
        self.picked: dict[str, tuple[str, ...]] = {}
        # names bound once to a URL with a key of its own (see UrlKeys.bound_constants)
        self.bound_constants: dict[str, str] = {}
        self._stores = None

    # --- driving -------------------------------------------------------------------------

    def run(self, tree: ast.Module) -> None:
        self.tree = tree
        info = scopes.collect_scope(tree.body, self.package)
        self.frames.append(_Frame("module", self.facts.module, info))
        self._record_imports(self.frames[-1])
        # `from m import x as y` at module level makes `this_module.y` another name for m.x
        for local, target in info.imports.items():
            self.facts.edges.append((f"{self.facts.module}.{local}", target))
        self.facts.aioredis1 = any(
            v.startswith("aioredis.") and v.rsplit(".", 1)[1] in AIOREDIS1_API
            for v in info.imports.values()
        )
        imported = {target.split(".")[0] for target in info.imports.values()}
        self.uses_inject = INJECT_MODULE in imported
        self.uses_dishka = DISHKA_MODULE in imported
        self.tool_script = bool(TOOL_SCRIPT_IMPORTS & imported)
        self.uses_litestar = LITESTAR_MODULE in imported
        self.uses_aiogram = "aiogram" in imported
        for framework, spellings in UNANNOTATED_PARAMETERS.items():
            if framework in imported:
                self.unannotated_types = {**spellings, **self.unannotated_types}
        self._module_framework_objects(tree.body)
        self.dispatch_tables = _dispatch_tables(tree)
        if "environ" in self.text or "getenv" in self.text:
            self.bound_constants = self._env_constants()
        for name in LIFECYCLE_NAMES & info.bound:
            self.facts.taken_names[name] = info.imports.get(name, "")
        # `async def close_redis(app)` inside a startup hook; every such name spells `_redis`,
        # and the walk of every nested node was a third of the extraction on a large tree
        nested = _nested_bindings(tree) if "_redis" in self.text else set()
        for name in LIFECYCLE_NAMES & nested:
            self.facts.taken_names.setdefault(name, "")
        self._stmts(tree.body)
        self.facts.url_constants = dict(self.bound_constants)

    def _module_framework_objects(self, body: list[ast.stmt]) -> None:
        """`app = FastAPI()` at module level: `app` is the app everywhere in this module."""
        for stmt in body:
            if not isinstance(stmt, (ast.Assign, ast.AnnAssign)):
                continue
            value = stmt.value
            if not isinstance(value, ast.Call):
                continue
            made = self._eval_pure(value.func)
            pseudo = next((FRAMEWORK_CLASSES[k] for k in made if k in FRAMEWORK_CLASSES), None)
            targets = stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target]
            fastapi = any(k in FASTAPI_CLASSES for k in made)
            for target in targets:
                if pseudo is not None and isinstance(target, ast.Name):
                    self.module_types[f"{self.facts.module}.{target.id}"] = pseudo
                    if fastapi:
                        self.fastapi_apps.add(target.id)

    def _record_imports(self, frame: _Frame) -> None:
        for local, target in frame.info.imports.items():
            self.facts.imports.append((frame.qualname, local, target))

    def _stmts(self, body: list[ast.stmt]) -> None:
        for stmt in body:
            self._node(stmt)

    def _node(self, node: ast.AST) -> None:
        handler = getattr(self, f"_stmt_{type(node).__name__}", None)
        if handler is not None:
            handler(node)
        elif isinstance(node, ast.expr):
            self._eval(node)
        else:
            for child in ast.iter_child_nodes(node):
                self._node(child)

    # --- statements ----------------------------------------------------------------------

    def _stmt_If(self, node: ast.If) -> None:
        self._eval(node.test)
        guard = self.frames[-1].kind == "module" and _is_main_guard(node.test)
        before, self.main_guard = self.main_guard, self.main_guard or guard
        try:
            self._stmts(node.body)
        finally:
            self.main_guard = before
        self._stmts(node.orelse)

    def _stmt_Expr(self, node: ast.Expr) -> None:
        value = node.value.value if isinstance(node.value, ast.Await) else node.value
        self.statement_call = value if isinstance(value, ast.Call) else None
        try:
            self._eval(node.value)
        finally:
            self.statement_call = None

    def _stmt_FunctionDef(self, node: ast.FunctionDef | ast.AsyncFunctionDef) -> None:
        for expr in node.decorator_list:
            self._eval(expr)
        parent = self.frames[-1]
        qualname = _child_name(parent, node.name)
        self.facts.defs.append(qualname)
        self._decorator_hooks(node, qualname)
        args = node.args
        positional = [*args.posonlyargs, *args.args]
        given: list[tuple[ast.arg, ast.expr]] = [
            *zip(positional[len(positional) - len(args.defaults):], args.defaults),
            *((a, d) for a, d in zip(args.kwonlyargs, args.kw_defaults) if d is not None)]
        frame = _Frame("function", qualname, scopes.collect_scope(node.body, self.package,
                                                                   node.args),
                       is_async=isinstance(node, ast.AsyncFunctionDef))
        for arg, default in given:  # `cache=Depends(get_cache)`, `client=module_client`
            for value in self._eval(default):
                self.facts.edges.append((f"{qualname}.{LOCALS}.{arg.arg}", value))
        if any(c in CONTEXT_MANAGER_DECORATORS for d in node.decorator_list
               for c in self._eval_pure(d)):
            self.facts.managed.append(qualname)
        for name, cls in self._injected_parameters(node):  # `@inject.autoparams("redis")`
            self.facts.edges.append((f"{qualname}.{LOCALS}.{name}", injected(cls)))
        if self.uses_dishka:
            self._dishka(node, qualname)
        if self.uses_litestar and any(  # `@get("/")`: Litestar injects dependencies by name
                c in LITESTAR_HANDLERS for d in node.decorator_list
                for c in self._eval_pure(d.func if isinstance(d, ast.Call) else d)):
            for arg in (*positional, *args.kwonlyargs):
                self.facts.edges.append((f"{qualname}.{LOCALS}.{arg.arg}",
                                         named_dependency(arg.arg)))
        for arg in (*positional, *args.kwonlyargs):
            self._annotated_parameter(qualname, arg)
        self._type_parameters(frame, args)
        is_static = any(isinstance(d, ast.Name) and d.id == "staticmethod"
                        for d in node.decorator_list)
        if parent.kind == "class" and positional and not is_static:
            frame.self_name, frame.self_class = positional[0].arg, parent.qualname
            if any(isinstance(d, ast.Name) and d.id == "classmethod"
                   for d in node.decorator_list):
                # `cls._instance`: an attribute of the class itself, read or set on it
                self.facts.class_attributes.extend(sorted({
                    f"{parent.qualname}.{n.attr}" for n in ast.walk(node)
                    if isinstance(n, ast.Attribute) and isinstance(n.value, ast.Name)
                    and n.value.id == frame.self_name}))
                # `instance = cls()` (a singleton's classmethod): `instance.client` is the
                # instance attribute `self.client` is in a method
                for name in _bound_once_to_call_of(node, frame.self_name):
                    frame.types[name] = parent.qualname
            frame.types.pop(frame.self_name, None)
        self._record_parameters(node.args, qualname, skip_first=frame.self_name is not None)
        if parent.kind == "class" and any(_is_property(d) for d in node.decorator_list):
            # `self.redis` of a `@property def redis(self)` is what the property returns
            self.facts.edges.append((qualname, f"{qualname}.{RETURN}"))
        self.frames.append(frame)
        self._record_imports(frame)
        self._stmts(node.body)
        self.frames.pop()

    _stmt_AsyncFunctionDef = _stmt_FunctionDef

    def _decorator_hooks(self, node: ast.FunctionDef | ast.AsyncFunctionDef,
                         qualname: str) -> None:
        """`@app.on_event("startup")`, `@app.on_startup` (aiohttp-style lists as decorators)."""
        for decorator in node.decorator_list:
            kind, on_app = None, ""
            if (isinstance(decorator, ast.Call) and isinstance(decorator.func, ast.Attribute)
                    and decorator.func.attr in ("on_event", "listener") and decorator.args
                    and isinstance(decorator.args[0], ast.Constant)
                    and isinstance(decorator.args[0].value, str)):
                kind = HOOK_EVENTS.get(decorator.args[0].value)
                receiver = decorator.func.value
                if decorator.func.attr == "on_event" and isinstance(receiver, ast.Name) \
                        and receiver.id in self.fastapi_apps and len(self.frames) == 1 \
                        and self._name_key(receiver.id) == f"{self.facts.module}.{receiver.id}":
                    on_app = receiver.id
            elif isinstance(decorator, ast.Attribute) and decorator.attr in (
                    "on_startup", "on_shutdown", "before_serving", "after_serving"):
                kind = HOOK_LISTS.get(decorator.attr) or (
                    "startup" if decorator.attr == "before_serving" else "shutdown")
            elif isinstance(decorator, ast.Attribute) and decorator.attr in SANIC_EVENTS:
                kind = SANIC_EVENTS[decorator.attr]  # Sanic: `@app.before_server_start`
            if kind is not None:
                self.facts.hooks.append(HookFact(qualname, kind, self._loc(decorator), on_app))

    def _record_parameters(self, args: ast.arguments, qualname: str, skip_first: bool) -> None:
        """What callers pass (`f.<args>.0`, `f.<args>.r`) lands in the parameter `f.<locals>.r`.

        A method's positions start after `self`/`cls`: a call `obj.m(x)` passes x as 0.
        """
        positional = [*args.posonlyargs, *args.args][1 if skip_first else 0:]
        by_keyword = [a for a in (*args.args, *args.kwonlyargs)
                      if a in positional or a in args.kwonlyargs]  # not positional-only
        for index, arg in enumerate(positional):
            self.facts.parameters.append((f"{qualname}.{ARGS}.{index}",
                                          f"{qualname}.{LOCALS}.{arg.arg}"))
        for arg in by_keyword:
            self.facts.parameters.append((f"{qualname}.{ARGS}.{arg.arg}",
                                          f"{qualname}.{LOCALS}.{arg.arg}"))

    def _stmt_ClassDef(self, node: ast.ClassDef) -> None:
        for expr in node.decorator_list:
            self._eval(expr)
        bases: list[str] = []
        for base_node in node.bases:
            bases.extend(v for v in self._eval(base_node) if not v.startswith(INSTANCE_PREFIX))
        qualname = _child_name(self.frames[-1], node.name)
        self.facts.classes[qualname] = tuple(bases)
        base = next((b if b in CLIENT_CLASSES else self.subclasses[b] for b in bases
                     if b in CLIENT_CLASSES or b in self.subclasses), None)
        if base is not None:  # `class Cache(redis.Redis)`: its instances are clients too
            self.subclasses[qualname] = base
        frame = _Frame("class", qualname, scopes.collect_scope(node.body, self.package))
        frame.dataclass = any(
            "dataclasses.dataclass" in self._eval_pure(
                expr.func if isinstance(expr, ast.Call) else expr)
            for expr in node.decorator_list)
        self.frames.append(frame)
        self._stmts(node.body)
        self.frames.pop()

    def _stmt_Assign(self, node: ast.Assign | ast.AnnAssign) -> None:
        if node.value is None:
            return
        read_before = len(self.facts.import_time_reads)
        injected = self._annotated_dependencies(node.value) \
            if self.frames[-1].kind == "module" else None
        if injected is not None:  # `GetRedis = Annotated[Redis, Depends(get_redis)]`
            for target in (node.targets if isinstance(node, ast.Assign) else [node.target]):
                for key in self._bind(target, node.value, ()):
                    self.facts.edges.extend((f"{key}.{INJECTED}", v) for v in injected)
                    self.facts.dependency_aliases.append(key)
            return
        values = self._eval(node.value)
        if isinstance(node, ast.Assign) and len(node.targets) == 1 \
                and self.frames[-1].kind != "class":
            self._bind_url_constant(node.targets[0], node.value)
        name = _field_default(node, self.frames[-1], self._eval_pure)
        if name is not None:
            # read at construction once the rewrite makes it a default_factory: recorded as
            # the field's, and as read at import only if the class is built at import
            moved = self.facts.import_time_reads[read_before:]
            del self.facts.import_time_reads[read_before:]
            self.facts.field_defaults.extend(
                (self.frames[-1].qualname, name, key, loc) for key, loc in moved)
        targets = node.targets if isinstance(node, ast.Assign) else [node.target]
        if self.frames[-1].kind == "module":
            self.facts.module_names.extend(n.id for t in targets for n in ast.walk(t)
                                           if isinstance(n, ast.Name))
        keys = [key for target in targets for key in self._bind(target, node.value, values)]
        call = _unwrap(node.value)
        frame = self.frames[-1]
        if frame.self_class is not None and frame.qualname.endswith(".__init__") \
                and not (isinstance(call, ast.Call) and id(call) in self.site_of_call):
            # `self.client = client`: a value read as the object is built (a client made
            # here instead becomes a property, read when used)
            plain = isinstance(call, (ast.Name, ast.Attribute))
            self.facts.init_reads.extend(
                (frame.self_class, t.attr, value, plain) for t in targets for value in values
                if isinstance(t, ast.Attribute) and isinstance(t.value, ast.Name)
                and t.value.id == frame.self_name)
        if self.frames[-1].kind == "class":  # arq: `class WorkerSettings: on_startup = startup`
            for target in targets:
                if isinstance(target, ast.Name) and target.id in ("on_startup", "on_shutdown"):
                    self._register_hook(node.value, HOOK_LISTS[target.id], node)
        if self.frames[-1].kind == "module" and isinstance(call, (ast.Name, ast.Attribute)):
            # `cache_client = client` at import: the value is read when the module loads
            self.facts.import_time_reads.extend((value, self._loc(node)) for value in values)
        if (self.frames[-1].kind == "module" and isinstance(call, ast.Call) and values
                and id(call) not in self.site_of_call):
            for key in keys:
                self.facts.instances.append(InstanceFact(
                    key, values, self._loc(node), self._snippet(node)))

    _stmt_AnnAssign = _stmt_Assign

    def _stmt_Return(self, node: ast.Return) -> None:
        if node.value is None:
            return
        values = self._eval(node.value)
        function = self._function()
        if function is None:
            return
        self._set_holder(node.value, "return", f"{function.qualname}.{RETURN}")
        for value in values:
            self.facts.edges.append((f"{function.qualname}.{RETURN}", value))

    def _stmt_With(self, node: ast.With | ast.AsyncWith) -> None:
        for item in node.items:
            values = self._eval(item.context_expr)
            created_here = id(_unwrap(item.context_expr)) in self.site_of_call
            if not created_here:
                for value in values:
                    self._use(value, ASYNC_WITH, item.context_expr)
            if item.optional_vars is not None:
                self._bind(item.optional_vars, item.context_expr, values)
            if created_here:
                index = self.site_of_call[id(_unwrap(item.context_expr))]
                self.facts.sites[index].holder = "with"
        self._stmts(node.body)

    _stmt_AsyncWith = _stmt_With

    # --- binding -------------------------------------------------------------------------

    def _bind(self, target: ast.expr, value_node: ast.expr,
              values: tuple[str, ...]) -> tuple[str, ...]:
        """Record that the keys `target` names may hold `values`; return those keys."""
        if isinstance(target, (ast.Tuple, ast.List)):
            inner = _unwrap(value_node)
            if isinstance(inner, (ast.Tuple, ast.List)) and len(inner.elts) == len(target.elts):
                for sub_target, sub_value in zip(target.elts, inner.elts):
                    self._bind(sub_target, sub_value, self._eval_pure(sub_value))
            else:
                for sub_target in target.elts:
                    self._target_keys(sub_target)
            return ()
        keys = self._target_keys(target)
        if self._picks_from_table(value_node):
            for key in keys:
                self.picked[key] = (*self.picked.get(key, ()), *values)
        if keys:
            self._set_holder(value_node, self._holder_kind(target), keys[0])
        for key in keys:
            for value in values:
                self.facts.edges.append((key, value))
        return keys

    def _picks_from_table(self, value: ast.expr) -> bool:
        """`TABLE[name]` or `TABLE.get(name)` on a dispatch table (see `dispatch_tables`)."""
        value = _unwrap(value)
        if isinstance(value, ast.Call) and isinstance(value.func, ast.Attribute) \
                and value.func.attr == "get":
            value = value.func.value
        elif isinstance(value, ast.Subscript):
            value = value.value
        else:
            return False
        return self._dispatch_table(value) is not None

    def _holder_kind(self, target: ast.expr) -> str:
        frame = self.frames[-1]
        if isinstance(target, ast.Name):
            if frame.kind == "class":
                return "member"
            if frame.kind == "module" or target.id in frame.info.globals:
                return "global"
            return "local"
        if isinstance(target, (ast.Attribute, ast.Subscript)):
            keys = self._target_keys_pure(target)
            if any(k.startswith("@") for k in keys):
                return "app-state"  # `app.state.redis`, `app["redis"]`: the app holds it
            base = self._eval_pure(target.value)
            if isinstance(target, ast.Attribute) and any(
                    v.startswith(INSTANCE_PREFIX) for v in base):
                return "member"
            return "attribute"
        return "expression"

    def _target_keys_pure(self, target: ast.Attribute | ast.Subscript) -> tuple[str, ...]:
        base = self._eval_pure(target.value) if not isinstance(target.value, ast.Subscript) \
            else self._target_keys_pure(target.value)
        if isinstance(target, ast.Attribute):
            return self._attr(base, target.attr)
        item = _item_name(target.slice, self._eval_pure)
        return self._attr(base, item) if item else ()

    def _target_keys(self, target: ast.expr) -> tuple[str, ...]:
        """The keys an assignment target names (evaluating what a subscript needs)."""
        if isinstance(target, ast.Name):
            key = self._name_key(target.id, store=True)
            return (key,) if key else ()
        if isinstance(target, ast.Starred):
            return self._target_keys(target.value)
        keys = self._eval(target)
        # `a.b` and `a[k]` name what a load of them names; a tuple or list names nothing whole
        return keys if isinstance(target, (ast.Attribute, ast.Subscript)) else ()

    # --- positions and text --------------------------------------------------------------

    def _loc(self, node: ast.AST) -> Location:
        line = getattr(node, "lineno", 1)
        offset = getattr(node, "col_offset", 0)
        text = self.lines[line - 1] if 0 < line <= len(self.lines) else ""
        # ast columns count UTF-8 bytes; people and editors count characters
        col = len(text.encode("utf-8")[:offset].decode("utf-8", errors="replace"))
        return Location(line, col + 1)

    def _snippet(self, node: ast.expr | ast.stmt) -> str:
        # ast.get_source_segment re-splits the whole file on every call: far too slow here
        first, last = node.lineno - 1, (node.end_lineno or node.lineno) - 1
        if self.byte_lines is None:
            self.byte_lines = [line.encode("utf-8") for line in self.lines]
        chunk = self.byte_lines[first:last + 1]
        if not chunk:
            return ""
        end = node.end_col_offset if node.end_col_offset is not None else len(chunk[-1])
        if len(chunk) == 1:
            chunk = [chunk[0][node.col_offset:end]]
        else:
            chunk = [chunk[0][node.col_offset:], *chunk[1:-1], chunk[-1][:end]]
        segment = b"\n".join(chunk).decode("utf-8", errors="replace")
        # masked before it is cut: a cut in a password would hide where that password ends
        one_line = mask_secrets(" ".join(part.strip() for part in segment.splitlines()))
        if len(one_line) > 120:
            one_line = one_line[:117] + "..."
        return one_line


def _field_default(node: ast.Assign | ast.AnnAssign, frame: _Frame,
                   evaluate: Callable[[ast.expr], tuple[str, ...]]) -> str | None:
    """The field's name when `node` is a dataclass field whose default is a call
    (`redis: Redis = make_client()`, not `field(...)` nor a `ClassVar`), else None."""
    if not (frame.kind == "class" and frame.dataclass and isinstance(node, ast.AnnAssign)
            and isinstance(node.target, ast.Name) and isinstance(node.value, ast.Call)):
        return None
    annotation = node.annotation.value if isinstance(node.annotation, ast.Subscript) \
        else node.annotation
    if any(v in ("typing.ClassVar", "dataclasses.field", "dataclasses.InitVar")
           for v in (*evaluate(annotation), *evaluate(node.value.func))):
        return None
    return node.target.id


def _is_property(decorator: ast.expr) -> bool:
    """`@property`, `@functools.cached_property`, `@cached_property` (builtins: by spelling)."""
    name = decorator.attr if isinstance(decorator, ast.Attribute) else (
        decorator.id if isinstance(decorator, ast.Name) else None)
    return name in ("property", "cached_property")


def _nested_bindings(tree: ast.Module) -> set[str]:
    """Names bound inside functions and classes: defs, parameters, assignment targets."""
    found: set[str] = set()
    for statement in tree.body:
        if not isinstance(statement, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            continue
        for node in ast.walk(statement):
            if node is statement:
                continue
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                found.add(node.name)
            elif isinstance(node, ast.arg):
                found.add(node.arg)
            elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
                found.add(node.id)
    return found


def _dispatch_tables(tree: ast.Module) -> dict[str, tuple[ast.expr, ...]]:
    """Module-level `NAME = {key: Name, ...}` (values names or dotted names only), bound once
    and never stored into (`NAME[k] = v`, `NAME.update(...)` and the like make it no table):
    a table of classes or functions that code picks from at run time."""
    bound: Counter[str] = Counter()
    tables: dict[str, tuple[ast.expr, ...]] = {}
    for statement in tree.body:
        targets = statement.targets if isinstance(statement, ast.Assign) else \
            [statement.target] if isinstance(statement, ast.AnnAssign) else []
        for target in targets:
            for node in ast.walk(target):
                if isinstance(node, ast.Name):
                    bound[node.id] += 1
        value = getattr(statement, "value", None)
        if len(targets) == 1 and isinstance(targets[0], ast.Name) \
                and isinstance(value, ast.Dict) and value.values and None not in value.keys \
                and all(isinstance(v, (ast.Name, ast.Attribute)) for v in value.values):
            tables[targets[0].id] = tuple(value.values)
    tables = {name: values for name, values in tables.items() if bound[name] == 1}
    if not tables:
        return tables
    for node in ast.walk(tree):
        changed = None
        if isinstance(node, ast.Subscript) and isinstance(node.ctx, (ast.Store, ast.Del)):
            changed = node.value
        elif isinstance(node, ast.Attribute) and node.attr in _MUTATORS:
            changed = node.value
        elif isinstance(node, (ast.Global, ast.Nonlocal)):
            for name in node.names:
                tables.pop(name, None)
        if isinstance(changed, ast.Name):
            tables.pop(changed.id, None)
    return tables


def _bound_once_to_call_of(function: ast.FunctionDef | ast.AsyncFunctionDef,
                           callee: str) -> list[str]:
    """The local names `function` binds once, and then to `callee(...)` (`cls()`)."""
    stores: dict[str, int] = {}
    calls: set[str] = set()
    for node in ast.walk(function):
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            stores[node.id] = stores.get(node.id, 0) + 1
        elif isinstance(node, ast.Assign) and len(node.targets) == 1 \
                and isinstance(node.targets[0], ast.Name) and isinstance(node.value, ast.Call) \
                and isinstance(node.value.func, ast.Name) and node.value.func.id == callee:
            calls.add(node.targets[0].id)
        elif isinstance(node, (ast.Global, ast.Nonlocal)):
            stores.update({name: 2 for name in node.names})  # not a local
    return sorted(name for name in calls if stores.get(name) == 1 and name != callee)


def _is_main_guard(test: ast.expr) -> bool:
    """`__name__ == "__main__"`, either way round."""
    if not (isinstance(test, ast.Compare) and len(test.ops) == 1
            and isinstance(test.ops[0], ast.Eq)):
        return False
    sides = (test.left, test.comparators[0])
    return any(isinstance(a, ast.Name) and a.id == "__name__" for a in sides) and any(
        isinstance(b, ast.Constant) and b.value == "__main__" for b in sides)

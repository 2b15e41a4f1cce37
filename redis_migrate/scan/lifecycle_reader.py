"""Read the team's lifecycle module: what its central client is, and what its accessors accept.

Phase 1 is done before the tool runs (seed §1): the team's module, as it is, is the target API.
This reads it statically, never running it: the central client's construction (`from_url`,
`Redis(...)`, a pool), its URL expression and every option, through literals, module
constants, a settings object's defaults, environment lookups with a default and dicts of kwargs;
and the accessors (`get_redis()`, `get_redis(name)`, `get_redis(*, blocking=...)`,
`get_sync_redis()`, …) with their signatures. A value it cannot know is reported as unknown,
never replaced by the template's; `[tool.migrate] central = {...}` may state it.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from redis_migrate.analysis.newer_syntax import parse_source
from redis_migrate.analysis.scopes import bind_import
from redis_migrate.analysis.source_text import decode_source
from redis_migrate.analysis.url_keys import literal_url_key
from redis_migrate.codemods._ast_chain import ast_dotted
from redis_migrate.redact import mask_secrets
from redis_migrate.redis_api import CONSTRUCTORS
from redis_migrate.scan.discovery import module_name
from redis_migrate.scan.sync_url import SyncUrl, read_tail, split_tail


class _Unknown:
    def __repr__(self) -> str:
        return "unknown"


UNKNOWN: Any = _Unknown()

# What redis-py does when an option is not passed (the comparison needs both sides).
LIBRARY_DEFAULTS: dict[str, Any] = {"decode_responses": False, "encoding": "utf-8"}
# redis-py 8.0 made socket_timeout=5 the default (facts §0.3): assume it, which errs on the
# side of giving long blocking reads their own client.
DEFAULT_SOCKET_TIMEOUT = 5.0

CAPABILITIES = ("shared-client", "blocking-client", "named-client", "sync-client",
                "lazy-client")


@dataclass(frozen=True, slots=True)
class Option:
    """One option of the central client: as written, its value if known, and where from."""

    source: str
    value: Any = UNKNOWN
    origin: str = "literal"

    @property
    def known(self) -> bool:
        return self.value is not UNKNOWN


@dataclass(frozen=True, slots=True)
class Signature:
    """The parameters of an accessor, enough to tell which calls it can answer."""

    name: str
    positional: tuple[str, ...] = ()
    keyword_only: tuple[str, ...] = ()
    required: tuple[str, ...] = ()
    var_keyword: bool = False

    def accepts(self, positional: int = 0, keywords: tuple[str, ...] = ()) -> bool:
        """Whether `name(<positional args>, k=...)` binds without a TypeError."""
        if positional > len(self.positional):
            return False
        given = set(self.positional[:positional]) | set(keywords)
        for keyword in keywords:
            if keyword in self.positional[:positional]:
                return False
            if keyword not in self.positional and keyword not in self.keyword_only \
                    and not self.var_keyword:
                return False
        return all(r in given for r in self.required)

    def render(self) -> str:
        parts = list(self.positional)
        if self.keyword_only:
            parts += ["*", *self.keyword_only]
        if self.var_keyword:
            parts.append("**kwargs")
        return f"{self.name}({', '.join(parts)})"


@dataclass(slots=True)
class CentralClient:
    """How the module builds the client `get_redis()` hands out."""

    construction: str  # "from_url" | "Redis(...)" | "pool"
    line: int
    function: str | None  # the def it is built in (None: at import)
    holders: tuple[str, ...]  # what it is stored in: "_client", "_pool", "manager.client"
    url: str | None = None  # the URL expression as written (secrets masked)
    url_key: str | None = None  # what it resolves to (a qualified name or "literal:<hash>")
    options: dict[str, Option] = field(default_factory=dict)


@dataclass(slots=True)
class LifecycleFacts:
    """Everything the rewrites may rely on about the team's lifecycle module."""

    path: str
    import_name: str
    template: bool = False  # the toolkit's own template, unchanged
    central: CentralClient | None = None
    accessors: dict[str, Signature] = field(default_factory=dict)
    url_parameter: bool = False  # init_redis() takes the URL from its callers
    unknown: list[str] = field(default_factory=list)  # one line per value not read statically
    problems: list[str] = field(default_factory=list)  # what makes the module unusable
    stated: list[str] = field(default_factory=list)  # values given by [tool.migrate] central
    # the module with a blocking client added (scan/lifecycle_extension.py), or why not
    blocking_extension: Any = None
    blocking_gap: str = ""
    # the URL `init` configured for get_sync_redis() in the template (scan/sync_url.py)
    sync_url: SyncUrl | None = None
    # what init_redis(clients={"default": {...}}) gives the shared client, by option: the key
    # of the name passed (`db` -> `app.config.settings.REDIS_DB`), as the app calls it or as
    # the batch wires it (scan/wiring.py)
    passed_options: dict[str, str] = field(default_factory=dict)

    def option(self, name: str) -> Option:
        """The central client's option `name` (the library's default when it is not passed)."""
        if self.central is not None and name in self.central.options:
            return self.central.options[name]
        if name == "socket_timeout":
            return Option("(not passed)", DEFAULT_SOCKET_TIMEOUT,
                          "redis-py's default (5 s from redis-py 8.0)")
        if name in LIBRARY_DEFAULTS:
            return Option("(not passed)", LIBRARY_DEFAULTS[name], "redis-py's default")
        return Option("(not passed)", None, "not passed")

    def has(self, capability: str) -> bool:
        return capability in self.capabilities

    @property
    def capabilities(self) -> frozenset[str]:
        found = set()
        get = self.accessors.get("get_redis")
        if get is not None and get.accepts():
            found.add("shared-client")
        if self.blocking_call() is not None:
            found.add("blocking-client")
        if get is not None and get.accepts(positional=1):
            found.add("named-client")
        sync = self.accessors.get("get_sync_redis")
        if sync is not None and sync.accepts():
            found.add("sync-client")
        # a stand-in made at import that looks up get_redis() when used (the template's)
        lazy = self.accessors.get("lazy_redis")
        if lazy is not None and lazy.accepts():
            found.add("lazy-client")
        return frozenset(found)

    def blocking_call(self) -> tuple[str, str] | None:
        """(function, arguments) that return the blocking client, if the module has one."""
        get = self.accessors.get("get_redis")
        if get is not None and get.accepts(keywords=("blocking",)):
            return "get_redis", "blocking=True"
        other = self.accessors.get("get_blocking_redis")
        if other is not None and other.accepts():
            return "get_blocking_redis", ""
        return None

    def summary(self) -> list[str]:
        """What was read, one line each (`migrate init` prints it)."""
        lines = []
        if self.template:
            lines.append("the toolkit's template")
        central = self.central
        if central is not None:
            where = f"in {central.function}()" if central.function else "at import"
            lines.append(f"central client: {central.construction}, line {central.line}, "
                         f"{where}, held in {', '.join(central.holders) or '(nothing)'}")
            url = central.url or "(the library default, localhost)"
            if self.url_parameter:
                url += " (or the URL its callers pass to init_redis())"
            lines.append(f"  url: {url}")
            for name in sorted(central.options):
                option = central.options[name]
                value = "unknown" if not option.known else repr(option.value)
                origin = "" if option.origin == "literal" else f" ({option.origin})"
                lines.append(f"  {name}: {value}{origin}")
        if self.sync_url is not None:
            lines.append(f"  sync url: {mask_secrets(self.sync_url.code)} (configure_sync_redis("
                         f"), read when the first sync client is made)")
        for name in ("decode_responses", "socket_timeout"):
            if central is None or name not in central.options:
                option = self.option(name)
                lines.append(f"  {name}: {option.value!r} ({option.origin})")
        for signature in self.accessors.values():
            lines.append(f"accessor: {signature.render()}")
        lines.append("capabilities: " + (", ".join(c for c in CAPABILITIES if self.has(c))
                                         or "none"))
        lines += [f"stated in [tool.migrate] central: {s}" for s in self.stated]
        lines += [f"cannot be read statically: {u}" for u in self.unknown]
        return lines


ACCESSOR_NAMES = ("init_redis", "get_redis", "close_redis", "get_sync_redis",
                  "get_blocking_redis", "ping_redis", "lazy_redis")


def read_lifecycle(repo: Path, path: str, import_name: str,
                   stated: Mapping[str, Any] | None = None,
                   template_text: str | None = None) -> LifecycleFacts:
    """Read the lifecycle module at `path` (relative to `repo`); never raises on bad input."""
    facts = LifecycleFacts(path=path, import_name=import_name)
    try:
        text = decode_source((repo / path).read_bytes())
    except OSError as exc:
        facts.problems.append(f"{path}: cannot read the lifecycle module: "
                              f"{exc.strerror or exc}")
        return facts
    except (SyntaxError, UnicodeDecodeError, LookupError) as exc:
        facts.problems.append(f"{path}: cannot decode the lifecycle module: {exc}")
        return facts
    try:
        tree = parse_source(text, filename=path)
    except SyntaxError as exc:
        facts.problems.append(f"{path}:{exc.lineno or 1}: the lifecycle module does not parse: "
                              f"{exc.msg}")
        return facts
    except (ValueError, RecursionError) as exc:
        facts.problems.append(f"{path}: the lifecycle module does not parse: {exc}")
        return facts
    module, is_package = module_name(path)
    reader = _ModuleReader(repo, tree, module, is_package)
    facts.accessors = {n: s for n, s in reader.signatures().items() if n in ACCESSOR_NAMES}
    if "get_redis" not in facts.accessors:
        facts.problems.append(f"{path}: the lifecycle module defines no get_redis()")
    get = next((n for n in tree.body if isinstance(n, ast.AsyncFunctionDef)
                and n.name == "get_redis"), None)
    if get is not None:
        facts.problems.append(f"{path}:{get.lineno}: get_redis() is a coroutine function; a "
                              f"rewritten site would get a coroutine, not a client (make it a "
                              f"plain def that returns the client init_redis() created)")
    head, tail = split_tail(text)
    sync_url = read_tail(tail, path, module, is_package) if tail is not None else None
    if sync_url is not None:
        text = head  # the template, with the sync clients' URL `init` appended
    if template_text is not None and _same_template(text, template_text):
        facts.template = True
        facts.sync_url = sync_url
        facts.central = _template_central(text)
        facts.url_parameter = True
    else:
        facts.central, facts.url_parameter = reader.central(facts.unknown)
        if facts.central is None and "get_redis" in facts.accessors:
            facts.problems.append(f"{path}: no Redis client or pool is created in it that "
                                  f"get_redis() could return; the reader cannot tell what "
                                  f"the central client is")
    _apply_stated(facts, stated or {})
    return facts


# The template's tunables: `NAME: type = _env_float("REDIS_NAME", default)`. `init` may write
# other defaults (decode_responses from the app's clients), so they are read, not assumed.
_TEMPLATE_DEFAULT = re.compile(r'^([A-Z_]+): (?:float|bool|str|int) = _env_(?:float|bool|int)\('
                               r'"REDIS_[A-Z_]+", ([^)\n]+)\)$', re.MULTILINE)
_TEMPLATE_OPTIONS = {"DECODE_RESPONSES": "decode_responses", "SOCKET_TIMEOUT": "socket_timeout",
                     "SOCKET_CONNECT_TIMEOUT": "socket_connect_timeout",
                     "HEALTH_CHECK_INTERVAL": "health_check_interval",
                     "RETRY_ON_TIMEOUT": "retry_on_timeout",
                     "MAX_CONNECTIONS": "max_connections"}


def _same_template(text: str, template: str) -> bool:
    """The template, its tunables' defaults aside."""
    def normal(source: str) -> str:
        return _TEMPLATE_DEFAULT.sub(r"\1", source.replace("\r\n", "\n")).strip()
    return normal(text) == normal(template)


def _template_central(text: str) -> CentralClient:
    """The template builds its pools from module constants read from the environment."""
    options = {}
    for match in _TEMPLATE_DEFAULT.finditer(text.replace("\r\n", "\n")):
        constant, default = match.group(1), match.group(2)
        if constant not in _TEMPLATE_OPTIONS:
            continue
        try:
            value = ast.literal_eval(default)
        except (ValueError, SyntaxError):
            value = UNKNOWN
        if constant == "MAX_CONNECTIONS" and value == 0:
            continue  # 0: the template passes no limit, as a client without the option
        options[_TEMPLATE_OPTIONS[constant]] = Option(
            constant, value, f"the template's default; $REDIS_{constant} overrides it at startup")
    return CentralClient(
        construction="pool", line=1, function="init_redis", holders=("_state",),
        url="url or $REDIS_URL or 'redis://localhost:6379/0'", url_key=None, options=options)


def _apply_stated(facts: LifecycleFacts, stated: Mapping[str, Any]) -> None:
    """`[tool.migrate] central = { decode-responses = true, ... }` wins over what was read."""
    if not stated:
        return
    if facts.central is None:
        facts.central = CentralClient("stated", 0, None, ())
    for key, value in stated.items():
        name = key.replace("-", "_")
        if name == "url":
            facts.central.url = str(value)
            facts.central.url_key = str(value)
        else:
            facts.central.options[name] = Option(repr(value), value, "[tool.migrate] central")
        facts.stated.append(f"{name} = {value!r}")
        facts.unknown = [u for u in facts.unknown if not u.startswith(f"{name}:")]


class _ModuleReader:
    """Static evaluation over one module's AST (and the settings modules it imports)."""

    def __init__(self, repo: Path, tree: ast.Module, module: str, is_package: bool) -> None:
        self.repo, self.tree, self.module = repo, tree, module
        self.package = module if is_package else module.rpartition(".")[0]
        self.imports = _imports(tree, self.package)
        self.functions = {n.name: n for n in tree.body
                          if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))}
        self.classes = {n.name: n for n in tree.body if isinstance(n, ast.ClassDef)}
        self.assigned = _module_assignments(tree)

    def signatures(self) -> dict[str, Signature]:
        return {name: signature(node) for name, node in self.functions.items()}

    # --- the central client -------------------------------------------------------------

    def central(self, unknown: list[str]) -> tuple[CentralClient | None, bool]:
        """The client get_redis() hands out, built where init_redis() (or get_redis()) runs."""
        calls = self._constructor_calls()
        clients = [c for c in calls if CONSTRUCTORS[c[1]] == "client" and _is_async(c[1])]
        pools = [c for c in calls if CONSTRUCTORS[c[1]] == "pool" and _is_async(c[1])]
        if not clients and not pools:
            return None, False
        pool_call = None
        if clients:
            call, callee, function, holders = clients[0]
            pooled = _pool_argument(call)
            if pooled is not None or callee.endswith(".from_pool"):
                pool_call = next((p for p in pools if _holds(p[3], pooled)), None) or (
                    pools[0] if pools else None)
        else:
            call, callee, function, holders = pools[0]
            pool_call, holders = pools[0], pools[0][3]
        if pool_call is not None:
            construction = "pool"
            option_call, option_function = pool_call[0], pool_call[2]
            holders = tuple(dict.fromkeys([*pool_call[3], *holders]))
        else:
            construction = "from_url" if callee.endswith("from_url") else "Redis(...)"
            option_call, option_function = call, function
        scope = self._scope(option_function)
        url_node = _url_argument(option_call, construction)
        url_parameter = False
        url = url_key = None
        if url_node is not None:
            constants: list[ast.expr] = []
            url_node, url_parameter = self._url_fallback(url_node, scope, constants)
            url = mask_secrets(ast.unparse(url_node))
            # `REDIS_URL = os.getenv(...)`: the analysis keys such a constant by its name
            url_key = self._key(url_node, scope) or next(
                (k for k in (self._key(c, scope) for c in reversed(constants)) if k), None)
            if url_key is None:
                unknown.append(f"url: {url} (line {option_call.lineno}) is not a name or a "
                               f"literal the URLs of other clients can be compared with")
        elif construction != "pool" and "host" not in _keyword_names(option_call):
            url = None
        options = self._options(option_call, scope, unknown)
        if pool_call is not None and call is not pool_call[0]:
            for name, option in self._options(call, self._scope(function),
                                              unknown).items():
                options.setdefault(name, option)
        central = CentralClient(construction, call.lineno, function, holders, url, url_key,
                                options)
        return central, url_parameter

    def _constructor_calls(self) -> list[tuple[ast.Call, str, str | None, tuple[str, ...]]]:
        """(call, callee, enclosing top-level def, names it is assigned to), in source order."""
        found = []
        for function, body in self._bodies():
            for node in _walk_body(body):
                if isinstance(node, (ast.Assign, ast.AnnAssign)) and node.value is not None:
                    targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                    names = tuple(t for t in (_target_text(t) for t in targets) if t)
                    value = node.value
                    while isinstance(value, ast.Await):
                        value = value.value
                    if isinstance(value, ast.Call):
                        callee = self._qualified(value.func)
                        if callee in CONSTRUCTORS:
                            found.append((value, callee, function, names))
                            continue
                if hasattr(node, "body"):
                    continue  # a compound statement: its inner statements come next
                for call in (n for n in ast.walk(node) if isinstance(n, ast.Call)):
                    callee = self._qualified(call.func)
                    if callee in CONSTRUCTORS and not any(f[0] is call for f in found):
                        if isinstance(node, (ast.Assign, ast.AnnAssign)):
                            continue  # counted above through its assignment
                        found.append((call, callee, function, ()))
        found.sort(key=lambda f: (f[0].lineno, f[0].col_offset))
        # a client built in close_redis() or a sync accessor is not the central one
        return [f for f in found if f[2] not in ("close_redis", "get_sync_redis")]

    def _bodies(self) -> Iterator[tuple[str | None, list[ast.stmt]]]:
        """(top-level def or `Class.method`, its body); the module's own statements first."""
        yield None, [n for n in self.tree.body
                     if not isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef,
                                           ast.ClassDef))]
        for name, node in self.functions.items():
            yield name, node.body
        for cls in self.classes.values():
            for item in cls.body:
                if isinstance(item, (ast.FunctionDef, ast.AsyncFunctionDef)):
                    yield f"{cls.name}.{item.name}", item.body

    def _scope(self, function: str | None) -> ast.AST | None:
        """The def named `function` ("init_redis", or "Class.method" for a method)."""
        owner, _, name = (function or "").rpartition(".")
        if not owner:
            return self.functions.get(name)
        cls = self.classes.get(owner)
        return next((n for n in (cls.body if cls else []) if isinstance(
            n, (ast.FunctionDef, ast.AsyncFunctionDef)) and n.name == name), None)

    def _url_fallback(self, node: ast.expr, scope: ast.AST | None,
                      constants: list[ast.expr] | None = None,
                      depth: int = 0) -> tuple[ast.expr, bool]:
        """`url or settings.REDIS_URL` with `url` a parameter: the fallback, and True.

        The parameter of a helper (or of a method) the module calls once is what that call
        passes (`await manager.start(settings.REDIS_URL)` in init_redis()).
        """
        node = self._follow_local(node, scope, names=constants)
        parameter = False
        if isinstance(node, ast.BoolOp) and isinstance(node.op, ast.Or):
            names = _parameters(scope)
            if isinstance(node.values[0], ast.Name) and node.values[0].id in names:
                parameter = True
                node = node.values[-1]
        elif isinstance(node, ast.Name) and node.id in _parameters(scope):
            passed = self._passed(scope, node.id) if depth < 4 else None
            if passed is not None:
                return self._url_fallback(passed[0], passed[1], constants, depth + 1)
            parameter = True
            default = _parameter_default(scope, node.id)
            if default is not None:
                node = default
        return self._follow_local(node, scope, names=constants), parameter

    def _passed(self, scope: ast.AST | None, name: str) -> tuple[ast.expr, ast.AST] | None:
        """What the one call of helper/method `scope` in this module passes as `name`, and
        the def that calls it; None for the accessors (their callers are outside)."""
        if not isinstance(scope, (ast.FunctionDef, ast.AsyncFunctionDef)) or (
                self.functions.get(scope.name) is scope and scope.name in ACCESSOR_NAMES):
            return None
        owner = next((c for c in self.classes.values() if scope in c.body), None)
        positional = [a.arg for a in [*scope.args.posonlyargs, *scope.args.args]]
        receivers = {"self"}
        if owner is not None:
            positional = positional[1:]
            receivers |= {n for n, v in self.assigned.items() if len(v) == 1 and isinstance(
                v[0], ast.Call) and _dotted(v[0].func) == owner.name}
        callers = [*self.functions.values(), *(n for c in self.classes.values() for n in c.body
                                               if isinstance(n, (ast.FunctionDef,
                                                                 ast.AsyncFunctionDef)))]
        found = []
        for caller in callers:
            for call in (n for n in ast.walk(caller) if isinstance(n, ast.Call)):
                func = call.func
                if owner is None and isinstance(func, ast.Name) and func.id == scope.name or (
                        owner is not None and isinstance(func, ast.Attribute)
                        and func.attr == scope.name and isinstance(func.value, ast.Name)
                        and func.value.id in receivers):
                    found.append((call, caller))
        if len(found) != 1 or found[0][1] is scope:
            return None
        call, caller = found[0]
        for keyword in call.keywords:
            if keyword.arg == name:
                return keyword.value, caller
        index = positional.index(name) if name in positional else len(call.args)
        if index < len(call.args) and not any(isinstance(a, ast.Starred)
                                              for a in call.args[:index + 1]):
            return call.args[index], caller
        return None

    def _follow_local(self, node: ast.expr, scope: ast.AST | None, depth: int = 0,
                      names: list[ast.expr] | None = None) -> ast.expr:
        """A name assigned once in the function (or the module) stands for its value.

        `names` collects the module-level names followed on the way."""
        if not isinstance(node, ast.Name) or depth > 5:
            return node
        if scope is not None:
            values = [v for t, v in _assignments(scope) if t == node.id]
            if len(values) == 1:
                return self._follow_local(values[0], scope, depth + 1, names)
            if values:
                return node
        values = self.assigned.get(node.id, [])
        if len(values) == 1 and node.id not in self.imports:
            if names is not None:
                names.append(node)
            return self._follow_local(values[0], None, depth + 1, names)
        return node

    def _key(self, node: ast.expr, scope: ast.AST | None) -> str | None:
        """The key a URL expression names, in the analysis' key space (see analysis/facts)."""
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            return literal_url_key(node.value)
        chain = _dotted(node)
        if chain is None:
            return None
        head, _, rest = chain.partition(".")
        if head in self.imports:
            base = self.imports[head]
        elif head in self.assigned or head in self.functions or head in self.classes:
            base = f"{self.module}.{head}"
        else:
            return None
        return f"{base}.{rest}" if rest else base

    def _qualified(self, node: ast.expr) -> str | None:
        chain = _dotted(node)
        if chain is None:
            return None
        head, _, rest = chain.partition(".")
        if head not in self.imports:
            return None
        base = self.imports[head]
        return f"{base}.{rest}" if rest else base

    # --- values -------------------------------------------------------------------------

    def _options(self, call: ast.Call, scope: ast.AST | None,
                 unknown: list[str]) -> dict[str, Option]:
        options: dict[str, Option] = {}
        for keyword in call.keywords:
            if keyword.arg is None:  # **kwargs: a dict the module builds
                spread = self._dict(keyword.value, scope)
                if spread is None:
                    unknown.append(f"**{ast.unparse(keyword.value)} (line {call.lineno}): its "
                                   f"keys cannot be read statically")
                    continue
                for name, value_node in spread.items():
                    options[name] = self._option(name, value_node, scope, unknown)
                continue
            if keyword.arg in ("url", "address", "connection_pool"):
                continue  # the pool is where the options are, not one of them
            options[keyword.arg] = self._option(keyword.arg, keyword.value, scope, unknown)
        return options

    def _option(self, name: str, node: ast.expr, scope: ast.AST | None,
                unknown: list[str]) -> Option:
        source = mask_secrets(ast.unparse(node))
        value, origin = self._value(node, scope, 0)
        if value is UNKNOWN:
            unknown.append(f"{name}: {source} (line {node.lineno})")
        return Option(source, value, origin)

    def _value(self, node: ast.expr, scope: ast.AST | None, depth: int) -> tuple[Any, str]:
        if depth > 8:
            return UNKNOWN, ""
        try:
            return ast.literal_eval(node), "literal"
        except (ValueError, SyntaxError, TypeError):
            pass
        if isinstance(node, ast.Name):
            followed = self._follow_local(node, scope)
            if followed is not node:
                value, origin = self._value(followed, scope, depth + 1)
                return value, _via(f"constant {node.id}", origin)
            if node.id in self.imports:
                return self._imported(self.imports[node.id], depth)
            return UNKNOWN, ""
        if isinstance(node, ast.Attribute):
            chain = _dotted(node)
            if chain is not None:
                head, _, rest = chain.partition(".")
                if head in self.imports:
                    return self._imported(f"{self.imports[head]}.{rest}", depth)
                if head in self.assigned:
                    return self._attribute_of_instance(self.module, self.tree, head, rest)
            return UNKNOWN, ""
        if isinstance(node, ast.Call):
            return self._call_value(node, scope, depth)
        return UNKNOWN, ""

    def _call_value(self, node: ast.Call, scope: ast.AST | None, depth: int) -> tuple[Any, str]:
        """`float(os.getenv("X", "2"))`, `os.environ.get("X", 5)`: the default, noted."""
        callee = _dotted(node.func) or ""
        if callee in ("float", "int", "bool", "str") and len(node.args) == 1:
            value, origin = self._value(node.args[0], scope, depth + 1)
            if value is UNKNOWN:
                return UNKNOWN, ""
            try:
                if callee == "bool" and isinstance(value, str):
                    return value.strip().lower() in {"1", "true", "yes", "on"}, origin
                return {"float": float, "int": int, "bool": bool, "str": str}[callee](value), \
                    origin
            except (TypeError, ValueError):
                return UNKNOWN, ""
        qualified = self._qualified(node.func) or callee
        if qualified in ("os.getenv", "os.environ.get") and len(node.args) == 2:
            variable = node.args[0]
            default, _ = self._value(node.args[1], scope, depth + 1)
            if isinstance(variable, ast.Constant) and default is not UNKNOWN:
                return default, f"the default of ${variable.value!s}, which can override it"
        return UNKNOWN, ""

    def _imported(self, qualified: str, depth: int) -> tuple[Any, str]:
        """A module constant or a settings object's attribute, read from its module's file."""
        parts = qualified.split(".")
        for cut in range(len(parts) - 1, 0, -1):
            module = ".".join(parts[:cut])
            tree = self._parse_module(module)
            if tree is None:
                continue
            rest = parts[cut:]
            if len(rest) == 1:
                values = _module_assignments(tree).get(rest[0], [])
                if len(values) == 1:
                    reader = _ModuleReader(self.repo, tree, module, False)
                    value, origin = reader._value(values[0], None, depth + 1)
                    return value, _via(f"{module}.{rest[0]}", origin)
                return UNKNOWN, ""
            return self._attribute_of_instance(module, tree, rest[0], ".".join(rest[1:]))
        return UNKNOWN, ""

    def _attribute_of_instance(self, module: str, tree: ast.Module, instance: str,
                               attribute: str) -> tuple[Any, str]:
        """`settings.redis_url` with `settings = Settings()`: the class attribute's default."""
        values = _module_assignments(tree).get(instance, [])
        if len(values) != 1 or not isinstance(values[0], ast.Call) or "." in attribute:
            return UNKNOWN, ""
        class_name = _dotted(values[0].func)
        classes = {n.name: n for n in tree.body if isinstance(n, ast.ClassDef)}
        cls = classes.get(class_name or "")
        if cls is None or values[0].args or values[0].keywords:
            return UNKNOWN, ""
        for item in cls.body:
            target = value = None
            if isinstance(item, ast.AnnAssign) and isinstance(item.target, ast.Name):
                target, value = item.target.id, item.value
            elif isinstance(item, ast.Assign) and len(item.targets) == 1 \
                    and isinstance(item.targets[0], ast.Name):
                target, value = item.targets[0].id, item.value
            if target == attribute and value is not None:
                reader = _ModuleReader(self.repo, tree, module, False)
                found, origin = reader._value(_field_default(value), None, 1)
                where = f"the default of {cls.name}.{attribute} in {module}"
                if _is_settings_class(cls):
                    where += ", which the environment can override"
                return found, _via(where, origin)
        return UNKNOWN, ""

    def _dict(self, node: ast.expr, scope: ast.AST | None) -> dict[str, ast.expr] | None:
        node = self._follow_local(node, scope)
        found: dict[str, ast.expr] = {}
        if isinstance(node, ast.Dict):
            for key, value in zip(node.keys, node.values):
                # `**other` inside the dict, or a key that is not a literal keyword name
                if not isinstance(key, ast.Constant) or not isinstance(key.value, str):
                    return None
                found[key.value] = value
            return found
        if isinstance(node, ast.Call) and _dotted(node.func) == "dict" and not node.args:
            for keyword in node.keywords:
                if keyword.arg is None:  # `dict(**other)`
                    return None
                found[keyword.arg] = keyword.value
            return found
        return None

    def _parse_module(self, module: str) -> ast.Module | None:
        for candidate in (module.replace(".", "/") + ".py",
                          module.replace(".", "/") + "/__init__.py"):
            path = self._find(candidate)
            if path is not None:
                try:
                    return parse_source(decode_source(path.read_bytes()))
                except (OSError, SyntaxError, ValueError, UnicodeDecodeError, LookupError):
                    return None
        return None

    def _find(self, relative: str) -> Path | None:
        """The file for a module path, at the top or below one folder (`src/`, a package root)."""
        direct = self.repo / relative
        if direct.is_file():
            return direct
        mine = self.module.replace(".", "/")
        # the lifecycle module may sit below the import root (`examples/x/app/...`)
        for prefix in _prefixes(mine, relative):
            candidate = self.repo / prefix / relative
            if candidate.is_file():
                return candidate
        return None


def _prefixes(mine: str, relative: str) -> list[str]:
    parts = mine.split("/")
    return ["/".join(parts[:n]) for n in range(len(parts) - 1, 0, -1)]


def _via(step: str, origin: str) -> str:
    return step if origin in ("literal", "") else f"{step}: {origin}"


def _field_default(node: ast.expr) -> ast.expr:
    """`Field(default=2.0)` / `field(default=2.0)`: the default."""
    if isinstance(node, ast.Call) and (_dotted(node.func) or "").rsplit(".", 1)[-1] in (
            "Field", "field"):
        for keyword in node.keywords:
            if keyword.arg == "default":
                return keyword.value
        if node.args:
            return node.args[0]
    return node


def _is_settings_class(cls: ast.ClassDef) -> bool:
    return any((_dotted(b) or "").endswith("BaseSettings") for b in cls.bases)


def _is_async(callee: str) -> bool:
    return callee.startswith(("redis.asyncio.", "aioredis."))


def _pool_argument(call: ast.Call) -> ast.expr | None:
    for keyword in call.keywords:
        if keyword.arg == "connection_pool":
            return keyword.value
    if (_dotted(call.func) or "").endswith("from_pool") and call.args:
        return call.args[0]
    return None


def _holds(holders: tuple[str, ...], node: ast.expr | None) -> bool:
    return node is not None and _target_text(node) in holders


def _url_argument(call: ast.Call, construction: str) -> ast.expr | None:
    for keyword in call.keywords:
        if keyword.arg in ("url", "address"):
            return keyword.value
    callee = _dotted(call.func) or ""
    if call.args and (callee.endswith("from_url") or "create_" in callee):
        return call.args[0]
    return None


def _keyword_names(call: ast.Call) -> set[str]:
    return {k.arg for k in call.keywords if k.arg}


_dotted = ast_dotted  # `a.b.c` for a Name/Attribute chain, else None


def _target_text(node: ast.expr) -> str | None:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return _dotted(node)
    if isinstance(node, ast.Subscript):
        return None
    return None


def _imports(tree: ast.Module, package: str) -> dict[str, str]:
    """Local name -> qualified name, for every import anywhere in the module."""
    found: dict[str, str] = {}
    for node in ast.walk(tree):
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            bind_import(node, package, found)
    return found


def _module_assignments(tree: ast.Module) -> dict[str, list[ast.expr]]:
    found: dict[str, list[ast.expr]] = {}
    for node in tree.body:
        if isinstance(node, ast.Assign):
            for target in node.targets:
                if isinstance(target, ast.Name):
                    found.setdefault(target.id, []).append(node.value)
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name) \
                and node.value is not None:
            found.setdefault(node.target.id, []).append(node.value)
    return found


def _assignments(scope: ast.AST) -> list[tuple[str, ast.expr]]:
    found = []
    for node in ast.walk(scope):
        if isinstance(node, ast.Assign):
            found += [(t.id, node.value) for t in node.targets if isinstance(t, ast.Name)]
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name) \
                and node.value is not None:
            found.append((node.target.id, node.value))
    return found


def _parameters(scope: ast.AST | None) -> set[str]:
    if not isinstance(scope, (ast.FunctionDef, ast.AsyncFunctionDef)):
        return set()
    args = scope.args
    return {a.arg for a in [*args.posonlyargs, *args.args, *args.kwonlyargs]}


def _parameter_default(scope: ast.AST | None, name: str) -> ast.expr | None:
    if not isinstance(scope, (ast.FunctionDef, ast.AsyncFunctionDef)):
        return None
    args = scope.args
    positional = [*args.posonlyargs, *args.args]
    defaults = dict(zip([a.arg for a in positional[len(positional) - len(args.defaults):]],
                        args.defaults))
    defaults.update({a.arg: d for a, d in zip(args.kwonlyargs, args.kw_defaults) if d})
    default = defaults.get(name)
    if isinstance(default, ast.Constant) and default.value is None:
        return None
    return default


def _walk_body(body: list[ast.stmt]) -> Iterator[ast.stmt]:
    """Statements of a body, nested blocks included, not nested defs or classes."""
    for statement in body:
        yield statement
        if isinstance(statement, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            continue
        for name in ("body", "orelse", "finalbody"):
            yield from _walk_body(getattr(statement, name, []) or [])
        for handler in getattr(statement, "handlers", []) or []:
            yield from _walk_body(handler.body)


def signature(node: ast.FunctionDef | ast.AsyncFunctionDef) -> Signature:
    args = node.args
    positional = [a.arg for a in [*args.posonlyargs, *args.args]]
    with_default = len(args.defaults)
    required = positional[: len(positional) - with_default]
    required += [a.arg for a, d in zip(args.kwonlyargs, args.kw_defaults) if d is None]
    if positional and positional[0] in ("self", "cls"):
        positional, required = positional[1:], [r for r in required if r != positional[0]]
    return Signature(node.name, tuple(positional), tuple(a.arg for a in args.kwonlyargs),
                     tuple(required), args.kwarg is not None)

"""Where a client connects: the URL, host/port or environment read its arguments name, as a
key that two spellings of one server share (`settings.REDIS_URL`, `env:REDIS_URL`,
`host:<host>|<port>|<db>`, `literal:<hash>`), and as code a hook can pass to `init_redis()`.

The half of the extractor that reads a constructor's arguments; `extract._Extractor` is the
rest of the walk.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Callable, Mapping

from redis_migrate.analysis.evaluate import Evaluator
from redis_migrate.analysis.facts import CREDENTIALS, ENV_PREFIX, HOST_PREFIX, LITERAL_PREFIX

_URL_ARGS = ("url", "address", "host")
# callables whose first positional argument is the URL (aioredis 1.x: the address)
_URL_FIRST = frozenset({"from_url", "create_redis_pool", "create_redis", "create_pool",
                        "create_connection"})


class UrlKeys(Evaluator):
    """The URL half of the Evaluator's hooks (`_url`, `_url_key`, `_url_code`, `_key_of`)."""

    lines: list[str]  # the module's source lines
    # names bound once, to a URL with a key of its own: key -> that key. Module globals bound
    # to what the environment says (`REDIS_HOST = os.getenv("REDIS_HOST", "redis")`, see
    # `_env_constants`), and globals or locals bound to a string method's result
    # (`redis_url = settings.redis_url.replace(...)`, see `_bind_url_constant`)
    bound_constants: dict[str, str]
    _stores: dict[str, int] | None  # how often a name is bound anywhere (asked names only)
    tree: ast.Module

    def _env_constants(self) -> dict[str, str]:
        """Module globals bound once in the whole module, at its top level, to an environment
        read (`REDIS_URL = os.getenv("REDIS_URL", "redis://cache")`, also through `int()` or
        `str()`): a URL or option that names one connects where the environment says, as the
        read spelled in place would, and compares equal to it. A name bound again anywhere
        (another assignment, a loop, `global`) keeps its own key."""
        found: dict[str, str] = {}
        for stmt in self.tree.body:
            if isinstance(stmt, ast.Assign) and len(stmt.targets) == 1 \
                    and isinstance(stmt.targets[0], ast.Name):
                key = self._key_of(stmt.value)
                if key is not None and key.startswith(ENV_PREFIX):
                    found[stmt.targets[0].id] = key
        return {f"{self.facts.module}.{name}": key for name, key in found.items()
                if self._bound_once(name)}

    def _bound_once(self, name: str) -> bool:
        """Whether the bare `name` is bound exactly once in the whole module, in any scope
        (a name bound once is bound once in its scope); counted when first asked."""
        if self._stores is None:
            self._stores = {}
        if name not in self._stores:
            self._stores[name] = _bindings_of(name, self.tree.body, self.lines)
        return self._stores[name] == 1

    def _bind_url_constant(self, target: ast.expr, value: ast.expr) -> None:
        """`redis_url = settings.redis_url.replace("redis://", "rediss://")`, a global or a
        local of a def: where the name is bound nowhere else in the module, a client made
        from it connects where that expression says, and compares equal to another client
        made from the same expression (Linkly: a module global in one file, a lifespan's
        local in another)."""
        if not (isinstance(target, ast.Name) and _str_method_call(value)):
            return
        key = self._key_of(value)
        name = self._name_key(target.id, store=True)
        if key is not None and name is not None and self._bound_once(target.id):
            self.bound_constants[name] = key

    def _url_argument(self, node: ast.Call) -> ast.expr | None:
        for keyword in node.keywords:
            if keyword.arg in _URL_ARGS:
                return keyword.value
        return node.args[0] if node.args and not _from_pool(node) else None

    def _url_key(self, node: ast.Call) -> str | None:
        given = {k.arg: k.value for k in node.keywords if k.arg}
        return self._with_credentials(self._where_key(node, given), given)

    def _with_credentials(self, key: str | None, given: Mapping[str, ast.expr]) -> str | None:
        """`key` with the `password=` / `username=` given beside it: the same server with other
        credentials is another client (the shared one would connect without them). The
        same for a client's keywords and for what `init_redis(clients={"default": ...})`
        gives the shared client, so that the two compare equal."""
        for name in CREDENTIALS:
            value = given.get(name)
            if key is None or value is None or (
                    isinstance(value, ast.Constant) and value.value is None):
                continue
            part = _hashed(repr(value.value)) if isinstance(value, ast.Constant) \
                else self._key_of(value)
            key = f"{key}|{name}={part}" if part is not None else None
        return key

    def _where_key(self, node: ast.Call, given: dict[str, ast.expr]) -> str | None:
        if _defaults_to_localhost(node, given):
            # `Redis()`, `Redis(db=1)`: redis-py's defaults, localhost:6379, database 0
            return self._host_key({"host": ast.Constant("localhost"), **given})
        if "host" in given and not given.keys() & {"url", "address"}:
            return self._host_key(given)
        argument = self._url_argument(node)
        merged = _merged_url(argument, given)
        if merged is not None:  # `from_url("redis://127.0.0.1", db=1)`: host, port and db
            return self._host_key(merged)
        return self._key_of(argument) if argument is not None else None

    def _host_key(self, given: dict[str, ast.expr]) -> str | None:
        """`Redis(host=h, port=p, db=n)`: where it connects is all three (two clients on one
        host and two ports are two servers); None when a part has no key."""
        return host_key(given, self._key_of)

    def _key_of(self, node: ast.expr) -> str | None:
        """The key a Name/Attribute chain names (`settings.REDIS_URL`), else None."""
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) \
                and node.func.id in ("str", "int") and len(node.args) == 1 \
                and not node.keywords and self._name_key(node.func.id) is None:
            # `str(settings.redis_url)` (a pydantic RedisDsn) connects where the name does;
            # a hook that spells it writes `str(...)` again (scan/wiring.py). So does
            # `port=int(REDIS_PORT)`, a port read from the environment as a string
            node = node.args[0]
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            return literal_url_key(node.value)
        if _str_method_call(node):
            # `settings.redis_url.replace("redis://", "rediss://")`: a string method with
            # literal arguments gives the same string for the same string. The key names the
            # method and hashes its arguments (no dot inside it); no hook can spell it
            assert isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
            base = self._key_of(node.func.value)
            if base is None:
                return None
            arguments = repr([ast.literal_eval(a) for a in node.args])
            digest = _sha256(arguments)[:12]
            return f"{base}.<{node.func.attr}:{digest}>"
        env = self._env_key(node)
        if env is not None:
            return env
        if isinstance(node, ast.JoinedStr):
            return self._fstring_host_key(node)
        if not isinstance(node, (ast.Name, ast.Attribute)):
            return None
        keys = self._eval_pure(node)
        if keys and keys[0] in self.bound_constants:
            return self.bound_constants[keys[0]]
        return keys[0] if keys else None

    def _fstring_host_key(self, node: ast.JoinedStr) -> str | None:
        """`f"redis://{settings.REDIS_HOST}:{settings.REDIS_PORT}/0"` connects where
        `Redis(host=settings.REDIS_HOST, port=settings.REDIS_PORT, db=0)` does: the same key
        (`host:<host>|<port>|<db>`), a part missing being the default (6379, 0). None for any
        other shape: credentials, TLS (`rediss://`), a query, a part that mixes text and a
        field, a conversion or a format spec."""
        fields: list[ast.expr] = []
        template = ""
        for value in node.values:
            if isinstance(value, ast.Constant) and isinstance(value.value, str):
                if "\x00" in value.value:
                    return None
                template += value.value
            elif isinstance(value, ast.FormattedValue) and value.conversion == -1 \
                    and value.format_spec is None:
                template += f"\x00{len(fields)}\x00"
                fields.append(value.value)
            else:
                return None
        parts = _url_parts(template, fields)
        return self._host_key(parts) if parts is not None else None

    def _env_key(self, node: ast.expr) -> str | None:
        """`os.getenv("REDIS_URL")`, `os.environ.get(...)`, `os.environ["REDIS_URL"]` as
        `env:REDIS_URL`; a default joins the key (`env:REDIS_URL=redis://cache:6379`), or
        its hash when it holds credentials."""
        args: list[ast.expr]
        if isinstance(node, ast.Subscript):
            reader, args = self._eval_pure(node.value), [node.slice]
            wanted = "os.environ"
        elif isinstance(node, ast.Call) and not node.keywords and 1 <= len(node.args) <= 2:
            reader, args = self._eval_pure(node.func), list(node.args)
            wanted = "os.getenv" if reader and reader[0] == "os.getenv" else "os.environ.get"
        else:
            return None
        if not reader or reader[0] != wanted or not all(
                isinstance(a, ast.Constant) and type(a.value) in (str, int, type(None))
                for a in args):
            return None
        first = args[0]
        if not (isinstance(first, ast.Constant) and isinstance(first.value, str)):
            return None
        name = first.value
        default = _env_constant(args[1]) if len(args) > 1 else None
        if default is None:
            return f"{ENV_PREFIX}{name}"
        if "@" in default:
            return f"{ENV_PREFIX}{name}#" + _sha256(default)[:16]
        return f"{ENV_PREFIX}{name}={default}"

    def _host_url_code(self, node: ast.Call) -> str | None:
        """`Redis(host=h, port=p, db=n)` as the URL it connects to (`redis://h:p/n`, an
        f-string when a part is not a literal); None with credentials, TLS or a socket."""
        given = {k.arg: k.value for k in node.keywords if k.arg}
        if _defaults_to_localhost(node, given):  # `Redis()`: redis://localhost:6379/0
            given = {"host": ast.Constant("localhost"), **given}
        if "host" not in given or node.args or given.keys() & {
                "password", "username", "ssl", "unix_socket_path", "connection_pool"}:
            return None
        parts = []
        for name, default in (("host", None), ("port", 6379), ("db", 0)):
            value = given.get(name)
            if value is None:
                parts.append(str(default))
            elif isinstance(value, ast.Constant) and isinstance(value.value, (str, int)):
                parts.append(str(value.value).replace("{", "{{").replace("}", "}}"))
            else:
                parts.append("{" + ast.unparse(value) + "}")
        url = f"redis://{parts[0]}:{parts[1]}/{parts[2]}"
        return f'f"{url}"' if "{" in url.replace("{{", "") else repr(url)

    def _url_code(self, node: ast.Call) -> str | None:
        """The URL argument as code (`settings.REDIS_URL`), when the call takes a URL."""
        argument = next((k.value for k in node.keywords if k.arg in ("url", "address")), None)
        name = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(
            node.func, "id", "")
        if argument is None and node.args and name in _URL_FIRST:
            argument = node.args[0]
        if argument is None and _from_pool(node):
            return None  # `Redis.from_pool(pool)`: the pool's URL, not an argument's
        if argument is None:
            return self._host_url_code(node)
        merged = _merged_url(argument, {k.arg: k.value for k in node.keywords if k.arg})
        if merged is not None:
            return repr("redis://{}:{}/{}".format(*(
                part.value if isinstance(part, ast.Constant) else default
                for part, default in ((merged.get("host"), ""), (merged.get("port"), 6379),
                                      (merged.get("db"), 0)))))
        if isinstance(argument, (ast.Tuple, ast.List)):
            return None  # aioredis 1.x also takes (host, port): no URL to hand to init_redis
        if argument.lineno == argument.end_lineno and argument.end_col_offset is not None:
            line = self.lines[argument.lineno - 1].encode("utf-8")
            code = line[argument.col_offset:argument.end_col_offset].decode("utf-8", "replace")
            if _parses(code):
                return code
            # newer syntax (`f"{os.getenv("H")}"`, Python 3.12): the code is copied into other
            # files, which may be older, so it is spelled as the running Python spells it
        try:
            return ast.unparse(argument)  # spread over lines: one line, as Python spells it
        except (ValueError, AttributeError):  # pragma: no cover - unparse of odd nodes
            return None

    def _url(self, node: ast.Call) -> str | None:
        argument = self._url_argument(node)
        return self._snippet(argument) if argument is not None else None


def _from_pool(node: ast.Call) -> bool:
    """`Redis.from_pool(pool)`: a client built on a pool, whose argument is no URL."""
    return isinstance(node.func, ast.Attribute) and node.func.attr == "from_pool"


def _env_constant(node: ast.expr) -> str | None:
    """An environment name or default as its text: a string, or an int default
    (`os.getenv("REDIS_PORT", 6379)`), which means what its text says where it goes (a URL,
    a port); None for anything else, `None` included."""
    if isinstance(node, ast.Constant) and type(node.value) in (str, int):
        return str(node.value)
    return None


def _parses(code: str) -> bool:
    try:
        ast.parse(code, mode="eval")
    except SyntaxError:
        return False
    return True


# string methods whose result depends only on the string and their literal arguments
_STR_METHODS = frozenset({"replace", "strip", "lstrip", "rstrip", "removeprefix",
                          "removesuffix", "lower"})


def _bindings_of(name: str, body: list[ast.stmt], lines: list[str]) -> int:
    """How many places of the module bind `name` (an assignment, a loop, `del`, an import,
    a def, a class, a parameter; `global` and `nonlocal` count twice: the name is bound in
    another scope too).

    Only the top-level statements whose text spells `name` are walked: one that does not
    cannot bind it. A walk of every node was a third of the extraction of a module with an
    environment constant (`REDIS_URL = os.getenv(...)`), which most modules that make a
    client have."""
    count = 0
    for stmt in body:
        if not _spells(stmt, name, lines):
            continue
        for node in ast.walk(stmt):
            if isinstance(node, ast.Name) and not isinstance(node.ctx, ast.Load):
                count += node.id == name
            elif isinstance(node, (ast.Global, ast.Nonlocal)):
                count += 2 * (name in node.names)
            elif isinstance(node, (ast.Import, ast.ImportFrom)):
                count += sum((a.asname or a.name).split(".")[0] == name for a in node.names)
            elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                count += node.name == name
            elif isinstance(node, ast.arg):
                count += node.arg == name
    return count


def _spells(stmt: ast.stmt, name: str, lines: list[str]) -> bool:
    """Whether the lines of `stmt` (its decorators included) spell `name`; True where the
    statement has no position (a node the newer-syntax lowering made)."""
    nodes = [stmt, *getattr(stmt, "decorator_list", ())]
    starts = [n.lineno for n in nodes if getattr(n, "lineno", None) is not None]
    last: int | None = getattr(stmt, "end_lineno", None)
    if last is None or len(starts) != len(nodes):
        return True
    return any(name in line for line in lines[min(starts) - 1:last])


def _str_method_call(node: ast.expr) -> bool:
    """`<expr>.replace("redis://", "rediss://")`: a pure string method, literal arguments."""
    return (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
            and node.func.attr in _STR_METHODS and not node.keywords
            and all(isinstance(a, ast.Constant) and isinstance(a.value, str)
                    for a in node.args))


# `redis://host[:port][/db]`; in an f-string's text, `\x00<n>\x00` stands for its n-th field
_SIMPLE_URL = re.compile(r"redis://(?P<host>[^:/@?#]+)(?::(?P<port>[^/@?#]+))?"
                         r"(?:/(?P<db>[^/@?#]*))?")
_FIELD = re.compile("\x00(\\d+)\x00")


# keywords that say where a client connects other than by host, port and db (a URL, a
# socket, a pool): without one of them or a positional argument, it is redis-py's default
_ELSEWHERE = frozenset({"url", "address", "host", "unix_socket_path", "path",
                        "connection_pool", "sentinels", "startup_nodes"})


def _defaults_to_localhost(node: ast.Call, given: dict[str, ast.expr]) -> bool:
    """Whether the call says nothing of where it connects (no URL, host, socket or pool,
    no positional argument, no `**options`): redis-py's default, localhost:6379."""
    return not node.args and not given.keys() & _ELSEWHERE \
        and all(k.arg is not None for k in node.keywords)


def literal_url_key(text: str) -> str:
    """A string literal's key. A plain `redis://host[:port][/db]` connects where
    `Redis(host=, port=, db=)` does, and gets that key (`host:<host>|<port>|<db>`), so
    `Redis()`, `Redis(host="localhost")` and `from_url("redis://localhost:6379/0")` agree;
    anything else is hashed (it may hold a password; equal URLs only need equal keys)."""
    parts = _url_parts(text, [])
    key = host_key(parts, lambda host: _hashed(host.value) if isinstance(host, ast.Constant)
                   and isinstance(host.value, str) else None) if parts is not None else None
    return key if key is not None else _hashed(text)


def host_key(given: Mapping[str, ast.expr],
             key_of: Callable[[ast.expr], str | None]) -> str | None:
    """`host:<host>|<port>|<db>` for the keywords `Redis(host=, port=, db=)` takes, a number
    as itself, a part missing as redis-py's default, anything else as `key_of` names it;
    None when a part has no key."""
    parts = []
    for name, default in (("host", None), ("port", 6379), ("db", 0)):
        value = given.get(name)
        if value is None:
            parts.append(str(default))
        elif isinstance(value, ast.Constant) and isinstance(value.value, int):
            parts.append(str(value.value))
        else:
            key = key_of(value)
            if key is None:
                return None
            parts.append(key)
    return HOST_PREFIX + "|".join(parts)


def _hashed(text: str) -> str:
    return LITERAL_PREFIX + _sha256(text)[:16]


def _sha256(text: str) -> str:
    """The SHA-256 of `text`, hex. hashlib (OpenSSL) is imported here, once a client is
    found: a tree with none (a site-packages, a `check` with nothing left) never loads it."""
    import hashlib

    return hashlib.sha256(text.encode()).hexdigest()


def _url_parts(text: str, fields: list[ast.expr]) -> dict[str, ast.expr] | None:
    """`redis://host[:port][/db]` as the keywords `Redis(host=, port=, db=)` takes, for
    `_host_key`: a part missing is left out (its default), a field is its expression, a
    literal host a string and a literal port or database a number. None for any other
    shape: credentials, TLS, a socket, a query, a part that mixes text and a field."""
    matched = _SIMPLE_URL.fullmatch(text)
    if matched is None:
        return None
    parts: dict[str, ast.expr] = {}
    for name in ("host", "port", "db"):
        piece = matched.group(name)
        if not piece:
            continue
        field = _FIELD.fullmatch(piece)
        if field is not None:
            parts[name] = fields[int(field.group(1))]
        elif "\x00" in piece:
            return None  # `{prefix}-cache`: text and a field in one part
        elif name == "host":
            parts[name] = ast.Constant(piece)
        elif piece.isdigit():
            parts[name] = ast.Constant(int(piece))
        else:
            return None
    return parts


def _merged_url(argument: ast.expr | None,
                given: dict[str, ast.expr]) -> dict[str, ast.expr] | None:
    """What `from_url("redis://127.0.0.1", port=6379, db=1)` connects to, as `_url_parts`: a
    literal URL of that shape, and `port=`/`db=` given as numbers, which apply where the URL
    has none of its own (redis-py: the URL's own parts win). None when no such keyword is
    given, or the URL or a keyword is anything else."""
    if not (given.keys() & {"port", "db"}) or not (
            isinstance(argument, ast.Constant) and isinstance(argument.value, str)):
        return None
    parts = _url_parts(argument.value, [])
    if parts is None:
        return None
    for name in ("port", "db"):
        value = given.get(name)
        if value is None:
            continue
        if not (isinstance(value, ast.Constant) and type(value.value) is int):
            return None
        parts.setdefault(name, value)
    return parts

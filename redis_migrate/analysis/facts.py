"""The per-file facts the extractor produces and the repo-wide linker consumes.

Everything here is plain, picklable data: facts are produced in worker processes.

Values and keys. The analysis is flow-insensitive: it tracks which *keys* may hold which *atoms*.
A key is a qualified name for a place a value can live: `pkg.mod.client` (a module global, also
what `from pkg.mod import client` resolves to), `pkg.mod.Cache._redis` (an attribute of every
`Cache` instance, also what `self._redis` resolves to inside `Cache`), `pkg.mod.f.<locals>.r` (a
local variable), `pkg.mod.get_client.<return>` (what a function returns), `pkg.mod.f.<args>.0`
and `pkg.mod.f.<args>.r` (what callers pass as f's first positional argument, or as `r=`; bound
to f's parameter when the analysis sees f's def). An atom is an origin:
`site:<path>:<n>` (a client or pool created at a site), `shared` / `shared:blocking` (the lifecycle
module's `get_redis()`), `instance:<class qualified name>`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

SHARED = "shared"
SHARED_BLOCKING = "shared:blocking"
SITE_PREFIX = "site:"
INSTANCE_PREFIX = "instance:"
RETURN = "<return>"
# the URL key of a client made from host=, port=, db= (`host:<host key>|<port>|<db>`)
HOST_PREFIX = "host:"
# the URL key of a literal URL (`literal:<hash>`: URLs can hold passwords; equal URLs only
# need equal keys)
LITERAL_PREFIX = "literal:"
LOCALS = "<locals>"
# `password=` / `username=` beside a URL or host: `<key>|password=<key of the password>`
CREDENTIALS = ("username", "password")
ENV_PREFIX = "env:"  # the URL key of a URL read from the environment (`env:REDIS_URL`)
ARGS = "<args>"
# what a parameter annotated with an alias is given (`GetRedis = Annotated[Redis,
# Depends(get_redis)]`, then `redis: GetRedis`): `m.GetRedis.<injected>`
INJECTED = "<injected>"


def site_atom(path: str, index: int) -> str:
    """The atom naming the `index`-th site found in `path`."""
    return f"{SITE_PREFIX}{path}:{index}"


@dataclass(frozen=True, slots=True)
class Location:
    """A 1-based line and a 1-based column counted in characters (not bytes)."""

    line: int
    col: int


@dataclass(slots=True)
class SiteFact:
    """A call that creates a Redis client or pool."""

    index: int
    loc: Location
    callee: str  # the qualified name called, e.g. "redis.asyncio.Redis.from_url"
    family: str  # "client", "pool"; reported only: "cluster", "sentinel", "subclass"
    holder: str  # global | member | local | return | with | argument | chained | expression
    function: str | None  # qualified name of the enclosing def, if any
    in_async_function: bool
    keywords: tuple[str, ...]
    pool_keys: tuple[str, ...]  # keys passed as connection_pool= / to from_pool()
    url: str | None  # source text of the URL (or host) argument, secrets masked
    snippet: str  # one-line source of the call, secrets masked
    url_key: str | None = None  # what the URL argument resolves to, if a name (`settings.URL`)
    options: tuple[tuple[str, str], ...] = ()  # keyword arguments and their source, masked
    # options that do not say where it connects, whose value names something (`db=settings.DB`):
    # (keyword, key of that name), so two clients given the same name compare equal
    option_keys: tuple[tuple[str, str], ...] = ()
    bound_to: str | None = None  # the key the client is first assigned to
    # the URL argument's source, unmasked, for wiring `init_redis(<it>)` in the same function;
    # never printed (it may hold a password)
    url_code: str | None = None
    # for a subclass of redis.Redis defined in the target (family "subclass"): the base class
    base: str | None = None


@dataclass(frozen=True, slots=True)
class UseFact:
    """A tracked method called on a value (`key.method(...)`)."""

    key: str
    method: str
    loc: Location
    function: str | None
    hint: bool  # the call sits in a rate/limit/throttle/quota context or uses such a key
    in_async: bool = False  # made inside an `async def`
    # for a blocking read: how long it may block, in seconds ("0": forever, "?": not static)
    block: str | None = None
    receiver: str | None = None  # for a close: its receiver as source (`app["redis"]`)
    in_lambda: bool = False  # made in a lambda's body (`lambda app: app["redis"].aclose()`)


@dataclass(frozen=True, slots=True)
class EscapeFact:
    """A value handed to code the analysis does not follow (a call argument, a container)."""

    key: str
    loc: Location
    target: str  # "FastAPILimiter.init()", "a container", …
    # for a call argument: the argument keys it is passed as (`f.<args>.0`, `f.<args>.r`); the
    # value does not escape when a def the analysis sees takes it as a parameter
    into: tuple[str, ...] = ()
    # made where an object is being built (an `__init__`): a library given it there may use
    # it as it is built, which a stand-in made at import (lazy_redis()) cannot bear
    in_init: bool = False


@dataclass(frozen=True, slots=True)
class InstanceFact:
    """A module-level `name = Something(...)`: an owner singleton if Something owns a client."""

    target: str
    values: tuple[str, ...]
    loc: Location
    snippet: str


@dataclass(frozen=True, slots=True)
class HookFact:
    """A function the app runs when it starts or stops (`lifespan=`, `on_startup`, `main()`)."""

    function: str  # the key of the def (or lambda) registered
    kind: str  # "startup" | "shutdown" | "lifespan" (both, split by its yield) | "main"
    loc: Location  # where it is registered
    # `@app.on_event(...)` on a FastAPI app made in this module: that app's name (a startup
    # hook can be put beside it the same way, scan/wiring.py)
    on_app: str = ""
    # for a `main` hook: the def whose `asyncio.run(...)` runs it ("" at module level); a def
    # the app calls at import (`broker = setup()`) runs no program of its own
    run_by: str = ""


@dataclass(slots=True)
class FileFacts:
    """Everything one file tells the linker."""

    path: str  # relative to the repository, "/"-separated
    module: str  # dotted module name derived from the path
    sites: list[SiteFact] = field(default_factory=list)
    uses: list[UseFact] = field(default_factory=list)
    edges: list[tuple[str, str]] = field(default_factory=list)  # (key, value it may hold)
    escapes: list[EscapeFact] = field(default_factory=list)
    instances: list[InstanceFact] = field(default_factory=list)
    classes: dict[str, tuple[str, ...]] = field(default_factory=dict)  # class -> bases
    imports: list[tuple[str, str, str]] = field(default_factory=list)  # (scope, local, target)
    central_urls: list[str] = field(default_factory=list)  # init_redis() URL keys ("" = none)
    # what init_redis(clients={"default": {...}}) passes the shared client: (option, key)
    central_options: list[tuple[str, str]] = field(default_factory=list)
    # the named clients those calls create: the literal keys of `clients={...}` ("*": a
    # `clients=` that is not a dict literal of string keys, which may create any)
    central_clients: list[str] = field(default_factory=list)
    central_closes: int = 0  # calls of the lifecycle module's close_redis()
    hooks: list[HookFact] = field(default_factory=list)
    # defs decorated @contextmanager / @asynccontextmanager: `with f() as x` runs their own
    # exit (the code after the yield), not the yielded client's
    managed: list[str] = field(default_factory=list)
    # async app objects made here: (qualified class, "Litestar()", where)
    apps: list[tuple[str, str, Location]] = field(default_factory=list)
    # lifecycle names the module binds itself (`get_redis`: a dependency of its own), with
    # what they are imported from ("" for a def or assignment)
    taken_names: dict[str, str] = field(default_factory=dict)
    # calls the module makes as statements of its own when imported (`load_dotenv()`,
    # `logging.basicConfig()`), as written: an importer that stops importing it loses them
    setup_calls: list[str] = field(default_factory=list)
    # values read at import time by a module-level `alias = value` (key, where)
    import_time_reads: list[tuple[str, Location]] = field(default_factory=list)
    # what the module calls as it loads, outside `if __name__ == "__main__":`
    calls_at_import: list[str] = field(default_factory=list)
    # values handed to a call made at import (`storage = RedisStorage(redis=client)` at module
    # level), with where the callee receives it (`RedisStorage.<args>.redis`): an async client
    # cannot be get_redis() there, a sync one can be get_sync_redis(), and an object that only
    # keeps it can be given lazy_redis()
    import_time_args: list[tuple[str, Location, tuple[str, ...]]] = field(default_factory=list)
    # names a test replaces by name (`mock.patch("app.cache.client")`, `patch.object(cache,
    # "client")`, `monkeypatch.setattr(...)`): (key, where)
    patched: list[tuple[str, Location]] = field(default_factory=list)
    # dataclass field defaults made by a call (`redis: Redis = make_client()`): read when the
    # class body runs, at import, unless the rewrite makes them a `default_factory`, read at
    # each construction. (class, field, value key, where)
    field_defaults: list[tuple[str, str, str, Location]] = field(default_factory=list)
    # values a class's `__init__` stores on `self` (`self.client = client`), but not a client
    # made there: read at each construction, so at import where the class is built at import
    # (`cache = Cache()`). (class, attribute, value key, the value is a plain name)
    init_reads: list[tuple[str, str, str, bool]] = field(default_factory=list)
    # `Class.attr` read or set through `cls` in a classmethod: an attribute of the class itself
    class_attributes: list[str] = field(default_factory=list)
    # (calling def, callee key) of every call made inside a def: a startup hook's helpers
    # (`await on_start()` in the lifespan) start the app too
    calls: list[tuple[str, str]] = field(default_factory=list)
    # the calls a def makes as a statement of their own, result unused (`await on_start()`),
    # and whether the def has yielded before (in source order): a lifespan's startup steps,
    # then its shutdown steps. (calling def, callee key, after a yield)
    steps: list[tuple[str, str, bool]] = field(default_factory=list)
    defs: list[str] = field(default_factory=list)  # qualified names of the defs made here
    # every name a module-level assignment binds, whatever its value (`settings = {...}`): a
    # name an import added to the module would be shadowed by
    module_names: list[str] = field(default_factory=list)
    # module globals bound once to a URL with a key of its own (`REDIS_URL = os.environ.get(
    # "REDIS_URL", ...)` -> `env:REDIS_URL=...`): the key a client made from the name gets
    url_constants: dict[str, str] = field(default_factory=dict)
    # `GetRedis = Annotated[Redis, Depends(get_redis)]` made here: re-exported like a def
    dependency_aliases: list[str] = field(default_factory=list)
    providers: list[str] = field(default_factory=list)  # the defs here that yield a value
    # (argument key, parameter key) of every def: `f.<args>.0` and `f.<args>.r` -> `f.<locals>.r`
    parameters: list[tuple[str, str]] = field(default_factory=list)
    aioredis1: bool = False  # the file uses the aioredis 1.x API
    error: str | None = None  # why the file could not be read or parsed
    error_line: int | None = None


def credentials_in(url_key: str) -> tuple[str, ...]:
    """The credentials a URL key holds beside where it connects (`("password",)`)."""
    return tuple(credential_parts(url_key))


def credential_parts(url_key: str) -> dict[str, str]:
    """The credentials a URL key holds, by keyword (`{"password": "app.settings.PW"}`)."""
    parts: dict[str, str] = {}
    for name in reversed(CREDENTIALS):  # joined in CREDENTIALS' order: the last one first
        url_key, found, part = url_key.partition(f"|{name}=")
        if found:
            parts[name] = part
    return dict(reversed(parts.items()))


def without_credentials(url_key: str) -> str:
    """Where a URL key connects, without the credentials beside it."""
    for name in CREDENTIALS:
        url_key = url_key.partition(f"|{name}=")[0]
    return url_key

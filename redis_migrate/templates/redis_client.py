"""Central Redis lifecycle: the one place that creates, hands out and closes Redis clients.

Call ``await init_redis()`` at startup (FastAPI lifespan), ``get_redis()`` wherever a client is
needed, and ``await close_redis()`` at shutdown. Nothing connects at import. Blocking reads
(BLPOP/BRPOP, XREAD/XREADGROUP BLOCK, pub/sub listening) use ``get_redis(blocking=True)``.
Sync code (workers, scripts, management commands) uses ``get_sync_redis()``: a sync pool with the
same settings, created on first use and closed by ``close_redis()`` or at interpreter exit.

Depends on ``redis`` (redis.asyncio, >= 5.0.1) and the standard library only.
"""

import asyncio
import atexit
import os
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, cast

import redis as redis_sync
from redis.asyncio import ConnectionPool, Redis
from redis.asyncio.retry import Retry
from redis.backoff import ExponentialBackoff
from redis.exceptions import ConnectionError, RedisError, TimeoutError
from redis.retry import Retry as SyncRetry

__all__ = ["init_redis", "get_redis", "lazy_redis", "close_redis", "ping_redis",
           "get_sync_redis", "configure_sync_redis", "close_sync_redis"]


def _env_float(name: str, default: float) -> float:
    raw = os.environ.get(name, "").strip()
    return float(raw) if raw else default


def _env_int(name: str, default: int) -> int:
    raw = os.environ.get(name, "").strip()
    return int(raw) if raw else default


def _env_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name, "").strip().lower()
    return raw in {"1", "true", "yes", "on"} if raw else default


# Defaults, each overridable by an environment variable read at import (reading the environment
# is not connecting). init_redis() reads these module attributes at call time.
DEFAULT_URL: str = "redis://localhost:6379/0"
SOCKET_CONNECT_TIMEOUT: float = _env_float("REDIS_SOCKET_CONNECT_TIMEOUT", 5.0)
SOCKET_TIMEOUT: float = _env_float("REDIS_SOCKET_TIMEOUT", 5.0)
HEALTH_CHECK_INTERVAL: float = _env_float("REDIS_HEALTH_CHECK_INTERVAL", 30.0)
RETRY_ON_TIMEOUT: bool = _env_bool("REDIS_RETRY_ON_TIMEOUT", True)
RETRY_ATTEMPTS: int = int(_env_float("REDIS_RETRY_ATTEMPTS", 3))
RETRY_BACKOFF_BASE: float = _env_float("REDIS_RETRY_BACKOFF_BASE", 0.05)
RETRY_BACKOFF_CAP: float = _env_float("REDIS_RETRY_BACKOFF_CAP", 1.0)
# redis-py's own default (bytes): a legacy `Redis.from_url(url)` moved onto get_redis() keeps
# returning what it returned before. A decoding client is a named client: clients={"text": {...}}.
DECODE_RESPONSES: bool = _env_bool("REDIS_DECODE_RESPONSES", False)
PING_TIMEOUT: float = _env_float("REDIS_PING_TIMEOUT", 2.0)
# Connections per pool; 0 keeps redis-py's default (a client that does not set it). A full pool
# raises ConnectionError("Too many connections"), as a legacy client with max_connections= did.
MAX_CONNECTIONS: int = _env_int("REDIS_MAX_CONNECTIONS", 0)

DEFAULT = "default"
_NOT_INITIALISED = (
    "Redis is not initialised: call init_redis() at startup (e.g. in the app lifespan) "
    "and close_redis() at shutdown"
)


@dataclass
class _State:
    loop: asyncio.AbstractEventLoop
    url: str
    config: dict[str, dict[str, Any]]
    clients: dict[tuple[str, bool], Redis]
    reset_lock: asyncio.Lock = field(default_factory=asyncio.Lock)


_state: _State | None = None


def _pool_settings(options: Mapping[str, Any], retry: Any) -> dict[str, Any]:
    """Every connection setting (timeouts, health check, retry), then the caller's options."""
    return {
        "socket_connect_timeout": SOCKET_CONNECT_TIMEOUT,
        "socket_timeout": SOCKET_TIMEOUT,
        "socket_keepalive": True,
        "health_check_interval": HEALTH_CHECK_INTERVAL,
        "retry_on_timeout": RETRY_ON_TIMEOUT,
        # Explicit: clients built on a pool (from_url / from_pool / connection_pool=) get no
        # default retry; each Connection falls back to Retry(NoBackoff(), 0). Async pools need
        # redis.asyncio.retry.Retry (redis.retry.Retry sleeps synchronously), sync pools the
        # sync one; Connection deep-copies it.
        "retry": retry,
        # Connection.__init__ appends the timeout classes to this (shared) list when
        # retry_on_timeout is set, so it grows by 3 per connection created; harmless (deduplicated).
        "retry_on_error": [ConnectionError, TimeoutError],
        "decode_responses": DECODE_RESPONSES,
        **({"max_connections": MAX_CONNECTIONS} if MAX_CONNECTIONS > 0 else {}),
        **options,
    }


def _backoff() -> ExponentialBackoff:
    return ExponentialBackoff(cap=RETRY_BACKOFF_CAP, base=RETRY_BACKOFF_BASE)


def _make_pool(url: str, options: Mapping[str, Any], *, blocking: bool) -> ConnectionPool:
    """Build one pool carrying every connection setting (timeouts, health check, retry)."""
    kwargs = _pool_settings(options, Retry(_backoff(), RETRY_ATTEMPTS))
    # ConnectionPool.from_url lets URL query values (?socket_timeout=...) override kwargs.
    pool = ConnectionPool.from_url(url, **kwargs)
    if blocking:
        # socket_timeout caps every read, so BLPOP/XREAD BLOCK longer than it raise TimeoutError
        # (redis-py #2807, still open in 8.1). Forced after from_url so a URL cannot undo it;
        # socket_connect_timeout stays explicit (it would otherwise fall back to socket_timeout).
        pool.connection_kwargs["socket_timeout"] = None
    return pool


def _build(url: str, config: Mapping[str, Mapping[str, Any]]) -> dict[tuple[str, bool], Redis]:
    """Create (without connecting) a regular and a blocking client for every configured name."""
    built: dict[tuple[str, bool], Redis] = {}
    for name, spec in config.items():
        options = dict(spec)
        client_url = options.pop("url", None) or url
        for blocking in (False, True):
            # from_pool: the client owns its pool, so client.aclose() also closes the pool.
            # Options go on the pool: Redis(connection_pool=...) ignores its own connection kwargs.
            built[(name, blocking)] = Redis.from_pool(_make_pool(client_url, options,
                                                                 blocking=blocking))
    return built


def _running_loop() -> asyncio.AbstractEventLoop | None:
    try:
        return asyncio.get_running_loop()
    except RuntimeError:
        return None


def _is_stale(state: _State, loop: asyncio.AbstractEventLoop | None) -> bool:
    """True when the clients belong to a loop that is closed, or stopped and not the current one."""
    return state.loop.is_closed() or (state.loop is not loop and not state.loop.is_running())


async def init_redis(
    url: str | None = None, *, clients: Mapping[str, Mapping[str, Any]] | None = None
) -> Redis:
    """Create the shared clients on the running loop and return the default one.

    ``url`` defaults to ``$REDIS_URL``, else ``redis://localhost:6379/0``. ``clients`` maps extra
    names to pool options (``url``, ``decode_responses``, ``db``...); the key ``"default"``
    overrides options of the default client. Every name also gets a blocking twin
    (``socket_timeout=None``). Clients are built eagerly but connect lazily, on first command.
    Calling it again on the same loop returns the existing client and ignores the arguments.
    """
    global _state
    loop = asyncio.get_running_loop()
    if _state is not None:
        if _state.loop is loop:
            return _state.clients[(DEFAULT, False)]
        if not _is_stale(_state, loop):
            raise RuntimeError("init_redis(): Redis is already initialised on another running "
                               "event loop; call close_redis() on that loop first")
        # Stale clients from a closed/stopped loop (app started twice, repeated asyncio.run):
        # closing them would schedule work on that dead loop ("Event loop is closed"), so they
        # are dropped; their sockets are released when garbage-collected.
        _state = None
    resolved = url or os.environ.get("REDIS_URL") or DEFAULT_URL
    config: dict[str, dict[str, Any]] = {DEFAULT: {}}
    config.update({name: dict(spec) for name, spec in (clients or {}).items()})
    # No await between the check above and this assignment: concurrent calls cannot both build.
    _state = _State(loop=loop, url=resolved, config=config, clients=_build(resolved, config))
    return _state.clients[(DEFAULT, False)]


def get_redis(name: str = DEFAULT, *, blocking: bool = False) -> Redis:
    """Return the shared client ``name`` (its blocking twin if ``blocking``).

    Raises RuntimeError before init_redis()/after close_redis(), and when called on an event loop
    other than the one init_redis() ran on; LookupError for an unknown name. Callers never close it.
    """
    state = _state
    if state is None:
        raise RuntimeError(_NOT_INITIALISED)
    loop = _running_loop()
    # A closed redis.asyncio client silently reconnects on whatever loop runs next, and its
    # streams/locks stay bound to the loop that opened them ("Event loop is closed", "attached to
    # a different loop"). Refuse here with a clear message instead.
    if state.loop.is_closed():
        raise RuntimeError("Redis was initialised on an event loop that is now closed: call "
                           "init_redis() on the current loop (e.g. in this app's lifespan)")
    if loop is not None and loop is not state.loop:
        raise RuntimeError("get_redis() called from a different event loop than init_redis(): "
                           "redis.asyncio clients are bound to the loop they were created on")
    try:
        return state.clients[(name, blocking)]
    except KeyError:
        names = sorted({n for n, _ in state.clients})
        raise LookupError(f"no Redis client named {name!r}; configured: {names}") from None


class _LazyRedis:
    """Stands in for a shared client where code must hold one before init_redis() has run: each
    attribute (a command, ``pipeline``, ``pubsub``) is looked up on get_redis() when it is used,
    so it is always the current lifetime's client, on the loop that uses it."""

    __slots__ = ("_name", "_blocking")

    def __init__(self, name: str, blocking: bool) -> None:
        self._name = name
        self._blocking = blocking

    def __getattr__(self, attribute: str) -> Any:
        if attribute.startswith("_"):
            # what introspection asks (`__func__`, `_is_coroutine`: mock.patch, asyncio,
            # inspect) is no command of the client, and must not need init_redis() first
            raise AttributeError(attribute)
        return getattr(get_redis(self._name, blocking=self._blocking), attribute)

    def __repr__(self) -> str:
        return f"lazy_redis({self._name!r}{', blocking=True' if self._blocking else ''})"


def lazy_redis(name: str = DEFAULT, *, blocking: bool = False) -> Redis:
    """A stand-in for ``get_redis(name)`` that may be made at import, before init_redis(): for
    an object built at import that keeps the client (``RedisStorage(redis=lazy_redis())``).

    Nothing is looked up until the stand-in is used; a use before init_redis() raises as
    get_redis() does. Only public attributes are forwarded (a ``_private`` one raises
    AttributeError, as introspection expects). It is not an instance of Redis (isinstance
    checks fail), and it closes the shared client only through what it forwards (``aclose``).
    """
    return cast(Redis, _LazyRedis(name, blocking))


async def close_redis() -> None:
    """Close every client and pool created by init_redis(). Idempotent."""
    global _state
    state = _state
    if state is None:
        return
    loop = asyncio.get_running_loop()
    if state.loop is not loop and not _is_stale(state, loop):
        raise RuntimeError("close_redis() must run on the event loop that ran init_redis()")
    _state = None  # first, so get_redis() fails fast while the pools are closing
    close_sync_redis()
    if state.loop is not loop:
        return  # stale: see init_redis(); nothing can be awaited on a dead loop
    errors: list[BaseException] = []
    for client in state.clients.values():
        try:
            await client.aclose()  # from_pool clients own their pool: this closes it too
        except Exception as exc:  # keep closing the others; report the first failure
            errors.append(exc)
    if errors:
        raise errors[0]


async def _ping_default() -> bool:
    try:
        # wait_for bounds retries + backoff against an unreachable server.
        return bool(await asyncio.wait_for(get_redis().ping(), PING_TIMEOUT))
    except (RedisError, OSError, asyncio.TimeoutError, RuntimeError):
        # RuntimeError: not initialised, or bound to a closed loop ("Event loop is closed").
        return False


async def ping_redis(*, reset: bool = False) -> bool:
    """PING the default client. With ``reset``, on failure rebuild all clients and PING again.

    Returns False instead of raising on connection errors (for ``/health/ready``).
    """
    state = _state
    if state is None:
        return False
    if await _ping_default():
        return True
    if not reset:
        return False
    if state.loop is asyncio.get_running_loop():
        async with state.reset_lock:
            if _state is not state:  # a concurrent probe already rebuilt
                return await _ping_default()
            await _rebuild(state)
    else:
        await _rebuild(state)  # stale loop: init_redis() drops the old clients untouched
    return await _ping_default()


async def _rebuild(state: _State) -> None:
    try:
        await close_redis()
    except Exception:  # noqa: BLE001 - a half-dead pool must not stop the rebuild
        pass
    await init_redis(state.url, clients=state.config)


# --- sync code: one thread-safe client per name, created on first use ---------------------------

_sync_clients: dict[tuple[str, bool], redis_sync.Redis] = {}
_sync_config: dict[str, Any] = {"url": None, "clients": {}}
_sync_lock = threading.Lock()


def configure_sync_redis(url: str | Callable[[], str] | None = None, *,
                         clients: Mapping[str, Mapping[str, Any]] | None = None) -> None:
    """Set the URL and named clients of get_sync_redis() (default: what init_redis() was
    given in this process, else $REDIS_URL). Takes effect for clients not created yet.

    `url` may be a function returning the URL: it is called when the first sync client is
    created, so it can read settings that are not loaded yet when this module is imported.
    """
    with _sync_lock:
        _sync_config["url"] = url
        _sync_config["clients"] = {name: dict(spec) for name, spec in (clients or {}).items()}


def get_sync_redis(name: str = DEFAULT, *, blocking: bool = False) -> redis_sync.Redis:
    """Return the shared sync client ``name`` for code that is not async.

    Sync clients are not bound to an event loop and are thread-safe, so they are created on
    first use (no startup hook needed in a worker) and closed by close_redis() or at exit.
    """
    with _sync_lock:
        client = _sync_clients.get((name, blocking))
        if client is not None:
            return client
        state = _state
        configured = dict(state.config) if state is not None else {DEFAULT: {}}
        configured.update(_sync_config["clients"])
        if name not in configured:
            raise LookupError(f"no Redis client named {name!r}; configured: "
                              f"{sorted(configured)}")
        options = dict(configured[name])
        chosen = _sync_config["url"]
        url = (options.pop("url", None) or (chosen() if callable(chosen) else chosen)
               or (state.url if state is not None else None)
               or os.environ.get("REDIS_URL") or DEFAULT_URL)
        kwargs = _pool_settings(options, SyncRetry(_backoff(), RETRY_ATTEMPTS))
        pool = redis_sync.ConnectionPool.from_url(url, **kwargs)
        if blocking:
            pool.connection_kwargs["socket_timeout"] = None  # see _make_pool
        client = redis_sync.Redis.from_pool(pool)
        _sync_clients[(name, blocking)] = client
        return client


def close_sync_redis() -> None:
    """Close every sync client get_sync_redis() created. Idempotent; also runs at exit."""
    with _sync_lock:
        clients = list(_sync_clients.values())
        _sync_clients.clear()
    for client in clients:
        try:
            client.close()  # from_pool: the client owns its pool and disconnects it
        except Exception:  # noqa: BLE001 - at exit, one failure must not stop the others
            pass


atexit.register(close_sync_redis)

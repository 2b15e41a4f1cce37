"""The lifecycle template (redis_migrate/templates/redis_client.py) against a real redis-server."""

import ast
import asyncio
import importlib.util
import itertools
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
import redis
import redis.asyncio
import redis.asyncio.retry
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError
from redis_server import free_port, start_redis_server

TEMPLATE = Path(__file__).resolve().parents[1] / "redis_migrate" / "templates" / "redis_client.py"
_counter = itertools.count()

Loader = Callable[..., ModuleType]


@pytest.fixture
def load(monkeypatch: pytest.MonkeyPatch, redis_url: str) -> Iterator[Loader]:
    """Import the template as a brand-new module; keyword arguments become env vars first."""
    names: list[str] = []

    def _load(**env: Any) -> ModuleType:
        monkeypatch.setenv("REDIS_URL", redis_url)
        for key, value in env.items():
            monkeypatch.setenv(key, str(value))
        name = f"_redis_client_under_test_{next(_counter)}"
        spec = importlib.util.spec_from_file_location(name, TEMPLATE)
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        names.append(name)
        spec.loader.exec_module(module)
        return module

    yield _load
    for name in names:
        sys.modules.pop(name, None)


@pytest.fixture
def rc(load: Loader) -> ModuleType:
    return load()


@pytest.fixture
def admin(redis_url: str) -> Iterator[redis.Redis]:
    """A sync client that watches the server; stale clients of earlier tests are killed first."""
    client = redis.Redis.from_url(redis_url, decode_responses=True)
    client.client_kill_filter(_type="normal", skipme=True)
    wait_until(lambda: others(client) == 0)
    yield client
    client.close()


def others(admin: redis.Redis) -> int:
    """Connected clients other than the admin connection itself (CLIENT LIST)."""
    me = str(admin.client_id())
    return sum(1 for c in admin.client_list() if str(c["id"]) != me)


def total_connections(admin: redis.Redis) -> int:
    return int(admin.info("stats")["total_connections_received"])


def wait_until(predicate: Callable[[], bool], timeout: float = 3.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "condition not reached in time"
        time.sleep(0.02)


# --- module shape ---------------------------------------------------------------------------


def test_template_imports_only_redis_and_stdlib() -> None:
    tree = ast.parse(TEMPLATE.read_text())
    roots = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            roots |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            roots.add((node.module or "").split(".")[0])
    assert roots - set(sys.stdlib_module_names) == {"redis"}


def test_import_does_not_connect(load: Loader, admin: redis.Redis) -> None:
    before = total_connections(admin)
    rc = load()

    async def main() -> None:
        await rc.init_redis()  # builds pools, still no socket
        assert total_connections(admin) == before
        await rc.get_redis().ping()
        assert total_connections(admin) == before + 1
        await rc.close_redis()

    assert total_connections(admin) == before
    asyncio.run(main())


# --- init / get / close ---------------------------------------------------------------------


def test_round_trip(rc: ModuleType) -> None:
    async def main() -> bytes | None:
        client = await rc.init_redis()
        assert rc.get_redis() is client
        await client.set("greeting", "hello")
        value = await rc.get_redis().get("greeting")
        await rc.close_redis()
        return value

    # bytes: decode_responses=False by default, like a plain Redis.from_url(url) it replaces
    assert asyncio.run(main()) == b"hello"


def test_get_redis_before_init_and_after_close_raises(rc: ModuleType) -> None:
    with pytest.raises(RuntimeError, match=r"not initialised: call init_redis\(\)"):
        rc.get_redis()

    async def main() -> None:
        with pytest.raises(RuntimeError, match="not initialised"):
            rc.get_redis(blocking=True)
        await rc.init_redis()
        rc.get_redis()
        await rc.close_redis()
        with pytest.raises(RuntimeError, match="not initialised"):
            rc.get_redis()

    asyncio.run(main())


def test_second_init_is_harmless(rc: ModuleType, admin: redis.Redis) -> None:
    async def main() -> None:
        first = await rc.init_redis()
        blocking = rc.get_redis(blocking=True)
        await first.ping()
        connections = total_connections(admin)
        second = await rc.init_redis("redis://ignored.invalid:1/0")
        assert second is first
        assert second.connection_pool is first.connection_pool
        assert rc.get_redis(blocking=True) is blocking
        await second.ping()
        assert total_connections(admin) == connections
        await rc.close_redis()

    asyncio.run(main())


def test_close_really_closes_and_is_idempotent(rc: ModuleType, admin: redis.Redis) -> None:
    async def main() -> None:
        await rc.init_redis(clients={"bytes": {"decode_responses": False}})
        await rc.get_redis().ping()
        await rc.get_redis(blocking=True).ping()
        await rc.get_redis("bytes").ping()
        wait_until(lambda: others(admin) == 3)
        await rc.close_redis()
        wait_until(lambda: others(admin) == 0)
        await rc.close_redis()  # idempotent
        with pytest.raises(RuntimeError, match="not initialised"):
            rc.get_redis("bytes")

    asyncio.run(main())


# --- health check ---------------------------------------------------------------------------


def test_ping_true_when_up_false_when_not_initialised(rc: ModuleType) -> None:
    async def main() -> None:
        assert await rc.ping_redis() is False
        await rc.init_redis()
        assert await rc.ping_redis() is True
        assert await rc.ping_redis(reset=True) is True
        await rc.close_redis()

    asyncio.run(main())


def test_ping_false_on_dead_port_never_raises(load: Loader) -> None:
    rc = load(REDIS_URL=f"redis://127.0.0.1:{free_port()}/0", REDIS_RETRY_ATTEMPTS=1)

    async def main() -> None:
        old = await rc.init_redis()
        started = time.monotonic()
        assert await rc.ping_redis() is False
        assert await rc.ping_redis(reset=True) is False
        assert time.monotonic() - started < 2 * rc.PING_TIMEOUT
        assert rc.get_redis() is not old  # reset rebuilt the clients even though still down
        await rc.close_redis()

    asyncio.run(main())


def test_ping_reset_after_server_restart(load: Loader) -> None:
    server = start_redis_server()
    try:
        rc = load(REDIS_URL=server.url, REDIS_RETRY_ATTEMPTS=1)

        async def main() -> None:
            old = await rc.init_redis()
            assert await rc.ping_redis() is True
            server.stop()
            assert await rc.ping_redis() is False
            assert rc.get_redis() is old  # without reset nothing is rebuilt
            assert await rc.ping_redis(reset=True) is False
            rebuilt = rc.get_redis()
            assert rebuilt is not old
            server.start()
            assert await rc.ping_redis(reset=True) is True
            assert await rc.get_redis().set("back", "1") is True
            await rc.close_redis()

        asyncio.run(main())
    finally:
        server.stop()


def test_ping_reset_after_client_kill(rc: ModuleType, admin: redis.Redis) -> None:
    async def main() -> None:
        await rc.init_redis()
        assert await rc.ping_redis() is True
        wait_until(lambda: others(admin) == 1)
        assert admin.client_kill_filter(_type="normal", skipme=True) == 1
        assert await rc.ping_redis(reset=True) is True
        assert await rc.get_redis().incr("after-kill") == 1
        await rc.close_redis()

    asyncio.run(main())


# --- options reach the connections ----------------------------------------------------------


def test_timeouts_and_retry_reach_pool_and_connections(load: Loader) -> None:
    rc = load(REDIS_SOCKET_TIMEOUT=1.5, REDIS_SOCKET_CONNECT_TIMEOUT=0.75,
              REDIS_HEALTH_CHECK_INTERVAL=7, REDIS_RETRY_ATTEMPTS=4)
    assert (rc.SOCKET_TIMEOUT, rc.SOCKET_CONNECT_TIMEOUT) == (1.5, 0.75)
    assert (rc.HEALTH_CHECK_INTERVAL, rc.RETRY_ATTEMPTS, rc.RETRY_ON_TIMEOUT) == (7, 4, True)

    async def main() -> None:
        await rc.init_redis()
        for blocking, read_timeout in ((False, 1.5), (True, None)):
            pool = rc.get_redis(blocking=blocking).connection_pool
            kwargs = pool.connection_kwargs
            assert kwargs["socket_timeout"] == read_timeout
            assert kwargs["socket_connect_timeout"] == 0.75
            assert kwargs["health_check_interval"] == 7
            assert kwargs["retry_on_timeout"] is True
            assert kwargs["retry"].get_retries() == 4
            conn = await pool.get_connection()
            try:
                assert conn.is_connected
                assert conn.socket_timeout == read_timeout
                assert conn.socket_connect_timeout == 0.75
                assert conn.health_check_interval == 7
                assert isinstance(conn.retry, redis.asyncio.retry.Retry)  # async sleep
                assert conn.retry.get_retries() == 4
                assert {RedisConnectionError, RedisTimeoutError} <= set(
                    conn.retry._supported_errors)
            finally:
                await pool.release(conn)
        await rc.close_redis()

    asyncio.run(main())


def test_max_connections_caps_every_pool_and_zero_means_no_cap(load: Loader) -> None:
    """`init` writes the cap the app's clients had; a full pool refuses as theirs did."""
    free = load()  # the env var is set for the rest of the test by the next load
    capped = load(REDIS_MAX_CONNECTIONS=2)
    assert (capped.MAX_CONNECTIONS, free.MAX_CONNECTIONS) == (2, 0)

    async def main() -> None:
        await capped.init_redis()
        pool = capped.get_redis().connection_pool
        assert pool.max_connections == 2
        held = [await pool.get_connection() for _ in range(2)]
        with pytest.raises(RedisConnectionError, match="Too many connections"):
            await pool.get_connection()
        for conn in held:
            await pool.release(conn)
        assert capped.get_redis(blocking=True).connection_pool.max_connections == 2
        await capped.close_redis()
        await free.init_redis()
        default = redis.asyncio.ConnectionPool().max_connections  # redis-py's own, as unset
        assert free.get_redis().connection_pool.max_connections == default != 2
        await free.close_redis()

    asyncio.run(main())


def test_url_query_cannot_give_blocking_client_a_read_timeout(rc: ModuleType,
                                                              redis_url: str) -> None:
    async def main() -> None:
        await rc.init_redis(f"{redis_url}?socket_timeout=2")
        assert rc.get_redis().connection_pool.connection_kwargs["socket_timeout"] == 2.0
        conn = await rc.get_redis(blocking=True).connection_pool.get_connection()
        assert conn.socket_timeout is None
        await rc.get_redis(blocking=True).connection_pool.release(conn)
        await rc.close_redis()

    asyncio.run(main())


@pytest.mark.parametrize(("attempts", "survives"), [(3, True), (0, False)])
def test_retry_recovers_a_killed_connection(
    load: Loader, admin: redis.Redis, attempts: int, survives: bool
) -> None:
    """CLIENT KILL drops the pooled socket; only the explicit pool-level Retry recovers."""
    rc = load(REDIS_RETRY_ATTEMPTS=attempts)

    async def main() -> None:
        client = await rc.init_redis()
        await client.ping()
        assert admin.client_kill_filter(_type="normal", skipme=True) == 1
        try:
            if survives:
                assert await client.set("k", "v") is True
            else:
                with pytest.raises(RedisConnectionError):
                    await client.set("k", "v")
        finally:
            await rc.close_redis()

    asyncio.run(main())


def test_plain_from_url_client_has_no_retry(redis_url: str, admin: redis.Redis) -> None:
    """Why init_redis passes retry= itself (facts §0.1): from_url clients get Retry(..., 0)."""

    async def main() -> None:
        client = redis.asyncio.Redis.from_url(redis_url)
        await client.ping()
        admin.client_kill_filter(_type="normal", skipme=True)
        with pytest.raises(RedisConnectionError):
            await client.ping()
        await client.aclose()

    asyncio.run(main())


# --- blocking reads -------------------------------------------------------------------------


def test_blocking_client_outlives_socket_timeout(load: Loader) -> None:
    rc = load(REDIS_SOCKET_TIMEOUT=0.5, REDIS_RETRY_ATTEMPTS=1)

    async def push_later() -> None:
        await asyncio.sleep(1.5)
        await rc.get_redis().rpush("jobs", "job-1")

    async def main() -> None:
        await rc.init_redis()
        started = time.monotonic()
        pusher = asyncio.create_task(push_later())
        popped = await rc.get_redis(blocking=True).blpop(["jobs"], timeout=5)
        await pusher
        assert list(popped) == [b"jobs", b"job-1"]
        assert time.monotonic() - started >= 1.4
        # The same BLPOP on the default client is cut off by its 0.5 s socket_timeout.
        with pytest.raises(RedisTimeoutError):
            await rc.get_redis().blpop(["empty"], timeout=3)
        await rc.close_redis()

    asyncio.run(main())


def test_pubsub_on_blocking_client(load: Loader) -> None:
    rc = load(REDIS_SOCKET_TIMEOUT=0.5)

    async def main() -> None:
        await rc.init_redis()
        pubsub = rc.get_redis(blocking=True).pubsub()
        await pubsub.subscribe("events")
        confirm = await pubsub.get_message(timeout=1.0)
        assert confirm is not None and confirm["type"] == "subscribe"
        assert await pubsub.get_message(ignore_subscribe_messages=True, timeout=0.2) is None

        async def publish_later() -> None:
            await asyncio.sleep(0.8)  # idle longer than SOCKET_TIMEOUT
            await rc.get_redis().publish("events", "hello")

        async def first_message() -> Any:
            async for message in pubsub.listen():
                if message["type"] == "message":
                    return message["data"]

        publisher = asyncio.create_task(publish_later())
        assert await asyncio.wait_for(first_message(), 5) == b"hello"
        await publisher
        await pubsub.aclose()
        await rc.close_redis()

    asyncio.run(main())


# --- named clients --------------------------------------------------------------------------


def test_named_clients_created_and_closed(rc: ModuleType, redis_url: str,
                                          admin: redis.Redis) -> None:
    db1_url = redis_url.rsplit("/", 1)[0] + "/1"

    async def main() -> None:
        await rc.init_redis(clients={"text": {"decode_responses": True}, "db1": {"url": db1_url}})
        await rc.get_redis().set("k", "default")
        assert await rc.get_redis("text").get("k") == "default"
        await rc.get_redis("db1").set("k", "one")
        assert await rc.get_redis().get("k") == b"default"
        blocking_text = rc.get_redis("text", blocking=True)
        assert blocking_text.connection_pool.connection_kwargs["socket_timeout"] is None
        assert blocking_text.connection_pool.connection_kwargs["decode_responses"] is True
        with pytest.raises(LookupError, match=r"'nope'.*\['db1', 'default', 'text'\]"):
            rc.get_redis("nope")
        wait_until(lambda: others(admin) == 3)
        await rc.close_redis()
        wait_until(lambda: others(admin) == 0)
        with pytest.raises(RuntimeError, match="not initialised"):
            rc.get_redis("db1")

    asyncio.run(main())
    assert redis.Redis.from_url(db1_url).get("k") == b"one"


def test_default_client_options_can_be_overridden(rc: ModuleType) -> None:
    async def main() -> None:
        await rc.init_redis(clients={"default": {"decode_responses": True}})
        await rc.get_redis().set("k", "v")
        assert await rc.get_redis().get("k") == "v"
        await rc.close_redis()

    asyncio.run(main())


# --- event loops ----------------------------------------------------------------------------


def test_two_app_lifetimes_in_two_event_loops(rc: ModuleType) -> None:
    clients: list[object] = []

    async def app_lifetime(value: str) -> bytes | None:
        client = await rc.init_redis()
        clients.append(client)
        try:
            await rc.get_redis().set("run", value)
            return await rc.get_redis().get("run")
        finally:
            await rc.close_redis()

    assert asyncio.run(app_lifetime("first")) == b"first"
    assert asyncio.run(app_lifetime("second")) == b"second"
    assert clients[0] is not clients[1]


@pytest.mark.filterwarnings("ignore::ResourceWarning")  # the leaked socket is the point
def test_contrast_client_created_once_fails_in_second_loop(redis_url: str) -> None:
    """The seed failure: one module-level client reused by a second asyncio.run()."""
    module_level_client = redis.asyncio.Redis.from_url(redis_url)

    async def handler() -> bytes | None:
        await module_level_client.set("k", "v")
        return await module_level_client.get("k")

    assert asyncio.run(handler()) == b"v"
    with pytest.raises(RuntimeError, match="Event loop is closed|different loop"):
        asyncio.run(handler())


@pytest.mark.filterwarnings("ignore::ResourceWarning")  # stale sockets are freed by GC
def test_stale_init_from_closed_loop_is_refused_then_rebuilt(rc: ModuleType) -> None:
    async def start_without_shutdown() -> object:
        client = await rc.init_redis()
        await client.ping()  # a socket now bound to this loop
        return client

    stale = asyncio.run(start_without_shutdown())

    async def second_start() -> None:
        with pytest.raises(RuntimeError, match="event loop that is now closed"):
            rc.get_redis()
        fresh = await rc.init_redis()
        assert fresh is not stale
        await fresh.set("k", "v")
        assert await rc.get_redis().get("k") == b"v"
        await rc.close_redis()

    asyncio.run(second_start())

    stale = asyncio.run(start_without_shutdown())

    async def readiness_probe() -> None:
        assert await rc.ping_redis(reset=True) is True  # stale → rebuilt on this loop
        assert rc.get_redis() is not stale
        await rc.close_redis()

    asyncio.run(readiness_probe())


def test_get_redis_from_another_running_loop_raises(rc: ModuleType) -> None:
    owner = asyncio.new_event_loop()
    thread = threading.Thread(target=owner.run_forever, daemon=True)
    thread.start()
    try:
        client = asyncio.run_coroutine_threadsafe(rc.init_redis(), owner).result(5)
        assert asyncio.run_coroutine_threadsafe(client.ping(), owner).result(5) is True

        async def intruder() -> None:
            with pytest.raises(RuntimeError, match="different event loop"):
                rc.get_redis()
            with pytest.raises(RuntimeError, match="another running event loop"):
                await rc.init_redis()
            with pytest.raises(RuntimeError, match="must run on the event loop"):
                await rc.close_redis()

        asyncio.run(intruder())
        assert rc.get_redis() is client  # no running loop here: handing it out is safe
        asyncio.run_coroutine_threadsafe(rc.close_redis(), owner).result(5)
        with pytest.raises(RuntimeError, match="not initialised"):
            rc.get_redis()
    finally:
        owner.call_soon_threadsafe(owner.stop)
        thread.join(5)
        owner.close()


# --- sync code: get_sync_redis() ------------------------------------------------------------


def test_sync_client_round_trip_with_the_same_settings(load: Loader, admin: redis.Redis) -> None:
    rc = load(REDIS_SOCKET_TIMEOUT=0.7, REDIS_RETRY_ATTEMPTS=2)
    before = total_connections(admin)
    client = rc.get_sync_redis()
    assert total_connections(admin) == before  # created on first use, connects on first command
    assert client is rc.get_sync_redis()
    client.set("k", "v")
    assert client.get("k") == b"v"  # bytes, like the async default
    kwargs = client.connection_pool.connection_kwargs
    assert kwargs["socket_timeout"] == 0.7
    assert kwargs["socket_connect_timeout"] == rc.SOCKET_CONNECT_TIMEOUT
    assert kwargs["health_check_interval"] == rc.HEALTH_CHECK_INTERVAL
    connection = client.connection_pool.get_connection()
    try:
        assert isinstance(connection.retry, redis.retry.Retry)  # the sync Retry, not asyncio's
        assert connection.retry._retries == 2
        assert connection.socket_timeout == 0.7
    finally:
        client.connection_pool.release(connection)
    blocking = rc.get_sync_redis(blocking=True)
    assert blocking is not client
    assert blocking.connection_pool.connection_kwargs["socket_timeout"] is None
    rc.close_sync_redis()


def test_sync_blocking_client_outlives_socket_timeout(load: Loader, redis_url: str) -> None:
    rc = load(REDIS_SOCKET_TIMEOUT=0.3)
    pusher = threading.Timer(0.8, lambda: redis.Redis.from_url(redis_url).rpush("q", "x"))
    pusher.start()
    try:
        assert rc.get_sync_redis(blocking=True).blpop(["q"], timeout=3) == (b"q", b"x")
        with pytest.raises(RedisTimeoutError):
            rc.get_sync_redis().blpop(["empty"], timeout=2)
    finally:
        pusher.join()
        rc.close_sync_redis()


def test_close_redis_closes_the_sync_clients_too(rc: ModuleType, admin: redis.Redis) -> None:
    async def main() -> None:
        await rc.init_redis()
        await rc.get_redis().ping()
        rc.get_sync_redis().ping()
        wait_until(lambda: others(admin) == 2)
        await rc.close_redis()
        wait_until(lambda: others(admin) == 0)

    asyncio.run(main())
    assert rc.get_sync_redis().ping()  # a later use makes a fresh one
    rc.close_sync_redis()
    wait_until(lambda: others(admin) == 0)


def test_sync_named_clients_and_url(rc: ModuleType, redis_url: str) -> None:
    db2 = redis_url.rsplit("/", 1)[0] + "/2"
    rc.configure_sync_redis(db2, clients={"text": {"decode_responses": True}})
    rc.get_sync_redis().set("where", "db2")
    assert rc.get_sync_redis("text").get("where") == "db2"
    assert redis.Redis.from_url(db2).get("where") == b"db2"
    with pytest.raises(LookupError, match="'nope'"):
        rc.get_sync_redis("nope")
    rc.close_sync_redis()


def test_sync_url_function_is_read_on_first_use_not_at_configure(rc: ModuleType,
                                                                 redis_url: str) -> None:
    """`migrate init` configures a sync app's URL as a function of its settings: Django's are
    not loaded when the lifecycle module is imported, so the function runs at first use."""
    db3 = redis_url.rsplit("/", 1)[0] + "/3"
    settings: dict[str, str] = {}
    calls: list[str] = []

    def app_url() -> str:
        calls.append(settings["REDIS_URL"])  # KeyError if called before the settings exist
        return settings["REDIS_URL"]

    rc.configure_sync_redis(app_url)
    assert calls == []
    settings["REDIS_URL"] = db3
    rc.get_sync_redis().set("where", "db3")
    rc.get_sync_redis().get("where")
    assert calls == [db3]  # once: the client is made once
    assert redis.Redis.from_url(db3).get("where") == b"db3"
    assert redis.Redis.from_url(redis_url).get("where") is None
    rc.close_sync_redis()

"""The aioredis 1.x compatibility wrapper (redis_migrate/templates/redis_compat.py) against a real
redis-server: every method is called through CompatRedis and what Redis stored is read back with a
separate plain client. No fakes, no mocks."""

import ast
import asyncio
import importlib
import importlib.util
import itertools
import json
import shutil
import sys
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
import redis
import redis.asyncio
from redis.exceptions import ResponseError

TEMPLATES = Path(__file__).resolve().parents[1] / "redis_migrate" / "templates"
COMPAT = TEMPLATES / "redis_compat.py"
LIFECYCLE = TEMPLATES / "redis_client.py"
_counter = itertools.count()


def _load_standalone() -> ModuleType:
    """Import redis_compat.py on its own (no package, no redis_client.py next to it)."""
    name = f"_redis_compat_under_test_{next(_counter)}"
    spec = importlib.util.spec_from_file_location(name, COMPAT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


rc = _load_standalone()
CompatRedis = rc.CompatRedis


@pytest.fixture
def plain(redis_url: str) -> Iterator[redis.Redis]:
    """A separate sync client that reads back what the wrapper stored."""
    client = redis.Redis.from_url(redis_url)
    try:
        yield client
    finally:
        client.close()


def run(redis_url: str, body: Callable[[Any], Awaitable[Any]], **client_kwargs: Any) -> Any:
    """Run ``body(CompatRedis(client))`` on a fresh loop; close the underlying client after."""
    async def main() -> Any:
        client = redis.asyncio.Redis.from_url(redis_url, **client_kwargs)
        try:
            return await body(CompatRedis(client))
        finally:
            await client.aclose()
    return asyncio.run(main())


# --- construction, delegation, imports ---------------------------------------------------------

def test_template_imports_only_redis_and_the_standard_library() -> None:
    tree = ast.parse(COMPAT.read_text("utf-8"))
    top: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            top.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            top.add(node.module.split(".")[0])
    assert top - {"redis"} <= set(sys.stdlib_module_names), top


def test_constructor_needs_exactly_one_of_client_or_resolve(redis_url: str) -> None:
    with pytest.raises(TypeError):
        CompatRedis()
    client = redis.asyncio.Redis.from_url(redis_url)
    with pytest.raises(TypeError):
        CompatRedis(client, resolve=lambda: client)
    assert CompatRedis(resolve=lambda: client).client is client


def test_other_names_are_delegated_unchanged(redis_url: str, plain: redis.Redis) -> None:
    async def body(r: Any) -> None:
        assert r.client.connection_pool is r.connection_pool
        assert await r.rpush("l", "a", "b") == 2          # redis-py's own methods, untouched
        assert await r.lrange("l", 0, -1) == [b"a", b"b"]
        assert await r.delete("l") == 1
        with pytest.raises(AttributeError):
            r.no_such_command_anywhere
    run(redis_url, body)
    assert plain.exists("l") == 0


# --- strings and keys --------------------------------------------------------------------------

def test_set_expire_pexpire_and_exist(redis_url: str, plain: redis.Redis) -> None:
    async def body(r: Any) -> None:
        assert await r.set("ex", "v", expire=10) is True
        assert await r.set("px", "v", pexpire=1500) is True
        assert await r.set("both", "v", expire=100, pexpire=1500) is True  # 1.x: pexpire wins
        assert await r.set("none", "v", expire=0) is True                  # 0 = no expiry
        assert await r.set("nx", "old") is True
        assert await r.set("nx", "new", exist=r.SET_IF_NOT_EXIST) is False  # 1.x False, not None
        assert await r.set("nx2", "v", exist=rc.SET_IF_NOT_EXIST) is True
        assert await r.set("xx", "v", exist=CompatRedis.SET_IF_EXIST) is False
        assert await r.set("nx2", "w", exist="SET_IF_EXIST") is True      # the 1.x string value
        with pytest.raises(ValueError):
            await r.set("bad", "v", exist="NX")
    run(redis_url, body)
    assert 9 <= plain.ttl("ex") <= 10
    assert 1000 < plain.pttl("px") <= 1500
    assert 1000 < plain.pttl("both") <= 1500
    assert plain.ttl("none") == -1
    assert plain.get("nx") == b"old"
    assert plain.get("nx2") == b"w"
    assert plain.exists("xx", "bad") == 0


def test_get_and_mget_with_per_call_encoding(redis_url: str, plain: redis.Redis) -> None:
    plain.set("k", "héllo")
    plain.set("k2", "x")

    async def body(r: Any) -> None:
        assert await r.get("k") == "héllo".encode()               # the shared client gives bytes
        assert await r.get("k", encoding="utf-8") == "héllo"
        assert await r.get("k", encoding=None) == "héllo".encode()
        assert await r.get("missing", encoding="utf-8") is None
        assert await r.mget("k2", "missing") == [b"x", None]
        assert await r.mget("k2", "missing", encoding="utf-8") == ["x", None]
    run(redis_url, body)


def test_encoding_on_a_decoding_client(redis_url: str, plain: redis.Redis) -> None:
    plain.set("k", "v")

    async def body(r: Any) -> None:
        assert await r.get("k") == "v"
        assert await r.get("k", encoding="utf-8") == "v"          # rule E1: redundant, kept
        with pytest.raises(ValueError, match="E3"):               # raw bytes cannot be honoured
            await r.get("k", encoding=None)
    run(redis_url, body, decode_responses=True)


def test_incrby_and_expire(redis_url: str, plain: redis.Redis) -> None:
    async def body(r: Any) -> None:
        assert await r.incrby("n", 5) == 5
        assert await r.incrby("n", -2) == 3
        assert await r.expire("n", 10) is True
        await r.set("f", "v")
        assert await r.expire("f", 1.5) is True                   # float → PEXPIRE 1500
        assert await r.expire("missing", 10) is False
    run(redis_url, body)
    assert plain.get("n") == b"3"
    assert 9 <= plain.ttl("n") <= 10
    assert 1000 < plain.pttl("f") <= 1500


def test_execute_maps_to_execute_command(redis_url: str, plain: redis.Redis) -> None:
    async def body(r: Any) -> None:
        assert await r.execute("SET", "k", "v") is True            # callback applied (1.x: b'OK')
        assert await r.execute("GET", "k") == b"v"
        assert await r.execute("GET", "k", encoding="utf-8") == "v"
        assert await r.execute("INCRBY", "n", 7) == 7
    run(redis_url, body)
    assert plain.get("k") == b"v" and plain.get("n") == b"7"


def test_iscan_yields_every_key(redis_url: str, plain: redis.Redis) -> None:
    keys = {f"key:{i}".encode() for i in range(120)}
    plain.mset({k: "v" for k in keys})
    plain.set("other", "v")

    async def body(r: Any) -> None:
        assert {k async for k in r.iscan(count=10)} == keys | {b"other"}
        matched = [k async for k in r.iscan(match="key:*", count=7)]
        assert set(matched) == keys
    run(redis_url, body)


# --- hashes ------------------------------------------------------------------------------------

def test_hmset_dict_shapes(redis_url: str, plain: redis.Redis) -> None:
    async def body(r: Any) -> None:
        assert await r.hmset_dict("h1", {"a": 1, "b": "x"}) is True
        assert await r.hmset_dict("h2", a=1, b=2) is True
        assert await r.hmset_dict("h3", {"a": 1, "b": 1}, b=2, c=3) is True  # kwargs win
        assert await r.hmset_dict("h1", {"a": 1}) is True  # 1.x True even with no new field
        with pytest.raises(TypeError):
            await r.hmset_dict("h4")
        with pytest.raises(ValueError):
            await r.hmset_dict("h4", {})
        with pytest.raises(TypeError):
            await r.hmset_dict("h4", {"a": 1}, {"b": 2})
        with pytest.raises(TypeError):
            await r.hmset_dict("h4", [("a", 1)])
    run(redis_url, body)
    assert plain.hgetall("h1") == {b"a": b"1", b"b": b"x"}
    assert plain.hgetall("h2") == {b"a": b"1", b"b": b"2"}
    assert plain.hgetall("h3") == {b"a": b"1", b"b": b"2", b"c": b"3"}
    assert plain.exists("h4") == 0


def test_hget_hgetall_hincrby_ihscan(redis_url: str, plain: redis.Redis) -> None:
    fields = {f"f{i}": str(i) for i in range(60)}
    plain.hset("big", mapping=fields)
    plain.hset("h", mapping={"a": "1", "é": "ü"})

    async def body(r: Any) -> None:
        assert await r.hgetall("h") == {b"a": b"1", "é".encode(): "ü".encode()}
        assert await r.hgetall("h", encoding="utf-8") == {"a": "1", "é": "ü"}
        assert await r.hgetall("missing", encoding="utf-8") == {}
        assert await r.hget("h", "a") == b"1"
        assert await r.hget("h", "a", encoding="utf-8") == "1"
        assert await r.hincrby("h", "a") == 2                       # default increment 1
        assert await r.hincrby("h", "n", 10) == 10
        pairs = [p async for p in r.ihscan("big", count=5)]
        assert all(isinstance(p, tuple) and len(p) == 2 for p in pairs)
        assert {f.decode(): v.decode() for f, v in pairs} == fields
        assert {f async for f, _ in r.ihscan("big", match="f1*")} == {
            f.encode() for f in fields if f.startswith("f1")}
    run(redis_url, body)
    assert plain.hget("h", "a") == b"2" and plain.hget("h", "n") == b"10"


# --- sets and sorted sets ----------------------------------------------------------------------

def test_isscan(redis_url: str, plain: redis.Redis) -> None:
    members = {f"m{i}".encode() for i in range(200)}
    plain.sadd("s", *members)

    async def body(r: Any) -> None:
        assert {m async for m in r.isscan("s", count=10)} == members
        expected = {f"m1{i}".encode() for i in range(10)}
        assert {m async for m in r.isscan("s", match="m1?")} == expected
    run(redis_url, body)


def test_zadd_score_member_pairs_and_flags(redis_url: str, plain: redis.Redis) -> None:
    async def body(r: Any) -> None:
        assert await r.zadd("z", 1, "a", 2, "b") == 2
        assert await r.zadd("z", 5, "a", exist=r.ZSET_IF_NOT_EXIST) == 0   # not overwritten
        assert await r.zadd("z", 7, "new", exist=rc.ZSET_IF_EXIST) == 0    # not added
        assert await r.zadd("z", 3, "b", exist=rc.ZSET_IF_EXIST) == 0      # updated, 0 new
        assert await r.zadd("z", 4, "b", 1.5, "c", changed=True) == 2      # changed + added
        assert await r.zadd("z", 2, "c", incr=True) == 3.5
        assert await r.zadd("z", 2, "a", incr=True) == 3 and isinstance(
            await r.zadd("z", 0, "a", incr=True), int)                      # 1.x int_or_float
        assert await r.zadd("dup", 1, "x", 9, "x") == 1                    # last score wins
        with pytest.raises(TypeError):
            await r.zadd("bad", 1, "a", 2)
        with pytest.raises(TypeError):
            await r.zadd("bad", "1", "a")
        with pytest.raises(ValueError):
            await r.zadd("bad", 1, "a", exist="NX")
    run(redis_url, body)
    assert plain.zrange("z", 0, -1, withscores=True) == [(b"a", 3.0), (b"c", 3.5), (b"b", 4.0)]
    assert plain.zscore("dup", "x") == 9.0
    assert plain.exists("bad") == 0


def test_zrange_zrevrange_zscore_izscan_shapes(redis_url: str, plain: redis.Redis) -> None:
    plain.zadd("z", {"a": 1, "b": 2.5, "c": -3})
    plain.zadd("big", {f"m{i}": i for i in range(80)})

    async def body(r: Any) -> None:
        assert await r.zrange("z") == [b"c", b"a", b"b"]                  # start=0, stop=-1
        with_scores = await r.zrange("z", withscores=True)
        assert with_scores == [(b"c", -3), (b"a", 1), (b"b", 2.5)]
        assert [type(s) for _, s in with_scores] == [int, int, float]    # 1.x int_or_float
        assert all(type(p) is tuple for p in with_scores)
        assert await r.zrange("z", 0, 0, withscores=True, encoding="utf-8") == [("c", -3)]
        assert await r.zrange("z", 1, 2, encoding="utf-8") == ["a", "b"]
        assert await r.zrevrange("z", 0, -1, withscores=True) == [
            (b"b", 2.5), (b"a", 1), (b"c", -3)]
        assert await r.zrevrange("z", 0, 0) == [b"b"]
        assert await r.zscore("z", "a") == 1 and type(await r.zscore("z", "a")) is int
        assert await r.zscore("z", "b") == 2.5
        assert await r.zscore("z", "missing") is None
        scanned = [p async for p in r.izscan("big", count=7)]
        assert sorted(scanned, key=lambda p: p[1]) == [(f"m{i}".encode(), i) for i in range(80)]
        assert all(type(s) is int for _, s in scanned)
    run(redis_url, body)


# --- lists -------------------------------------------------------------------------------------

def test_blpop_brpop_multiple_keys_and_timeout(redis_url: str, plain: redis.Redis) -> None:
    plain.rpush("b", "x", "y")

    async def body(r: Any) -> None:
        got = await r.blpop("a", "b", timeout=1)
        assert got == [b"b", b"x"] and type(got) is list              # 1.x list, not tuple
        assert await r.brpop("a", "b", timeout=1, encoding="utf-8") == ["b", "y"]
        start = time.monotonic()
        assert await r.blpop("a", "b", timeout=1) is None
        assert time.monotonic() - start >= 0.9
        assert await r.brpop("a", timeout=1) is None
    run(redis_url, body)
    assert plain.exists("a", "b") == 0


def test_blpop_timeout_zero_waits_for_a_push(redis_url: str, plain: redis.Redis) -> None:
    async def body(r: Any) -> None:
        async def push_later() -> None:
            await asyncio.sleep(0.3)
            pusher = redis.asyncio.Redis.from_url(redis_url)
            await pusher.rpush("q", "job")
            await pusher.aclose()
        task = asyncio.create_task(push_later())
        assert await asyncio.wait_for(r.blpop("q"), 5) == [b"q", b"job"]   # 1.x timeout=0
        await task
    run(redis_url, body)


# --- transactions and pipelines ----------------------------------------------------------------

def test_multi_exec_is_a_transaction(redis_url: str, plain: redis.Redis) -> None:
    async def body(r: Any) -> None:
        tr = r.multi_exec()
        tr.incr("n")
        tr.set("k", "v")
        assert await tr.execute() == [1, True]
        # A command rejected at queue time aborts the whole MULTI: nothing else is applied.
        tr = r.multi_exec()
        tr.set("aborted", "v")
        tr.execute_command("SET")
        with pytest.raises(ResponseError):
            await tr.execute()
        # 1.x pipeline() sends no MULTI: the valid command is applied despite the bad one.
        p = r.pipeline()
        p.set("piped", "v")
        p.execute_command("SET")
        with pytest.raises(ResponseError):
            await p.execute()
    run(redis_url, body)
    assert plain.get("n") == b"1" and plain.get("k") == b"v"
    assert plain.exists("aborted") == 0
    assert plain.get("piped") == b"v"


# --- scripting ---------------------------------------------------------------------------------

def test_eval_and_evalsha_keys_and_args(redis_url: str, plain: redis.Redis) -> None:
    script = "redis.call('SET', KEYS[1], ARGV[1]); return {KEYS[1], KEYS[2], ARGV[1], ARGV[2]}"

    async def body(r: Any) -> None:
        assert await r.eval(script, keys=["k1", "k2"], args=["v1", "v2"]) == [
            b"k1", b"k2", b"v1", b"v2"]
        assert await r.eval("return #KEYS + #ARGV") == 0                # keys=[], args=[]
        sha = await r.script_load(script)                                # delegated
        assert await r.evalsha(sha, keys=["k3", "k4"], args=["v3", "v4"]) == [
            b"k3", b"k4", b"v3", b"v4"]
        assert await r.evalsha(sha, ["k5", "x"], ["v5", "y"]) == [b"k5", b"x", b"v5", b"y"]
    run(redis_url, body)
    assert [plain.get(k) for k in ("k1", "k3", "k5")] == [b"v1", b"v3", b"v5"]


# --- pub/sub -----------------------------------------------------------------------------------

def test_publish_and_publish_json(redis_url: str, plain: redis.Redis) -> None:
    sub = plain.pubsub(ignore_subscribe_messages=True)
    sub.subscribe("ch")
    assert sub.get_message(timeout=1) is None  # consumes the subscribe confirmation
    obj = {"a": [1, 2], "b": "é"}

    async def body(r: Any) -> None:
        assert await r.publish("ch", "plain") == 1
        assert await r.publish_json("ch", obj) == 1
        assert await r.publish("nobody", "x") == 0
    run(redis_url, body)
    first, second = sub.get_message(timeout=2), sub.get_message(timeout=2)
    sub.close()
    assert first is not None and first["data"] == b"plain"
    assert second is not None and json.loads(second["data"]) == obj


# --- streams -----------------------------------------------------------------------------------

def test_xadd_message_id_and_max_len(redis_url: str, plain: redis.Redis) -> None:
    async def body(r: Any) -> None:
        first = await r.xadd("s", {"f": "v"})
        assert isinstance(first, bytes) and b"-" in first
        assert await r.xadd("s", {"n": 1}, message_id=b"9999999999999-1") == b"9999999999999-1"
        for i in range(5):
            await r.xadd("t", {"i": i}, max_len=2, exact_len=True)
        return first
    first = run(redis_url, body)
    assert plain.xrange("s") == [(first, {b"f": b"v"}), (b"9999999999999-1", {b"n": b"1"})]
    assert [fields for _, fields in plain.xrange("t")] == [{b"i": b"3"}, {b"i": b"4"}]


def test_xread_flat_shape_latest_ids_count_and_timeout(redis_url: str, plain: redis.Redis) -> None:
    id1 = plain.xadd("s1", {"a": "1", "b": "2"})
    id2 = plain.xadd("s1", {"a": "3"})
    id3 = plain.xadd("s2", {"c": "4"})

    async def body(r: Any) -> None:
        got = await r.xread(["s1", "s2"], timeout=None, latest_ids=["0", "0"])
        assert got == [(b"s1", id1, OrderedDict([(b"a", b"1"), (b"b", b"2")])),
                       (b"s1", id2, OrderedDict([(b"a", b"3")])),
                       (b"s2", id3, OrderedDict([(b"c", b"4")]))]
        assert all(type(t) is tuple and type(t[2]) is OrderedDict for t in got)
        assert await r.xread(["s1"], timeout=None, count=1, latest_ids=["0"]) == [
            (b"s1", id1, OrderedDict([(b"a", b"1"), (b"b", b"2")]))]
        start = time.monotonic()
        assert await r.xread(["s1"], timeout=200) == []             # latest_ids default '$'
        assert time.monotonic() - start >= 0.15
        assert await r.xread(["s1"], timeout=None) == []            # no BLOCK at all
        with pytest.raises(ValueError):
            await r.xread(["s1", "s2"], latest_ids=["0"])
    run(redis_url, body)


def test_xread_default_timeout_zero_blocks_until_an_entry(redis_url: str) -> None:
    async def body(r: Any) -> None:
        async def add_later() -> bytes:
            await asyncio.sleep(0.3)
            producer = redis.asyncio.Redis.from_url(redis_url)
            try:
                return await producer.xadd("s", {"k": "v"})
            finally:
                await producer.aclose()
        task = asyncio.create_task(add_later())
        got = await asyncio.wait_for(r.xread(["s"]), 5)             # 1.x: BLOCK 0, '$'
        assert got == [(b"s", await task, OrderedDict([(b"k", b"v")]))]
    run(redis_url, body)


# --- lifecycle ---------------------------------------------------------------------------------

def test_close_and_wait_closed_leave_the_client_usable(redis_url: str, plain: redis.Redis) -> None:
    async def body(r: Any) -> None:
        await r.set("before", "v")
        conn_id = await r.client_id()
        assert r.close() is None
        assert await r.wait_closed() is None
        await r.set("after", "v")
        assert await r.client_id() == conn_id          # same connection: nothing was closed
        assert len(r.connection_pool._available_connections) == 1
    run(redis_url, body)
    assert plain.get("before") == b"v" and plain.get("after") == b"v"


def test_get_compat_redis_needs_the_lifecycle_module_next_to_it() -> None:
    with pytest.raises(ImportError, match=r"CompatRedis\(client\)"):
        rc.get_compat_redis()


@pytest.fixture
def side_by_side(tmp_path: Path) -> Iterator[tuple[ModuleType, ModuleType]]:
    """Both templates copied into a fresh package, as the migration copies them into a target."""
    package = f"compat_target_{next(_counter)}"
    (tmp_path / package).mkdir()
    (tmp_path / package / "__init__.py").write_text("")
    shutil.copy(LIFECYCLE, tmp_path / package / "redis_client.py")
    shutil.copy(COMPAT, tmp_path / package / "redis_compat.py")
    sys.path.insert(0, str(tmp_path))
    try:
        compat = importlib.import_module(f"{package}.redis_compat")
        lifecycle = importlib.import_module(f"{package}.redis_client")
        yield compat, lifecycle
    finally:
        sys.path.remove(str(tmp_path))
        for name in [n for n in sys.modules if n == package or n.startswith(package + ".")]:
            del sys.modules[name]


def test_get_compat_redis_wraps_the_lifecycle_get_redis(
        side_by_side: tuple[ModuleType, ModuleType], redis_url: str, plain: redis.Redis) -> None:
    compat, lifecycle = side_by_side

    async def main() -> None:
        r = compat.get_compat_redis()                  # before init_redis(): resolved lazily
        blocking = compat.get_compat_redis(blocking=True)
        with pytest.raises(RuntimeError, match="not initialised"):
            r.client
        await lifecycle.init_redis(redis_url)
        try:
            assert r.client is lifecycle.get_redis()
            assert blocking.client is lifecycle.get_redis(blocking=True)
            assert blocking.client is not r.client
            assert await r.set("k", "v", expire=10) is True
            assert await r.get("k", encoding="utf-8") == "v"
            plain.rpush("q", "job")
            assert await blocking.blpop("q", timeout=1) == [b"q", b"job"]
            r.close()
            await r.wait_closed()
            assert await lifecycle.get_redis().get("k") == b"v"   # the shared client still works
            with pytest.raises(LookupError):
                compat.get_compat_redis("nope").client
        finally:
            await lifecycle.close_redis()
        with pytest.raises(RuntimeError, match="not initialised"):
            await r.get("k")                           # closed by close_redis() only
        await lifecycle.init_redis(redis_url)          # follows a re-init
        try:
            assert r.client is lifecycle.get_redis()
            assert await r.get("k") == b"v"
        finally:
            await lifecycle.close_redis()

    asyncio.run(main())
    assert 9 <= plain.ttl("k") <= 10

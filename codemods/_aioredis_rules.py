"""The aioredis → redis.asyncio rule table (facts §1.1–§1.13), as data.

Each `Rule` names one row of the facts file and the rewrite function that applies it
(`_aioredis_rewrites`); the types a rewrite is given and returns are in `_aioredis_site`. The
codemods read the table, and the names they use from the other two modules, through here.
"""

from __future__ import annotations

from typing import Final

from ._aioredis_rewrites import (
    SET_EXIST,
    eval_like,
    keys_list,
    kw_rename,
    pairs_to_dict,
    rename_to,
    return_shape,
    rewrite_bitop,
    rewrite_hmset,
    rewrite_hmset_dict,
    rewrite_linsert,
    rewrite_multi_exec,
    rewrite_object,
    rewrite_pipeline,
    rewrite_publish_json,
    rewrite_set,
    seconds_to_millis,
)
from ._aioredis_rewrites import always_flag as always_flag
from ._aioredis_rewrites import rewrite_execute as rewrite_execute
from ._aioredis_site import AIOREDIS1 as AIOREDIS1
from ._aioredis_site import AIOREDIS2 as AIOREDIS2
from ._aioredis_site import RETURN_USED as RETURN_USED
from ._aioredis_site import Flag as Flag
from ._aioredis_site import Outcome as Outcome
from ._aioredis_site import Rewrite, Rule
from ._aioredis_site import Site as Site
from ._aioredis_stream_rewrites import (
    rewrite_xadd,
    rewrite_xclaim,
    rewrite_xgroup_create,
    rewrite_xpending,
    rewrite_xtrim,
    xread_like,
)
from ._aioredis_zset_rewrites import (
    AGGREGATE,
    EXCLUDE,
    ZSET_EXIST,
    rewrite_lex,
    rewrite_zadd,
    rewrite_zrange,
    rewrite_zstore,
    score_range,
)
from ._cst_args import code as code
from ._cst_args import is_none as is_none
from ._cst_args import positional as positional
from ._cst_args import starred as starred
from ._cst_args import with_args as with_args

# ---------------------------------------------------------------------------------- the table

def _r(id: str, cls: str, methods: str, description: str, rewrite: Rewrite | None = None,
       guard: str | None = None, scope: str = "call", library: str = AIOREDIS1,
       fixture: str | None = None) -> Rule:
    return Rule(id, cls, library, tuple(methods.split()), description, scope, rewrite, guard,
                fixture)


_CONSTRUCTOR = "not-here: constructor/pool, rewritten by the lifecycle codemods"
_IMPORT = "not-here: import rename, rewritten by update_imports"
_CHANNEL = "not-here: a Channel/PubSub object, not a call on a migrated client"
_SHAPE = "result shape differs"

_LISTED: Final[tuple[Rule, ...]] = (
    # §1.1 connection, pool, lifecycle
    _r("C1", "B", "create_redis_pool", "create_redis_pool → init_redis()/ConnectionPool",
       scope=_CONSTRUCTOR),
    _r("C2", "B", "create_redis", "create_redis → single-connection client", scope=_CONSTRUCTOR),
    _r("C3", "B", "create_pool", "create_pool + execute → ConnectionPool + execute_command",
       scope=_CONSTRUCTOR),
    _r("C4", "B", "create_connection", "create_connection → single-connection client",
       scope=_CONSTRUCTOR),
    _r("C5", "C", "create_sentinel", "create_sentinel → redis.asyncio.sentinel",
       scope=_CONSTRUCTOR),
    _r("C6", "A", "close wait_closed", "close() + await wait_closed() → await aclose(); a lone "
       "wait_closed() is deleted", guard="inside close_redis() (closing the shared client "
       "elsewhere is a bug)", scope="statement"),
    _r("C7", "A", "close wait_closed", "pool.close() + wait_closed() → pool.aclose()",
       scope=_CONSTRUCTOR),
    _r("C8", "A", "clear", "pool.clear() → pool.disconnect(inuse_connections=False)",
       scope=_CONSTRUCTOR),
    _r("C9", "B", "", "with await r as conn: → async with r.client() as conn:",
       guard="inside an async def, one item bound with `as`", scope="with"),
    _r("C10", "C", "closed db encoding address connection in_transaction in_pubsub",
       "connection properties have no equivalent", scope="attribute"),
    _r("C11", "C", "select", "select(db) changes one pooled connection only",
       always_flag("C11", "select() changes only one pooled connection: use db= on the pool")),
    _r("C12", "C", "", "URL ?encoding=/?timeout= query keys", scope=_CONSTRUCTOR),
    _r("C13", "C", "", "un-awaited command outside an async def never runs",
       scope="statement"),
    # un-awaited commands (C13 split by what the codemod can do)
    _r("U1", "A", "", "bare un-awaited command in an async def → await it", scope="statement"),
    _r("U2", "C", "", "un-awaited command stored in a variable (awaited later or never)",
       scope="statement"),
    # §1.2 per-call encoding
    _r("E1", "A", "", "encoding= equal to the client's decoding → removed", scope="encoding"),
    _r("E2", "B", "", "encoding= on a bytes client → removed + None-safe .decode()",
       guard="`name = await r.<scalar read>(…, encoding='…')` with a literal encoding",
       scope="encoding"),
    _r("E3", "C", "", "encoding=None on a decoding client needs a bytes client",
       scope="encoding"),
    _r("E4", "A", "create_redis_pool", "pool encoding= → decode_responses=True",
       scope=_CONSTRUCTOR),
    # §1.3 strings and keys
    _r("S1", "B", "set", "expire= → ex=, pexpire= → px=, exist=SET_IF_* → nx/xx=True",
       rewrite_set, guard="exist= resolves to an aioredis constant; result not compared "
       "with False"),
    _r("S2", "B", "setex", "float seconds → psetex(ms)",
       seconds_to_millis("setex", "psetex", 1, "S2"),
       guard="seconds is an int (literal, int(), len()) or a float literal"),
    _r("S3", "A", "psetex", "unchanged"),
    _r("S4", "A", "setnx", "unchanged"),
    _r("S5", "B", "mset", "mset(k1, v1, …) → mset({k1: v1, …})", pairs_to_dict("S5", 0),
       guard="pairs are positional (no star-args), even count"),
    _r("S6", "B", "msetnx", "msetnx(k1, v1, …) → msetnx({k1: v1, …})",
       pairs_to_dict("S6", 0), guard="pairs are positional (no star-args), even count"),
    _r("S7", "A", "get getrange getset mget", "unchanged (after encoding= removal)"),
    _r("S8", "A", "incr incrby decr decrby incrbyfloat append strlen setrange bitcount bitpos "
       "getbit setbit", "unchanged"),
    _r("S9", "A", "bitop_and bitop_or bitop_xor bitop_not", "bitop_and(…) → bitop(\"AND\", …)",
       rewrite_bitop),
    _r("S10", "A", "delete unlink exists touch", "unchanged"),
    _r("S11", "B", "expire expireat", "float seconds → pexpire/pexpireat(ms)", None,
       guard="timeout is an int (literal, int(), len()) or a float literal"),
    _r("S12", "A", "pexpire pexpireat persist ttl pttl type keys", "unchanged"),
    _r("S13", "A", "scan", "unchanged"),
    _r("S14", "A", "iscan", "iscan → scan_iter", rename_to("scan_iter")),
    _r("S15", "C", "sort", "sort() signature differs",
       always_flag("S15", "sort() arguments differ (get/by/offset/asc → start/num/get/desc)")),
    _r("S16", "A", "object_encoding object_refcount object_idletime",
       "object_encoding(k) → object(\"encoding\", k)", rewrite_object),
    _r("S17", "C", "time", "time() returns (sec, usec), not a float",
       always_flag("S17", "time() returns a (seconds, microseconds) tuple, not a float",
                   unless_discarded=True)),
    _r("S18", "A", "flushdb flushall", "async_op= → asynchronous=",
       kw_rename({"async_op": "asynchronous"})),
    # §1.4 hashes
    _r("H1", "A", "hmset_dict", "hmset_dict(k, d, **kw) → hset(k, mapping={**d, **kw})",
       rewrite_hmset_dict, guard="result discarded (True → number of new fields)"),
    _r("H2", "B", "hmset", "hmset(k, f, v, …) → hset(k, mapping={f: v, …})", rewrite_hmset,
       guard="pairs are positional (no star-args); result discarded"),
    _r("H3", "A", "hset", "unchanged"),
    _r("H4", "A", "hget hmget hgetall hkeys hvals hlen hexists hdel hincrby hincrbyfloat "
       "hsetnx hstrlen", "unchanged"),
    _r("H5", "B", "hscan", "hscan returns a dict of pairs",
       return_shape("H5", frozenset({"discarded"}), _SHAPE + ": [(f, v)] → {f: v}"),
       guard="result discarded"),
    _r("H6", "A", "ihscan", "ihscan → hscan_iter", rename_to("hscan_iter")),
    # §1.5 sets and sorted sets
    _r("Z1", "B", "zadd", "zadd(k, score, member, …) → zadd(k, {member: score, …})",
       rewrite_zadd, guard="score/member pairs positional, no duplicate members, exist= "
       "resolves to an aioredis constant, incr=True with one member"),
    _r("Z2", "B", "zrange", "explicit start/end (0, -1); withscores keyword", rewrite_zrange,
       guard="withscores false/absent or result discarded"),
    _r("Z3", "A", "zrevrange", "unchanged"),
    _r("Z4", "B", "zrangebyscore", "explicit min/max, exclude → \"(\" bounds, offset/count → "
       "start/num", score_range("Z4", ("min", "max"), True),
       guard="exclude= resolves to an aioredis constant; offset and count together"),
    _r("Z5", "B", "zrevrangebyscore", "as Z4 with max first",
       score_range("Z5", ("max", "min"), True), guard="as Z4"),
    _r("Z6", "B", "zremrangebyscore zcount", "explicit min/max, exclude → \"(\" bounds",
       score_range("Z6", ("min", "max"), False), guard="as Z4"),
    _r("Z7", "B", "zunionstore zinterstore", "keys → list, weighted tuples → dict, "
       "ZSET_AGGREGATE_* → string", rewrite_zstore,
       guard="weighted keys are literal (key, weight) tuples; constants resolve"),
    _r("Z8", "A", "zscore zincrby", "unchanged; flagged when compared with `is`",
       return_shape("Z8", frozenset({"discarded", "truth", "compare-eq", "compare-false",
                                     "in", "len", "iter", "used"}),
                    "score compared with `is`: redis.asyncio returns a float")),
    _r("Z9", "A", "zrangebylex zlexcount zremrangebylex", "full range → explicit \"-\" \"+\"; "
       "other lex bounds flagged", rewrite_lex),
    _r("Z10", "A", "izscan", "izscan → zscan_iter", rename_to("zscan_iter")),
    _r("Z11", "B", "bzpopmin bzpopmax", "bzpopmin(k1, k2, timeout=) → bzpopmin([k1, k2], …)",
       keys_list("Z11"), guard="keys positional (no star-args); result not compared with =="),
    _r("T1", "B", "smembers", "smembers returns a set",
       return_shape("T1", frozenset({"discarded", "truth", "in", "len", "iter"}),
                    _SHAPE + ": list → set (indexing, ordering, json.dumps break)"),
       guard="result discarded or used only in `in`, len(), iteration, truth test"),
    _r("T2", "A", "sadd srem scard sismember spop srandmember smove sdiff sinter sunion "
       "sdiffstore sinterstore sunionstore", "unchanged"),
    _r("T3", "A", "isscan", "isscan → sscan_iter", rename_to("sscan_iter")),
    # §1.6 lists
    _r("L1", "B", "blpop brpop", "blpop(k1, k2, timeout=) → blpop([k1, k2], timeout=)",
       keys_list("L1"), guard="keys positional (no star-args); result not compared with =="),
    _r("L2", "A", "brpoplpush", "unchanged"),
    _r("L3", "A", "linsert", "linsert(k, pivot, v, before=) → linsert(k, \"BEFORE\"/\"AFTER\", "
       "pivot, v)", rewrite_linsert),
    _r("L4", "A", "lpush rpush lpushx rpushx lpop rpop llen lrange lrem lset ltrim lindex "
       "rpoplpush", "unchanged"),
    # §1.7 transactions and pipelines
    _r("P1", "A", "multi_exec", "multi_exec() → pipeline(transaction=True)",
       rewrite_multi_exec),
    _r("P2", "A", "pipeline", "pipeline() → pipeline(transaction=False)", rewrite_pipeline),
    _r("P3", "B", "", "pipeline command futures", guard="futures discarded (not awaited, "
       "not stored and used)", scope="pipeline"),
    _r("P4", "A", "execute", "execute(return_exceptions=x) → execute(raise_on_error=not x)",
       rewrite_execute, scope="pipeline"),
    _r("P5", "C", "", "MultiExecError/PipelineError", scope="error", fixture="ERR-C"),
    _r("P6", "C", "watch", "WATCH on a pooled client",
       always_flag("P6", "WATCH on a pooled client: use pipeline().watch() or transaction()")),
    _r("P7", "A", "", "WatchVariableError → WatchError", scope="error", fixture="ERR-A"),
    # §1.8 pub/sub
    _r("B1", "A", "publish", "unchanged"),
    _r("B2", "A", "publish_json", "publish_json(ch, o) → publish(ch, json.dumps(o))",
       rewrite_publish_json),
    _r("B3", "C", "subscribe psubscribe", "subscribe returns Channels; use client.pubsub()",
       always_flag("B3", "subscribe() on the client: use ps = client.pubsub() and listen()")),
    _r("B4", "C", "wait_message get get_json iter", "Channel reading", scope=_CHANNEL),
    _r("B5", "C", "", "Receiver (mpsc)", scope=_CHANNEL),
    _r("B6", "B", "unsubscribe punsubscribe channels patterns",
       "unsubscribe/channels move to the PubSub object",
       always_flag("B6", "pub/sub state lives on a PubSub object in redis.asyncio"),
       guard="none statically checkable: always flagged"),
    _r("B7", "B", "pubsub_numsub", "pubsub_numsub returns a list of tuples",
       return_shape("B7", frozenset({"discarded"}), _SHAPE + ": dict → [(channel, n)]"),
       guard="result discarded"),
    _r("B8", "A", "", "channel close() → PubSub.aclose()", scope=_CHANNEL),
    # §1.9 streams
    _r("X1", "A", "xadd", "message_id → id, max_len → maxlen, exact_len → approximate=not",
       rewrite_xadd),
    _r("X2", "B", "xread", "streams + latest_ids → {stream: id}, timeout → block",
       xread_like("X2", 0, "xread"), guard="result discarded"),
    _r("X3", "B", "xread_group", "→ xreadgroup(group, consumer, {stream: id}, block=…)",
       xread_like("X3", 2, "xreadgroup"), guard="result discarded"),
    _r("X4", "B", "xgroup_create", "latest_id= → id=", rewrite_xgroup_create,
       guard="not inside a try that catches BusyGroupError"),
    _r("X5", "A", "xrange xrevrange", "start/stop keywords → min/max", None),
    _r("X6", "A", "xgroup_setid", "latest_id= → id=", kw_rename({"latest_id": "id"})),
    _r("X7", "A", "xtrim", "max_len → maxlen, exact_len → approximate=not", rewrite_xtrim),
    _r("X8", "B", "xpending", "with a range → xpending_range(min=, max=, count=)",
       rewrite_xpending, guard="start, stop and count all given"),
    _r("X9", "A", "xclaim", "message ids → one list", rewrite_xclaim),
    # §1.10 scripting
    _r("K1", "A", "eval", "eval(s, keys=[…], args=[…]) → eval(s, len(keys), *keys, *args)",
       eval_like("K1"), guard="keys= is a literal list or a name (evaluated once)"),
    _r("K2", "A", "evalsha", "as K1", eval_like("K2"), guard="as K1"),
    _r("K3", "A", "script_load script_exists script_flush script_kill", "unchanged"),
    _r("K4", "C", "", "register_script is the suggested target (no source pattern)",
       scope="not-here: advice, no 1.x call to match"),
    # §1.12 errors
    _r("ERR", "A", "", "aioredis.errors.X → redis.exceptions.Y (A rows of §1.12)",
       scope="error", fixture="ERR-A"),
    _r("ERR-C", "C", "", "BusyGroupError, PipelineError, MultiExecError, ChannelClosedError, "
       "MasterReplyError, SlaveReplyError, PoolClosedError have no equivalent",
       scope="error"),
    # §1.13 aioredis 2.x
    _r("N1", "A", "", "import aioredis → redis.asyncio", scope=_IMPORT, library=AIOREDIS2),
    _r("N2", "A", "", "aioredis.from_url → redis.asyncio.from_url", scope=_CONSTRUCTOR,
       library=AIOREDIS2),
    _r("N3", "A", "", "aioredis.exceptions.X → redis.exceptions.X (a name from `from "
       "aioredis.exceptions import X` keeps its spelling: update_imports renames the import)",
       scope="error",
       library=AIOREDIS2),
    _r("N4", "C", "", "except asyncio.TimeoutError around client calls", scope="error",
       library=AIOREDIS2),
    _r("N5", "A", "", "aioredis.client.* → redis.asyncio.client.*", scope=_IMPORT,
       library=AIOREDIS2),
    _r("N6", "A", "", "aioredis.lock.Lock → redis.asyncio.lock.Lock", scope=_IMPORT,
       library=AIOREDIS2),
    _r("N7", "A", "", "aioredis.sentinel.* → redis.asyncio.sentinel.*", scope=_IMPORT,
       library=AIOREDIS2),
    _r("N8", "A", "", "aioredis.connection.* → redis.asyncio.connection.*", scope=_IMPORT,
       library=AIOREDIS2),
    _r("N9", "C", "", "aioredis parsers are private in redis-py", scope="error",
       library=AIOREDIS2),
    _r("N10", "A", "", "aioredis.utils.from_url → redis.asyncio.utils.from_url",
       scope=_IMPORT, library=AIOREDIS2),
    _r("N11", "A", "close", "await r.close() → await r.aclose()",
       guard="inside close_redis() (closing the shared client elsewhere is a bug)",
       scope="statement", library=AIOREDIS2),
    _r("N12", "A", "", "PubSub close()/reset() → aclose()", scope=_CHANNEL, library=AIOREDIS2),
    _r("N13", "A", "close wait_closed", "r.close(); await r.wait_closed() → await r.aclose()",
       guard="inside close_redis()", scope="statement", library=AIOREDIS2),
    _r("N14", "B", "", "retry_on_timeout= → retry=", scope=_CONSTRUCTOR, library=AIOREDIS2),
    _r("N15", "C", "", "aioredis.compat has no equivalent", scope="error", library=AIOREDIS2),
)

# S11 and X5 need per-method parameters
RULES: Final[tuple[Rule, ...]] = tuple(
    r if r.id not in ("S11", "X5") else Rule(
        r.id, r.cls, r.library, r.methods, r.description, r.scope, None, r.guard, r.fixture)
    for r in _LISTED)
BY_ID: Final[dict[str, Rule]] = {r.id: r for r in RULES}

# method → rewrite, per library (for rules with scope "call")
_METHOD_REWRITES: dict[str, Rewrite] = {
    "expire": seconds_to_millis("expire", "pexpire", 1, "S11"),
    "expireat": seconds_to_millis("expireat", "pexpireat", 1, "S11"),
    "xrange": kw_rename({"start": "min", "stop": "max"}),
    "xrevrange": kw_rename({"start": "max", "stop": "min"}),
}
METHOD_RULES: Final[dict[str, tuple[str, Rewrite | None]]] = {}
for _rule in RULES:
    if _rule.scope == "call" and _rule.library == AIOREDIS1:
        for _method in _rule.methods:
            METHOD_RULES[_method] = (_rule.id, _METHOD_REWRITES.get(_method, _rule.rewrite))

# commands that do not return a coroutine (1.x or redis.asyncio): never "un-awaited"
NOT_COROUTINES: Final = frozenset({
    "pipeline", "multi_exec", "pubsub", "lock", "register_script", "client", "monitor",
    "iscan", "ihscan", "isscan", "izscan", "scan_iter", "hscan_iter", "sscan_iter",
    "zscan_iter", "close", "wait_closed", "aclose", "get_connection_kwargs",
})

# E2: scalar reads whose 1.x `encoding=` can become a None-safe `.decode()`
SCALAR_READS: Final = frozenset({
    "get", "getset", "getrange", "hget", "lindex", "lpop", "rpop", "rpoplpush", "brpoplpush",
    "echo", "srandmember", "spop", "getdel",
})

# §1.12 (aioredis 1.x, `aioredis.errors.X` or `aioredis.X`): name → redis-py target or None (C)
ERRORS_1: Final[dict[str, str | None]] = {
    "RedisError": "redis.exceptions.RedisError",
    "ReplyError": "redis.exceptions.ResponseError",
    "MaxClientsError": "redis.exceptions.ConnectionError",
    "AuthError": "redis.exceptions.AuthenticationError",
    "BusyGroupError": None,
    "ProtocolError": "redis.exceptions.InvalidResponse",
    "PipelineError": None,
    "MultiExecError": None,
    "WatchVariableError": "redis.exceptions.WatchError",
    "ChannelClosedError": None,
    "ReadOnlyError": "redis.exceptions.ReadOnlyError",
    "MasterNotFoundError": "redis.asyncio.sentinel.MasterNotFoundError",
    "SlaveNotFoundError": "redis.asyncio.sentinel.SlaveNotFoundError",
    "MasterReplyError": None,
    "SlaveReplyError": None,
    "ConnectionClosedError": "redis.exceptions.ConnectionError",
    "ConnectionForcedCloseError": "redis.exceptions.ConnectionError",
    "PoolClosedError": None,
}
ERROR_RULE: Final = {"WatchVariableError": "P7", "PipelineError": "P5",
                     "MultiExecError": "P5"}

# N3 (aioredis 2.x, `aioredis.exceptions.X` or `aioredis.X`): same names in redis.exceptions
ERRORS_2: Final = frozenset({
    "RedisError", "ConnectionError", "TimeoutError", "AuthenticationError", "BusyLoadingError",
    "InvalidResponse", "ResponseError", "DataError", "PubSubError", "WatchError",
    "NoScriptError", "ExecAbortError", "ReadOnlyError", "NoPermissionError", "ModuleError",
    "LockError", "LockNotOwnedError", "ChildDeadlockedError",
    "AuthenticationWrongNumberOfArgsError",
})

ATTRIBUTE_RULES: Final = {**{a: "C10" for a in BY_ID["C10"].methods},
                          "channels": "B6", "patterns": "B6"}
CONSTANTS: Final = frozenset({*SET_EXIST, *ZSET_EXIST, *EXCLUDE, *AGGREGATE})

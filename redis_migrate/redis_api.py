"""What the Redis libraries look like from the outside: constructors, close calls and commands.

Pure data, shared by the analysis (which finds and classifies sites) and the codemods (which
rewrite them), so that both recognise exactly the same names. Every name here is a *qualified*
name, the one an expression resolves to through its imports: `import redis.asyncio as aioredis`
followed by `aioredis.Redis.from_url` resolves to `redis.asyncio.Redis.from_url`.
"""

from __future__ import annotations

from typing import Final

# Library families, by the module prefix a qualified name starts with (longest prefix first).
LIBRARY_PREFIXES: Final[tuple[tuple[str, str], ...]] = (
    ("redis.asyncio.", "redis-asyncio"),
    ("aioredis.", "aioredis"),  # refined to aioredis1 / aioredis2 by the API a file uses
    ("redis.", "redis-sync"),
)

# Modules under which the client and pool classes are exported.
_REDIS_PY_MODULES: Final = (
    "redis",
    "redis.client",
    "redis.connection",
    "redis.asyncio",
    "redis.asyncio.client",
    "redis.asyncio.connection",
    "aioredis",
    "aioredis.client",
    "aioredis.connection",
)
_CLIENT_CLASSES: Final = ("Redis", "StrictRedis")
_POOL_CLASSES: Final = ("ConnectionPool", "BlockingConnectionPool")


def _build_constructors() -> dict[str, str]:
    """Map every qualified constructor name to its pattern family (`client`, `pool`, …)."""
    table: dict[str, str] = {}
    for module in _REDIS_PY_MODULES:
        for cls in _CLIENT_CLASSES:
            table[f"{module}.{cls}"] = "client"
            table[f"{module}.{cls}.from_url"] = "client"
            table[f"{module}.{cls}.from_pool"] = "client"
        for cls in _POOL_CLASSES:
            table[f"{module}.{cls}"] = "pool"
            table[f"{module}.{cls}.from_url"] = "pool"
    for module in ("redis", "redis.asyncio", "redis.client", "redis.asyncio.client", "aioredis"):
        table[f"{module}.from_url"] = "client"
    for module in ("aioredis", "aioredis.commands"):
        table[f"{module}.create_redis_pool"] = "client"
        table[f"{module}.create_redis"] = "client"
    for module in ("aioredis", "aioredis.pool"):
        table[f"{module}.create_pool"] = "client"
    for module in ("aioredis", "aioredis.connection"):
        table[f"{module}.create_connection"] = "client"
    return table


CONSTRUCTORS: Final[dict[str, str]] = _build_constructors()


def _build_topologies() -> dict[str, str]:
    """Cluster and Sentinel clients, by family: the lifecycle module's one client to one
    server cannot stand in for them, so they are found and reported, never rewritten."""
    table: dict[str, str] = {}
    for module in ("redis", "redis.cluster", "redis.asyncio", "redis.asyncio.cluster"):
        table[f"{module}.RedisCluster"] = "cluster"
        table[f"{module}.RedisCluster.from_url"] = "cluster"
    for module in ("redis", "redis.sentinel", "redis.asyncio", "redis.asyncio.sentinel"):
        table[f"{module}.Sentinel"] = "sentinel"
    return table


# Kept apart from CONSTRUCTORS, which the codemods match to rewrite: these only become sites.
TOPOLOGY_CONSTRUCTORS: Final[dict[str, str]] = _build_topologies()
SITE_CONSTRUCTORS: Final[dict[str, str]] = {**CONSTRUCTORS, **TOPOLOGY_CONSTRUCTORS}
# classes a subclass of which, defined in the target, makes its instances client sites
CLIENT_CLASSES: Final[frozenset[str]] = frozenset(
    name for name, family in CONSTRUCTORS.items()
    if family == "client" and name.rsplit(".", 1)[1] in _CLIENT_CLASSES)

# aioredis 1.x entry points: a file that calls one of these is 1.x code throughout.
AIOREDIS1_API: Final[frozenset[str]] = frozenset(
    {"create_redis_pool", "create_redis", "create_pool", "create_connection", "Channel",
     "create_sentinel", "ConnectionsPool"}
)

# Calls that close a client or a pool. `disconnect` counts only on a pool (see analysis).
CLOSE_METHODS: Final[frozenset[str]] = frozenset({"close", "aclose", "wait_closed"})
POOL_CLOSE_METHODS: Final[frozenset[str]] = frozenset({"disconnect", "aclose", "close"})
ASYNC_WITH: Final = "__aexit__"  # the pseudo-operation recorded for `async with client:`

HEALTH_OPS: Final[frozenset[str]] = frozenset({"ping", "info", "echo", "time", "dbsize"})

READ_OPS: Final[frozenset[str]] = frozenset({
    "get", "mget", "getrange", "substr", "strlen", "exists", "ttl", "pttl", "type", "keys",
    "scan", "scan_iter", "iscan", "hget", "hmget", "hgetall", "hexists", "hkeys", "hvals",
    "hlen", "hstrlen", "hscan", "hscan_iter", "ihscan", "hrandfield", "smembers", "sismember",
    "smismember", "scard", "srandmember", "sscan", "sscan_iter", "isscan", "sinter", "sunion",
    "sdiff", "zrange", "zrevrange", "zrangebyscore", "zrevrangebyscore", "zrangebylex",
    "zscore", "zmscore", "zcard", "zcount", "zrank", "zrevrank", "zscan", "zscan_iter",
    "izscan", "lrange", "lindex", "llen", "getbit", "bitcount", "bitpos", "pfcount",
    "geopos", "geodist", "geosearch", "georadius", "object", "memory_usage", "randomkey",
    "json", "dump",
})

WRITE_OPS: Final[frozenset[str]] = frozenset({
    "set", "setex", "psetex", "setnx", "mset", "msetnx", "getset", "getdel", "getex",
    "append", "setrange", "delete", "unlink", "expire", "pexpire", "expireat", "pexpireat",
    "persist", "rename", "renamenx", "incr", "incrby", "incrbyfloat", "decr", "decrby",
    "hset", "hmset", "hmset_dict", "hsetnx", "hdel", "hincrby", "hincrbyfloat", "sadd", "srem",
    "spop", "smove", "sinterstore", "sunionstore", "sdiffstore", "zadd", "zrem", "zincrby",
    "zremrangebyscore", "zremrangebyrank", "zremrangebylex", "zpopmin", "zpopmax",
    "zunionstore", "zinterstore", "lset", "linsert", "ltrim", "lrem", "setbit", "pfadd",
    "pfmerge", "geoadd", "restore", "copy", "flushdb", "flushall", "touch",
})

PIPELINE_OPS: Final[frozenset[str]] = frozenset(
    {"pipeline", "multi", "multi_exec", "transaction", "watch", "unwatch"}
)

PUBSUB_OPS: Final[frozenset[str]] = frozenset(
    {"publish", "spublish", "pubsub", "subscribe", "psubscribe", "ssubscribe", "unsubscribe",
     "punsubscribe", "pubsub_channels", "pubsub_numsub", "pubsub_numpat"}
)
STREAM_OPS: Final[frozenset[str]] = frozenset({
    "xadd", "xread", "xreadgroup", "xread_group", "xack", "xclaim", "xautoclaim", "xpending",
    "xpending_range", "xgroup_create", "xgroup_destroy", "xgroup_createconsumer",
    "xgroup_delconsumer", "xgroup_setid", "xinfo_stream", "xinfo_groups", "xinfo_consumers",
    "xlen", "xrange", "xrevrange", "xtrim", "xdel",
})
QUEUE_PUSH_OPS: Final[frozenset[str]] = frozenset({"lpush", "rpush", "lpushx", "rpushx"})
QUEUE_POP_OPS: Final[frozenset[str]] = frozenset(
    {"lpop", "rpop", "rpoplpush", "lmove", "lmpop"}
)
BLOCKING_OPS: Final[frozenset[str]] = frozenset(
    {"blpop", "brpop", "brpoplpush", "blmove", "blmpop", "bzpopmin", "bzpopmax", "bzmpop",
     "listen", "monitor", "wait"}
)

LOCK_OPS: Final[frozenset[str]] = frozenset({"lock"})
SCRIPT_OPS: Final[frozenset[str]] = frozenset(
    {"eval", "evalsha", "eval_ro", "evalsha_ro", "register_script", "script_load", "fcall"}
)
COUNTER_OPS: Final[frozenset[str]] = frozenset(
    {"incr", "incrby", "incrbyfloat", "decr", "decrby", "hincrby"}
)
EXPIRY_OPS: Final[frozenset[str]] = frozenset({"expire", "pexpire", "expireat", "pexpireat"})

# Raw command execution: what it does cannot be read from the call.
DYNAMIC_OPS: Final[frozenset[str]] = frozenset({"execute", "execute_command"})

# Words in a function, class, module or key name that mark counters-with-expiry as a limiter.
# Matched as whole words of an identifier (`check_rate_limit`, `RateLimiter`, `ratelimit:{ip}`),
# never inside one: "generate", "corporate" and "unlimited" are not limiters.
RATE_LIMIT_HINTS: Final[frozenset[str]] = frozenset({
    "rate", "ratelimit", "ratelimits", "ratelimiter", "ratelimiting", "limit", "limits",
    "limiter", "limiting", "throttle", "throttles", "throttled", "throttling", "quota",
    "quotas",
})

COMMAND_OPS: Final[frozenset[str]] = (
    HEALTH_OPS | READ_OPS | WRITE_OPS | PIPELINE_OPS | PUBSUB_OPS | STREAM_OPS | QUEUE_PUSH_OPS
    | QUEUE_POP_OPS | BLOCKING_OPS | LOCK_OPS | SCRIPT_OPS | DYNAMIC_OPS
)

# Every method name the analysis records on a value that may hold a client.
TRACKED_METHODS: Final[frozenset[str]] = (
    COMMAND_OPS | CLOSE_METHODS | POOL_CLOSE_METHODS | {ASYNC_WITH}
)

# Purposes, lowest risk first (the order of the batches).
PURPOSES: Final[tuple[str, ...]] = (
    "lifecycle", "unused", "health", "read-cache", "write-cache", "pipeline", "pubsub-stream-queue",
    "lock-rate-limit",
)
UNCLASSIFIED: Final = "unclassified"

# The constructor arguments that say where a client connects (compared as its URL, not as
# options beside it).
URL_PARTS: Final = frozenset({"url", "address", "connection_pool", "host", "port",
                              "unix_socket_path", "username", "password"})

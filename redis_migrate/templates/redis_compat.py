"""Optional aioredis 1.x compatibility wrapper over the shared ``redis.asyncio`` client.

``get_compat_redis()`` returns a ``CompatRedis`` around the lifecycle module's ``get_redis()``.
It keeps the aioredis 1.x names and argument shapes of the most common calls working
(``set(..., expire=, exist=)``, ``hmset_dict``, ``zadd(k, score, member, ...)``,
``blpop(k1, k2, timeout=)``, ``eval(script, keys=, args=)``, ``iscan``, ``multi_exec``,
``get(k, encoding=)``, ``xread([stream], ...)``...). Each method is a few lines and names the rule
whose difference it bridges (the rule ids of redis-migrate's ``docs/aioredis-rules.md``). Every
other attribute is delegated unchanged to the ``redis.asyncio.Redis`` client.

When to use it: as the first, smaller batch of a migration. Call sites change only from
``app.redis`` / ``create_redis_pool(...)`` to ``get_compat_redis()``; the 1.x call shapes stay, so
that first diff is easy to review.

When not to: it hides the redis.asyncio API that every later change and every new line of code
should use, and some 1.x behaviours cannot be kept (see "Not kept" below). Treat it as
temporary: rewrite the call sites to plain ``get_redis()`` batch by batch, then delete this file.

Not kept (redis-py 8.1):
- ``multi_exec()``/``pipeline()`` commands return the pipeline, not futures (rule P3): read
  results from ``await tr.execute()`` by position. ``await tr.incr(k)`` returns the pipeline.
- ``execute(*args)`` replies go through redis-py's response callbacks (rule C3): ``SET`` gives
  ``True``, not ``b'OK'``; on redis-py 8's default RESP3 connection maps arrive as dicts and
  doubles as floats.
- ``encoding=None`` (raw bytes) cannot be honoured on a ``decode_responses=True`` client (rule E3):
  it raises ``ValueError``; use a bytes client (``get_compat_redis("name")`` of one configured with
  ``decode_responses=False``). Any other ``encoding=`` on a decoding client is ignored (rule E1).
- Blocking calls (``blpop``/``brpop``/``xread``; their 1.x default ``timeout=0`` waits forever)
  that wait longer than the pool's ``socket_timeout`` raise ``TimeoutError`` (redis-py applies it
  to every read, blocking ones included): run consumers on ``get_compat_redis(blocking=True)``.
- ``close()``/``wait_closed()`` do nothing (rule C6): only ``close_redis()`` closes the shared
  client.
- Pub/sub (``subscribe`` returning ``Channel`` objects, rule B3/B4) is not emulated.

Depends on ``redis`` (redis.asyncio) and the standard library only.
"""

import json
from collections import OrderedDict
from collections.abc import AsyncIterator, Callable
from typing import Any

from redis.asyncio import Redis

__all__ = ["CompatRedis", "get_compat_redis", "SET_IF_NOT_EXIST", "SET_IF_EXIST",
           "ZSET_IF_NOT_EXIST", "ZSET_IF_EXIST"]

# Same values as aioredis 1.x (StringCommandsMixin / SortedSetCommandsMixin), so constants read
# from a 1.x object or copied as strings keep working.
SET_IF_NOT_EXIST = "SET_IF_NOT_EXIST"
SET_IF_EXIST = "SET_IF_EXIST"
ZSET_IF_NOT_EXIST = "ZSET_IF_NOT_EXIST"
ZSET_IF_EXIST = "ZSET_IF_EXIST"


class _NotSet:
    def __repr__(self) -> str:
        return "<NOTSET>"


_NOTSET: Any = _NotSet()  # 1.x: "no per-call encoding given", distinct from encoding=None


def _int_or_float(value: Any) -> int | float:
    """aioredis 1.x ``int_or_float``: a score ``b'2'`` is ``2``, ``b'2.5'`` is ``2.5`` (rule Z2)."""
    if isinstance(value, float):  # RESP3 doubles, or a client that already cast the score
        return int(value) if value.is_integer() else value
    try:
        return int(value)
    except ValueError:
        return float(value)


def _decode(value: Any, encoding: str) -> Any:
    """Decode bytes (also inside lists, tuples and dicts), leave everything else alone."""
    if isinstance(value, bytes):
        return value.decode(encoding)
    if isinstance(value, (list, tuple)):
        return type(value)(_decode(v, encoding) for v in value)
    if isinstance(value, dict):
        return type(value)((_decode(k, encoding), _decode(v, encoding)) for k, v in value.items())
    return value


def _lifecycle_get_redis() -> Callable[..., Redis]:
    try:
        from .redis_client import get_redis  # the lifecycle module, copied next to this file
    except ImportError as exc:
        raise ImportError(
            "get_compat_redis() needs the lifecycle module redis_client.py in the same package "
            "as redis_compat.py; otherwise construct CompatRedis(client) directly") from exc
    return get_redis


def get_compat_redis(name: str = "default", *, blocking: bool = False) -> "CompatRedis":
    """Return a 1.x-shaped wrapper around ``get_redis(name, blocking=blocking)``.

    The shared client is looked up on every call, not here: the wrapper can be created before
    ``init_redis()`` and follows ``close_redis()``/``init_redis()`` and ``ping_redis(reset=True)``
    rebuilds. Use ``blocking=True`` for BLPOP/BRPOP/XREAD consumers, whose waits the shared pool's
    ``socket_timeout`` would cut short.
    """
    get_redis = _lifecycle_get_redis()
    # pass only what differs from the defaults: a team's get_redis() may take no argument
    args = (name,) if name != "default" else ()
    kwargs = {"blocking": True} if blocking else {}
    return CompatRedis(resolve=lambda: get_redis(*args, **kwargs))


class CompatRedis:
    """aioredis 1.x method names and argument shapes on top of a ``redis.asyncio.Redis``.

    ``CompatRedis(client)`` wraps a given client; ``CompatRedis(resolve=fn)`` calls ``fn()`` for
    the client on every use (what ``get_compat_redis()`` does). The wrapper never owns the client.
    """

    SET_IF_NOT_EXIST = SET_IF_NOT_EXIST
    SET_IF_EXIST = SET_IF_EXIST
    ZSET_IF_NOT_EXIST = ZSET_IF_NOT_EXIST
    ZSET_IF_EXIST = ZSET_IF_EXIST

    __slots__ = ("_client", "_resolve")

    def __init__(self, client: Redis | None = None, *,
                 resolve: Callable[[], Redis] | None = None) -> None:
        if (client is None) == (resolve is None):
            raise TypeError("CompatRedis() takes either a client or resolve=, not both or neither")
        self._client = client
        self._resolve = resolve

    @property
    def client(self) -> Redis:
        """The underlying ``redis.asyncio.Redis`` (use it for new code)."""
        if self._client is not None:
            return self._client
        assert self._resolve is not None  # __init__ takes exactly one of the two
        return self._resolve()

    def __getattr__(self, name: str) -> Any:
        """Any other name (``delete``, ``lpush``, ``lock``, ``xrange``...): the client's, as is."""
        if name.startswith("__"):
            raise AttributeError(name)
        return getattr(self.client, name)

    def __repr__(self) -> str:
        return f"CompatRedis({self._client if self._client is not None else self._resolve!r})"

    def _encoded(self, reply: Any, encoding: Any) -> Any:
        """Apply a 1.x per-call ``encoding=`` to a reply (rules E1-E3)."""
        if encoding is _NOTSET:
            return reply
        if self.client.get_encoder().decode_responses:
            if encoding is None:
                raise ValueError("encoding=None (raw bytes) needs a client with "
                                 "decode_responses=False: use get_compat_redis(name) of one "
                                 "configured so (rule E3)")
            return reply  # already decoded by the client (rule E1)
        return reply if encoding is None else _decode(reply, encoding)

    # --- strings and keys -------------------------------------------------------------------

    async def set(self, key: Any, value: Any, *, expire: int = 0, pexpire: int = 0,
                  exist: str | None = None) -> bool:
        """1.x ``set`` (rule S1): ``expire``→``ex``, ``pexpire``→``px`` (wins over ``expire``, as
        in 1.x; ``0`` means no expiry), ``exist=SET_IF_NOT_EXIST``→``nx``, ``SET_IF_EXIST``→``xx``.
        Returns ``True``/``False`` (redis-py returns ``True``/``None``)."""
        if exist not in (None, SET_IF_NOT_EXIST, SET_IF_EXIST):
            raise ValueError(f"exist must be SET_IF_NOT_EXIST or SET_IF_EXIST, not {exist!r}")
        ex = None if pexpire else (expire or None)
        return bool(await self.client.set(key, value, ex=ex, px=pexpire or None,
                                          nx=exist == SET_IF_NOT_EXIST, xx=exist == SET_IF_EXIST))

    async def get(self, key: Any, *, encoding: Any = _NOTSET) -> Any:
        """1.x ``get(key, encoding=...)`` (rules E1/E2): decodes the reply if ``encoding`` is given;
        ``None`` stays ``None``."""
        return self._encoded(await self.client.get(key), encoding)

    async def mget(self, key: Any, *keys: Any, encoding: Any = _NOTSET) -> list[Any]:
        """1.x ``mget(key, *keys, encoding=...)`` (rules S7/E2)."""
        return self._encoded(await self.client.mget(key, *keys), encoding)

    async def incrby(self, key: Any, increment: int) -> int:
        """1.x ``incrby(key, increment)`` (rule S8: same command, positional increment)."""
        return await self.client.incrby(key, increment)

    async def expire(self, key: Any, timeout: int | float) -> bool:
        """1.x ``expire`` (rule S11): a float timeout becomes ``pexpire(int(timeout * 1000))``."""
        if isinstance(timeout, float):
            return bool(await self.client.pexpire(key, int(timeout * 1000)))
        return bool(await self.client.expire(key, timeout))

    async def execute(self, command: Any, *args: Any, encoding: Any = _NOTSET) -> Any:
        """1.x ``execute(command, *args)`` → ``execute_command`` (rule C3). The reply goes through
        redis-py's response callbacks (``SET`` → ``True``, not ``b'OK'``)."""
        return self._encoded(await self.client.execute_command(command, *args), encoding)

    def iscan(self, *, match: Any = None, count: int | None = None) -> AsyncIterator[Any]:
        """1.x ``iscan(match=, count=)`` → ``scan_iter`` (rule S14); an async iterator of keys."""
        return self.client.scan_iter(match=match, count=count)

    # --- hashes -----------------------------------------------------------------------------

    async def hmset_dict(self, key: Any, *args: Any, **kwargs: Any) -> bool:
        """1.x ``hmset_dict(key, mapping)`` / ``(key, **kw)`` / ``(key, mapping, **kw)`` (rule H1):
        ``hset(key, mapping={**mapping, **kw})``, keyword fields win. Returns ``True`` like 1.x
        (redis-py returns the number of new fields)."""
        if len(args) > 1:
            raise TypeError("single positional argument allowed")
        if args and not isinstance(args[0], dict):
            raise TypeError("args[0] must be a dict")
        mapping = {**(args[0] if args else {}), **kwargs}
        if not mapping:  # redis-py would raise DataError; keep the 1.x exceptions
            if args:
                raise ValueError("args[0] is empty dict")
            raise TypeError("args or kwargs must be specified")
        await self.client.hset(key, mapping=mapping)
        return True

    async def hget(self, key: Any, field: Any, *, encoding: Any = _NOTSET) -> Any:
        """1.x ``hget(key, field, encoding=...)`` (rules H4/E2)."""
        return self._encoded(await self.client.hget(key, field), encoding)

    async def hgetall(self, key: Any, *, encoding: Any = _NOTSET) -> dict[Any, Any]:
        """1.x ``hgetall(key, encoding=...)`` → dict (rules H4/E2); decodes fields and values."""
        return self._encoded(await self.client.hgetall(key), encoding)

    async def hincrby(self, key: Any, field: Any, increment: int = 1) -> int:
        """1.x ``hincrby(key, field, increment=1)`` (rule H4: same order and default)."""
        return await self.client.hincrby(key, field, increment)

    def ihscan(self, key: Any, *, match: Any = None,
               count: int | None = None) -> AsyncIterator[tuple[Any, Any]]:
        """1.x ``ihscan`` → ``hscan_iter`` (rule H6); yields ``(field, value)`` tuples."""
        return self.client.hscan_iter(key, match=match, count=count)

    # --- sets and sorted sets ---------------------------------------------------------------

    def isscan(self, key: Any, *, match: Any = None,
               count: int | None = None) -> AsyncIterator[Any]:
        """1.x ``isscan`` → ``sscan_iter`` (rule T3); yields members."""
        return self.client.sscan_iter(key, match=match, count=count)

    async def zadd(self, key: Any, score: int | float, member: Any, *pairs: Any,
                   exist: str | None = None, changed: bool = False, incr: bool = False) -> Any:
        """1.x ``zadd(key, score, member, *pairs)`` with **score, member** pairs (rule Z1) →
        ``zadd(key, {member: score, ...})``; ``exist=ZSET_IF_NOT_EXIST``→``nx``,
        ``ZSET_IF_EXIST``→``xx``, ``changed``→``ch``. A repeated member keeps its last score,
        as Redis does with the 1.x command."""
        if len(pairs) % 2:
            raise TypeError("length of pairs must be even number")
        scores = (score, *pairs[0::2])
        if any(not isinstance(s, (int, float)) for s in scores):
            raise TypeError("all scores must be int or float")
        if exist not in (None, ZSET_IF_NOT_EXIST, ZSET_IF_EXIST):
            raise ValueError(f"exist must be ZSET_IF_NOT_EXIST or ZSET_IF_EXIST, not {exist!r}")
        mapping = dict(zip((member, *pairs[1::2]), scores))
        reply = await self.client.zadd(key, mapping, nx=exist == ZSET_IF_NOT_EXIST,
                                       xx=exist == ZSET_IF_EXIST, ch=changed, incr=incr)
        return _int_or_float(reply) if incr and reply is not None else reply

    async def zrange(self, key: Any, start: int = 0, stop: int = -1, withscores: bool = False,
                     encoding: Any = _NOTSET) -> list[Any]:
        """1.x ``zrange(key, start=0, stop=-1, withscores=False)`` (rule Z2): with scores, a list
        of ``(member, int_or_float)`` tuples (redis-py gives float scores)."""
        reply = await self.client.zrange(key, start, stop, withscores=withscores,
                                         score_cast_func=_int_or_float)
        return self._encoded([tuple(p) for p in reply] if withscores else reply, encoding)

    async def zrevrange(self, key: Any, start: int, stop: int, withscores: bool = False,
                        encoding: Any = _NOTSET) -> list[Any]:
        """1.x ``zrevrange`` (rule Z3): scores as ``int_or_float`` like ``zrange``."""
        reply = await self.client.zrevrange(key, start, stop, withscores=withscores,
                                            score_cast_func=_int_or_float)
        return self._encoded([tuple(p) for p in reply] if withscores else reply, encoding)

    async def zscore(self, key: Any, member: Any) -> int | float | None:
        """1.x ``zscore`` → int-or-float, ``None`` if absent (rule Z8; redis-py gives float)."""
        reply = await self.client.zscore(key, member)
        return None if reply is None else _int_or_float(reply)

    async def izscan(self, key: Any, *, match: Any = None,
                     count: int | None = None) -> AsyncIterator[tuple[Any, int | float]]:
        """1.x ``izscan`` → ``zscan_iter`` (rule Z10); yields ``(member, int_or_float score)``."""
        async for member, score in self.client.zscan_iter(key, match=match, count=count,
                                                          score_cast_func=_int_or_float):
            yield member, score

    # --- lists ------------------------------------------------------------------------------

    async def blpop(self, key: Any, *keys: Any, timeout: int = 0,
                    encoding: Any = _NOTSET) -> list[Any] | None:
        """1.x ``blpop(key, *keys, timeout=0)`` (rule L1) → ``blpop([key, *keys], timeout)``;
        returns ``[key, value]`` (a list, as 1.x) or ``None``. Consumers use
        ``get_compat_redis(blocking=True)``."""
        reply = await self.client.blpop([key, *keys], timeout=timeout)
        return None if reply is None else self._encoded(list(reply), encoding)

    async def brpop(self, key: Any, *keys: Any, timeout: int = 0,
                    encoding: Any = _NOTSET) -> list[Any] | None:
        """1.x ``brpop(key, *keys, timeout=0)`` (rule L1); as ``blpop``."""
        reply = await self.client.brpop([key, *keys], timeout=timeout)
        return None if reply is None else self._encoded(list(reply), encoding)

    # --- transactions and pipelines ---------------------------------------------------------

    def multi_exec(self) -> Any:
        """1.x ``multi_exec()`` → ``pipeline(transaction=True)`` (rule P1). Queued commands return
        the pipeline, not futures (rule P3): take results from ``await tr.execute()``."""
        return self.client.pipeline(transaction=True)

    def pipeline(self, transaction: bool = False, shard_hint: Any = None) -> Any:
        """1.x ``pipeline()`` sends no MULTI/EXEC (rule P2): ``transaction=False`` by default here,
        unlike redis-py. Results come from ``await p.execute()`` (rule P3)."""
        return self.client.pipeline(transaction=transaction, shard_hint=shard_hint)

    # --- scripting --------------------------------------------------------------------------

    async def eval(self, script: Any, keys: Any = (), args: Any = ()) -> Any:
        """1.x ``eval(script, keys=[], args=[])`` (rule K1) →
        ``eval(script, len(keys), *keys, *args)``."""
        return await self.client.eval(script, len(keys), *keys, *args)

    async def evalsha(self, digest: Any, keys: Any = (), args: Any = ()) -> Any:
        """1.x ``evalsha(digest, keys=[], args=[])`` (rule K2) →
        ``evalsha(digest, len(keys), *keys, *args)``."""
        return await self.client.evalsha(digest, len(keys), *keys, *args)

    # --- pub/sub (publishing only) ----------------------------------------------------------

    async def publish(self, channel: Any, message: Any) -> int:
        """1.x ``publish(channel, message)`` (rule B1: unchanged); returns the receiver count."""
        return await self.client.publish(channel, message)

    async def publish_json(self, channel: Any, obj: Any) -> int:
        """1.x ``publish_json(channel, obj)`` (rule B2) →
        ``publish(channel, json.dumps(obj))``."""
        return await self.client.publish(channel, json.dumps(obj))

    # --- streams ----------------------------------------------------------------------------

    async def xadd(self, stream: Any, fields: Any, message_id: Any = b"*",
                   max_len: int | None = None, exact_len: bool = False) -> Any:
        """1.x ``xadd`` (rule X1): ``message_id``→``id``, ``max_len``→``maxlen``,
        ``exact_len=True``→``approximate=False``. Returns the entry id."""
        return await self.client.xadd(stream, fields, id=message_id, maxlen=max_len,
                                      approximate=not exact_len)

    async def xread(self, streams: list[Any], timeout: int | None = 0, count: int | None = None,
                    latest_ids: list[Any] | None = None) -> list[tuple[Any, Any, Any]]:
        """1.x ``xread(streams, timeout=0, count=None, latest_ids=None)`` (rule X2) →
        ``xread({stream: id}, block=timeout, count=count)``. ``timeout=0`` blocks forever, as in
        1.x; ``None`` does not block. ``latest_ids`` defaults to ``'$'``. Returns the 1.x flat
        ``[(stream, id, OrderedDict(fields)), ...]`` (``[]`` on timeout). Use a blocking client."""
        if latest_ids is None:
            latest_ids = ["$"] * len(streams)
        if len(streams) != len(latest_ids):
            raise ValueError("The streams and latest_ids parameters must be of the same length")
        # RESP2 answers a list of [stream, messages], RESP3 a dict; None on timeout
        reply: list[Any] | dict[Any, Any] | None = await self.client.xread(
            dict(zip(streams, latest_ids)), count=count or None, block=timeout)
        by_stream = reply.items() if isinstance(reply, dict) else (reply or [])
        return [(stream, message_id, OrderedDict(fields or {}))
                for stream, messages in by_stream for message_id, fields in messages]

    # --- lifecycle --------------------------------------------------------------------------

    def close(self) -> None:
        """1.x ``close()`` (rule C6): a no-op; only ``close_redis()`` closes the shared client."""

    async def wait_closed(self) -> None:
        """1.x ``wait_closed()`` (rules C6/N13): a no-op; redis.asyncio has no ``wait_closed``."""

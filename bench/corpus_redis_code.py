"""The Redis code `make_corpus.py` plants: each form a real backend uses a client in (module
client, class attribute, function local, pool, sync), the importers that use a planted client
without spelling "redis", and the look-alikes that must not count. Each form also returns the
sites it planted, which the manifest records."""

from __future__ import annotations

import random

from corpus_filler import COMMENTS, NOUNS, SENTENCES, camel  # a sibling: bench/ is on the path

# --------------------------------------------------------------------------------------------
# planted redis code
# --------------------------------------------------------------------------------------------
URL_LINE = 'REDIS_URL = os.environ.get("REDIS_URL", "redis://localhost:6379/0")'
OPS = ("get", "set", "pipeline", "publish", "xadd", "lock", "incr_expire")
# importers use only these (never used by the defining modules), so an inventory that follows the
# client into its importers shows them in the origin site's "operations"
IMPORTER_OPS = ("hset", "hget", "sadd", "zadd", "delete", "exists", "mget", "lpush", "setex")


def op_function(r: random.Random, op: str, c: str, is_async: bool, *, indent: str = "",
                self_arg: bool = False, local_ctor: str | None = None, name_hint: str = "") -> list[str]:
    """A function (or method) doing one redis operation on the client expression ``c``.

    ``local_ctor``: construct a function-local client ``c`` with this expression and close it.
    No text produced here (except ``local_ctor``) mentions redis, so importers can use it too.
    """
    noun = r.choice(NOUNS)
    aw = "await " if is_async else ""
    ad = "async " if is_async else ""
    aw_with = "async with" if is_async else "with"
    params = ["self"] if self_arg else []
    name = f"{name_hint}{op.replace('_expire', '')}_{noun}"
    body: list[str] = []
    ret = "None"  # what most operations return; the others say theirs
    if op == "get":
        params.append(f"{noun}_id: str")
        ret = "str | None"
        body = [f'value = {aw}{c}.get(f"{noun}:{{{noun}_id}}")', "if value is None:",
                f'    logger.debug("miss for %s", {noun}_id)', "return value"]
        name = f"{name_hint}get_cached_{noun}"
    elif op == "set":
        params += [f"{noun}_id: str", "payload: dict[str, Any]", f"ttl: int = {r.choice((60, 300, 900, 3600))}"]
        body = [f'{aw}{c}.set(f"{noun}:{{{noun}_id}}", json.dumps(payload), ex=ttl)']
        name = f"{name_hint}store_{noun}"
    elif op == "pipeline":
        params.append("ids: list[str]")
        ret = "list[Any]"
        body = [f"{aw_with} {c}.pipeline(transaction={r.choice(('True', 'False'))}) as pipe:",
                "    for item_id in ids:", f'        pipe.get(f"{noun}:{{item_id}}")',
                f"    return {aw}pipe.execute()"]
        name = f"{name_hint}get_many_{noun}s"
    elif op == "publish":
        params += ["event: dict[str, Any]"]
        ret = "int"
        body = ['event.setdefault("ts", time.time())',
                f'return {aw}{c}.publish("events:{noun}", json.dumps(event))']
        name = f"{name_hint}publish_{noun}_event"
    elif op == "xadd":
        params += [f"{noun}_id: str", 'kind: str = "updated"']
        ret = "Any"
        body = [f'return {aw}{c}.xadd("stream:{noun}", {{"id": {noun}_id, "kind": kind}}, maxlen={r.choice((1000, 10000, 100000))}, approximate=True)']
        name = f"{name_hint}append_{noun}_stream"
    elif op == "lock":
        params += [f"{noun}_id: str"]
        body = [f'{aw_with} {c}.lock(f"lock:{noun}:{{{noun}_id}}", timeout={r.randint(5, 60)}, blocking_timeout=5):',
                f"    # {r.choice(COMMENTS)}", f'    logger.info("processing %s", {noun}_id)',
                f"    {'await asyncio.sleep(0)' if is_async else 'time.sleep(0)'}"]
        name = f"{name_hint}process_{noun}_exclusively"
    elif op in ("hset", "hget"):
        params += [f"{noun}_id: str", 'field_name: str = "state"']
        ret = "Any"
        body = ([f'{aw}{c}.hset(f"{noun}:{{{noun}_id}}", field_name, json.dumps({{"at": time.time()}}))', "return None"]
                if op == "hset" else [f'return {aw}{c}.hget(f"{noun}:{{{noun}_id}}", field_name)'])
        name = f"{name_hint}{'write' if op == 'hset' else 'read'}_{noun}_field"
    elif op in ("sadd", "zadd"):
        params += ["member: str", "score: float = 1.0"]
        body = ([f'{aw}{c}.sadd("members:{noun}", member)'] if op == "sadd"
                else [f'{aw}{c}.zadd("ranking:{noun}", {{member: score}})'])
        name = f"{name_hint}track_{noun}_{'member' if op == 'sadd' else 'score'}"
    elif op in ("delete", "exists"):
        params += [f"{noun}_id: str"]
        ret = "bool"
        body = [f'return bool({aw}{c}.{op}(f"{noun}:{{{noun}_id}}"))']
        name = f"{name_hint}{'forget' if op == 'delete' else 'has'}_{noun}"
    elif op == "mget":
        params += ["ids: list[str]"]
        ret = "list[Any]"
        body = [f'return {aw}{c}.mget([f"{noun}:{{i}}" for i in ids])']
        name = f"{name_hint}load_{noun}s"
    elif op == "lpush":
        params += ["job: dict[str, Any]"]
        body = [f'{aw}{c}.lpush("queue:{noun}", json.dumps(job))']
        name = f"{name_hint}enqueue_{noun}_job"
    elif op == "setex":
        params += [f"{noun}_id: str", "value: str", f"ttl: int = {r.choice((30, 120, 600))}"]
        body = [f'{aw}{c}.setex(f"{noun}:{{{noun}_id}}", ttl, value)']
        name = f"{name_hint}cache_{noun}_briefly"
    else:  # incr_expire
        window = r.choice((60, 300, 3600))
        params += ["caller: str", f"limit: int = {r.randint(10, 1000)}"]
        ret = "bool"
        body = [f'key = f"rate:{noun}:{{caller}}:{{int(time.time()) // {window}}}"',
                f"count = {aw}{c}.incr(key)", "if count == 1:", f"    {aw}{c}.expire(key, {window})",
                "return count <= limit"]
        name = f"{name_hint}allow_{noun}_request"
    head = [f"{ad}def {name}({', '.join(params)}) -> {ret}:"]
    if r.random() < 0.5:
        head.append(f'    """{r.choice(SENTENCES)}"""')
    if local_ctor is not None:
        body = [f"{c} = {local_ctor}", "try:"] + ["    " + b for b in body] + \
               ["finally:", f"    {aw}{c}.{'aclose' if is_async else 'close'}()"]
    return [indent + line for line in head + ["    " + b for b in body]]


def stats(ops: list[str], clients: int, *, pools: int = 0, closes: int = 0, owners: int = 0,
          module_client: str | None = None) -> dict:
    """What a redis file plants. Sites as SPEC §3 counts them: instantiations (clients and pools),
    close calls (`.aclose()`), owner singletons (module-level instance of a class owning a client)."""
    methods = sorted({m for op in ops for m in (("incr", "expire") if op == "incr_expire" else (op,))})
    return {"constructions": clients, "pools": pools, "ops": len(ops), "methods": methods,
            "sites": {"instantiation": clients + pools, "close": closes, "owner-singleton": owners},
            "module_client": module_client}


def pick_ops(r: random.Random) -> list[str]:
    return r.sample(OPS, r.randint(2, 4))


def redis_form_aio_module(r: random.Random):
    """import redis.asyncio as aioredis + module-level client."""
    imports = ["import redis.asyncio as aioredis"]
    prelude = [URL_LINE, "", "client = aioredis.Redis.from_url(REDIS_URL, decode_responses=True)"]
    pick = pick_ops(r)
    funcs = [op_function(r, op, "client", True) for op in pick]
    return imports, prelude, funcs, stats(pick, 1, module_client="async")


def redis_form_class(r: random.Random):
    """from redis.asyncio import Redis + class holding self._redis + module-level instance."""
    noun = r.choice(NOUNS)
    cls = camel(noun, r.choice(("Cache", "Store", "Counter", "Broker")))
    imports = ["from redis.asyncio import Redis"]
    prelude = [URL_LINE]
    body = [f"class {cls}:", f'    """{r.choice(SENTENCES)}"""', "",
            "    def __init__(self, url: str = REDIS_URL) -> None:",
            "        self._redis = Redis.from_url(url)", ""]
    ops = pick_ops(r)
    for op in ops:
        body += op_function(r, op, "self._redis", True, indent="    ", self_arg=True) + [""]
    body += ["    async def close(self) -> None:", "        await self._redis.aclose()", "",
             "", f"{noun}_{cls[len(noun):].lower()} = {cls}()"]
    return imports, prelude, [body], stats(ops, 1, closes=1, owners=1)


def redis_form_local(r: random.Random):
    """function-local clients closed with await r.aclose()."""
    if r.random() < 0.5:
        imports, ctor = ["import redis.asyncio as aioredis"], "aioredis.Redis.from_url(REDIS_URL)"
    else:
        imports, ctor = ["from redis.asyncio import Redis"], "Redis.from_url(REDIS_URL, decode_responses=True)"
    ops = pick_ops(r)[: r.randint(1, 2)]
    funcs = [op_function(r, op, "r", True, local_ctor=ctor) for op in ops]
    return imports, [URL_LINE], funcs, stats(ops, len(funcs), closes=len(funcs))


def redis_form_pool(r: random.Random):
    """ConnectionPool.from_url + Redis(connection_pool=pool)."""
    imports = ["from redis.asyncio import ConnectionPool, Redis"]
    prelude = [URL_LINE, "",
               f"pool = ConnectionPool.from_url(REDIS_URL, max_connections={r.choice((10, 20, 50))})",
               "client = Redis(connection_pool=pool)"]
    ops = pick_ops(r)
    funcs = [op_function(r, op, "client", True) for op in ops]
    funcs.append(["async def shutdown() -> None:", "    await client.aclose()", "    await pool.disconnect()"])
    # pool.disconnect() is not counted: SPEC §3 names `.connection_pool.disconnect()` only
    return imports, prelude, funcs, stats(ops, 1, pools=1, closes=1, module_client="async")


def redis_form_sync(r: random.Random):
    """sync redis.Redis(host=...)."""
    imports = ["import redis"]
    prelude = ['REDIS_HOST = os.environ.get("REDIS_HOST", "localhost")', "",
               f"client = redis.Redis(host=REDIS_HOST, port=6379, db={r.randint(0, 3)}, socket_timeout=5)"]
    ops = pick_ops(r)
    funcs = [op_function(r, op, "client", False) for op in ops]
    return imports, prelude, funcs, stats(ops, 1, module_client="sync")


REDIS_FORMS = {  # name: (generator, weight)
    "aio_module": (redis_form_aio_module, 3),
    "class": (redis_form_class, 2),
    "local": (redis_form_local, 2),
    "pool": (redis_form_pool, 1.5),
    "sync": (redis_form_sync, 1.5),
}
IMPORTER_ALIASES = ("cache_client", "kv", "cache", "shared_client", "store_client", "broker_client", "client")
MODULE_ALIASES = ("m", "cache_mod", "kvmod", "store", "shared")


def importer_section(r: random.Random, target_module: str, is_async: bool):
    """Import a client from a redis module; no 'redis' text anywhere."""
    if r.random() < 0.65:
        alias = r.choice(IMPORTER_ALIASES)
        imp = f"from {target_module} import client" + ("" if alias == "client" else f" as {alias}")
        expr, form = alias, "from_import"
    else:
        alias = r.choice(MODULE_ALIASES)
        imp = f"import {target_module} as {alias}"
        expr, form = f"{alias}.client", "module_import"
    ops = sorted(r.sample(IMPORTER_OPS, r.randint(1, 3)))
    funcs = [op_function(r, op, expr, is_async) for op in ops]
    holder = alias if form == "from_import" else None
    return [imp], funcs, form, ops, holder


LOOKALIKE_COMMENT = [
    "# NOTE: this used to be cached in redis; it now lives in process memory.",
    "# (the redis cache was removed in the 2023 clean-up, see ADR-12)",
]


def lookalike_sections(r: random.Random) -> tuple[list[list[str]], list[str]]:
    noun = r.choice(NOUNS)
    kinds = r.sample(("comment", "string", "class", "ident"), r.randint(1, 2))
    blocks: list[list[str]] = []
    for kind in kinds:
        if kind == "comment":
            blocks.append(LOOKALIKE_COMMENT + [f"_{noun.upper()}_MEMO: dict[str, Any] = {{}}"])
        elif kind == "string":
            blocks.append([f"{noun.upper()}_BACKENDS = {{",
                           '    "cache": "redis",', '    "queue": "sqs",', "}",
                           f'{noun.upper()}_CACHE_URL = os.environ.get("CACHE_URL", "redis://cache.internal:6379/1")',
                           'HELP_TEXT = "Set CACHE_URL to a redis:// URL to enable the shared cache."'])
        elif kind == "class":
            blocks.append(["class Redis:",
                           '    """In-memory stand-in with the same get/set surface; not a real client."""', "",
                           "    def __init__(self) -> None:", "        self._data: dict[str, str] = {}", "",
                           "    def get(self, key: str) -> str | None:", "        return self._data.get(key)", "",
                           "    def set(self, key: str, value: str, ex: int | None = None) -> None:",
                           "        self._data[key] = value", "", "",
                           f"_{noun}_store = Redis()", "",
                           "", f"def remember_{noun}(key: str, value: str) -> None:",
                           f"    _{noun}_store.set(key, value)"])
        else:
            blocks.append([f"def build_redis_key_for_{noun}({noun}_id: int) -> str:",
                           '    """Key format kept for compatibility with the old cache layout."""',
                           f'    return f"{noun}:{{{noun}_id}}"', "",
                           "", "def redis_enabled(settings: dict[str, Any]) -> bool:",
                           '    return bool(settings.get("redis_url"))'])
    return blocks, kinds

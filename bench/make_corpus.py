#!/usr/bin/env python3
"""Generate a synthetic Python backend (a git repository) for benchmarking `migrate inventory`.

    python bench/make_corpus.py OUT_DIR [--files 10000] [--lines 1000000]
                                        [--redis-ratio 0.01] [--seed 1] [--force]

Layout: ``app/__init__.py``, ``app/svc_NNN/__init__.py`` and modules ``app/svc_NNN/mod_NNNN.py``
(module numbers are global).  ``--files`` counts every ``.py`` file (``__init__.py`` included) and
``--lines`` is the total line count; module sizes vary (log-normal around the mean).

File roles (chosen by the seeded RNG):

* **redis** (``--redis-ratio`` of the files): use redis-py the ways a real backend does --
  ``import redis.asyncio as aioredis`` + module-level ``client = aioredis.Redis.from_url(...)``;
  ``from redis.asyncio import Redis`` + a class holding ``self._redis = Redis.from_url(...)`` and a
  module-level instance; function-local clients closed with ``await r.aclose()``;
  ``ConnectionPool.from_url`` + ``Redis(connection_pool=pool)``; sync ``redis.Redis(host=...)``.
  Operations: get/set/pipeline/publish/xadd/lock/incr+expire.
* **importer** (as many again): import a module-level ``client`` from a redis module and use it,
  *without the text "redis" appearing anywhere in the file* (``from app.svc_003.mod_0042 import
  client as cache_client`` / ``import app.svc_003.mod_0042 as m; m.client.set(...)``).
* **look-alike** (~0.5%): "redis" in comments / strings / identifiers, a local ``class Redis:``
  stand-in -- no redis-py client anywhere.
* **generic**: everything else; never contains "redis" in any letter case.

The commit is reproducible: same arguments -> same file bytes -> same commit id.
A manifest (``.corpus-manifest.json``, committed, not a .py file) records the parameters, the
per-role file lists and the planted-site counts; ``bench/run.py`` uses it as its params stamp.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import random
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

GENERATOR_VERSION = 2
MANIFEST_NAME = ".corpus-manifest.json"
LOOKALIKE_RATIO = 0.005
MIN_MODULE_LINES = 24  # the module header alone is ~20-26 lines
PLANTED_MIN_LINES = 100

# --------------------------------------------------------------------------------------------
# vocabulary (nothing here may contain "redis" in any case, nor combine into it)
# --------------------------------------------------------------------------------------------
NOUNS = (
    "user account order invoice payment session token profile address cart item product "
    "catalog price discount coupon shipment carrier warehouse stock review rating comment "
    "message thread channel member team project task ticket report metric event audit "
    "notification subscription plan tenant region device sensor reading job batch export "
    "upload document page template webhook endpoint schedule slot booking venue vendor "
    "ledger entry balance transfer refund quota limit feature flag experiment variant"
).split()
VERBS = (
    "load fetch build create update delete sync render validate resolve compute apply "
    "collect merge split parse format encode decode normalize publish archive restore "
    "refresh register enqueue dispatch schedule notify approve reject assign release"
).split()
ADJS = (
    "active pending stale default primary legacy internal external cached remote local "
    "partial full raw clean daily weekly hourly max min"
).split()
TYPES = ("int", "str", "float", "bool", "bytes", "datetime", "Decimal", "list[str]",
         "dict[str, Any]", "int | None", "str | None", "tuple[int, int]")
DEFAULTS = {"int": "0", "str": '""', "float": "0.0", "bool": "False", "bytes": 'b""',
            "int | None": "None", "str | None": "None"}
SENTENCES = (
    "Keep this in sync with the billing service.",
    "The upstream API paginates with an opaque cursor.",
    "Values are normalised before they are persisted.",
    "This runs inside the request path, so keep it cheap.",
    "Callers must hold the tenant context.",
    "Retries are handled by the scheduler, not here.",
    "Timestamps are stored in UTC.",
    "The result is memoised per process.",
    "Legacy rows may still carry the old status codes.",
    "See the runbook for the manual recovery steps.",
    "Only used by the nightly export.",
    "Raises ValueError when the payload is malformed.",
    "The order of the returned items is stable.",
    "Empty input yields an empty result.",
)
COMMENTS = (
    "TODO: drop this once the migration has shipped",
    "fast path: most callers pass a single id",
    "keep the original ordering",
    "defensive copy, callers mutate the result",
    "this mirrors the behaviour of the v1 endpoint",
    "FIXME: quadratic for very large batches",
    "guard against clock skew between hosts",
    "see ticket OPS-1423",
    "intentionally broad: the vendor SDK raises bare Exception",
    "cheap check first",
)
STDLIB_IMPORTS = (
    "import asyncio", "import json", "import logging", "import os", "import re", "import time",
    "import uuid", "from collections import defaultdict", "from collections.abc import Iterable",
    "from dataclasses import dataclass, field", "from datetime import datetime, timedelta, timezone",
    "from decimal import Decimal", "from enum import Enum", "from functools import lru_cache",
    "from pathlib import Path", "from typing import Any, Protocol, TypedDict",
)
# imports the generic blocks rely on (always present, harmless when unused)
BASE_IMPORTS = (
    "import asyncio", "import json", "import logging", "import os", "import time",
    "from dataclasses import dataclass, field", "from datetime import datetime, timedelta, timezone",
    "from decimal import Decimal", "from enum import Enum", "from typing import Any",
)


def cap(word: str) -> str:
    return word[:1].upper() + word[1:]


def camel(*words: str) -> str:
    return "".join(cap(w) for w in words)


# --------------------------------------------------------------------------------------------
# generic blocks: each returns a list of lines (no surrounding blank lines)
# --------------------------------------------------------------------------------------------
def blk_dataclass(r: random.Random) -> list[str]:
    noun = r.choice(NOUNS)
    name = camel(r.choice(ADJS), noun) if r.random() < 0.5 else camel(noun, r.choice(("Record", "Info", "Row", "Spec")))
    out = ["@dataclass" + ("(frozen=True)" if r.random() < 0.3 else ""), f"class {name}:",
           f'    """{r.choice(SENTENCES)}"""', ""]
    used = set()
    n = r.randint(2, 7)
    for _ in range(n):
        f = r.choice(NOUNS) + r.choice(("_id", "_name", "_count", "_at", "", "_code"))
        if f in used:
            continue
        used.add(f)
        out.append(f"    {f}: {r.choice(TYPES)}")
    for _ in range(r.randint(0, 2)):
        t = r.choice(tuple(DEFAULTS))
        f = r.choice(ADJS) + "_" + r.choice(NOUNS)
        if f in used:
            continue
        used.add(f)
        out.append(f"    {f}: {t} = {DEFAULTS[t]}")
    out.append("    tags: list[str] = field(default_factory=list)")
    if r.random() < 0.6:
        v = r.choice(VERBS)
        out += ["", f"    def {v}_{noun}_key(self) -> str:",
                f"        # {r.choice(COMMENTS)}",
                f'        return f"{noun}:{{self.tags[0] if self.tags else \'none\'}}"']
    if r.random() < 0.4:
        out += ["", "    def to_dict(self) -> dict[str, Any]:",
                '        """Serialise for the public API."""',
                "        return {k: v for k, v in self.__dict__.items() if not k.startswith(\"_\")}"]
    return out


def blk_service_class(r: random.Random) -> list[str]:
    noun = r.choice(NOUNS)
    name = camel(noun, r.choice(("Service", "Repository", "Manager", "Gateway", "Registry")))
    out = [f"class {name}:", f'    """{r.choice(SENTENCES)}', "", f"    {r.choice(SENTENCES)}", '    """', "",
           "    def __init__(self, settings: dict[str, Any] | None = None) -> None:",
           "        self._settings = settings or {}",
           "        self._cache: dict[str, Any] = {}",
           f"        self._log = logging.getLogger(\"{noun}.{name.lower()}\")"]
    for _ in range(r.randint(1, 4)):
        v = r.choice(VERBS)
        k = r.random()
        out.append("")
        if k < 0.35:
            out += [f"    def {v}_{noun}(self, {noun}_id: int) -> dict[str, Any] | None:",
                    f'        """{cap(v)} one {noun} by id."""',
                    f'        key = f"{noun}:{{{noun}_id}}"',
                    "        cached = self._cache.get(key)",
                    "        if cached is not None:",
                    "            return cached",
                    f"        # {r.choice(COMMENTS)}",
                    f'        row = {{"id": {noun}_id, "status": "{r.choice(ADJS)}"}}',
                    "        self._cache[key] = row",
                    "        return row"]
        elif k < 0.65:
            out += [f"    async def {v}_{noun}s(self, ids: list[int]) -> list[dict[str, Any]]:",
                    "        results = []",
                    "        for chunk_start in range(0, len(ids), 50):",
                    "            chunk = ids[chunk_start:chunk_start + 50]",
                    "            await asyncio.sleep(0)",
                    f'            results.extend({{"id": i, "{r.choice(NOUNS)}": None}} for i in chunk)',
                    f'        self._log.debug("{v} %d {noun}s", len(results))',
                    "        return results"]
        else:
            out += [f"    def {v}(self, payload: dict[str, Any]) -> bool:",
                    f"        if not payload.get(\"{r.choice(NOUNS)}_id\"):",
                    '            self._log.warning("missing id in %r", payload)',
                    "            return False",
                    f"        self._cache.pop(str(payload.get(\"{r.choice(NOUNS)}_id\")), None)",
                    "        return True"]
    return out


def blk_async_func(r: random.Random) -> list[str]:
    noun, v = r.choice(NOUNS), r.choice(VERBS)
    retries = r.randint(2, 5)
    return [f"async def {v}_{noun}_{r.choice(ADJS)}(session: Any, {noun}_id: str, *, timeout: float = {r.randint(1, 30)}.0) -> dict[str, Any]:",
            f'    """{r.choice(SENTENCES)}"""',
            f"    url = f\"{{BASE_URL}}/{noun}s/{{{noun}_id}}\"",
            "    last_error: Exception | None = None",
            f"    for attempt in range({retries}):",
            "        try:",
            "            response = await session.get(url, timeout=timeout)",
            "            response.raise_for_status()",
            "            return response.json()",
            "        except Exception as exc:  # noqa: BLE001",
            f"            # {r.choice(COMMENTS)}",
            "            last_error = exc",
            "            await asyncio.sleep(0.1 * 2 ** attempt)",
            f'    raise RuntimeError(f"could not {v} {noun} {{{noun}_id}}") from last_error']


def blk_func(r: random.Random) -> list[str]:
    noun, v = r.choice(NOUNS), r.choice(VERBS)
    a = r.choice(ADJS)
    out = [f"def {v}_{noun}s(rows: list[dict[str, Any]], *, {a}: bool = False) -> list[dict[str, Any]]:"]
    if r.random() < 0.6:
        out += [f'    """{cap(v)} {noun} rows.', "", f"    {r.choice(SENTENCES)}", "", "    Args:",
                f"        rows: raw {noun} rows.", f"        {a}: only keep {a} rows.", "", "    Returns:",
                f"        The {v}d rows.", '    """']
    out += ["    out = []", "    for row in rows:",
            f"        if {a} and row.get(\"status\") != \"{a}\":", "            continue",
            f"        # {r.choice(COMMENTS)}",
            f'        row = {{**row, "{noun}_key": f"{noun}-{{row.get(\'id\', 0):06d}}"}}',
            "        out.append(row)"]
    if r.random() < 0.5:
        out += ["    out.sort(key=lambda item: (item.get(\"created_at\") or \"\", item.get(\"id\", 0)))"]
    out.append("    return out")
    return out


def blk_constants(r: random.Random) -> list[str]:
    out = [f"# {r.choice(COMMENTS)}"]
    for _ in range(r.randint(2, 6)):
        n = f"{r.choice(ADJS)}_{r.choice(NOUNS)}_{r.choice(('TTL', 'LIMIT', 'TIMEOUT', 'SIZE', 'RETRIES'))}".upper()
        out.append(f"{n} = {r.randint(1, 3600)}")
    return out


def per_adjective(r: random.Random, fewest: int, most: int, line: Callable[[str], str]) -> list[str]:
    """`line(a)` for each of `fewest` to `most` adjectives drawn at random."""
    return [line(a) for a in r.sample(ADJS, r.randint(fewest, most))]


def blk_mapping(r: random.Random) -> list[str]:
    noun = r.choice(NOUNS)
    return [f"{noun.upper()}_STATUS_LABELS: dict[str, str] = {{",
            *per_adjective(r, 3, 8, lambda a: f'    "{a}": "{cap(a)} {noun}",'), "}"]


def blk_enum(r: random.Random) -> list[str]:
    noun = r.choice(NOUNS)
    # the header draws its suffix before the adjectives are drawn, as the corpus always has
    header = f"class {camel(noun)}{r.choice(('Status', 'Kind', 'State'))}(str, Enum):"
    return [header, *per_adjective(r, 2, 6, lambda a: f'    {a.upper()} = "{a}"')]


def blk_validator(r: random.Random) -> list[str]:
    noun = r.choice(NOUNS)
    return [f"def validate_{noun}(payload: dict[str, Any]) -> list[str]:",
            f'    """Return human readable problems with a {noun} payload (empty when valid)."""',
            "    problems: list[str] = []",
            f'    if not isinstance(payload.get("{noun}_id"), int):',
            f'        problems.append("{noun}_id must be an integer")',
            '    name = str(payload.get("name", "")).strip()',
            "    if not name:",
            '        problems.append("name is required")',
            f"    elif len(name) > {r.choice((64, 128, 255))}:",
            '        problems.append("name is too long")',
            '    if payload.get("created_at") and payload["created_at"] > datetime.now(timezone.utc):',
            '        problems.append("created_at is in the future")',
            "    return problems"]


GENERIC_BLOCKS = (blk_dataclass, blk_service_class, blk_service_class, blk_async_func, blk_func,
                  blk_func, blk_constants, blk_mapping, blk_enum, blk_validator)


def filler(r: random.Random, n: int) -> list[str]:
    """Exactly n lines of valid top-level code."""
    if n <= 0:
        return []
    if n == 1:
        return [f"{r.choice(ADJS).upper()}_{r.choice(NOUNS).upper()}_BATCH = {r.randint(1, 500)}"]
    if n == 2:
        return [f"# {r.choice(COMMENTS)}", f"{r.choice(NOUNS).upper()}_PAGE_SIZE = {r.randint(10, 200)}"]
    out = [f"{r.choice(NOUNS).upper()}_{r.choice(('DEFAULTS', 'FIELDS', 'OPTIONS'))} = {{"]
    for i in range(n - 2):
        out.append(f'    "{r.choice(NOUNS)}_{i}": {r.randint(0, 999)},')
    out.append("}")
    return out


def module_header(r: random.Random, extra_imports: list[str]) -> list[str]:
    noun = r.choice(NOUNS)
    out = [f'"""{cap(noun)} {r.choice(("helpers", "services", "models", "handlers", "tasks", "views"))}.', "",
           r.choice(SENTENCES), '"""', "", "from __future__ import annotations", ""]
    imports = set(BASE_IMPORTS)
    imports.update(r.sample(STDLIB_IMPORTS, r.randint(0, 3)))
    std = sorted(i for i in imports if i.startswith("import "))
    frm = sorted(i for i in imports if i.startswith("from "))
    out += std + frm
    if extra_imports:
        out.append("")
        out += extra_imports
    out += ["", 'logger = logging.getLogger(__name__)',
            f'BASE_URL = os.environ.get("{noun.upper()}_API_URL", "http://{noun}.internal:8080")']
    return out


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


# --------------------------------------------------------------------------------------------
# file assembly
# --------------------------------------------------------------------------------------------
def assemble(r: random.Random, target: int, extra_imports: list[str], prelude: list[str],
             planted: list[list[str]]) -> str:
    """Header + prelude + generic blocks with ``planted`` blocks interleaved, ~``target`` lines."""
    lines = module_header(r, extra_imports)
    if prelude:
        lines += ["", ""] + prelude
    fixed = sum(len(b) + 2 for b in planted)
    budget = target - len(lines) - fixed
    generic: list[list[str]] = []
    used = 0
    tries = 0
    while budget - used > 2 and tries < 10_000:
        tries += 1
        b = r.choice(GENERIC_BLOCKS)(r)
        if len(b) + 2 <= budget - used:
            generic.append(b)
            used += len(b) + 2
        else:
            rest = budget - used - 2
            if rest >= 1:
                generic.append(filler(r, rest))
                used += rest + 2
            break
    blocks = list(generic)
    for b in planted:
        blocks.insert(r.randint(0, len(blocks)), b)
    for b in blocks:
        lines += ["", ""] + b
    remaining = target - len(lines)
    if remaining > 0:
        lines += filler(r, remaining)
    return "\n".join(lines) + "\n"


def split_sizes(r: random.Random, n: int, total: int, min_size: int = 12) -> list[int]:
    if n == 0:
        return []
    w = [r.lognormvariate(0.0, 0.6) for _ in range(n)]
    s = sum(w)
    sizes = [max(min_size, round(total * x / s)) for x in w]
    diff = total - sum(sizes)
    order = sorted(range(n), key=lambda i: -sizes[i])
    i = 0
    while diff != 0 and i < 10 * n:
        j = order[i % n]
        step = 1 if diff > 0 else -1
        if step < 0 and sizes[j] <= min_size:
            i += 1
            continue
        # spread the correction over the biggest files
        amount = max(1, abs(diff) // n) * step
        if step < 0:
            amount = -min(-amount, sizes[j] - min_size)
        sizes[j] += amount
        diff -= amount
        i += 1
    return sizes


def plan(files: int, lines: int, redis_ratio: float, seed: int) -> dict:
    """Decide layout, roles and sizes (cheap, single-threaded, deterministic)."""
    if files < 12:
        raise SystemExit("make_corpus: --files must be at least 12")
    n_pkgs = max(1, math.ceil(files / 100))
    n_mods = files - 1 - n_pkgs
    while n_mods < 1:
        n_pkgs -= 1
        n_mods = files - 1 - n_pkgs
    m = random.Random(f"plan:{seed}")
    width = max(4, len(str(n_mods - 1)))
    pwidth = max(3, len(str(n_pkgs - 1)))
    mods = []
    for i in range(n_mods):
        pkg = i * n_pkgs // n_mods
        mods.append(f"app/svc_{pkg:0{pwidth}d}/mod_{i:0{width}d}.py")
    inits = ["app/__init__.py"] + [f"app/svc_{p:0{pwidth}d}/__init__.py" for p in range(n_pkgs)]
    init_lines = 1 + 3 * n_pkgs
    sizes = split_sizes(m, n_mods, max(lines - init_lines, n_mods * MIN_MODULE_LINES), MIN_MODULE_LINES)

    n_redis = max(1, round(files * redis_ratio)) if redis_ratio > 0 else 0
    n_redis = min(n_redis, n_mods // 3)
    n_imp = n_redis
    n_look = min(max(1, round(files * LOOKALIKE_RATIO)), max(0, n_mods - n_redis - n_imp))
    order = list(range(n_mods))
    m.shuffle(order)
    redis_idx = order[:n_redis]
    imp_idx = order[n_redis:n_redis + n_imp]
    look_idx = order[n_redis + n_imp:n_redis + n_imp + n_look]

    # planted files need room for their planted code: swap their sizes with big generic files
    planted_idx = redis_idx + imp_idx + look_idx
    big = [i for i in order[n_redis + n_imp + n_look:] if sizes[i] >= PLANTED_MIN_LINES]
    for i in planted_idx:
        if sizes[i] < PLANTED_MIN_LINES and big:
            j = big.pop()
            sizes[i], sizes[j] = sizes[j], sizes[i]

    names = list(REDIS_FORMS)
    weights = [REDIS_FORMS[k][1] for k in names]
    forms = {}
    for k, i in enumerate(redis_idx):
        forms[i] = "aio_module" if k == 0 else m.choices(names, weights)[0]  # >=1 module-level client
    importers = {}
    exporters = [i for i in redis_idx if forms[i] in ("aio_module", "pool", "sync")]
    for i in imp_idx:
        importers[i] = m.choice(exporters)
    return {"mods": mods, "inits": inits, "sizes": sizes, "forms": forms, "importers": importers,
            "lookalikes": set(look_idx), "n_pkgs": n_pkgs}


def module_name(path: str) -> str:
    return path[:-3].replace("/", ".")


def gen_module(seed: int, p: dict, i: int) -> tuple[str, dict]:
    r = random.Random(f"file:{seed}:{i}")
    target = p["sizes"][i]
    info: dict = {"role": "generic"}
    if i in p["forms"]:
        form = p["forms"][i]
        imports, prelude, funcs, stats = REDIS_FORMS[form][0](r)
        text = assemble(r, target, imports, prelude, funcs)
        info = {"role": "redis", "form": form, **stats}
    elif i in p["importers"]:
        tgt = p["importers"][i]
        is_async = p["forms"][tgt] != "sync"
        imports, funcs, form, ops, holder = importer_section(r, module_name(p["mods"][tgt]), is_async)
        text = assemble(r, target, imports, [], funcs)
        info = {"role": "importer", "form": form, "target": p["mods"][tgt], "uses": len(ops), "methods": ops,
                "holder": None if holder is None else f"{module_name(p['mods'][i])}.{holder}"}
    elif i in p["lookalikes"]:
        blocks, kinds = lookalike_sections(r)
        text = assemble(r, target, [], [], blocks)
        info = {"role": "lookalike", "kinds": kinds}
    else:
        text = assemble(r, target, [], [], [])
    return text, info


def git(tree: Path, *args: str) -> str:
    env = {**os.environ, "GIT_AUTHOR_DATE": "2024-01-01T00:00:00Z", "GIT_COMMITTER_DATE": "2024-01-01T00:00:00Z",
           "GIT_CONFIG_NOSYSTEM": "1"}
    env.pop("GIT_DIR", None)
    env.pop("GIT_WORK_TREE", None)
    base = ["git", "-c", "user.name=redis-migrate bench", "-c", "user.email=bench@example.invalid",
            "-c", "commit.gpgsign=false", "-c", "core.autocrlf=false", "-c", "init.defaultBranch=main",
            "-c", "core.hooksPath=/dev/null"]
    res = subprocess.run(base + list(args), cwd=tree, env=env, capture_output=True, text=True)
    if res.returncode != 0:
        raise SystemExit(f"make_corpus: git {' '.join(args)} failed:\n{res.stderr}")
    return res.stdout


def check_params(files: int, lines: int, redis_ratio: float) -> str | None:
    if files < 12:
        return "--files must be at least 12"
    if lines < files * (MIN_MODULE_LINES + 2):
        return f"--lines must be at least {MIN_MODULE_LINES + 2} x --files"
    if not 0 <= redis_ratio <= 0.3:
        return "--redis-ratio must be within [0, 0.3]"
    return None


def generate(out: Path, files: int = 10_000, lines: int = 1_000_000, redis_ratio: float = 0.01,
             seed: int = 1, force: bool = False, quiet: bool = False) -> dict:
    """Generate the corpus at ``out``; return the manifest."""
    t0 = time.perf_counter()
    out = Path(out)
    if out.exists() and any(out.iterdir()):
        if not force:
            raise SystemExit(f"make_corpus: {out} exists and is not empty (use --force to replace it)")
        shutil.rmtree(out)
    out.mkdir(parents=True, exist_ok=True)
    p = plan(files, lines, redis_ratio, seed)

    total_lines = 0
    for k, path in enumerate(p["inits"]):
        text = ('"""Synthetic backend."""\n' if k == 0 else
                f'"""Service package {k - 1}."""\n\n__all__: list[str] = []\n')
        fp = out / path
        fp.parent.mkdir(parents=True, exist_ok=True)
        fp.write_text(text)
        total_lines += text.count("\n")

    roles: dict[str, list[str]] = {"redis": [], "importer": [], "lookalike": []}
    planted = {"client_constructions": 0, "pool_constructions": 0, "redis_operations": 0,
               "importer_imports": 0, "importer_uses": 0}
    sites = {"instantiation": 0, "close": 0, "owner-singleton": 0}
    forms: dict[str, int] = {}
    details: dict[str, dict] = {}
    for i, path in enumerate(p["mods"]):
        text, info = gen_module(seed, p, i)
        (out / path).write_text(text)
        total_lines += text.count("\n")
        role = info["role"]
        if role == "generic":
            continue
        roles[role].append(path)
        details[path] = info
        if role == "redis":
            planted["client_constructions"] += info["constructions"]
            planted["pool_constructions"] += info["pools"]
            planted["redis_operations"] += info["ops"]
            for kind, n in info["sites"].items():
                sites[kind] += n
            forms[info["form"]] = forms.get(info["form"], 0) + 1
        elif role == "importer":
            planted["importer_imports"] += 1
            planted["importer_uses"] += info["uses"]
            forms["importer_" + info["form"]] = forms.get("importer_" + info["form"], 0) + 1
    t_gen = time.perf_counter() - t0

    manifest = {
        "generator_version": GENERATOR_VERSION,
        "params": {"files": files, "lines": lines, "redis_ratio": redis_ratio, "seed": seed},
        "files": len(p["inits"]) + len(p["mods"]),
        "lines": total_lines,
        # sites as SPEC §3 counts them (a lower bound: `pool.disconnect()` is not counted);
        # importer files hold no site of their own: their operations belong to the origin's site
        "planted_sites": sum(sites.values()),
        "planted_sites_by_kind": sites,
        "planted": planted,
        "forms": dict(sorted(forms.items())),
        "redis_files": sorted(roles["redis"]),
        "importer_files": sorted(roles["importer"]),
        "lookalike_files": sorted(roles["lookalike"]),
        "details": dict(sorted(details.items())),
    }
    (out / MANIFEST_NAME).write_text(json.dumps(manifest, indent=1, sort_keys=True) + "\n")
    git(out, "init", "-q")
    git(out, "add", "-A")
    git(out, "commit", "-q", "--no-verify", "-m", f"synthetic backend (seed {seed})")
    manifest["commit"] = git(out, "rev-parse", "HEAD").strip()
    elapsed = time.perf_counter() - t0
    manifest["generation_seconds"] = round(elapsed, 2)
    if not quiet:
        print(f"make_corpus: {manifest['files']} files, {total_lines} lines, "
              f"{len(roles['redis'])} redis files, {len(roles['importer'])} importer files, "
              f"{len(roles['lookalike'])} look-alike files, {manifest['planted_sites']} planted sites "
              f"({sites['instantiation']} instantiations, {sites['close']} closes, "
              f"{sites['owner-singleton']} owner singletons) -> {out} [{elapsed:.1f}s: generate {t_gen:.1f}s, git {elapsed - t_gen:.1f}s]")
    return manifest


def generator_parser(doc: str, **numbers: float) -> argparse.ArgumentParser:
    """The command line of a tree generator: OUT_DIR, one `--name` per keyword of `numbers`
    (its value the default and its type the option's), then `--seed` and `--force`."""
    ap = argparse.ArgumentParser(description=doc.split("\n\n")[0])
    ap.add_argument("out_dir", type=Path)
    for name, default in numbers.items():
        ap.add_argument(f"--{name.replace('_', '-')}", type=type(default), default=default)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--force", action="store_true", help="replace OUT_DIR if it exists")
    return ap


def main(argv: list[str] | None = None) -> int:
    ap = generator_parser(__doc__, files=10_000, lines=1_000_000, redis_ratio=0.01)
    a = ap.parse_args(argv)
    problem = check_params(a.files, a.lines, a.redis_ratio)
    if problem:
        ap.error(problem)
    generate(a.out_dir, a.files, a.lines, a.redis_ratio, a.seed, a.force)
    return 0


if __name__ == "__main__":
    sys.exit(main())

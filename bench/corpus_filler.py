"""The ordinary code a synthetic module of `make_corpus.py` is filled with: a vocabulary that
never spells "redis" in any letter case, and blocks (dataclasses, services, functions, enums,
validators) drawn from it by a seeded RNG."""

from __future__ import annotations

import random
from collections.abc import Callable

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

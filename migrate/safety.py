"""Refuse rather than guess (SPEC §4 item 8): why a site must be left to a human.

Each rule returns a reason code and a one-line explanation, or nothing. A site any rule refuses
stays byte-identical and is reported `manual` in the inventory, the dry-run and the PR body.
"""

from __future__ import annotations

import ast
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from migrate.analysis.link import LinkedSite

# Keyword arguments the central pool sets itself, or that only tune timeouts and retries: a
# legacy client passing them behaves the same through get_redis().
# aioredis 1.x pool sizing and connect timeout: the central pool sets its own (facts C1).
AIOREDIS1_POOL_OPTIONS = frozenset({"minsize", "maxsize", "timeout", "loop"})

HARMLESS_OPTIONS = frozenset({
    "url", "address", "connection_pool", "host", "port", "unix_socket_path", "username",
    "password",  # where it connects: compared as the URL, not as an option "socket_timeout", "socket_connect_timeout",
    "socket_keepalive", "socket_keepalive_options", "health_check_interval", "retry_on_timeout",
    "retry", "retry_on_error", "client_name", "auto_close_connection_pool",
})

URL_PARTS = frozenset({"url", "address", "connection_pool", "host", "port", "unix_socket_path",
                       "username", "password"})

# Replies that are integers, booleans, None or lock objects: the same whether or not the client
# decodes responses, so a decode_responses difference cannot change what the code sees.
DECODE_INSENSITIVE_OPS = frozenset({
    "incr", "incrby", "decr", "decrby", "expire", "pexpire", "expireat", "pexpireat", "exists",
    "delete", "unlink", "publish", "lock", "ttl", "pttl", "set", "setex", "setnx", "hset",
    "hdel", "hexists", "sadd", "srem", "sismember", "scard", "llen", "lpush", "rpush", "zadd",
    "zrem", "zcard", "ping", "persist",
})

# What the lifecycle template's central client uses (migrate/templates/redis_client.py).
CENTRAL_DECODE_RESPONSES = "False"


@dataclass(frozen=True, slots=True)
class Refusal:
    """Why a site is left to a human."""

    code: str
    reason: str


def refuse(site: LinkedSite, ops: set[str], central_urls: set[str],
           pool: LinkedSite | None, notes: list[str],
           clients: Mapping[str, Mapping[str, Any]] | None = None,
           chosen: list[str] | None = None) -> Refusal | None:
    """The first rule that refuses this instantiation site; harmless differences go to notes.

    A site whose URL and options match a named client of `[tool.migrate.clients]` is not
    compared with the central client: its name is appended to `chosen` instead.
    """
    if site.escapes:
        return Refusal("escapes", f"the client escapes: it is {site.escapes[0]}")
    if site.holder == "return":
        function = (site.function or "").rpartition(".")[2]
        return Refusal("escapes", f"the client escapes: it is returned to the callers of "
                                  f"{function}(), which may keep or close it")
    if site.import_time_uses:
        return Refusal("import-time-use", f"used at import time ({site.import_time_uses[0]}); "
                                          f"get_redis() only works after init_redis()")
    unsupported = _unsupported_holder(site)
    if unsupported:
        return Refusal("unsupported-shape", unsupported)
    url_source = pool if pool is not None else site
    for name, spec in (clients or {}).items():
        if _matches_client(url_source, [o for o in (site, pool) if o is not None], spec):
            notes.append(f"uses the named client '{name}' ([tool.migrate.clients])")
            if chosen is not None:
                chosen.append(name)
            return None
    different = _url_difference(url_source, central_urls)
    if different:
        return Refusal("url-differs", different)
    for owner in (site, pool) if pool is not None else (site,):
        refusal = _option_difference(owner, ops, notes)
        if refusal:
            return refusal
    return None


def _unsupported_holder(site: LinkedSite) -> str | None:
    if site.holder == "member" and site.function is None:
        return ("client held in a class attribute: read through the class, it cannot become a "
                "property")
    if site.function is None and site.holder != "global":
        return "created at import time without being bound to a module-level name"
    if site.holder == "attribute":
        return f"stored on another object ({site.bound_to}), which the rewrite cannot follow"
    if site.family == "pool" and not site.clients_of_pool:
        return "a pool used directly, not only through Redis(connection_pool=...)"
    return None


def _url_difference(site: LinkedSite, central_urls: set[str]) -> str | None:
    known = {url for url in central_urls if url}
    if not known or "" in central_urls:
        return None  # the central URL is not known statically: nothing to compare with
    if site.url_key in known:
        return None
    central = " / ".join(sorted(_display(url) for url in known))
    if site.url is None:
        return f"connects to the library default (localhost), not to {central}"
    if site.url_key is None:
        return f"its URL ({site.url}) cannot be compared with the central client's ({central})"
    return f"connects to {site.url}, the central client to {central}"


def _matches_client(url_source: LinkedSite, owners: list[LinkedSite],
                    spec: Mapping[str, Any]) -> bool:
    """Same URL (as written, or as it resolves) and the same behaviour-changing options."""
    url = spec.get("url")
    if not isinstance(url, str) or url not in (url_source.url, url_source.url_key):
        return False
    wanted = {k: v for k, v in spec.items() if k != "url"}
    found = {name: _value(source) for owner in owners for name, source in owner.options
             if name not in HARMLESS_OPTIONS}
    return found == wanted


def _value(source: str) -> Any:
    """An option's value when it is a literal (`True`, `10`, `"utf-8"`), else its source."""
    try:
        return ast.literal_eval(source)
    except (ValueError, SyntaxError):
        return source


def _display(key: str) -> str:
    return "a literal URL" if key.startswith("literal:") else key


def _option_difference(site: LinkedSite, ops: set[str], notes: list[str]) -> Refusal | None:
    for name, value in site.options:
        if site.library == "aioredis1" and name in AIOREDIS1_POOL_OPTIONS:
            notes.append(f"{name}={value} dropped: the central pool is sized and timed by "
                         f"init_redis()")
            continue
        if name == "encoding":
            if site.library == "aioredis1":
                name, value = "decode_responses", "True"  # 1.x: encoding= decodes replies
            elif dict(site.options).get("decode_responses") != "True":
                # 2.x and redis-py decode only with decode_responses=True: this client has
                # returned bytes all along, like the central one (facts E4)
                notes.append(f"encoding={value} without decode_responses=True has no effect: "
                             f"replies were bytes all along (the classic aioredis 1.x -> 2.x "
                             f"bug); the central client returns bytes too")
                continue
            else:
                continue  # the codec of a decoding client: judged with decode_responses
        if name in HARMLESS_OPTIONS:
            if name not in URL_PARTS:
                notes.append(f"{name}={value} dropped: the central pool sets its own")
            continue
        if name == "decode_responses":
            if value == CENTRAL_DECODE_RESPONSES:
                continue
            if ops and ops <= DECODE_INSENSITIVE_OPS:
                notes.append(f"decode_responses={value} differs from the central client, but "
                             f"its replies ({', '.join(sorted(ops))}) are the same either way")
                continue
            return Refusal("options-differ", f"decode_responses: {CENTRAL_DECODE_RESPONSES} "
                                             f"(central) -> {value} (this client)")
        return Refusal("options-differ", f"{name}={value} differs from the central client")
    return None

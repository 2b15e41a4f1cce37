"""Refuse rather than guess (SPEC §4 item 8): why a site must be left to a human.

Each rule returns a reason code and a one-line explanation, or nothing. A site any rule refuses
stays byte-identical and is reported `manual` in the inventory, the dry-run and the PR body.
"""

from __future__ import annotations

import ast
import codecs
import dataclasses
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from redis_migrate.analysis.facts import (
    HOST_PREFIX,
    LITERAL_PREFIX,
    credentials_in,
    without_credentials,
)
from redis_migrate.analysis.link import LinkedSite
from redis_migrate.model import ReasonCode, Skipped
from redis_migrate.redis_api import URL_PARTS
from redis_migrate.scan.lifecycle_reader import UNKNOWN, LifecycleFacts

# Keyword arguments the central pool sets itself, or that only tune timeouts and retries: a
# legacy client passing them behaves the same through get_redis().
# aioredis 1.x pool sizing and connect timeout: the central pool sets its own (facts C1).
AIOREDIS1_POOL_OPTIONS = frozenset({"minsize", "maxsize", "timeout", "loop"})

# aioredis 1.x's connection and pool (not its `Redis`): raw `execute()` and pub/sub channels
AIOREDIS1_LOW_LEVEL = frozenset({"create_pool", "create_connection"})

HARMLESS_OPTIONS = frozenset({
    "url", "address", "connection_pool", "host", "port", "unix_socket_path", "username",
    "password",  # where it connects: compared as the URL, not as an option
    "socket_timeout", "socket_connect_timeout",
    "socket_keepalive", "socket_keepalive_options", "health_check_interval", "retry_on_timeout",
    "retry", "retry_on_error", "client_name", "auto_close_connection_pool",
})


# Replies that are integers, booleans, None or lock objects: the same whether or not the client
# decodes responses, so a decode_responses difference cannot change what the code sees.
DECODE_INSENSITIVE_OPS = frozenset({
    "incr", "incrby", "decr", "decrby", "expire", "pexpire", "expireat", "pexpireat", "exists",
    "delete", "unlink", "publish", "lock", "ttl", "pttl", "set", "setex", "setnx", "hset",
    "hdel", "hexists", "sadd", "srem", "sismember", "scard", "llen", "lpush", "rpush", "zadd",
    "zrem", "zcard", "ping", "persist",
})

# Options that change results when the central client sets them and a site does not, with the
# library's default (the site's behaviour).
BEHAVIOUR_DEFAULTS: dict[str, Any] = {"protocol": 2, "ssl": False, "db": 0,
                                      "single_connection_client": False}


@dataclass(frozen=True, slots=True)
class Refusal:
    """Why a site is left to a human."""

    code: ReasonCode
    reason: str


def topology_refusal(site: LinkedSite) -> Refusal | None:
    """A cluster or Sentinel client, or an instance of the app's own subclass of redis.Redis:
    get_redis() hands out one plain client to one server, which is none of these."""
    name = site.pattern.rsplit(".from_url", 1)[0].rsplit(".", 1)[-1]
    if site.family == "cluster":
        return Refusal("cluster-client", f"{name} spreads keys over a Redis Cluster; "
                                         f"get_redis() is one client to one server: give the "
                                         f"lifecycle module a cluster client, or move it by hand")
    if site.family == "sentinel":
        return Refusal("sentinel-client", "Sentinel finds the server by asking sentinels "
                                          "(master_for()/slave_for()); get_redis() connects to "
                                          "one URL: move it by hand")
    if site.family == "subclass":
        return Refusal("custom-client", f"an instance of {name}, the app's own subclass of "
                                        f"{site.base or 'a Redis client'}: get_redis() returns "
                                        f"a plain client without what the subclass adds")
    if site.library == "aioredis1" and name in AIOREDIS1_LOW_LEVEL:
        return Refusal("unsupported-shape", f"aioredis 1.x's low-level {name}(): its "
                                            f"execute()/execute_pubsub() and Channel API have "
                                            f"no redis.asyncio client to move to; convert the "
                                            f"code that uses it by hand")
    return None


def escape_refusal(site: LinkedSite) -> Refusal:
    """Why a client that leaves what the analysis can follow stays with a human."""
    first = site.escapes[0]
    if first.startswith("passed to "):
        callee = first[len("passed to "):].partition(" at ")[0]
        return Refusal("passed-to", f"passed to {callee}, which the analysis cannot see "
                                    f"into ({first.partition(' at ')[2]}): it may keep or "
                                    f"close the client")
    return Refusal("escapes", f"the client escapes: it is {first}")


# `os.getenv("REDIS_URL")`, `os.environ.get("REDIS_URL", "redis://localhost:6379")`,
# `os.environ["REDIS_URL"]`: what get_sync_redis() falls back to when nothing configures it.
_ENV_READERS = frozenset({"os.getenv", "os.environ.get"})
_LOCAL_DEFAULTS = frozenset({"redis://localhost:6379", "redis://localhost:6379/0",
                             "redis://localhost", "redis://127.0.0.1:6379",
                             "redis://127.0.0.1:6379/0"})


def sync_url_refusal(site: LinkedSite) -> Refusal | None:
    """A sync client in a repository that never calls init_redis() or configure_sync_redis():
    get_sync_redis() will connect to $REDIS_URL (else localhost), so the client must too."""
    if _reads_redis_url_env(site):
        return None
    used = site.url or "the library default (localhost)"
    return Refusal("url-differs", f"connects to {used}; get_sync_redis() connects to "
                                  f"$REDIS_URL (else redis://localhost:6379/0) unless the app "
                                  f"calls configure_sync_redis(url) or init_redis(url), which "
                                  f"nothing here does: call it at startup, or move it by hand")


def _reads_redis_url_env(site: LinkedSite) -> bool:
    if not site.url_code or URL_PARTS.intersection(site.keywords) - {"url"}:
        return False
    try:
        node = ast.parse(site.url_code.strip(), mode="eval").body
    except SyntaxError:
        return False
    if isinstance(node, ast.Subscript):  # os.environ["REDIS_URL"]
        return ast.unparse(node.value) == "os.environ" and _is_redis_url(node.slice)
    if not isinstance(node, ast.Call) or ast.unparse(node.func) not in _ENV_READERS \
            or node.keywords or not node.args or not _is_redis_url(node.args[0]):
        return False
    default = node.args[1] if len(node.args) > 1 else None
    return default is None or (isinstance(default, ast.Constant)
                               and (default.value is None or default.value in _LOCAL_DEFAULTS))


def _is_redis_url(node: ast.expr) -> bool:
    return isinstance(node, ast.Constant) and node.value == "REDIS_URL"


def patched_reason(site: LinkedSite, gap: str = "") -> str:
    """Why a global that code replaces by name cannot go (`gap`: what the lifecycle module
    lacks to keep it as a stand-in)."""
    where, name = site.patched_by_name[0]
    keep = f", and {gap} to keep it as a stand-in" if gap else ""
    return (f"{where} replaces {name} by name (a mock.patch or monkeypatch target), which "
            f"fails once the global is gone{keep}: patch what the code calls instead "
            f"(get_redis), then run the batch again")


def _unfit_for_lazy(site: LinkedSite) -> str:
    """Why lazy_redis() cannot stand in for a client held at import, or "": it must be a
    module's own client (the name the holders read stays, given the stand-in), and nothing
    may use it while the object holding it is built."""
    if site.library == "redis-sync":
        return "a sync client has no stand-in (get_sync_redis() needs no startup call)"
    if site.family != "client" or site.function is not None or site.holder != "global":
        return "it is not a client a module makes at import"
    if site.built_with_use:
        return f"it is used as an object holding it is built ({site.built_with_use[0]})"
    return ""


def refuse(site: LinkedSite, ops: set[str], central_urls: set[str],
           pool: LinkedSite | None, notes: list[str],
           clients: Mapping[str, Mapping[str, Any]] | None = None,
           chosen: list[str] | None = None,
           central: LifecycleFacts | None = None) -> Refusal | None:
    """The first rule that refuses this instantiation site; harmless differences go to notes.

    A site whose URL and options match a named client of `[tool.migrate.clients]` is not
    compared with the central client: its name is appended to `chosen` instead.
    """
    if site.escapes:
        return escape_refusal(site)
    if site.holder == "return" and not site.returned_to:
        function = (site.function or "").rpartition(".")[2]
        return Refusal("escapes", f"the client escapes: it is returned to the callers of "
                                  f"{function}(), none of which the analysis sees")
    # get_sync_redis() needs no startup call: a sync client may be used at import
    if site.import_time_uses and site.library != "redis-sync":
        return Refusal("import-time-use", f"used at import time ({site.import_time_uses[0]}); "
                                          f"get_redis() only works after init_redis()")
    # a sync client held at import keeps working: get_sync_redis() needs no startup call
    if site.import_time_holds and site.library != "redis-sync":
        unfit = _unfit_for_lazy(site)
        if unfit:
            return Refusal("import-time-use", f"used at import time ({site.import_time_holds[0]})"
                                              f"; get_redis() only works after init_redis(), "
                                              f"and lazy_redis() cannot stand in: {unfit}")
    # a module client given lazy_redis() keeps its global, which a patch can still replace
    if site.patched_by_name and _unfit_for_lazy(site):
        return Refusal("patched-by-name", patched_reason(site))
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
    # a pool and the client built on it are one client: their options are judged together
    owners = (pool, site) if pool is not None else (site,)
    options = tuple(o for owner in owners for o in owner.options)
    if _db_in_url(url_source, central_urls):
        # `Redis(host=h, port=p, db=n)` with the central URL proven to be redis://h:p/n: the
        # db is where it connects, compared with the URL, not an option beside it
        options = tuple(o for o in options if o[0] != "db")
    merged = dataclasses.replace(site, options=options, option_keys=tuple(
        k for owner in owners for k in owner.option_keys))
    return _option_difference(merged, ops, notes, central)


def _db_in_url(site: LinkedSite, central_urls: set[str]) -> bool:
    return bool(site.url_key and site.url_key.startswith(HOST_PREFIX)
                and "" not in central_urls and site.url_key in central_urls)


def _unsupported_holder(site: LinkedSite) -> str | None:
    # a lazy getter named get_redis() itself keeps its name: the file imports the lifecycle
    # module's accessor under an alias (apply.py, `_alias_taken_names`)
    if site.holder == "member" and site.function is None:
        return ("client held in a class attribute: read through the class, it cannot become a "
                "property")
    if site.on_class and not (site.function is not None and site.in_async_function):
        # an async def runs once the app's loop does, after init_redis(): its assignment
        # can take get_redis() where it stands; a plain one may run at import
        return (f"kept on the class, read or set by a classmethod through `cls` "
                f"({site.bound_to}), and made outside an async def: read through the class, "
                f"it cannot become a property, and get_redis() may not work yet where it "
                f"is made; make the classmethod return get_redis() and drop its close by hand")
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
    central_has = {name for url in known for name in credentials_in(url)}
    credentials = [name for name in credentials_in(site.url_key) if name not in central_has]
    if credentials:
        return (f"connects to {site.url} with a {' and a '.join(credentials)} of its own, the "
                f"central client to {central} without")
    return f"connects to {site.url}, the central client to {central}"


def _matches_client(url_source: LinkedSite, owners: list[LinkedSite],
                    spec: Mapping[str, Any]) -> bool:
    """Same URL (as written, or as it resolves) and the same behaviour-changing options."""
    url = spec.get("url")
    if not isinstance(url, str) or url not in (url_source.url, url_source.url_key):
        return False
    if credentials_in(url_source.url_key or ""):
        return False  # a named client is made from its URL alone: the credentials would go
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
    with_ = " (with credentials)" if credentials_in(key) else ""
    key = without_credentials(key)
    if key.startswith(HOST_PREFIX):  # host:<host key>|<port>|<db>
        host, port, db = key[len(HOST_PREFIX):].split("|")
        return f"{_display(host).replace('a literal URL', 'a literal host')}:{port}/{db}{with_}"
    return ("a literal URL" if key.startswith(LITERAL_PREFIX) else key) + with_


def _option_difference(site: LinkedSite, ops: set[str], notes: list[str],
                       central: LifecycleFacts | None) -> Refusal | None:
    """Compare what the site's options make it do with what the team's central client does."""
    behaviour: dict[str, str] = {}
    for name, value in site.options:
        if site.library == "aioredis1" and name in AIOREDIS1_POOL_OPTIONS:
            notes.append(f"{name}={value} dropped: the central pool is sized and timed by "
                         f"init_redis()")
            continue
        if name in HARMLESS_OPTIONS:
            if name not in URL_PARTS:
                notes.append(f"{name}={value} dropped: the central pool sets its own")
            continue
        behaviour[name] = value
    refusal = _passed_difference(site, behaviour, ops, notes, central)
    if refusal is not None:
        return refusal
    passed = central.passed_options if central is not None else {}
    refusal = _decode_difference(site, behaviour, ops, notes, central)
    if refusal is not None:
        return refusal
    for name, value in behaviour.items():
        if name in ("decode_responses", "encoding") or name in passed:
            continue
        if central is not None:
            option = central.option(name)
            if option.known and option.value == _value(value):
                continue
            # `db=0` where the central client leaves db unset: both take the library's default
            # (or the same URL's path, which wins over the keyword in from_url).
            if (option.source == "(not passed)" and name in BEHAVIOUR_DEFAULTS
                    and _value(value) == BEHAVIOUR_DEFAULTS[name]):
                continue
            where = "not set" if option.source == "(not passed)" else option.source
            return Refusal("options-differ", f"{name}={value} differs from the central client "
                                             f"({name}: {where})")
        return Refusal("options-differ", f"{name}={value} differs from the central client")
    return _central_only(behaviour, central)


def _central_only(behaviour: Mapping[str, str],
                  central: LifecycleFacts | None) -> Refusal | None:
    """An option the central client sets to other than the library's default, and this
    client does not set."""
    if central is None or central.central is None:
        return None
    for name in sorted(BEHAVIOUR_DEFAULTS):
        option = central.option(name)
        if name in behaviour or name not in central.central.options:
            continue
        if not option.known or option.value != BEHAVIOUR_DEFAULTS[name]:
            return Refusal("options-differ", f"the central client sets {name}="
                                             f"{option.source}; this client does not")
    return None


def _passed_difference(site: LinkedSite, behaviour: Mapping[str, str], ops: set[str],
                       notes: list[str], central: LifecycleFacts | None) -> Refusal | None:
    """Compare the options init_redis(clients={"default": ...}) gives the shared client with
    this client's: the same name (`db=settings.REDIS_DB` in both) is the same value."""
    passed = central.passed_options if central is not None else {}
    keys = dict(site.option_keys)
    for name, key in sorted(passed.items()):
        if keys.get(name) == key:
            notes.append(f"{name}={behaviour.get(name, key)}: init_redis() gives the shared "
                         f"client the same")
            continue
        if name == "decode_responses" and ops and ops <= DECODE_INSENSITIVE_OPS:
            continue
        own = f"{name}={behaviour[name]}" if name in behaviour else f"no {name}"
        return Refusal("options-differ", f"init_redis() gives the shared client {name}="
                                         f"{key}; this client has {own}")
    return None


def _decodes(site: LinkedSite, behaviour: Mapping[str, str]) -> tuple[bool | Any, str]:
    """Whether the site's client decodes replies, and with which codec."""
    encoding = behaviour.get("encoding")
    if site.library == "aioredis1":  # 1.x: encoding= decodes replies (facts E4)
        value = _value(encoding) if encoding is not None else None
        decoded = value is not None
        return decoded, str(value) if decoded else "utf-8"
    raw = behaviour.get("decode_responses")
    decoded = _value(raw) if raw is not None else False
    codec = _value(encoding) if encoding is not None else "utf-8"
    return decoded, str(codec)


def _decode_difference(site: LinkedSite, behaviour: Mapping[str, str], ops: set[str],
                       notes: list[str], central: LifecycleFacts | None) -> Refusal | None:
    if central is not None and "decode_responses" in central.passed_options:
        return None  # compared by name (`_passed_difference`)
    decoded, codec = _decodes(site, behaviour)
    encoding = behaviour.get("encoding")
    if (encoding is not None and site.library != "aioredis1" and decoded is False
            and behaviour.get("decode_responses") is None):
        # 2.x and redis-py decode only with decode_responses=True: this client has returned
        # bytes all along (facts E4)
        notes.append(f"encoding={encoding} without decode_responses=True has no effect: "
                     f"replies were bytes all along (the classic aioredis 1.x -> 2.x bug)")
    if central is None:
        central_decoded: Any = False
        central_codec: Any = "utf-8"
        shown = "False"
    else:
        option = central.option("decode_responses")
        central_decoded, shown = option.value, option.source
        if option.known:
            shown = repr(option.value)
        central_codec = central.option("encoding").value
    insensitive = bool(ops) and ops <= DECODE_INSENSITIVE_OPS
    if central_decoded is UNKNOWN:
        if insensitive:
            notes.append(f"the central client's decode_responses is not known statically, "
                         f"but this client's replies ({', '.join(sorted(ops))}) are the same "
                         f"either way")
            return None
        return Refusal("central-unknown", f"the central client's decode_responses "
                                          f"({shown}) cannot be read statically; state it in "
                                          f"[tool.migrate] central = {{ decode-responses = "
                                          f"true|false }}")
    if not isinstance(decoded, bool):
        return Refusal("options-differ", f"decode_responses={behaviour.get('decode_responses')}"
                                         f" is not a literal: cannot be compared")
    if bool(decoded) == bool(central_decoded):
        if decoded and central_codec is not UNKNOWN and _codec(codec) != _codec(central_codec):
            return Refusal("options-differ", f"encoding: {central_codec} (central) -> {codec} "
                                             f"(this client)")
        return None
    if insensitive:
        notes.append(f"decode_responses={decoded} differs from the central client, but its "
                     f"replies ({', '.join(sorted(ops))}) are the same either way")
        return None
    return Refusal("options-differ", f"decode_responses: {shown} (central) -> {decoded} "
                                     f"(this client)")


def _codec(name: Any) -> str:
    try:
        return codecs.lookup(str(name)).name
    except LookupError:
        return str(name)


_STAR_IMPORT = re.compile(rb"^[ \t]*from[ \t]+(\.*)([\w.]*)[ \t]+import[ \t]*\*", re.MULTILINE)


def _may_import(text: bytes | None, names: list[str], packages: set[str]) -> bool:
    """Whether a file the parser could not read (`text`; None: not readable at all) may bind
    one of `names` from the app: it spells one of them (`from app.cache import client`,
    `cache.client`), or star-imports one of the app's own modules."""
    if text is None:
        return True
    if any(re.search(rb"\b" + re.escape(name.encode()) + rb"\b", text) for name in names):
        return True
    return any(dots or module.split(b".")[0].decode("ascii", "replace") in packages
               for dots, module in _STAR_IMPORT.findall(text))


@dataclass(slots=True)
class UnreadableImporters:
    """The files the analysis skipped (they do not parse), asked whether one may import a
    module-level client a rewrite would remove: it would break unseen, once fixed. Each file
    is read once, when first asked about."""

    repo: Path
    skipped: list[Skipped]
    packages: set[str]  # the app's top-level packages (`from app.cache import *`)
    _texts: dict[str, bytes | None] = field(default_factory=dict)

    @classmethod
    def of(cls, repo: Path, skipped: list[Skipped], packages: set[str]) -> UnreadableImporters:
        # a symbolic link is left out, not misread: it is not part of the analysed code
        return cls(repo, [s for s in skipped if not s.reason.startswith("symbolic link")],
                   packages)

    def importer(self, names: list[str]) -> Skipped | None:
        """The first skipped file that may import one of `names` (None: none may)."""
        for skipped in self.skipped:
            if skipped.file not in self._texts:
                try:
                    self._texts[skipped.file] = (self.repo / skipped.file).read_bytes()
                except OSError:
                    self._texts[skipped.file] = None
            if _may_import(self._texts[skipped.file], names, self.packages):
                return skipped
        return None

    def refusal(self, sites: list[LinkedSite]) -> Refusal | None:
        """Why a module-level client (with its pool's other clients) cannot move: its global,
        which the rewrite removes, may be imported by a file the analysis could not read."""
        names = sorted({site.bound_to.rpartition(".")[2] for site in sites
                        if site.kind == "instantiation" and site.function is None
                        and site.bound_to})
        found = self.importer(names) if names and self.skipped else None
        if found is None:
            return None
        return Refusal("unreadable-importer",
                       f"{found.file} could not be analysed ({found.reason}) and may import "
                       f"{', '.join(names)}, which the rewrite removes: fix that file first, "
                       f"or migrate this client by hand")

"""Purpose, batch and status of each linked site (SPEC §4): riskiest use wins, doubt is manual."""

from __future__ import annotations

from typing import Any, Final

from redis_migrate.analysis.facts import RETURN, credentials_in
from redis_migrate.analysis.link import LinkedSite, Operation
from redis_migrate.batch_catalog import Batch, batch_for_purpose
from redis_migrate.config import Config
from redis_migrate.model import ReasonCode, Site
from redis_migrate.redact import mask_secrets
from redis_migrate.redis_api import (
    ASYNC_WITH,
    BLOCKING_OPS,
    CLOSE_METHODS,
    COUNTER_OPS,
    DYNAMIC_OPS,
    EXPIRY_OPS,
    HEALTH_OPS,
    LOCK_OPS,
    PIPELINE_OPS,
    POOL_CLOSE_METHODS,
    PUBSUB_OPS,
    PURPOSES,
    QUEUE_POP_OPS,
    QUEUE_PUSH_OPS,
    READ_OPS,
    SCRIPT_OPS,
    STREAM_OPS,
    UNCLASSIFIED,
    WRITE_OPS,
)
from redis_migrate.scan.discovery import is_test_path
from redis_migrate.scan.lifecycle_reader import DEFAULT_SOCKET_TIMEOUT, UNKNOWN, LifecycleFacts
from redis_migrate.scan.safety import (
    Refusal,
    UnreadableImporters,
    escape_refusal,
    patched_reason,
    refuse,
    sync_url_refusal,
    topology_refusal,
)
from redis_migrate.scan.wiring import WiringFacts, program_of


def purpose_of(ops: set[str], rate_hint: bool) -> str:
    """The riskiest purpose the operations show (SPEC §4), or `unclassified`."""
    if ops & (LOCK_OPS | SCRIPT_OPS) or (ops & COUNTER_OPS and ops & EXPIRY_OPS and rate_hint):
        return "lock-rate-limit"
    if (ops & (PUBSUB_OPS | STREAM_OPS | BLOCKING_OPS)
            or (ops & QUEUE_PUSH_OPS and ops & QUEUE_POP_OPS)):
        return "pubsub-stream-queue"
    if ops & PIPELINE_OPS:
        return "pipeline"
    if ops & (WRITE_OPS | QUEUE_PUSH_OPS | QUEUE_POP_OPS):
        return "write-cache"
    if ops & READ_OPS:
        return "read-cache"
    if ops & HEALTH_OPS:
        return "health"
    return UNCLASSIFIED


def riskiest(purposes: list[str]) -> str:
    """The riskiest of several purposes; `unclassified` only if all are."""
    known = [p for p in purposes if p in PURPOSES]
    if not known:
        return UNCLASSIFIED
    return max(known, key=PURPOSES.index)


# A client no command reaches: moving it changes connections only, so it goes first.
UNUSED: Final = "unused"
UNUSED_NOTE = ("no Redis command reaches it, and nothing it is held in escapes: moving it onto "
               "get_redis() changes connections only, so it goes with the health batch")
LIFECYCLE_METHODS: Final[frozenset[str]] = CLOSE_METHODS | POOL_CLOSE_METHODS | {ASYNC_WITH}
# the reason code of a site the team's lifecycle module cannot serve, by what it lacks
_LACKS: Final[dict[str, ReasonCode]] = {
    "shared-client": "lifecycle-lacks-shared-client",
    "blocking-client": "lifecycle-lacks-blocking-client",
    "named-client": "lifecycle-lacks-named-client",
    "sync-client": "lifecycle-lacks-sync-client",
}

SYNC_NOTE = ("get_sync_redis() needs no startup call: it creates the shared sync client on "
             "first use, with configure_sync_redis()'s URL, else init_redis()'s in this "
             "process, else $REDIS_URL")

TEST_CODE_NOTE = ("test code: outside the batches and the gate (set include-tests = true to "
                  "include it)")


class _Classifier:
    def __init__(self, linked: list[LinkedSite], batches: list[Batch], config: Config,
                 central_urls: set[str], lifecycle: LifecycleFacts | None = None,
                 wiring: WiringFacts | None = None,
                 unreadable: UnreadableImporters | None = None) -> None:
        self.unreadable = unreadable
        self.lifecycle = lifecycle
        self.wiring = wiring
        self.not_wired = wiring.refusal() if wiring is not None else None
        self.assumed = wiring.assumed if wiring is not None else None
        self.wired = wiring.wired if wiring is not None else True
        # a worker's own client anchors its program's wiring: its URL is the central one there
        self.anchors = {a.atom: a.url_key or "" for a in wiring.anchors[1:]} \
            if wiring is not None and wiring.needs_wiring else {}
        # a worker wired at the top of its main(): its package's clients use its URL
        app = wiring.anchor if wiring is not None else None
        self.program_urls = {
            program_of(a.path): a.url_key or "" for a in wiring.anchors[1:]
            if a.atom is None and app is not None and program_of(a.path) != program_of(app.path)
        } if wiring is not None and wiring.needs_wiring else {}
        self.by_atom = {s.atom: s for s in linked if s.atom}
        self.pool_of = {client: pool.atom for pool in linked if pool.atom
                        for client in pool.clients_of_pool}
        self.batch_of = batch_for_purpose(batches)
        self.config = config
        self.central_urls = central_urls
        self._purposes: dict[str, str] = {}
        self._refusals: dict[str, tuple[Refusal | None, list[str], str | None]] = {}

    def ops(self, site: LinkedSite) -> set[str]:
        ops = {op.method for op in site.operations}
        for client in site.clients_of_pool:
            ops |= {op.method for op in self.by_atom[client].operations}
        return ops

    def rate_hint(self, site: LinkedSite) -> bool:
        sites = [site, *(self.by_atom[c] for c in site.clients_of_pool)]
        return any(op.hint for s in sites for op in s.operations if op.method in COUNTER_OPS)

    def purpose(self, site: LinkedSite) -> str:
        if site.kind == "instantiation":
            assert site.atom is not None
            pool = self.pool_of.get(site.atom)
            if pool is not None:  # a client built on a pool serves the pool's purpose
                return self.purpose(self.by_atom[pool])
            if site.atom not in self._purposes:
                purpose = purpose_of(self.ops(site), self.rate_hint(site))
                if purpose == UNCLASSIFIED and self._unused(site):
                    purpose = UNUSED
                self._purposes[site.atom] = purpose
            return self._purposes[site.atom]
        if site.shared:
            return "lifecycle"
        return riskiest([self.purpose(self.by_atom[a]) for a in site.origins])

    def _unused(self, site: LinkedSite) -> bool:
        """No Redis command reaches the client (or its pool's clients), and every way out of
        its holders was followed: nothing escapes, nothing reads it at import, and what a
        function returns or yields of it has callers the analysis sees."""
        for each in (site, *(self.by_atom[c] for c in site.clients_of_pool)):
            if each.escapes or each.import_time_uses or each.import_time_holds \
                    or each.consumers:
                return False
            # what a def returns or yields is followed only into the callers that keep it
            returned = each.holder in ("return", "yield") or any(
                h.endswith(f".{RETURN}") for h in each.holders)
            if returned and not each.returned_to and not each.def_unreferenced:
                return False
            if {op.method for op in each.operations} - LIFECYCLE_METHODS:
                return False
        return True

    def refusal(self, atom: str) -> tuple[Refusal | None, list[str], str | None]:
        """Why the client created at `atom` must be left to a human (shared by its pool),
        the notes on harmless differences, and the named client it maps to, if any."""
        if atom in self._refusals:
            return self._refusals[atom]
        site = self.by_atom[atom]
        pool_atom = self.pool_of.get(atom)
        if pool_atom is not None:
            result = self.refusal(pool_atom)
        else:
            notes: list[str] = []
            chosen: list[str] = []
            found = self._own_refusal(site, notes, chosen)
            for client in site.clients_of_pool:  # a pool and its clients go together
                found = found or refuse(self.by_atom[client], self.ops(site),
                                        self._sync_urls(site) or self.central_urls, site, notes,
                                        self.config.clients, chosen, self.lifecycle)
            if found is None and self.unreadable is not None:
                # last: a reason of its own comes first, and this one reads files
                found = self.unreadable.refusal(
                    [site, *(self.by_atom[c] for c in site.clients_of_pool)])
            name = chosen[0] if chosen and not found else None
            missing = self._uncreated(name)
            if missing is not None:
                found, name = Refusal("lifecycle-lacks-named-client", missing), None
            result = (found, notes, name)
        self._refusals[atom] = result
        return result

    def _uncreated(self, name: str | None) -> str | None:
        """Why get_redis(name) would raise once the app runs: no init_redis() call of the
        app creates that named client, and the one a batch wires cannot (None: it exists, or
        the team's own module decides)."""
        wiring = self.wiring
        if name is None or wiring is None or wiring.named is None:
            return None
        return wiring.named.missing(name, wiring)

    def _own_refusal(self, site: LinkedSite, notes: list[str],
                     chosen: list[str]) -> Refusal | None:
        purpose = self.purpose(site)
        ops = self.ops(site)
        topology = topology_refusal(site)
        if topology is not None:  # first: no policy or option makes these one plain client
            return topology
        if site.library == "redis-sync" and self.config.sync_policy == "manual":
            # first: whatever it is used for, this is why it cannot move
            return Refusal("sync-client", "sync client; the lifecycle module is async and "
                                          "sync-policy is 'manual'")
        if purpose == UNCLASSIFIED:
            if ops and ops <= DYNAMIC_OPS:
                return Refusal("unclassified", "only raw commands (execute/execute_command) "
                                               "are sent through it")
            if site.escapes:  # `passed-to <callable>` / `escapes`: the reason a reviewer needs
                return escape_refusal(site)
            if site.holders:
                return Refusal("unclassified", f"no Redis command on it can be followed (held "
                                               f"in {site.holders[0]})")
            return Refusal("unclassified", "no Redis command on it can be followed")
        if purpose == UNUSED:
            notes.append(UNUSED_NOTE)
        if site.library == "redis-sync":
            async_use = next((op for op in site.operations if op.in_async), None)
            if site.in_async_function or async_use is not None:
                where = (f"{async_use.path}:{async_use.loc.line}" if async_use
                         else "the async function that creates it")
                return Refusal("sync-in-async", f"sync client used in async code ({where}): "
                                                f"it blocks the event loop; convert it by hand")
            configured = self.lifecycle.sync_url if self.lifecycle is not None else None
            if configured is not None and site.url_key not in configured.keys:
                # refuse() would say the same with the keys; this names the module's code
                used = site.url or "the library default (localhost)"
                return Refusal("url-differs", f"connects to {used}; get_sync_redis() connects "
                                              f"to {mask_secrets(configured.code)}, the URL "
                                              f"the lifecycle module configures for the "
                                              f"app's other sync clients")
            if configured is None and not self.wired:
                # nothing hands get_sync_redis() a URL: it reads $REDIS_URL
                found = sync_url_refusal(site)
                if found is not None:
                    return found
        if site.family == "pool" and site.clients_of_pool:
            return None  # judged through its clients, with this pool's URL and options
        return refuse(site, ops, self._urls_for(site), None, notes, self.config.clients,
                      chosen, self.lifecycle)

    def _sync_urls(self, site: LinkedSite) -> set[str]:
        """The URL keys `configure_sync_redis()` gives get_sync_redis() in the lifecycle
        module, for a sync site (empty: the module configures none, or `site` is async)."""
        configured = self.lifecycle.sync_url if self.lifecycle is not None else None
        if site.library != "redis-sync" or configured is None:
            return set()
        return set(configured.keys)

    def _urls_for(self, site: LinkedSite) -> set[str]:
        """What the central client `site` would become connects to, as URL keys."""
        configured = self._sync_urls(site)
        if configured:
            return configured  # configure_sync_redis() wins over init_redis()
        program = program_of(site.path)
        return ({self.anchors[site.atom]} if site.atom in self.anchors
                else {self.program_urls[program]} if program in self.program_urls
                else self.central_urls)

    def site(self, linked: LinkedSite) -> Site:
        kind, library = linked.kind, linked.library
        if kind == "hook" or library == "":
            raise ValueError(f"{linked.path}: a wiring anchor is not a site")
        purpose = self.purpose(linked)
        origins = [self.by_atom[a] for a in linked.origins] or [linked]
        ops = sorted(set().union(*(self.ops(o) for o in origins if o.kind == "instantiation")))
        site = Site(
            file=linked.path, line=linked.loc.line, col=linked.loc.col, kind=kind,
            pattern=linked.pattern, library=library, sync=library == "redis-sync",
            scope="test" if is_test_path(linked.path) else linked.scope, purpose=purpose,
            batch=self.batch_of.get(purpose), status="pending", reason=None,
            rewrite=linked.rewrite, operations=ops,
            holders=sorted({*linked.holders, *(h for o in origins for h in o.holders)}),
            snippet=linked.snippet)
        blocking_reads = [op for o in origins if o.kind == "instantiation"
                          for op in self.operations(o) if op.block is not None]
        if blocking_reads and needs_blocking_client(blocking_reads, self.lifecycle, site.notes):
            site.flags.append("needs-blocking-client")
        for origin in origins:
            if origin.atom is None:
                continue
            found, notes, client = self.refusal(origin.atom)
            site.notes.extend(n for n in notes if n not in site.notes)
            site.client = site.client or client
            if found is not None and site.status != "manual":
                site.status, site.reason_code, site.reason = "manual", found.code, found.reason
        if linked.kind == "factory-call" and site.reason_code == "import-time-use":
            site.reason = (f"calls {linked.pattern.rsplit('.', 1)[-1]}() at import time: the "
                           f"client it builds cannot become get_redis(), which only works "
                           f"after init_redis(); call it where the client is used")
        # held at import, or replaced by name: the global stays, given the stand-in
        kept = next((o for o in origins if o.library != "redis-sync"
                     and (o.import_time_holds or o.patched_by_name)), None)
        if site.status == "pending" and kept is not None:
            site.flags.append("lazy-client")
            site.notes.append(_lazy_note(kept))
        if site.status == "pending" and self.lifecycle is not None:
            self._check_capabilities(site)
            if kept is not None:
                self._check_lazy(site, kept)
        if site.status == "pending" and site.sync and site.kind == "instantiation":
            site.notes.append(SYNC_NOTE)
        elif site.status == "pending" and self.assumed and site.kind == "instantiation":
            site.notes += [self.assumed, *_credentials_note([linked, *origins])]
        not_wired = self.not_wired or (self.wiring.elsewhere(
            [linked.path, *(o.path for o in origins)]) if self.wiring is not None else None)
        if site.status == "pending" and not_wired and not site.sync:
            # its client, closes and owners stay (a sync client needs no startup hook)
            site.status, site.reason_code, site.reason = (
                "manual", "lifecycle-not-wired", not_wired)
        if linked.consumers:
            site.notes.extend(f"handed to {c}: a known consumer; its commands count"
                              for c in linked.consumers)
        if site.scope == "test" and not self.config.include_tests:
            site.batch = None  # classified all the same, so the report says what it would be
            site.notes.append(TEST_CODE_NOTE)
            return site
        self._pin(site)
        return site

    def operations(self, site: LinkedSite) -> list[Operation]:
        found = list(site.operations)
        for client in site.clients_of_pool:
            found += self.by_atom[client].operations
        return found

    def _check_capabilities(self, site: Site) -> None:
        """A rewrite may only call what the team's module answers (SPEC §6)."""
        lifecycle = self.lifecycle
        assert lifecycle is not None
        needed = []
        if "needs-blocking-client" in site.flags:
            needed.append("blocking-client")
        if site.client:
            needed.append("named-client")
        if site.sync:
            needed.append("sync-client")
        if not needed and site.kind == "instantiation":
            needed.append("shared-client")
        for capability in needed:
            if lifecycle.has(capability):
                continue
            if capability == "blocking-client" and lifecycle.blocking_extension is not None:
                site.flags.append("extends-lifecycle")
                site.notes.append(f"the batch adds a blocking client to {lifecycle.path} "
                                  f"(get_redis(blocking=True)); it has none")
                continue
            # imported here: LibCST's codemod machinery takes longer to import than a small
            # tree takes to analyse, and most runs never get here
            from redis_migrate.scan.lifecycle_extension import snippet

            gap = f" ({lifecycle.blocking_gap})" if capability == "blocking-client" \
                and lifecycle.blocking_gap else ""
            site.status, site.reason_code = "manual", _LACKS[capability]
            site.reason = (f"{lifecycle.path} has no {capability.replace('-', ' ')}{gap}; add "
                           f"{snippet(capability, lifecycle)}")
            return

    def _check_lazy(self, site: Site, kept: LinkedSite) -> None:
        """A client whose global must stay moves only if the team's module has a lazy_redis()
        that takes what the site needs (a client name, blocking=)."""
        lifecycle = self.lifecycle
        assert lifecycle is not None
        gap = _lazy_gap(lifecycle, site)
        if not gap or site.status != "pending":
            return
        site.status = "manual"
        if not kept.import_time_holds:
            site.reason_code = "patched-by-name"
            site.reason = patched_reason(kept, f"{lifecycle.path} has {gap}")
            return
        site.reason_code = "import-time-use"
        site.reason = (f"used at import time ({kept.import_time_holds[0]}), before "
                       f"init_redis(): {lifecycle.path} has {gap} to stand in for it there; "
                       f"add lazy_redis() (the template in redis_migrate/templates/"
                       f"redis_client.py has one)")

    def _pin(self, site: Site) -> None:
        batch = self.config.overrides.get(f"{site.file}:{site.line}")
        if batch is None:
            return
        site.batch = batch
        site.notes.append(f"batch pinned by [tool.migrate] overrides ({self.config.source})")
        # the reviewer read the code: a client with no command the analysis could follow
        # (unreadable, or handed on) goes where they say
        if site.reason_code == "unclassified" or (
                site.purpose == UNCLASSIFIED and site.reason_code in ("passed-to", "escapes")):
            site.status, site.reason, site.reason_code = "pending", None, None


def _lazy_note(kept: LinkedSite) -> str:
    if kept.import_time_holds:
        why = f"held at import ({kept.import_time_holds[0]})"
    else:
        where, name = kept.patched_by_name[0]
        why = f"replaced by name at {where} ({name})"
    return (f"{why}: the global stays, given lazy_redis(), which looks up get_redis() each "
            f"time it is used")


def _lazy_gap(lifecycle: LifecycleFacts, site: Site) -> str:
    """What the team's lazy_redis() lacks for this site ("" when it takes what it needs)."""
    lazy = lifecycle.accessors.get("lazy_redis")
    if lazy is None or not lazy.accepts():
        return "no lazy_redis()"
    if site.client and not lazy.accepts(positional=1):
        return "a lazy_redis() that takes no client name"
    if "needs-blocking-client" in site.flags and not lazy.accepts(keywords=("blocking",)):
        return "a lazy_redis() that takes no blocking="
    return ""


def needs_blocking_client(reads: list[Operation], lifecycle: LifecycleFacts | None,
                          notes: list[str]) -> bool:
    """Whether a blocking read can reach the central socket_timeout (facts §0.3); says why.

    `timeout=0`/`block=0` (forever), a block time that is not static, or one at least as long as
    the central timeout needs the blocking client; a shorter one stays on get_redis().
    """
    if lifecycle is None:
        timeout: Any = DEFAULT_SOCKET_TIMEOUT
        origin = "the template's"
    else:
        option = lifecycle.option("socket_timeout")
        timeout, origin = option.value, "the central"
    needed = False
    for op in reads:
        where = f"{op.method}() at {op.path}:{op.loc.line}"
        seconds = None if op.block == "?" else float(op.block or 0)
        if timeout is None:
            notes.append(f"{where} may block: the central client has no socket_timeout, so "
                         f"get_redis() serves it")
            continue
        if timeout is UNKNOWN:
            needed = True
            notes.append(f"{where} blocks, and {origin} socket_timeout cannot be read "
                         f"statically: it needs the blocking client")
        elif seconds is None:
            needed = True
            notes.append(f"{where} blocks for a time that is not static: it needs the "
                         f"blocking client")
        elif seconds == 0:
            needed = True
            notes.append(f"{where} may block forever: it needs the blocking client "
                         f"({origin} socket_timeout is {timeout:g} s)")
        elif seconds >= float(timeout):
            needed = True
            notes.append(f"{where} blocks up to {seconds:g} s, not less than {origin} "
                         f"socket_timeout of {timeout:g} s: it needs the blocking client")
        else:
            notes.append(f"{where} blocks up to {seconds:g} s, under {origin} socket_timeout "
                         f"of {timeout:g} s: get_redis() serves it")
    return needed


def _credentials_note(sites: list[LinkedSite]) -> list[str]:
    """For a repository that calls init_redis() nowhere: the call is the team's to write,
    and what the client connected with must not be lost on the way."""
    secret = next((found for o in sites for found in [credentials_in(o.url_key or "")]
                   if found), ())
    if not secret:
        return []
    return [f"it connects with a {' and a '.join(secret)} of its own: that init_redis() call "
            f"must give the shared client the same (clients={{\"default\": {{...}}}}), or "
            f"the shared client connects without"]


def classify(linked: list[LinkedSite], batches: list[Batch], config: Config,
             central_urls: set[str] | None = None,
             lifecycle: LifecycleFacts | None = None,
             wiring: WiringFacts | None = None,
             unreadable: UnreadableImporters | None = None) -> list[Site]:
    """Turn linked sites into inventory sites with purpose, batch, status and reason.
    `unreadable`: the files the analysis skipped, which may import a client it removes."""
    classifier = _Classifier(linked, batches, config, central_urls or set(), lifecycle, wiring,
                             unreadable)
    return [classifier.site(s) for s in linked]

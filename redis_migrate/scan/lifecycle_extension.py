"""What a batch adds to the team's lifecycle module when a rewrite needs more than it offers.

Each rewrite names the capability it needs (SPEC §6): the shared client, the blocking client, a
named client, the sync client. A blocking client can be added by a codemod that keeps the
module's style (`codemods/add_blocking_client.py`); the others, and a module whose shape is too
unusual to extend, leave the site `manual` with `lifecycle-lacks-<capability>` and the snippet
to add by hand.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

import libcst as cst
from libcst.codemod import CodemodContext, SkipFile

from redis_migrate.analysis.newer_syntax import compilable_text, parse_source
from redis_migrate.codemods.add_blocking_client import AddBlockingClient
from redis_migrate.scan.lifecycle_reader import LifecycleFacts, signature


@dataclass(frozen=True, slots=True)
class Extension:
    """The lifecycle module as a batch would leave it, and the line the PR body shows."""

    path: str
    before: bytes
    after: bytes
    summary: str


def blocking_extension(repo: Path, facts: LifecycleFacts) -> tuple[Extension | None, str]:
    """The module with a blocking client added, or None and why it cannot be added safely."""
    if facts.has("blocking-client"):
        return None, "it has one already"
    central = facts.central
    if central is None or not central.holders or facts.template:
        return None, "the reader found no name the central client is stored in"
    path = repo / facts.path
    before = path.read_bytes()
    try:
        tree = cst.parse_module(before)
        context = CodemodContext(filename=facts.path, full_module_name=facts.import_name)
        after = AddBlockingClient(context, central.holders).transform_module(tree).bytes
    except SkipFile as exc:
        return None, str(exc)
    except cst.ParserSyntaxError as exc:
        return None, f"does not parse: {exc.message}"
    try:
        compile(compilable_text(after), facts.path, "exec", dont_inherit=True)
    except SyntaxError as exc:  # pragma: no cover - a bug in the codemod
        return None, f"the extension does not compile ({exc})"
    if not _reads_as_blocking(after, facts):
        return None, "the extended module still offers no blocking client"  # pragma: no cover
    holders = ", ".join(f"{h}_blocking" if "." not in h else
                        f"{h.rpartition('.')[0]}.{h.rpartition('.')[2]}_blocking"
                        for h in central.holders)
    summary = (f"`{facts.path}`: a blocking client ({holders}) created beside the central one "
               f"without `socket_timeout`, closed in close_redis(); `get_redis(*, blocking="
               f"False)` keeps every existing call valid")
    return Extension(facts.path, before, after, summary), ""


def _reads_as_blocking(source: bytes, facts: LifecycleFacts) -> bool:
    """Whether the extended module's accessors now answer a blocking call (no I/O needed)."""
    tree = parse_source(source)
    accessors = {n.name: signature(n) for n in tree.body
                 if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))}
    return LifecycleFacts(facts.path, facts.import_name, accessors=accessors).has(
        "blocking-client")


def snippet(capability: str, facts: LifecycleFacts) -> str:
    """The code to add by hand to the lifecycle module for `capability` (one line per line)."""
    url = facts.central.url if facts.central is not None and facts.central.url else "URL"
    if capability == "blocking-client":
        return ("in init_redis(): `_blocking = Redis.from_url(" + url + ", <the same options>, "
                "socket_timeout=None)`; `def get_redis(*, blocking: bool = False)` returning it "
                "when blocking; close it in close_redis()")
    if capability == "named-client":
        return ("`def get_redis(name: str = \"default\")` returning the client NAME, created in "
                "init_redis() with the URL and options of [tool.migrate.clients.NAME] and "
                "closed in close_redis()")
    if capability == "sync-client":
        return ("`def get_sync_redis() -> redis.Redis`: a sync client with the central URL and "
                "options, created on first use and closed in close_redis() (the template in "
                "redis_migrate/templates/redis_client.py has one)")
    return f"an accessor for the {capability}"

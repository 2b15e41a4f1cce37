"""The `[tool.migrate.clients]` table `init` derives from the clients on other URLs.

A client whose URL is not the shared client's stays `manual` (`url-differs`) unless a named
client of `[tool.migrate.clients]` has its URL and options: then it moves onto
`get_redis("<name>")`, which works only where an `init_redis(clients=...)` call created that
name. When `init` creates the lifecycle module from the template, the batch that wires
`init_redis()` into the app's startup creates them (`redis_migrate.scan.named_clients`), so
`init` writes the table for the app's async module clients, whose URL the app already reads
as it loads. Otherwise (a module the team has, sync clients, test code, a URL only a method
reads) it only proposes it: creating them is then the team's change.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from pathlib import Path

import tomlkit

from redis_migrate.config import load_config
from redis_migrate.redis_api import URL_PARTS
from redis_migrate.rewrite.fileio import write_atomic
from redis_migrate.scan.discovery import is_test_path
from redis_migrate.scan.safety import HARMLESS_OPTIONS
from redis_migrate.scan.wiring import url_text


@dataclass(slots=True)
class NamedClientProposal:
    """One named client: its name, `url` and options as the config holds them, and whether
    every site on it is the app's async code (what a wired init_redis() can create)."""

    name: str
    spec: dict[str, object]
    wirable: bool
    code: str  # the URL as code init_redis() can take (`Redis(host=h)`: `f"redis://{h}:…"`)

    def describe(self) -> str:
        options = ", ".join(f"{k} = {v!r}" for k, v in self.spec.items() if k != "url")
        return f"{self.name}: {self.spec['url']}" + (f" ({options})" if options else "")


def client_proposals(repo: Path) -> list[NamedClientProposal]:
    """A named client per other URL the sites left `url-differs` use (SPEC §5), by name."""
    from redis_migrate.batch_catalog import load_batches
    from redis_migrate.scan.inventory import build_inventory

    inventory = build_inventory(repo, load_config(repo), load_batches(), allow_empty=True)
    found: dict[str, NamedClientProposal] = {}
    at_import: dict[str, bool] = {}
    for site in inventory.sites:
        linked = inventory.details.get((site.file, site.line, site.col, site.kind))
        if site.reason_code != "url-differs" or linked is None or not linked.url:
            continue
        # a URL parameter (`def initialize(cls, redis_url)`) is what its callers pass: the
        # name it resolves to, not the parameter's, which any other def may use
        url = linked.url_key if linked.url_parameter and linked.url_key else linked.url
        name = base = client_name(url)
        while name in found and found[name].spec["url"] != url:
            # `settings.CACHE_URL` and `os.getenv("CACHE_URL")`: two names
            name = f"{base}-{sum(n == base or n.startswith(base + '-') for n in found) + 1}"
        wirable = linked.library != "redis-sync" and not is_test_path(site.file)
        if name in found:
            found[name].wirable = found[name].wirable and wirable
            at_import[name] = at_import[name] or _read_at_start(site.scope, linked.at_start)
            continue
        sources = {k: v for k, v in linked.options if k not in URL_PARTS | HARMLESS_OPTIONS}
        options = {k: _toml_value(v) for k, v in sources.items()}
        # an option spelled as code (`db=settings.DB`) is no value the config can hold
        literal = all(_is_literal(v) for v in sources.values())
        found[name] = NamedClientProposal(name, {"url": url, **options},
                                          wirable and literal, url_text(linked) or url)
        at_import[name] = _read_at_start(site.scope, linked.at_start)
    wiring = inventory.wiring
    # a batch wires init_redis() into the app's startup: nothing else would create them
    wires = wiring is not None and (wiring.app_lifespan is not None
                                    or (wiring.needs_wiring and bool(wiring.anchors)))
    for name, proposal in found.items():
        # the wired init_redis() reads the URL as the app starts: only one the app already
        # reads as its modules load (a module client on it) or as it starts (a client made
        # by its startup hooks), not one a method reads lazily inside a `try` (which may
        # fail there and be caught)
        proposal.wirable = wires and proposal.wirable and at_import[name]
    return [found[name] for name in sorted(found)]


def _read_at_start(scope: str, at_start: bool) -> bool:
    """Whether the app reads a client's URL as it loads or starts: a module client, or one
    its startup hooks (or the defs they call) make."""
    return scope == "module" or at_start


def table_text(proposals: list[NamedClientProposal]) -> str:
    """The proposals as a `[tool.migrate.clients.NAME]` TOML document ("" for none)."""
    if not proposals:
        return ""
    document = tomlkit.document()
    tool = tomlkit.table(is_super_table=True)
    migrate = tomlkit.table(is_super_table=True)
    migrate.add("clients", _clients_table(proposals))
    tool.add("migrate", migrate)
    document.add("tool", tool)
    return tomlkit.dumps(document)


def write_clients(path: Path, proposals: list[NamedClientProposal]) -> None:
    """Add the proposals to the `[tool.migrate]` table of `path` as `clients`."""
    document = tomlkit.parse(path.read_text(encoding="utf-8"))
    # item assignment: a split `[tool.*]` table is an OutOfOrderTableProxy, with no .add()
    document["tool"]["migrate"]["clients"] = _clients_table(proposals)
    write_atomic(path, tomlkit.dumps(document).encode("utf-8"))


def _clients_table(proposals: list[NamedClientProposal]) -> tomlkit.items.Table:
    clients = tomlkit.table(is_super_table=True)
    for proposal in proposals:
        table = tomlkit.table()
        for key, value in proposal.spec.items():
            table.add(key, value)
        table.add(tomlkit.nl())  # a blank line before whatever table the file has next
        clients.add(proposal.name, table)
    return clients


def client_name(url_source: str) -> str:
    """A name for the client on the URL `url_source` spells: `settings.QUEUE_REDIS_URL` ->
    `queue`, `str(settings.LIMITER_URL)` -> `limiter`, `os.getenv("REDIS_CACHE_URL")` ->
    `cache`, `"redis://cache:6380/1"` -> `cache-6380-1`."""
    quoted = re.findall(r"""["']([^"']+)["']""", url_source)
    if quoted:  # an environment variable's name, or a literal URL or host
        last = quoted[0].split("@")[-1].removeprefix("redis://").removeprefix("rediss://")
    else:
        last = url_source.rstrip(")").rsplit(".", 1)[-1]
    last = last.lower()
    for suffix in ("_redis_url", "_url", "_redis"):
        last = last.removesuffix(suffix)
    last = last.removeprefix("redis_")
    return "".join(c if c.isalnum() else "-" for c in last).strip("-") or "other"


def _is_literal(source: str) -> bool:
    try:
        ast.literal_eval(source)
    except (ValueError, SyntaxError):
        return False
    return True


def _toml_value(source: str) -> object:
    """An option's literal value (`True`, `10`, `"utf-8"`), else its source text."""
    try:
        value = ast.literal_eval(source)
    except (ValueError, SyntaxError):
        return source
    return value if isinstance(value, (str, bool, int, float)) else source

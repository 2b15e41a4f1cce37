"""`migrate init`: write the `[tool.migrate]` table and create or validate the lifecycle module."""

from __future__ import annotations

import ast
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import tomlkit

from redis_migrate import gitrepo
from redis_migrate.analysis.facts import FileFacts
from redis_migrate.analysis.link import LinkedSite, ModuleIndex
from redis_migrate.analysis.newer_syntax import parse_source
from redis_migrate.analysis.source_text import decode_source
from redis_migrate.config import MIGRATE_TOML, PYPROJECT, Config, find_config_file, load_config
from redis_migrate.errors import UsageError
from redis_migrate.redact import mask_secrets
from redis_migrate.rewrite.client_table import (
    NamedClientProposal,
    client_proposals,
    table_text,
    write_clients,
)
from redis_migrate.rewrite.fileio import write_atomic
from redis_migrate.scan import lifecycle
from redis_migrate.scan.discovery import discover, module_name
from redis_migrate.scan.inventory import read_team_module
from redis_migrate.scan.named_clients import client_entry
from redis_migrate.scan.report import Inventory
from redis_migrate.scan.safety import sync_url_refusal
from redis_migrate.scan.sync_url import read_tail, render_tail, spell
from redis_migrate.scan.wiring import literal_code, most_used_url, spell_url, url_text


@dataclass(slots=True)
class InitResult:
    """What `init` did, for the CLI to report."""

    config_file: str
    config_written: bool
    lifecycle_module: str
    lifecycle_import: str
    lifecycle_created: bool
    problems: list[lifecycle.Problem] = field(default_factory=list)
    detected_from: str | None = None  # the existing module the lifecycle path was found in
    proposed_clients: str = ""  # a [tool.migrate.clients] table for sites with another URL
    read: list[str] = field(default_factory=list)  # what the reader found in the module
    unreadable: list[str] = field(default_factory=list)  # facts it could not read: exit 2
    derived: list[str] = field(default_factory=list)  # how a new module's client was chosen
    wiring: list[str] = field(default_factory=list)  # lines to add to the app's startup
    named_clients: list[str] = field(default_factory=list)  # written to [tool.migrate.clients]


def detect_lifecycle(repo: Path) -> str | None:
    """An existing module that defines init_redis, get_redis and close_redis, if there is one."""
    fileset = discover(repo, Config(lifecycle_module="-.py"))
    for path in sorted(fileset.grep(["init_redis"])):
        try:
            tree = parse_source(decode_source((repo / path).read_bytes()))
        except (SyntaxError, UnicodeDecodeError, ValueError, OSError):
            continue
        names = {n.name for n in tree.body if isinstance(n, (ast.FunctionDef,
                                                               ast.AsyncFunctionDef))}
        if set(lifecycle.REQUIRED_FUNCTIONS) <= names:
            return path
    return None


def run_init(repo: Path, lifecycle_module: str | None, lifecycle_import: str | None,
             config_target: str | None) -> InitResult:
    """Configure the target repository; never overwrites an existing table or module."""
    existing_file = find_config_file(repo)
    existing = load_config(repo)  # validates what is there: a typo stops us here (exit 2)
    has_table = existing.source is not None
    detected = None
    if lifecycle_module is None:
        if has_table:
            lifecycle_module = existing.lifecycle_module
        else:
            detected = detect_lifecycle(repo)
            lifecycle_module = detected or proposed_module_path(repo)
    if not lifecycle_module.endswith(".py"):
        raise UsageError(f"--lifecycle-module {lifecycle_module}: must be a .py file path")
    if lifecycle_import is None:
        if has_table and lifecycle_module == existing.lifecycle_module:
            lifecycle_import = existing.lifecycle_import
        else:
            lifecycle_import = import_name(repo, lifecycle_module)

    config_path = _config_path(repo, existing_file, config_target)
    module_path = repo / lifecycle_module
    # the app's clients choose the new module's settings (and, for a sync app, the policy)
    central = derive_central(repo, lifecycle_module, lifecycle_import) \
        if not module_path.exists() else None
    written = False
    if not has_table:
        _write_table(repo, config_path, lifecycle_module, lifecycle_import,
                     "sync-accessor" if central is not None and central.all_sync else "manual")
        written = True

    created = False
    derived: list[str] = []
    wiring: list[str] = []
    if central is not None:
        _create_module(repo, lifecycle_module, central)
        created = True
    proposals = client_proposals(repo)
    named: list[NamedClientProposal] = []
    if created and written:
        # the batch that wires init_redis() creates these (scan/named_clients.py); a table
        # the team wrote is theirs, and so is a module they have
        named = [p for p in proposals if p.wirable]
        if named:
            write_clients(config_path, named)
            proposals = [p for p in proposals if not p.wirable]
    if central is not None:
        derived = central.explain({p.code for p in [*named, *proposals]})
        wiring = wiring_lines(repo, lifecycle_import, central, named)
    problems = lifecycle.validate(repo, lifecycle_module)
    config = load_config(repo)
    facts = read_team_module(repo, config)
    read = facts.summary() if facts is not None else []
    unreadable = list(facts.problems) if facts is not None else []
    return InitResult(config_path.name, written, lifecycle_module, lifecycle_import, created,
                      problems, detected, table_text(proposals), read, unreadable, derived,
                      wiring, [p.describe() for p in named])


@dataclass(slots=True)
class DerivedCentral:
    """The central client a new lifecycle module gets, chosen from the app's own clients."""

    url: str | None = None
    url_votes: int = 0
    decode_responses: bool = False
    decode_votes: int = 0
    max_connections: int | None = None  # None: not set (redis-py's default)
    max_connections_votes: int = 0
    clients: int = 0
    sync_clients: int = 0
    others: list[str] = field(default_factory=list)  # URL expressions left as named clients
    # a sync app: what `configure_sync_redis()` is given in the module (scan/sync_url.py)
    sync_url: str | None = None
    sync_imports: list[tuple[str, str]] = field(default_factory=list)
    sync_origins: list[str] = field(default_factory=list)  # the clients that use it
    sync_gap: str = ""  # why the sync clients' URL could not be written, if it could not

    @property
    def all_sync(self) -> bool:
        """A sync app (Flask, Django, a sync worker): its clients can only move to the sync
        accessor, so that is the policy, not `manual` for every one of them."""
        return self.clients > 0 and self.sync_clients == self.clients

    def explain(self, named: set[str] | None = None) -> list[str]:
        """How the client was chosen; `named`: the other URLs written or proposed as named
        clients (a client on another URL left manual for another reason has none)."""
        if not self.clients:
            return ["no Redis client found: the template's defaults ($REDIS_URL, bytes replies)"]
        starts = "configure_sync_redis()" if self.all_sync else "init_redis()"
        # a sync app whose URL the module configures itself needs nothing at startup
        then = "" if self.sync_url is not None else f"; pass it to {starts} at startup"
        lines = [f"url: {self.url or '$REDIS_URL'} (used by {self.url_votes} of "
                 f"{self.clients} clients){then}",
                 f"decode_responses: {self.decode_responses} ({self.decode_votes} of "
                 f"{self.clients} clients)"]
        if self.max_connections is not None:
            lines.append(f"max_connections: {self.max_connections} ({self.max_connections_votes}"
                         f" of {self.clients} clients)")
        if self.all_sync:
            lines.append(f"sync-policy: sync-accessor (all {self.clients} clients are sync: "
                         f"they move to get_sync_redis(), which needs no startup call)")
        if self.sync_url is not None:
            lines.append(f"sync url: {mask_secrets(self.sync_url)} (used by "
                         f"{len(self.sync_origins)} of {self.sync_clients} sync clients): "
                         f"the module passes it to configure_sync_redis(), read on first use")
        elif self.sync_gap:
            lines.append(f"sync url: not written ({self.sync_gap})")
        lines += [f"other URL {url}: a named client (below)" for url in self.others
                  if named is None or url in named]
        return lines


def derive_central(repo: Path, lifecycle_module: str | None = None,
                   lifecycle_import: str | None = None) -> DerivedCentral:
    """The URL expression most clients use, and decode_responses as most of them set it;
    for a sync app, the URL its sync clients use, if the module can spell it."""
    from redis_migrate.batch_catalog import load_batches
    from redis_migrate.scan.inventory import build_inventory

    inventory = build_inventory(repo, load_config(repo), load_batches(), allow_empty=True)
    result = _derive_options(inventory)
    if result.all_sync and lifecycle_module is not None:
        _derive_sync_url(result, inventory, lifecycle_module,
                         lifecycle_import or module_name(lifecycle_module)[0])
    return result


def _instantiations(inventory: Inventory) -> list[LinkedSite]:
    """The analysis records of the app's clients and pools (test code left out)."""
    return [linked for site in inventory.sites
            if site.kind == "instantiation" and site.scope != "test"
            for linked in [inventory.details.get((site.file, site.line, site.col, site.kind))]
            if linked is not None]


def _derive_options(inventory: Inventory) -> DerivedCentral:
    urls: Counter[str] = Counter()
    decodes: Counter[bool] = Counter()
    decodes_by_url: dict[str, set[bool]] = {}
    limits: Counter[int | None] = Counter()
    # a client built on a pool (`Redis(connection_pool=pool)`, `Redis.from_pool(pool)`) has
    # the pool's URL and options
    pools = {client: pool for pool in inventory.details.values()
             if pool.family == "pool" for client in pool.clients_of_pool}
    clients = [linked for linked in _instantiations(inventory)
               if not (linked.family == "pool" and linked.clients_of_pool)]
    sync_clients = sum(linked.library == "redis-sync" for linked in clients)
    all_sync = sync_clients == len(clients)
    if not all_sync:
        # an async app: the central client is what its async clients become; its sync ones
        # stay as they are (sync-policy "manual") and do not vote
        clients = [linked for linked in clients if linked.library != "redis-sync"]
    for linked in clients:
        pool = pools.get(linked.atom or "")
        options = {**(dict(pool.options) if pool else {}), **dict(linked.options)}
        url = url_text(linked) or (url_text(pool) if pool else None)
        if url is not None:
            urls[url] += 1
        if linked.library == "aioredis1":
            decoded = "encoding" in options
        else:
            decoded = _toml_value(options.get("decode_responses", "False")) is True
        decodes[decoded] += 1
        decodes_by_url.setdefault(url or "", set()).add(decoded)
        limit = _toml_value(options.get("max_connections", "None"))
        # a limit that is not a literal cannot be written into the module: count it as unset
        limits[limit if isinstance(limit, int) and not isinstance(limit, bool) and limit > 0
               else None] += 1
    result = DerivedCentral(clients=sum(decodes.values()),
                            sync_clients=sync_clients if all_sync else 0)
    if urls:
        # most clients' URL; in a tie, one the app configures (`settings.REDIS_URL`) before a
        # literal, which is how scripts and examples beside the app spell theirs
        result.url = most_used_url(urls, {url: url for url in urls})
        result.url_votes = urls[result.url]
        result.others = sorted(u for u in urls if u != result.url)
    if decodes:
        # a tie: as the clients on the chosen URL all do, else redis-py's default (bytes), the
        # safer choice for the code that had it
        winners = decodes_by_url.get(result.url or "", set())
        tie_break = len(winners) == 1 and winners == {True}
        result.decode_responses = decodes[True] > decodes[False] or (
            decodes[True] == decodes[False] and tie_break)
        result.decode_votes = decodes[result.decode_responses]
    if limits:
        # most clients' limit; a tie keeps none, so no client that had no limit gets one
        (top, votes), *rest = limits.most_common()
        if top is not None and not (rest and rest[0][1] == votes):
            result.max_connections, result.max_connections_votes = top, votes
    return result


def _derive_sync_url(result: DerivedCentral, inventory: Inventory, path: str,
                     module: str) -> None:
    """The URL most sync clients use, spelled in the new module at `path` with the imports
    it needs, and checked by reading it back as the analysis will."""
    sites = [linked for linked in _instantiations(inventory) if linked.library == "redis-sync"
             and linked.url_key and "<locals>" not in linked.url_key]
    if not sites:
        return
    votes = Counter(s.url_key or "" for s in sites)
    by_key = {s.url_key: s for s in sites}
    # a client held in a module global, or a pool such a client is built on
    held = {linked.atom for linked in inventory.details.values() if linked.scope == "module"}
    long_lived = {s.url_key for s in sites if s.atom in held or held & set(s.clients_of_pool)}
    # most clients' URL; in a tie, $REDIS_URL, which get_sync_redis() reads unconfigured: a
    # module that configures nothing changes the least; then a module-level client's (the
    # app's own, not a one-off made inside a def)
    key, _ = max(votes.items(), key=lambda item: (
        item[1], sync_url_refusal(by_key[item[0]]) is None, item[0] in long_lived, item[0]))
    users = [s for s in sites if s.url_key == key]
    if sync_url_refusal(users[0]) is None:
        return  # they read $REDIS_URL, as get_sync_redis() does without being configured
    files = list(inventory.facts.values())
    index = ModuleIndex(f.module for f in files)
    stub = FileFacts(path=path, module=module)
    literals = {s.url_key: code for s in users if s.url_key
                for code in [literal_code(s.url_code)] if code is not None}
    spelled = spell(key, users[0].url_code, lambda part: spell_url(
        part, stub, files, index, lambda _: {}, literals))
    if spelled is None:
        result.sync_gap = f"{users[0].url} cannot be named from {path}"
        return
    code, imports = spelled
    origins = [f"{s.path}:{s.loc.line}" for s in users]
    read = read_tail(render_tail(code, imports, origins), path, *module_name(path))
    if read is None or key not in {index.canonical(k) for k in read.keys}:
        result.sync_gap = f"{code} does not read back as {users[0].url}"
        return
    result.sync_url, result.sync_imports, result.sync_origins = code, imports, origins



_IMPORTS_SRC = re.compile(rb"^\s*(?:from|import)\s+src\.", re.MULTILINE)


def import_name(repo: Path, relative: str) -> str:
    """How the app's code imports the module at `relative`. Under `src/`, without the
    `src.` when nothing imports `src.…` and either `src/` is a layout folder (no
    `src/__init__.py`) or the app imports the modules inside it as top-level names (`from
    settings import settings` for `src/settings.py`: it runs from inside `src/`)."""
    name = module_name(relative)[0]
    if not name.startswith("src."):
        return name
    files = discover(repo, Config()).files
    if not (repo / "src" / "__init__.py").exists():
        if any(_IMPORTS_SRC.search((repo / f).read_bytes()) for f in files):
            return name
        return name.removeprefix("src.")
    # the files that will import it are the app's, inside `src/` (an alembic `env.py` beside
    # it may import `src.models`, run from the root)
    texts = [(repo / f).read_bytes() for f in files if f.startswith("src/")]
    if any(_IMPORTS_SRC.search(text) for text in texts):
        return name
    inside = {p.stem for p in (repo / "src").iterdir()
              if p.stem != "__init__" and p.stem.isidentifier()
              and (p.suffix == ".py" or (p.is_dir() and any(p.glob("*.py"))))}
    imported = {m[1].decode() for text in texts for m in _ROOT_IMPORT.finditer(text)}
    # a name that is also at the root (`settings.py` beside `src/`) proves nothing
    own = {n for n in imported & inside
           if not (repo / f"{n}.py").exists() and not (repo / n).is_dir()}
    return name.removeprefix("src.") if own else name


def proposed_module_path(repo: Path) -> str:
    """`<the repository's own top-level package>/redis_client.py` (SPEC §5)."""
    candidates = []
    if (repo / "src" / "__init__.py").is_file():
        # `src` is the app's package itself (`from src.config import settings`), not a layout
        # folder: its subpackages (`src/auth`) are parts of the app
        return "src/redis_client.py"
    for root in (repo, repo / "src"):
        if not root.is_dir():
            continue
        for child in sorted(root.iterdir()):
            # a package, or a folder of modules (a namespace package)
            if child.is_dir() and child.name not in _NOT_THE_APP \
                    and not child.name.startswith((".", "_")) and child.name != "src" \
                    and child.name.isidentifier() and any(child.glob("*.py")):
                size = sum(1 for _ in child.rglob("*.py"))
                candidates.append((size, child.relative_to(repo).as_posix()))
    if not candidates or _root_script_imports(repo, {p for _, p in candidates}) >= 2:
        # a flat app (`main.py` beside `handlers/`, `database/`): its root is its package
        return "redis_client.py"
    if any(p == "backend" for _, p in candidates):
        return Config().lifecycle_module  # backend/services/redis_client.py (SPEC §5)
    return f"{max(candidates)[1]}/redis_client.py"


_ROOT_IMPORT = re.compile(rb"^\s*(?:from|import)\s+([A-Za-z_][A-Za-z0-9_]*)", re.MULTILINE)


def _root_script_imports(repo: Path, packages: set[str]) -> int:
    """How many of `packages` the Python files at the repository's root import (its entry
    points: `main.py`, `bot.py`; `setup.py` and `conftest.py` are not the app)."""
    imported: set[str] = set()
    for script in repo.glob("*.py"):
        if script.name in ("setup.py", "conftest.py", "noxfile.py"):
            continue
        try:
            text = script.read_bytes()
        except OSError:
            continue
        imported.update(m.decode() for m in _ROOT_IMPORT.findall(text))
    return len(imported & packages)


_NOT_THE_APP = frozenset({"tests", "test", "docs", "examples", "scripts", "migrations", "bench",
                          "venv", "site-packages", "node_modules", "build", "dist"})


def wiring_lines(repo: Path, import_name: str, central: DerivedCentral,
                 named: list[NamedClientProposal] | None = None) -> list[str]:
    """What the app's startup and shutdown must call; where, if the app object is found;
    with the `named` clients, which init_redis() creates beside the shared one."""
    url = central.url or ""
    if named and url:
        entries = ", ".join(f'"{p.name}": ' + client_entry(
            p.code, {k: v for k, v in p.spec.items() if k != "url"}) for p in named)
        url = f"{url}, clients={{{entries}}}"
    if central.all_sync and central.sync_url is not None:
        return ["a sync app: get_sync_redis() needs no startup call; the module configures it",
                f"with {mask_secrets(central.sync_url)}, the URL its sync clients used"]
    if central.all_sync:
        return ["a sync app: get_sync_redis() needs no startup call; it connects to $REDIS_URL",
                f"unless the app calls configure_sync_redis({url or 'url'}) from {import_name}",
                "at startup (a client with any other URL stays manual until it does)"]
    app_file = _app_file(repo)
    where = f" (the app is created in {app_file})" if app_file else ""
    return [f"wire it into the app's startup and shutdown{where}:",
            f"    from {import_name} import close_redis, init_redis",
            f"    await init_redis({url})    # at startup: FastAPI lifespan, aiohttp on_startup",
            "    await close_redis()    # at shutdown"]


def _app_file(repo: Path) -> str | None:
    fileset = discover(repo, Config(lifecycle_module="-.py"))
    for needle in ("FastAPI(", "web.Application(", "Starlette(", "Flask(", "Quart("):
        found = sorted(p for p in fileset.grep([needle]) if "test" not in p)
        if found:
            return found[0]
    return None


def _toml_value(source: str) -> object:
    """An option's literal value (`True`, `10`, `"utf-8"`), else its source text."""
    try:
        return ast.literal_eval(source)
    except (ValueError, SyntaxError):
        return source


def _config_path(repo: Path, existing: Path | None, target: str | None) -> Path:
    if target is not None:
        if target not in (PYPROJECT, MIGRATE_TOML):
            raise UsageError(f"--config {target}: must be {PYPROJECT} or {MIGRATE_TOML}")
        return repo / target
    if existing is not None:
        return existing
    return repo / (PYPROJECT if (repo / PYPROJECT).exists() else MIGRATE_TOML)


def _write_table(repo: Path, path: Path, module: str, import_name: str,
                 sync_policy: str = "manual") -> None:
    """Add `[tool.migrate]` to `path`, keeping everything else in the file as it was."""
    text = path.read_text(encoding="utf-8") if path.exists() else ""
    document = tomlkit.parse(text)
    table = tomlkit.table()
    table.add(tomlkit.comment("Written by `migrate init`; see the redis-migrate README."))
    table.add("lifecycle-module", module)
    table.add("lifecycle-import", import_name)
    table.add("include", ["**/*.py"])
    table.add("exclude", [])
    branch = gitrepo.current_branch(repo) if gitrepo.is_work_tree(repo) else None
    if branch:
        table.add("base-branch", branch)
    table.add("branch-prefix", "redis-migration/")
    table.add("remote", "origin")
    table.add("reviewers", [])
    table.add("sync-policy", sync_policy)
    table.add("include-tests", False)
    tool = document.get("tool")
    if tool is None:
        tool = tomlkit.table(is_super_table=True)
        document.add("tool", tool)
    # item assignment, not .add(): split `[tool.*]` tables come back as tomlkit's
    # OutOfOrderTableProxy, which has no .add()
    tool["migrate"] = table
    write_atomic(path, tomlkit.dumps(document).encode("utf-8"))


def _create_module(repo: Path, relative: str, central: DerivedCentral | None = None) -> None:
    """Create the lifecycle module from the template, and packages for new folders."""
    target = repo / relative
    missing = []
    folder = target.parent
    while folder != repo and not folder.exists():
        missing.append(folder)
        folder = folder.parent
    for new_folder in reversed(missing):
        new_folder.mkdir()
        write_atomic(new_folder / "__init__.py", b"")
    text = lifecycle.template_text()
    if central is not None and central.decode_responses:
        # the app's clients decode: so does the central one, or every one of them is refused
        text = text.replace('_env_bool("REDIS_DECODE_RESPONSES", False)',
                            '_env_bool("REDIS_DECODE_RESPONSES", True)')
    if central is not None and central.max_connections is not None:
        # the app's clients cap their pools: so does the central one, or each is refused
        text = text.replace('_env_int("REDIS_MAX_CONNECTIONS", 0)',
                            f'_env_int("REDIS_MAX_CONNECTIONS", {central.max_connections})')
    if central is not None and central.sync_url is not None:
        text += render_tail(central.sync_url, central.sync_imports, central.sync_origins)
    write_atomic(target, text.encode("utf-8"))

"""`migrate init`: write the `[tool.migrate]` table and create or validate the lifecycle module."""

from __future__ import annotations

import ast
from dataclasses import dataclass, field
from pathlib import Path

import tomlkit

from migrate import gitrepo, lifecycle
from migrate.analysis.source_text import decode_source
from migrate.config import MIGRATE_TOML, PYPROJECT, Config, find_config_file, load_config
from migrate.discovery import discover, module_name
from migrate.errors import UsageError
from migrate.fileio import write_atomic
from migrate.safety import HARMLESS_OPTIONS, URL_PARTS


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


def detect_lifecycle(repo: Path) -> str | None:
    """An existing module that defines init_redis, get_redis and close_redis, if there is one."""
    fileset = discover(repo, Config(lifecycle_module="-.py"))
    for path in sorted(fileset.grep(["init_redis"])):
        try:
            tree = ast.parse(decode_source((repo / path).read_bytes()))
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
            lifecycle_module = detected or Config().lifecycle_module
    if not lifecycle_module.endswith(".py"):
        raise UsageError(f"--lifecycle-module {lifecycle_module}: must be a .py file path")
    if lifecycle_import is None:
        if has_table and lifecycle_module == existing.lifecycle_module:
            lifecycle_import = existing.lifecycle_import
        else:
            lifecycle_import = module_name(lifecycle_module)[0]

    config_path = _config_path(repo, existing_file, config_target)
    written = False
    if not has_table:
        _write_table(repo, config_path, lifecycle_module, lifecycle_import)
        written = True

    created = False
    module_path = repo / lifecycle_module
    if not module_path.exists():
        _create_module(repo, lifecycle_module)
        created = True
    problems = lifecycle.validate(repo, lifecycle_module)
    return InitResult(config_path.name, written, lifecycle_module, lifecycle_import, created,
                      problems, detected, propose_clients(repo))


def propose_clients(repo: Path) -> str:
    """A `[tool.migrate.clients]` table for the sites left manual for another URL (SPEC §5).

    Only proposed, never written: each named client must also be created by
    `init_redis(clients=...)`, which is the team's decision.
    """
    from migrate.batch_catalog import load_batches
    from migrate.inventory import build_inventory

    inventory = build_inventory(repo, load_config(repo), load_batches())
    proposals: dict[str, dict[str, str]] = {}
    for site in inventory.sites:
        linked = inventory.details.get((site.file, site.line, site.col, site.kind))
        if site.reason_code != "url-differs" or linked is None or not linked.url:
            continue
        url = linked.url
        name = _client_name(url)
        options = {k: v for k, v in linked.options if k not in URL_PARTS | HARMLESS_OPTIONS}
        proposals.setdefault(name, {"url": url, **options})
    if not proposals:
        return ""
    document = tomlkit.document()
    tool = tomlkit.table(is_super_table=True)
    migrate = tomlkit.table(is_super_table=True)
    clients = tomlkit.table(is_super_table=True)
    for name, spec in sorted(proposals.items()):
        table = tomlkit.table()
        table.add("url", spec.pop("url"))
        for key, source in spec.items():
            table.add(key, _toml_value(source))
        clients.add(name, table)
    migrate.add("clients", clients)
    tool.add("migrate", migrate)
    document.add("tool", tool)
    return tomlkit.dumps(document)


def _client_name(url_source: str) -> str:
    """`settings.QUEUE_REDIS_URL` -> `queue`."""
    last = url_source.rsplit(".", 1)[-1].strip("\"'").lower()
    for suffix in ("_redis_url", "_url", "_redis"):
        last = last.removesuffix(suffix)
    return "".join(c if c.isalnum() else "-" for c in last).strip("-") or "other"


def _toml_value(source: str):  # type: ignore[no-untyped-def]
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


def _write_table(repo: Path, path: Path, module: str, import_name: str) -> None:
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
    table.add("sync-policy", "manual")
    tool = document.get("tool")
    if tool is None:
        tool = tomlkit.table(is_super_table=True)
        document.add("tool", tool)
    tool.add("migrate", table)
    write_atomic(path, tomlkit.dumps(document).encode("utf-8"))


def _create_module(repo: Path, relative: str) -> None:
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
    write_atomic(target, lifecycle.template_text().encode("utf-8"))

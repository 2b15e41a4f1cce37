"""The `[tool.migrate]` table: read from `pyproject.toml` or `migrate.toml`, validated strictly.

Every key is checked: an unknown key (a typo) or a value of the wrong type is a `ConfigError`
naming the file and the key, never silently ignored.
"""

from __future__ import annotations

import difflib
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from redis_migrate.errors import ConfigError

PYPROJECT = "pyproject.toml"
MIGRATE_TOML = "migrate.toml"
SYNC_POLICIES = ("manual", "sync-accessor")
# what `central = {...}` may state about the lifecycle module's client (redis-py option names)
CENTRAL_KEYS = ("url", "decode-responses", "encoding", "socket-timeout", "db", "ssl",
                "protocol", "single-connection-client")


# every Python file: what `include` is unless the configuration says otherwise
DEFAULT_INCLUDE: tuple[str, ...] = ("**/*.py",)


@dataclass(frozen=True, slots=True)
class Config:
    """The settings of one target repository (defaults when it has no `[tool.migrate]`)."""

    lifecycle_module: str = "backend/services/redis_client.py"
    lifecycle_import: str = "backend.services.redis_client"
    include: tuple[str, ...] = DEFAULT_INCLUDE
    exclude: tuple[str, ...] = ()
    base_branch: str | None = None
    branch_prefix: str = "redis-migration/"
    remote: str = "origin"
    reviewers: tuple[str, ...] = ()
    overrides: dict[str, str] = field(default_factory=dict)  # "path:line" -> batch name
    clients: dict[str, dict[str, Any]] = field(default_factory=dict)  # accessor -> options
    # what the lifecycle module's central client does, where the reader cannot tell statically
    central: dict[str, Any] = field(default_factory=dict)
    sync_policy: str = "manual"
    include_tests: bool = False  # test code (SPEC §3) joins the batches and the gate
    github_repo: str | None = None  # "owner/name"; default: read from the remote's URL
    github_api: str = "https://api.github.com"  # GitHub Enterprise: https://HOST/api/v3
    source: str | None = None  # the file the table was read from, if any


_STR = (str,)
_KEYS: dict[str, str] = {
    "lifecycle-module": "str",
    "lifecycle-import": "str",
    "include": "list[str]",
    "exclude": "list[str]",
    "base-branch": "str",
    "branch-prefix": "str",
    "remote": "str",
    "reviewers": "list[str]",
    "overrides": "table[str]",
    "clients": "table[table]",
    "sync-policy": "str",
    "include-tests": "bool",
    "github-repo": "str",
    "github-api": "str",
    "central": "table[scalar]",
}


def find_config_file(repo: Path) -> Path | None:
    """The file holding `[tool.migrate]` (`migrate.toml` wins over `pyproject.toml`)."""
    standalone = repo / MIGRATE_TOML
    if standalone.is_file():
        return standalone
    pyproject = repo / PYPROJECT
    if pyproject.is_file():
        return pyproject
    return None


def load_config(repo: Path) -> Config:
    """Read and validate the target's configuration; defaults when there is none."""
    path = find_config_file(repo)
    if path is None:
        return Config()
    try:
        document = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path.name}: not valid TOML: {exc}") from None
    if path.name == MIGRATE_TOML:
        table = document.get("tool", {}).get("migrate", document)
    else:
        table = document.get("tool", {}).get("migrate")
        if table is None:
            return Config()
    return parse_table(table, path.name)


def parse_table(table: Any, source: str) -> Config:
    """Validate a `[tool.migrate]` table (already parsed) and build the `Config`."""
    where = f"{source}: [tool.migrate]"
    if not isinstance(table, dict):
        raise ConfigError(f"{where} must be a table")
    values: dict[str, Any] = {}
    for key, value in table.items():
        kind = _KEYS.get(key)
        if kind is None:
            close = difflib.get_close_matches(key, list(_KEYS), n=1)
            hint = f" (did you mean '{close[0]}'?)" if close else ""
            raise ConfigError(f"{where}: unknown key '{key}'{hint}")
        values[key.replace("-", "_")] = _check(where, key, kind, value)
    if values.get("sync_policy", "manual") not in SYNC_POLICIES:
        raise ConfigError(f"{where}: 'sync-policy' must be one of {', '.join(SYNC_POLICIES)},"
                          f" not '{values['sync_policy']}'")
    module = values.get("lifecycle_module")
    if module is not None and not module.endswith(".py"):
        raise ConfigError(f"{where}: 'lifecycle-module' must be a path to a .py file, "
                          f"not '{module}'")
    for name, batch in values.get("overrides", {}).items():
        path, _, line = name.rpartition(":")
        if not path or not line.isdigit():
            raise ConfigError(f"{where}: 'overrides' key '{name}' must look like 'path.py:LINE'")
    for name, spec in values.get("clients", {}).items():
        if not isinstance(spec.get("url"), str):
            raise ConfigError(f"{where}: client '{name}' needs a 'url' (the URL expression its "
                              f"sites pass, e.g. \"settings.QUEUE_REDIS_URL\")")
    for key in values.get("central", {}):
        if key not in CENTRAL_KEYS:
            close = difflib.get_close_matches(key, list(CENTRAL_KEYS), n=1)
            hint = f" (did you mean '{close[0]}'?)" if close else ""
            raise ConfigError(f"{where}: unknown key 'central.{key}'{hint}")
    for name in ("include", "exclude", "reviewers"):
        if name in values:
            values[name] = tuple(values[name])
    return Config(**values, source=source)


def _check(where: str, key: str, kind: str, value: Any) -> Any:
    expected = {"str": "a string", "list[str]": "a list of strings",
                "table[str]": "a table of strings", "table[table]": "a table of tables",
                "table[scalar]": "a table of strings, booleans and numbers",
                "bool": "true or false"}[kind]
    ok = {
        "str": lambda v: isinstance(v, str) and v != "",
        "bool": lambda v: isinstance(v, bool),
        "list[str]": lambda v: isinstance(v, list) and all(isinstance(i, str) for i in v),
        "table[str]": lambda v: isinstance(v, dict) and all(isinstance(i, str)
                                                            for i in v.values()),
        "table[scalar]": lambda v: isinstance(v, dict) and all(
            isinstance(i, (str, bool, int, float)) for i in v.values()),
        "table[table]": lambda v: isinstance(v, dict) and all(isinstance(i, dict)
                                                              for i in v.values()),
    }[kind](value)
    if not ok:
        raise ConfigError(f"{where}: '{key}' must be {expected}, not {value!r}")
    return value


def validate_overrides(config: Config, batch_names: list[str]) -> None:
    """Every override names a batch that exists."""
    for site, batch in config.overrides.items():
        if batch not in batch_names:
            raise ConfigError(f"{config.source}: [tool.migrate] 'overrides' pins {site} to "
                              f"unknown batch '{batch}' (batches: {', '.join(batch_names)})")

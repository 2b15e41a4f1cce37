"""The batches, loaded from the data files in `batches/` and validated on every start."""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from redis_migrate.errors import ConfigError, UsageError
from redis_migrate.redis_api import PURPOSES

# Tests and teams with their own batch files point here; the packaged files are the default.
BATCHES_DIR_ENV = "MIGRATE_BATCHES_DIR"

_REQUIRED = {"name": str, "order": int, "title": str, "purposes": list, "checklist": list}
_OPTIONAL = {"description": str}


@dataclass(frozen=True, slots=True)
class Batch:
    """One batch of the migration: which purposes it takes and what its PR must check."""

    name: str
    order: int
    title: str
    purposes: tuple[str, ...]
    checklist: tuple[str, ...]
    description: str = ""


def find_batch(batches: list[Batch], name: str) -> Batch:
    """The batch called `name`; a UsageError listing the batches if there is none. The CLI
    resolves a batch once, here, and hands the `Batch` on."""
    batch = next((b for b in batches if b.name == name), None)
    if batch is None:
        raise UsageError(f"no batch named '{name}' (batches: "
                         f"{', '.join(b.name for b in batches)})")
    return batch


def _batch_files() -> list[tuple[str, str]]:
    override = os.environ.get(BATCHES_DIR_ENV)
    if override:
        folder = Path(override)
        if not folder.is_dir():
            raise ConfigError(f"{BATCHES_DIR_ENV}={override}: not a directory")
        return [(p.name, p.read_text(encoding="utf-8")) for p in sorted(folder.glob("*.toml"))]
    package = resources.files("redis_migrate.batches")
    return sorted((p.name, p.read_text(encoding="utf-8"))
                  for p in package.iterdir() if p.name.endswith(".toml"))


def load_batches() -> list[Batch]:
    """All batches, in order; a `ConfigError` naming the file and key if one is malformed."""
    batches: list[Batch] = []
    for filename, text in _batch_files():
        batches.append(_parse(filename, text))
    if not batches:
        raise ConfigError("no batch files found")
    _check_catalog(batches)
    return sorted(batches, key=lambda b: b.order)


def _parse(filename: str, text: str) -> Batch:
    where = f"batches/{filename}"
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{where}: not valid TOML: {exc}") from None
    for key in data:
        if key == "codemods":  # read by nothing: each site's rewrite picks its codemods
            raise ConfigError(f"{where}: 'codemods' is no longer a batch key (the codemods "
                              f"follow from the rewrite each site needs): remove it")
        if key not in _REQUIRED and key not in _OPTIONAL:
            raise ConfigError(f"{where}: unknown key '{key}'")
    for key, kind in _REQUIRED.items():
        if key not in data:
            raise ConfigError(f"{where}: missing key '{key}'")
    for key, kind in {**_REQUIRED, **_OPTIONAL}.items():
        if key in data and (not isinstance(data[key], kind) or isinstance(data[key], bool)):
            raise ConfigError(f"{where}: '{key}' must be {kind.__name__}")
    for key in ("purposes", "checklist"):
        if not all(isinstance(item, str) and item for item in data.get(key, [])):
            raise ConfigError(f"{where}: '{key}' must be a list of non-empty strings")
    for purpose in data["purposes"]:
        if purpose not in PURPOSES:
            raise ConfigError(f"{where}: 'purposes' has unknown purpose '{purpose}' "
                              f"(known: {', '.join(PURPOSES)})")
    if not data["checklist"]:
        raise ConfigError(f"{where}: 'checklist' must not be empty")
    stem = filename.removesuffix(".toml")
    if not stem.endswith(data["name"]):
        raise ConfigError(f"{where}: 'name' is '{data['name']}' but the file name says "
                          f"'{stem}'")
    return Batch(name=data["name"], order=data["order"], title=data["title"],
                 purposes=tuple(data["purposes"]), checklist=tuple(data["checklist"]),
                 description=data.get("description", ""))


def _check_catalog(batches: list[Batch]) -> None:
    seen_orders: dict[int, str] = {}
    seen_purposes: dict[str, str] = {}
    for batch in batches:
        if batch.order in seen_orders:
            raise ConfigError(f"batches/: 'order' {batch.order} used by both "
                              f"'{seen_orders[batch.order]}' and '{batch.name}'")
        seen_orders[batch.order] = batch.name
        for purpose in batch.purposes:
            if purpose in seen_purposes:
                raise ConfigError(f"batches/: purpose '{purpose}' taken by both "
                                  f"'{seen_purposes[purpose]}' and '{batch.name}'")
            seen_purposes[purpose] = batch.name


def batch_for_purpose(batches: list[Batch]) -> dict[str, str]:
    """Purpose -> the name of the batch that takes it."""
    return {purpose: batch.name for batch in batches for purpose in batch.purposes}

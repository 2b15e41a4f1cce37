"""The check for standard-library imports a rewrite left unused (`import os` that served only
the removed client's URL) reads the tree the import pass read, whose answer that pass worked
out already, not the tree it returned: that pass changes import statements only. The orphan
still goes, and the look-alikes stay (the fixture's `after/`)."""

from __future__ import annotations

import shutil
from pathlib import Path

import libcst as cst
import pytest

import redis_migrate.codemods._names as names
from redis_migrate.batch_catalog import load_batches
from redis_migrate.codemods.update_imports import DropOrphanedStdlibImports, UpdateRedisImports
from redis_migrate.config import load_config
from redis_migrate.rewrite.apply import run_batch
from redis_migrate.scan.lifecycle import template_text

CASE = (Path(__file__).resolve().parent / "fixtures" / "codemods" / "update_imports"
        / "stdlib_import_only_the_url_used_goes")


def _repo(tmp_path: Path) -> Path:
    repo = tmp_path / "repo"
    shutil.copytree(CASE / "before", repo)
    for name, text in {"backend/__init__.py": "", "backend/services/__init__.py": "",
                       "backend/services/redis_client.py": template_text()}.items():
        (repo / name).parent.mkdir(parents=True, exist_ok=True)
        (repo / name).write_text(text, encoding="utf-8")
    return repo


def test_orphans_are_found_on_the_tree_the_import_pass_read(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    repo = _repo(tmp_path)
    returned: list[cst.Module] = []  # held: their ids stay theirs
    spelled: list[cst.Module] = []
    orphan_passes: list[cst.Module] = []
    real_update = UpdateRedisImports.transform_module
    real_orphans = DropOrphanedStdlibImports.transform_module
    real_spelled = names._spelled

    def update(self: UpdateRedisImports, tree: cst.Module) -> cst.Module:
        returned.append(real_update(self, tree))
        return returned[-1]

    def orphans(self: DropOrphanedStdlibImports, tree: cst.Module) -> cst.Module:
        orphan_passes.append(tree)
        return real_orphans(self, tree)

    def spelling(module: cst.Module) -> names.Spelled:
        spelled.append(module)
        return real_spelled(module)

    monkeypatch.setattr(UpdateRedisImports, "transform_module", update)
    monkeypatch.setattr(DropOrphanedStdlibImports, "transform_module", orphans)
    monkeypatch.setattr(names, "_spelled", spelling)
    batches = load_batches()
    batch = next(b for b in batches if b.name == "write-caches")
    result = run_batch(repo, load_config(repo), batches, batch, force_order=True,
                       dry_run=True, jobs=1)
    assert result.ok, result.problems
    expected = {p.relative_to(CASE / "after").as_posix(): p.read_bytes()
                for p in (CASE / "after").rglob("*.py")
                if (CASE / "before" / p.relative_to(CASE / "after")).read_bytes()
                != p.read_bytes()}
    assert {c.path: c.after for c in result.changes} == expected
    assert returned and orphan_passes  # the import pass ran, and the orphans had work
    assert not {id(tree) for tree in returned} & {id(tree) for tree in spelled}

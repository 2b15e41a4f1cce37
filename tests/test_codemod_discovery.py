"""The batch engine finds the rewrite codemods by what they declare, not from a list.

Each rewrite codemod declares `SERVES` (the edit-plan fields it acts on, its place in the order)
and builds itself from the plan (`redis_migrate.codemods._contract`); the engine imports the
package's modules and runs, in order, those whose fields the plan sets
(`redis_migrate.rewrite.pipeline`). A module dropped into the package joins without an edit to
the engine.
"""

from __future__ import annotations

import ast
import dataclasses
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from cli_helpers import EXAMPLE_LIFECYCLE as LIFECYCLE_FILE
from cli_helpers import MAIN, MODULE_CLIENT, git_repo, migrate
from libcst.codemod import Codemod, CodemodContext

import redis_migrate.codemods as codemods_package
from redis_migrate.codemods._accessor import Accessor
from redis_migrate.rewrite.edit_plan import FilePlan
from redis_migrate.rewrite.pipeline import codemods_for, discover
from redis_migrate.scan.lifecycle import template_text

REPO = Path(__file__).resolve().parents[1]
LIFECYCLE = "backend.services.redis_client"
ACCESSOR = Accessor(LIFECYCLE)

# today's order, which the rewrites depend on: InlineFunctionClient first (it names calls by
# their position in the original file), references before the assignment is removed, the app's
# lifespan found by name after the rest, the imports last
ORDER = ["InlineFunctionClient", "ClientAttributeToProperty", "RewriteLazyGetter",
         "ReplaceClientReferences", "RemoveModuleClient", "FieldDefaultFactory",
         "RemoveCloseCalls", "WireClose",
         "ConvertAioredisCalls", "WireAppLifespan", "WireStartupHook", "UpdateRedisImports"]

# a non-empty value of every plan field a codemod serves
SAMPLES: dict[str, Any] = {
    "calls": {(5, 8): ACCESSOR},
    "attributes": {("app.Service", "redis"): ACCESSOR},
    "getters": {"get_client": ("_client", ACCESSOR)},
    "references": {"app.cache.client": ACCESSOR},
    "remove_names": {"client"},
    "field_defaults": {("Cacher", "redis")},
    "closes": {"shutdown": {"client"}},
    "released_globals": {"_client"},
    "lambda_closes": {None: {"client"}},
    "wire_close": {"shutdown": "shutdown"},
    "convert": "aioredis2",
    "wire_app": (False, "init_redis(settings.REDIS_URL)"),
    "wire_startup": ("app", "shutdown_event", "init_redis(settings.REDIS_URL)"),
}


def plan(**fields: Any) -> FilePlan:
    return FilePlan("app/cache.py", "app.cache", "app", **fields)


def names(codemods: list[Codemod]) -> list[str]:
    return [type(codemod).__name__ for codemod in codemods]


def picked(file_plan: FilePlan) -> list[str]:
    return names(codemods_for(CodemodContext(), file_plan, LIFECYCLE))


def declaring_classes() -> set[str]:
    """The classes of codemods/ whose body assigns SERVES, read from the source."""
    found = set()
    for path in (REPO / "codemods").glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ClassDef) and any(
                    isinstance(s, ast.Assign) and any(
                        isinstance(t, ast.Name) and t.id == "SERVES" for t in s.targets)
                    for s in node.body):
                found.add(node.name)
    return found


def test_every_class_that_declares_serves_is_found() -> None:
    assert {codemod.__name__ for codemod in discover()} == declaring_classes()


def test_the_order_is_the_declared_one_and_today_s() -> None:
    found = discover()
    orders = [codemod.SERVES.order for codemod in found]
    assert orders == sorted(orders) and len(set(orders)) == len(orders)
    assert [c.__name__ for c in found] == ORDER
    everything = plan(**SAMPLES)
    assert picked(everything) == ORDER


def test_every_kind_is_a_plan_field_and_picks_its_codemod() -> None:
    fields = {f.name for f in dataclasses.fields(FilePlan)}
    for codemod in discover():
        name = codemod.__name__
        assert set(codemod.SERVES.kinds) <= fields, name
        for kind in codemod.SERVES.kinds:
            assert kind in SAMPLES, f"{name} serves {kind}: add a sample value here"
            assert picked(plan(**{kind: SAMPLES[kind]})) == [name, "UpdateRedisImports"], kind


def test_a_plan_of_references_runs_exactly_their_codemod_and_the_imports() -> None:
    assert picked(plan(references=SAMPLES["references"])) == [
        "ReplaceClientReferences", "UpdateRedisImports"]


def test_an_empty_plan_runs_only_the_imports() -> None:
    assert picked(plan()) == ["UpdateRedisImports"]


def test_the_codemods_are_built_from_the_plan_and_the_run() -> None:
    aliases = (("close_redis", "lifecycle_close_redis"), ("init_redis", "lifecycle_init_redis"))
    built = {type(c).__name__: c for c in codemods_for(
        CodemodContext(), plan(**SAMPLES, aliases=aliases), LIFECYCLE)}
    assert built["WireClose"].close_name == "lifecycle_close_redis"
    assert built["RemoveCloseCalls"].close_name == "lifecycle_close_redis"
    lifespan: Any = built["WireAppLifespan"]
    assert lifespan.init_call == "lifecycle_init_redis(settings.REDIS_URL)"
    assert "fastapi.FastAPI" in lifespan.constructors
    convert: Any = built["ConvertAioredisCalls"]
    assert f"{LIFECYCLE}.get_redis" in convert.accessors
    imports: Any = built["UpdateRedisImports"]
    assert imports.lifecycle == LIFECYCLE


# --- a codemod dropped into the package --------------------------------------------------------

BANNER = "# reads the shared client"
DROPPED = f'''
from typing import Self

import libcst as cst
from libcst.codemod import CodemodContext, VisitorBasedCodemodCommand

from redis_migrate.codemods._contract import FileEdits, RunInputs, Serves


class AddBanner(VisitorBasedCodemodCommand):
    DESCRIPTION = "A file that reads a moved client -> a comment saying so."
    SERVES = Serves(kinds=("references",), order=45)

    @classmethod
    def from_plan(cls, context: CodemodContext, plan: FileEdits, run: RunInputs) -> Self:
        return cls(context)

    def leave_Module(self, original: cst.Module, updated: cst.Module) -> cst.Module:
        line = cst.EmptyLine(comment=cst.Comment("{BANNER}"))
        return updated.with_changes(header=[line, *updated.header])
'''


@pytest.fixture
def drop_in(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[[str], None]]:
    """Put a module `add_banner.py` into the codemods package (one more folder on its path), for
    one test."""
    folder = tmp_path / "more_codemods"
    folder.mkdir()
    monkeypatch.setattr(codemods_package, "__path__", [*codemods_package.__path__, str(folder)])

    def put(source: str) -> None:
        (folder / "add_banner.py").write_text(source, encoding="utf-8")
        discover.cache_clear()

    yield put
    discover.cache_clear()
    sys.modules.pop("redis_migrate.codemods.add_banner", None)


def test_a_codemod_dropped_into_the_package_is_found_and_run(
        tmp_path: Path, drop_in: Callable[[str], None]) -> None:
    drop_in(DROPPED)
    assert picked(plan(references=SAMPLES["references"])) == [
        "ReplaceClientReferences", "AddBanner", "UpdateRedisImports"]
    assert "AddBanner" not in picked(plan(calls=SAMPLES["calls"]))

    repo = git_repo(tmp_path / "target", {
        "backend/__init__.py": "",
        "backend/services/__init__.py": "",
        LIFECYCLE_FILE: template_text(),
        "backend/settings.py": "REDIS_URL = 'redis://localhost:6379/0'\n",
        "backend/main.py": MAIN,
        "backend/writes.py": MODULE_CLIENT,  # write-caches: a module-level client, used in
        "backend/user.py": "from backend.writes import client\n\n\n"
                           "async def touch(key: str) -> None:\n"
                           "    await client.set(key, '1')\n",
    })
    result = migrate("apply", "-C", repo, "--batch", "write-caches", "--no-git", "--dry-run")
    assert result.exit_code == 0, result.stdout + result.stderr
    diff = result.stdout.split("+++ b/backend/user.py")[1]
    assert f"+{BANNER}" in diff, result.stdout


@pytest.mark.parametrize(("declared", "why"), [
    ('kinds=("reference",), order=45', "not fields of FilePlan"),
    ('kinds=("references",), order=40', "both declare order 40"),
])
def test_discovery_refuses_an_unknown_kind_or_a_taken_order(
        drop_in: Callable[[str], None], declared: str, why: str) -> None:
    drop_in(DROPPED.replace('kinds=("references",), order=45', declared))
    with pytest.raises(TypeError, match=why):
        discover()


def test_without_it_the_engine_runs_the_package_as_shipped() -> None:
    # the modules dropped in above leave nothing behind
    assert "AddBanner" not in picked(plan(references=SAMPLES["references"]))

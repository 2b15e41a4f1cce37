"""`pip install .` gives a working `migrate`: build the wheel, install it in a fresh venv, run it."""

from __future__ import annotations

import json
import subprocess
import sys
import venv
from pathlib import Path

import pytest

from cli_helpers import REPO_ROOT, example_repo

EXPECTED = json.loads((Path(__file__).parent / "data" / "example_expected_sites.json")
                      .read_text(encoding="utf-8"))


def _run(*args: str | Path, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(a) for a in args], cwd=cwd, capture_output=True, text=True,
                          timeout=600)


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The `migrate` executable of a fresh virtual environment with only the wheel in it."""
    work = tmp_path_factory.mktemp("wheel")
    built = _run(sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "-w", work / "dist",
                 REPO_ROOT)
    assert built.returncode == 0, built.stderr
    wheels = list((work / "dist").glob("redis_migrate-*.whl"))
    assert len(wheels) == 1, wheels
    env_dir = work / "venv"
    venv.create(env_dir, with_pip=True)
    python = env_dir / "bin" / "python"
    install = _run(python, "-m", "pip", "install", "--quiet", wheels[0])
    assert install.returncode == 0, install.stderr
    return env_dir / "bin" / "migrate"


def test_wheel_contains_codemods_batches_and_template(installed: Path) -> None:
    python = installed.parent / "python"
    probe = _run(python, "-c",
                 "import importlib.resources as r, migrate.codemods._redis_api as api;"
                 "print(sorted(p.name for p in r.files('migrate.batches').iterdir()"
                 " if p.name.endswith('.toml')));"
                 "print(r.files('migrate.templates').joinpath('redis_client.py').is_file())",
                 cwd=installed.parent)
    assert probe.returncode == 0, probe.stderr
    batches, template = probe.stdout.splitlines()
    assert batches.count(".toml") == 6
    assert template == "True"


def test_installed_migrate_runs_help_and_inventory(installed: Path, tmp_path: Path) -> None:
    helped = _run(installed, "--help")
    assert helped.returncode == 0, helped.stderr
    for command in ("inventory", "plan", "check", "init"):
        assert command in helped.stdout
    repo = example_repo(tmp_path)
    # run from outside the source tree, so nothing can be imported from the checkout
    result = _run(installed, "inventory", "-C", repo, "--format", "json", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    sites = json.loads(result.stdout)["sites"]
    assert len(sites) == len(EXPECTED)
    located = {(s["file"], s["line"]) for s in sites}
    assert located == {(s["file"], s["line"]) for s in EXPECTED}

"""`pip install .` gives a working `migrate`: build the wheel, install it in a fresh venv, run it.

And the distribution itself: built with exactly the lowest setuptools that pyproject.toml declares,
its sdist and wheel hold the package, the `codemods`/`batches` data, the templates and the LICENSE,
and its metadata has the license, classifiers, URLs and `Requires-Python` that PyPI shows.
"""

from __future__ import annotations

import email.parser
import json
import re
import shutil
import subprocess
import sys
import tarfile
import tomllib
import venv
import zipfile
from email.message import Message
from pathlib import Path

import pytest
import trove_classifiers
from cli_helpers import REPO_ROOT, example_repo

PYPROJECT = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text(encoding="utf-8"))

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


@pytest.mark.slow
def test_wheel_contains_codemods_batches_and_template(installed: Path) -> None:
    python = installed.parent / "python"
    probe = _run(python, "-c",
                 "import importlib.resources as r, redis_migrate.codemods._common as api;"
                 "print(sorted(p.name for p in r.files('redis_migrate.batches').iterdir()"
                 " if p.name.endswith('.toml')));"
                 "print(r.files('redis_migrate.templates').joinpath('redis_client.py').is_file())",
                 cwd=installed.parent)
    assert probe.returncode == 0, probe.stderr
    batches, template = probe.stdout.splitlines()
    assert batches.count(".toml") == 6
    assert template == "True"


@pytest.mark.slow
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


def copy_work_tree(dest: Path) -> Path:
    """The project's files as its work tree holds them now: those git tracks and those it does not
    ignore (so uncommitted work is in), never .venv, build/ or caches. Also used by the pre-commit
    test, which makes a repository of them."""
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=REPO_ROOT, capture_output=True, check=True).stdout.decode("utf-8")
    for name in filter(None, listed.split("\0")):
        source = REPO_ROOT / name
        if source.is_file():  # a tracked file deleted in the work tree is not copied
            target = dest / name
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target)
    return dest


def minimum_setuptools() -> str:
    """X of the `setuptools>=X` that [build-system] requires."""
    specs = [r for r in PYPROJECT["build-system"]["requires"] if r.startswith("setuptools")]
    assert len(specs) == 1, specs
    found = re.fullmatch(r"setuptools\s*>=\s*([0-9][0-9.]*)", specs[0])
    assert found, f"{specs[0]!r} names no lowest version"
    return found.group(1)


@pytest.fixture(scope="module")
def dists(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """sdist and wheel built by `python -m build --no-isolation` in a fresh venv holding exactly
    the declared lowest setuptools; the wheel is built from the sdist, as pip builds it."""
    work = tmp_path_factory.mktemp("min-setuptools")
    source = copy_work_tree(work / "src")
    env_dir = work / "venv"
    venv.create(env_dir, with_pip=True)
    python = env_dir / "bin" / "python"
    lowest = minimum_setuptools()
    install = _run(python, "-m", "pip", "install", "--quiet", f"setuptools=={lowest}", "build")
    assert install.returncode == 0, install.stderr
    version = _run(python, "-c", "import setuptools; print(setuptools.__version__)")
    assert version.stdout.strip() == lowest, version
    # --no-isolation: the venv's setuptools builds it, and build checks that it meets requires
    built = _run(python, "-m", "build", "--no-isolation", "--outdir", work / "dist", source,
                 cwd=work)
    assert built.returncode == 0, built.stdout[-3000:] + built.stderr[-3000:]
    sdists = list((work / "dist").glob("redis_migrate-*.tar.gz"))
    wheels = list((work / "dist").glob("redis_migrate-*-py3-none-any.whl"))
    assert len(sdists) == 1 and len(wheels) == 1, list((work / "dist").iterdir())
    return {"sdist": sdists[0], "wheel": wheels[0]}


def _metadata(text: str) -> Message:
    return email.parser.Parser().parsestr(text)


@pytest.mark.slow
def test_the_lowest_declared_setuptools_builds_a_complete_wheel(dists: dict[str, Path]) -> None:
    with zipfile.ZipFile(dists["wheel"]) as wheel:
        names = set(wheel.namelist())
        dist_info = next(n.split("/")[0] for n in names if n.endswith(".dist-info/METADATA"))
        license_text = wheel.read(f"{dist_info}/licenses/LICENSE").decode("utf-8")
    for module in ("redis_migrate/__init__.py", "redis_migrate/cli.py",
                   "redis_migrate/analysis/extract.py", "redis_migrate/redis_api.py",
                   "redis_migrate/codemods/remove_close_calls.py",
                   "redis_migrate/templates/redis_client.py",
                   "redis_migrate/templates/redis_compat.py",
                   "redis_migrate/analysis/consumers.toml"):
        assert module in names, module
    batches = sorted(p.name for p in (REPO_ROOT / "batches").glob("*.toml"))
    assert len(batches) == 6
    assert {f"redis_migrate/batches/{b}" for b in batches} <= names
    # the folders are installed inside the package, never as top-level names
    assert not {n for n in names if n.split("/")[0] in ("codemods", "batches", "tests")}
    assert license_text == (REPO_ROOT / "LICENSE").read_text(encoding="utf-8")


@pytest.mark.slow
def test_the_sdist_holds_what_the_wheel_is_built_from(dists: dict[str, Path]) -> None:
    with tarfile.open(dists["sdist"]) as sdist:
        names = {n.split("/", 1)[1] for n in sdist.getnames() if "/" in n}
        top = sdist.getnames()[0].split("/")[0]
        pkg_info = sdist.extractfile(f"{top}/PKG-INFO").read().decode("utf-8")
    assert {"LICENSE", "README.md", "pyproject.toml", "redis_migrate/redis_api.py",
            "codemods/_common.py", "batches/01-health.toml",
            "redis_migrate/templates/redis_client.py"} <= names
    assert _metadata(pkg_info)["License-Expression"] == "MIT"


def test_license_file_and_metadata_agree() -> None:
    project = PYPROJECT["project"]
    assert project["license"] == "MIT"
    assert project["license-files"] == ["LICENSE"]
    text = (REPO_ROOT / "LICENSE").read_text(encoding="utf-8")
    assert text.splitlines()[0] == "MIT License"
    assert re.search(r"^Copyright \(c\) \d{4} \S", text, re.MULTILINE)
    flat = " ".join(text.split())
    assert ("Permission is hereby granted, free of charge, to any person obtaining a copy of this "
            "software and associated documentation files (the \"Software\"), to deal in the "
            "Software without restriction") in flat
    assert 'THE SOFTWARE IS PROVIDED "AS IS", WITHOUT WARRANTY OF ANY KIND' in flat


@pytest.mark.slow
def test_wheel_metadata_license_classifiers_urls_and_python(dists: dict[str, Path]) -> None:
    with zipfile.ZipFile(dists["wheel"]) as wheel:
        path = next(n for n in wheel.namelist() if n.endswith(".dist-info/METADATA"))
        meta = _metadata(wheel.read(path).decode("utf-8"))
    assert meta["Name"] == "redis-migrate"
    assert meta["License-Expression"] == "MIT"
    assert meta.get_all("License-File") == ["LICENSE"]
    assert meta["Requires-Python"] == ">=3.11"
    classifiers = meta.get_all("Classifier")
    unknown = [c for c in classifiers if c not in trove_classifiers.classifiers]
    assert not unknown, f"not trove classifiers (PyPI refuses the upload): {unknown}"
    for wanted in ("Environment :: Console", "Intended Audience :: Developers",
                   "Programming Language :: Python :: 3 :: Only",
                   "Topic :: Software Development :: Code Generators",
                   "Topic :: Software Development :: Quality Assurance"):
        assert wanted in classifiers, wanted
    assert sum(c.startswith("Development Status :: ") for c in classifiers) == 1
    # PEP 639: the license expression replaces License :: classifiers (setuptools refuses both)
    assert not [c for c in classifiers if c.startswith("License ::")]
    # the Python versions named are exactly the supported minor versions, from requires-python on
    minors = sorted(int(c.rsplit(".", 1)[1]) for c in classifiers
                    if re.fullmatch(r"Programming Language :: Python :: 3\.\d+", c))
    assert minors and minors[0] == 11 and minors == list(range(11, minors[-1] + 1)), minors
    urls = dict(u.split(", ", 1) for u in meta.get_all("Project-URL"))
    assert set(urls) >= {"Homepage", "Source", "Issues"}
    assert all(u.startswith("https://") for u in urls.values())
    assert urls["Issues"].startswith(urls["Source"].rstrip("/") + "/")
    # what the tests need, and ripgrep for `make bench` (the reference search of issue 10)
    assert meta.get_all("Provides-Extra") == ["test", "bench"]

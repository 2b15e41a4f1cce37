"""Which files a run looks at does not depend on whether git's index happens to hold them.

Each case was a silent zero before: a folder the enclosing repository ignores (a vendored copy)
gave "0 of 0 Python files" and exit 0, so `check` called phase 2 complete; inside git, a file
with a NUL byte and a symbolic link vanished, though a walk outside git reports both.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest
from cli_helpers import git, git_repo, migrate

CLIENT = ('import redis.asyncio as redis\n\nclient = redis.from_url("redis://localhost")\n\n\n'
          'async def read(key):\n    return await client.get(key)\n')


def _report(target: Path) -> tuple[int, dict]:
    run = migrate("inventory", "-C", target, "--format", "json")
    assert run.exit_code in (0, 1), run.stdout + run.stderr
    return run.exit_code, json.loads(run.stdout)


def _sites(report: dict) -> list[tuple[str, str]]:
    return sorted((s["file"], s["kind"]) for s in report["sites"])


def _skipped(report: dict) -> dict[str, str]:
    return {s["file"]: s["reason"] for s in report["skipped"]}


def test_a_folder_the_enclosing_repository_ignores_is_walked(tmp_path: Path) -> None:
    outer = git_repo(tmp_path / "outer", {".gitignore": "vendor/\n", "app.py": "x = 1\n"})
    vendored = outer / "vendor" / "svc"
    vendored.mkdir(parents=True)
    (vendored / "cache.py").write_text(CLIENT)
    (vendored / "build").mkdir()
    (vendored / ".gitignore").write_text("build/\n")
    (vendored / "build" / "cache.py").write_text(CLIENT)  # its own .gitignore still counts
    alone = tmp_path / "alone"
    shutil.copytree(vendored, alone)
    _, inside = _report(vendored)
    _, outside = _report(alone)
    assert _sites(inside) == _sites(outside) == [("cache.py", "instantiation")]
    assert inside["summary"]["files_total"] == 1


def test_a_checkout_inside_another_checkout_is_read_with_its_own_git(tmp_path: Path) -> None:
    outer = git_repo(tmp_path / "outer", {".gitignore": "inner/\n", "app.py": "x = 1\n"})
    inner = git_repo(outer / "inner", {"cache.py": CLIENT})
    _, report = _report(inner)
    assert _sites(report) == [("cache.py", "instantiation")]


def test_a_file_git_takes_for_binary_is_reported_as_outside_git(tmp_path: Path) -> None:
    files = {"cache.py": CLIENT, "blob.py": b"import redis\x00\nclient = redis.Redis()\n"}
    repo = git_repo(tmp_path / "repo", files)
    plain = tmp_path / "plain"
    shutil.copytree(repo, plain, ignore=shutil.ignore_patterns(".git"))
    in_git, outside = _report(repo)[1], _report(plain)[1]
    assert "blob.py" in _skipped(outside)
    assert _skipped(in_git) == _skipped(outside)
    assert "null bytes" in _skipped(in_git)["blob.py"]


@pytest.mark.parametrize("tracked", [True, False])
def test_a_symbolic_link_is_reported_as_outside_git(tmp_path: Path, tracked: bool) -> None:
    repo = git_repo(tmp_path / "repo", {"real/cache.py": CLIENT})
    os.symlink("real/cache.py", repo / "linked.py")
    if tracked:
        git(repo, "add", "-A")
        git(repo, "commit", "-qm", "link")
    plain = tmp_path / "plain"
    shutil.copytree(repo, plain, symlinks=True, ignore=shutil.ignore_patterns(".git"))
    code, in_git = _report(repo)
    outside = _report(plain)[1]
    assert "symbolic link" in _skipped(in_git).get("linked.py", ""), in_git["skipped"]
    assert _skipped(in_git) == _skipped(outside)
    assert code == 1  # something was left out: not a clean run
    # the target is still read where it lives, once
    assert _sites(in_git) == [("real/cache.py", "instantiation")]


@pytest.mark.parametrize("command", ["inventory", "check", "plan"])
@pytest.mark.parametrize("in_git", [True, False])
def test_a_run_that_finds_no_python_file_says_so_and_exits_2(
        tmp_path: Path, command: str, in_git: bool) -> None:
    files = {"README.md": "# docs\n", ".venv/lib/site.py": CLIENT}
    target = git_repo(tmp_path / "docs", files) if in_git else tmp_path / "docs"
    if not in_git:
        for name, text in files.items():
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            (target / name).write_text(text)
    run = migrate(command, "-C", target)
    assert run.exit_code == 2, run.stdout + run.stderr
    assert "no Python file to analyse" in run.stderr
    assert run.stderr.count("\n") == 1  # one line
    if in_git:  # what was left out, and why
        assert "1 in environment or dependency folders" in run.stderr


def test_the_lifecycle_module_alone_is_not_an_empty_run(tmp_path: Path) -> None:
    repo = git_repo(tmp_path / "repo", {"app/redis_client.py": "x = 1\n", "pyproject.toml":
                                        '[tool.migrate]\nlifecycle-module = '
                                        '"app/redis_client.py"\n'})
    run = migrate("inventory", "-C", repo)
    assert run.exit_code == 0, run.stdout + run.stderr


def test_what_was_left_out_is_counted_by_why(tmp_path: Path) -> None:
    repo = git_repo(tmp_path / "repo", {
        "cache.py": CLIENT, ".venv/lib/site.py": CLIENT, "scripts/one_off.py": CLIENT,
        "pyproject.toml": '[tool.migrate]\nexclude = ["scripts/"]\n'})
    _, report = _report(repo)
    assert _sites(report) == [("cache.py", "instantiation")]
    left = report["summary"]["left_out"]
    assert left == {"in environment or dependency folders (.git, .mypy_cache, .nox, "
                    ".pytest_cache, .tox, .venv, __pycache__, node_modules, site-packages)": 1,
                    "matched by [tool.migrate] exclude": 1}, left


def test_a_copy_of_the_client_library_is_left_out_with_its_reason(tmp_path: Path) -> None:
    # the installed redis-py, copied as a vendored package: its own clients (the cluster's
    # nodes, the sentinel's pools) are how the library works, not sites of the target
    import redis as redis_py

    repo = tmp_path / "repo"
    shutil.copytree(Path(redis_py.__file__).parent, repo / "vendor" / "redis",
                    ignore=shutil.ignore_patterns("__pycache__"))
    vendored = sum(1 for _ in (repo / "vendor" / "redis").rglob("*.py"))
    git_repo(repo, {"cache.py": CLIENT})
    _, report = _report(repo)
    assert _sites(report) == [("cache.py", "instantiation")]
    assert report["summary"]["left_out"] == {
        "in a copy of the Redis client library itself (redis-py or aioredis)": vendored}


def test_an_apps_own_redis_package_is_not_the_library(tmp_path: Path) -> None:
    # the app's wrapper package is named `redis` and has the library's file names, but not
    # its classes: its client is a site
    repo = git_repo(tmp_path / "repo", {
        "app/__init__.py": "", "app/redis/__init__.py": "",
        "app/redis/client.py": CLIENT, "app/redis/connection.py": "POOL_SIZE = 10\n",
        "app/redis/exceptions.py": "class CacheError(Exception):\n    pass\n"})
    _, report = _report(repo)
    assert _sites(report) == [("app/redis/client.py", "instantiation")]
    assert report["summary"]["left_out"] == {}

"""The `redis-migrate-check` hook of .pre-commit-hooks.yaml, run by the real pre-commit.

SLOW (about a minute, once per session): pre-commit clones this project, builds a virtualenv and
pip-installs the project and its dependencies into it from PyPI, as it does for a user. The hook
repository is a git repository made of the current work tree (committed there, so uncommitted work
is what is tested); the target repositories are small git repositories that list it in their
.pre-commit-config.yaml by path and commit, as a user lists the published repository by URL and tag.
PRE_COMMIT_HOME is a temporary folder shared by the session, so the virtualenv is built once.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml
from cli_helpers import REPO_ROOT, git, git_repo
from test_packaging import PYPROJECT, copy_work_tree

from redis_migrate.scan.lifecycle import template_text

HOOK_ID = "redis-migrate-check"
LIFECYCLE = "backend/services/redis_client.py"
MIGRATED = {
    LIFECYCLE: template_text(),
    "backend/__init__.py": "",
    "backend/services/__init__.py": "",
    "backend/api.py": "from backend.services.redis_client import get_redis\n\n"
                      "async def view(key: str):\n    return await get_redis().get(key)\n",
}
# a client made at import time outside the lifecycle module: `migrate check` fails on it
SCATTERED = {**MIGRATED, "backend/cache.py": "import redis\n\n"
                                             "cache = redis.Redis.from_url('redis://cache:6379/0')\n"}


def test_the_manifest_is_valid_and_runs_migrate_check() -> None:
    manifest = REPO_ROOT / ".pre-commit-hooks.yaml"
    valid = subprocess.run([sys.executable, "-m", "pre_commit", "validate-manifest", manifest],
                           capture_output=True, text=True, timeout=120)
    assert valid.returncode == 0, valid.stdout + valid.stderr
    hooks = {h["id"]: h for h in yaml.safe_load(manifest.read_text(encoding="utf-8"))}
    hook = hooks[HOOK_ID]
    command, *args = hook["entry"].split()
    assert (command, args) == ("migrate", ["check"])
    assert command in PYPROJECT["project"]["scripts"]
    assert hook["language"] == "python"
    # check analyses the whole repository: file names would be taken for arguments it refuses
    assert hook["pass_filenames"] is False


@pytest.fixture(scope="session")
def hook_repo(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """(path, commit) of a git repository holding this project's current work tree."""
    path = copy_work_tree(tmp_path_factory.mktemp("hook-repo") / "redis-migrate")
    git(path, "init", "-q", "-b", "main")
    git(path, "add", "-A")
    git(path, "commit", "-q", "-m", "redis-migrate work tree")
    return path, git(path, "rev-parse", "HEAD").strip()


@pytest.fixture(scope="session")
def pre_commit_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("pre-commit-home")


def _target(path: Path, files: dict[str, str], hook_repo: tuple[Path, str]) -> Path:
    repo, rev = hook_repo
    config = (f"repos:\n  - repo: {repo}\n    rev: {rev}\n    hooks:\n      - id: {HOOK_ID}\n")
    return git_repo(path, {".pre-commit-config.yaml": config, **files})


def _pre_commit(target: Path, home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items()
           if k not in ("VIRTUAL_ENV", "PYTHONPATH", "GIT_DIR", "GIT_INDEX_FILE", "GIT_WORK_TREE")}
    env.update(PRE_COMMIT_HOME=str(home), PRE_COMMIT_COLOR="never", NO_COLOR="1")
    return subprocess.run([sys.executable, "-m", "pre_commit", "run", "--color", "never", *args],
                          cwd=target, env=env, capture_output=True, text=True, timeout=1200)


HookRun = Callable[[str, dict[str, str], int, str], str]


@pytest.fixture
def hook_on_all_files(tmp_path: Path, hook_repo: tuple[Path, str],
                      pre_commit_home: Path) -> HookRun:
    """Runs the hook on every file of a new target `tmp_path / name` holding `files`, asserts
    its exit `code` and that redis-migrate check reported `verdict`; gives its output."""
    def run(name: str, files: dict[str, str], code: int, verdict: str) -> str:
        done = _pre_commit(_target(tmp_path / name, files, hook_repo), pre_commit_home,
                           HOOK_ID, "--all-files")
        out = done.stdout + done.stderr
        assert done.returncode == code, out
        assert "redis-migrate check" in out and verdict in out
        return out
    return run


@pytest.mark.slow
def test_the_hook_fails_on_a_client_outside_the_lifecycle_module(
        hook_on_all_files: HookRun) -> None:
    out = hook_on_all_files("scattered", SCATTERED, 1, "Failed")
    assert f"- hook id: {HOOK_ID}" in out and "- exit code: 1" in out
    assert ("backend/cache.py:3:9: Redis client created at import time (redis.Redis.from_url)"
            in out), out
    assert "1 finding(s): phase 2 is not complete" in out


@pytest.mark.slow
def test_the_hook_passes_on_a_migrated_repository(
        hook_on_all_files: HookRun) -> None:
    out = hook_on_all_files("migrated", MIGRATED, 0, "Passed")
    assert "Failed" not in out


@pytest.mark.slow
def test_on_commit_the_hook_runs_for_python_and_toml_changes_only(
        tmp_path: Path, hook_repo: tuple[Path, str], pre_commit_home: Path) -> None:
    """As a git hook, pre-commit looks at the staged files: a README change skips the check; a
    `[tool.migrate]` change or any Python change runs it, on the whole repository."""
    target = _target(tmp_path / "staged", MIGRATED, hook_repo)
    (target / "README.md").write_text("notes\n", encoding="utf-8")
    git(target, "add", "README.md")
    skipped = _pre_commit(target, pre_commit_home, HOOK_ID)
    assert skipped.returncode == 0, skipped.stdout + skipped.stderr
    assert "(no files to check)Skipped" in skipped.stdout
    git(target, "commit", "-q", "-m", "readme")

    config = target / "pyproject.toml"
    config.write_text('[tool.migrate]\nlifecycle-module = "backend/services/missing.py"\n',
                      encoding="utf-8")
    git(target, "add", "pyproject.toml")
    ran = _pre_commit(target, pre_commit_home, HOOK_ID)
    assert ran.returncode == 1, ran.stdout + ran.stderr
    assert "lifecycle module is missing" in ran.stdout
    git(target, "reset", "-q")
    config.unlink()

    # a client committed earlier, in a file this commit does not touch, still fails the commit
    (target / "backend/cache.py").write_text(SCATTERED["backend/cache.py"], encoding="utf-8")
    git(target, "add", "backend/cache.py")
    git(target, "commit", "-q", "-m", "a scattered client")
    with (target / "backend/api.py").open("a", encoding="utf-8") as api:
        api.write("# reviewed\n")
    git(target, "add", "backend/api.py")
    ran = _pre_commit(target, pre_commit_home, HOOK_ID)
    assert ran.returncode == 1, ran.stdout + ran.stderr
    assert "backend/cache.py:3:9: Redis client created at import time" in ran.stdout

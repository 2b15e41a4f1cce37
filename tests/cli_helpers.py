"""Running the real CLI in tests, and making small target repositories."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import textwrap
import time
from dataclasses import dataclass
from pathlib import Path

import pytest
from typer.testing import CliRunner

from redis_migrate.cli import app
from redis_migrate.scan.lifecycle import template_text

REPO_ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = REPO_ROOT / "examples" / "legacy_backend"
TESTKIT = REPO_ROOT / "examples" / "_testkit"  # the examples' shared test helpers


@dataclass
class Run:
    exit_code: int
    stdout: str
    stderr: str


def migrate(*args: str | Path, env: dict[str, str] | None = None) -> Run:
    """Run `migrate ARGS…` in-process through Typer's runner; stdout and stderr apart."""
    result = CliRunner().invoke(app, [str(a) for a in args], env=env, catch_exceptions=False)
    return Run(result.exit_code, result.stdout, result.stderr)


def run_python(repo: Path, *args: str, env: dict[str, str], timeout: int = 120) -> str:
    """Run `python ARGS…` in `repo` with `env` added to this environment; fail the test on a
    non-zero exit, else return its stdout, stripped."""
    run = subprocess.run([sys.executable, *args], cwd=repo, capture_output=True, text=True,
                         timeout=timeout, env={**os.environ, **env})
    assert run.returncode == 0, run.stdout + run.stderr
    return run.stdout.strip()


def host_and_port(redis_url: str) -> tuple[str, str]:
    """The host and port of a `redis://host:port/db` URL, as strings."""
    host, port = redis_url.split("//")[1].split("/")[0].split(":")
    return host, port


def wait_for(proc: subprocess.Popen[str], marker: Path, failure: str) -> None:
    """Wait (up to 3 minutes) until `marker` exists; if `proc` ends first, or the time runs out,
    kill it and fail the test with `failure`, its exit code and its output."""
    deadline = time.monotonic() + 180
    while not marker.exists():
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            stdout, stderr = proc.communicate()
            pytest.fail(f"{failure}: {proc.returncode}\n{stdout}\n{stderr}")
        time.sleep(0.02)


def git(repo: Path, *args: str) -> str:
    """Run git in `repo` with a fixed identity; return its stdout."""
    return subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@example.invalid", *args],
        cwd=repo, check=True, capture_output=True, text=True).stdout


# every batch, in the order a migration applies them
BATCHES = ["health", "read-caches", "write-caches", "pipelines", "pubsub-streams-queues",
           "locks-rate-limits"]


def init_and_apply_every_batch(repo: Path) -> None:
    """`migrate init` (committed), then `apply --no-git` of every batch in order; each must
    exit 0."""
    assert migrate("init", "-C", repo).exit_code == 0
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "init")
    for batch in BATCHES:
        run = migrate("apply", "-C", repo, "--batch", batch, "--no-git")
        assert run.exit_code == 0, run.stdout + run.stderr


def init_committed(repo: Path) -> str:
    """`migrate init` (it must exit 0), committed; its stdout."""
    run = migrate("init", "-C", repo)
    assert run.exit_code == 0, run.stdout + run.stderr
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "init")
    return run.stdout


def dedented_repo(path: Path, files: dict[str, str]) -> Path:
    """`git_repo` of `files` written as indented triple-quoted text (dedented, stripped)."""
    return git_repo(path, {name: textwrap.dedent(text).lstrip() for name, text in files.items()})


def git_repo(path: Path, files: dict[str, str | bytes] | None = None, commit: bool = True) -> Path:
    """A fresh git repository at `path` holding `files` (committed unless `commit` is false)."""
    path.mkdir(parents=True, exist_ok=True)
    git(path, "init", "-q", "-b", "main")
    write(path, files or {})
    if commit and files:
        git(path, "add", "-A")
        git(path, "commit", "-q", "-m", "initial")
    return path


def write(root: Path, files: dict[str, str | bytes]) -> None:
    """Write each file (text as UTF-8 exactly as given, bytes as they are)."""
    for name, content in files.items():
        target = root / name
        target.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            target.write_bytes(content)
        else:
            target.write_bytes(content.encode("utf-8"))


EXAMPLE_LIFECYCLE = "backend/services/redis_client.py"


def copy_example_tree(source: Path, target: Path) -> None:
    """A copy of the example `source` at `target`, and of the examples' shared test helpers
    next to it (`target`'s parent), where the example's pytest.ini puts them on the path; they stay
    outside the copy, so a repository made of `target` holds only the example's own files."""
    ignore = shutil.ignore_patterns("__pycache__", ".pytest_cache")
    shutil.copytree(source, target, ignore=ignore)
    shutil.copytree(TESTKIT, target.parent / TESTKIT.name, ignore=ignore, dirs_exist_ok=True)


def copy_example(target: Path) -> Path:
    """A copy of the example backend at `target`, its phase-1 lifecycle module written from the
    toolkit's template (the repository keeps one copy of it: the template)."""
    copy_example_tree(EXAMPLE, target)
    (target / EXAMPLE_LIFECYCLE).write_text(template_text(), encoding="utf-8")
    return target


def example_repo(tmp_path: Path) -> Path:
    """A copy of the example backend as a scratch git repository (as `make demo` makes it)."""
    target = copy_example(tmp_path / "legacy_backend")
    git(target, "init", "-q", "-b", "main")
    git(target, "add", "-A")
    git(target, "commit", "-q", "-m", "legacy backend")
    return target


# A small target backend's pieces, shared by the apply / review tests.
MAIN = (
    "from backend import settings\n"
    "from backend.services.redis_client import close_redis, init_redis\n"
    "\n\n"
    "async def startup() -> None:\n"
    "    await init_redis(settings.REDIS_URL)\n"
    "\n\n"
    "async def shutdown() -> None:\n"
    "    await close_redis()\n"
)


LIFECYCLE = "backend/services/redis_client.py"
# The frame of a small target backend: its settings, the template as its lifecycle module, and
# an app that already calls init_redis()/close_redis(); each test adds the files it rewrites.
BACKEND = {
    "backend/__init__.py": "",
    "backend/services/__init__.py": "",
    "backend/settings.py": "REDIS_URL = 'redis://localhost:6379/0'\n",
    LIFECYCLE: template_text(),
    "backend/main.py": MAIN,
}


def function_local(name: str, operation: str, url: str = "settings.REDIS_URL",
                   module_lines: str = "") -> str:
    """A function-local client closed in `finally` (read-caches when `operation` only reads),
    after `module_lines` (module-level code) if given."""
    return (
        "import redis.asyncio as redis\n"
        "\n"
        "from backend import settings\n"
        "\n"
        + (f"{module_lines}\n\n" if module_lines else "") +
        "\n"
        f"async def {name}(key: str):\n"
        f"    r = redis.Redis.from_url({url})\n"
        "    try:\n"
        f"        return await r.{operation}(key)\n"
        "    finally:\n"
        "        await r.aclose()\n"
    )


# The frame and one read-caches site, which the read-caches batch rewrites.
READ_BACKEND = {**BACKEND, "backend/reads.py": function_local("lookup", "get")}


def module_client(function: str) -> str:
    """A module-level client, then `function`, which uses it (its batch follows from what
    `function` does with it)."""
    return (
        "import redis.asyncio as redis\n"
        "\n"
        "from backend import settings\n"
        "\n"
        "client = redis.Redis.from_url(settings.REDIS_URL)\n"
        "\n\n"
        + function
    )


MODULE_CLIENT = module_client(  # write-caches
    "async def save(key: str, value: str) -> None:\n"
    "    await client.set(key, value)\n"
)


def unwrapped(code: str) -> str:
    """`code` with each call written one argument a line (a wired `await init_redis(...)` too
    long for one line is) put back on one line, for assertions that read such a call whole;
    tests/test_long_init_call_is_wrapped.py checks the wrapping itself."""
    code = re.sub(r"\(\n\s+", "(", code)
    code = re.sub(r",\n\s*\)", ")", code)
    return re.sub(r",\n\s+", ", ", code)

"""sync-policy: "manual" leaves sync clients alone; "sync-accessor" moves them to get_sync_redis()."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from cli_helpers import example_repo, git, git_repo, migrate
from migrate.lifecycle import template_text

BATCHES = ["health", "read-caches", "write-caches", "pipelines", "pubsub-streams-queues",
           "locks-rate-limits"]
SYNC_POLICY = '[tool.migrate]\nsync-policy = "sync-accessor"\n'


def _sites(repo: Path) -> list[dict]:
    return json.loads(migrate("inventory", "-C", repo, "--format", "json").stdout)["sites"]


def test_sync_accessor_migrates_the_example_worker_and_its_tests_pass(
        tmp_path: Path, redis_url: str) -> None:
    repo = example_repo(tmp_path)
    (repo / "migrate.toml").write_text(SYNC_POLICY)
    git(repo, "add", "migrate.toml")
    git(repo, "commit", "-qm", "sync-accessor policy")
    worker = [s for s in _sites(repo) if s["file"] == "backend/workers/catalog_sync.py"]
    assert worker and all(s["status"] == "pending" for s in worker)
    for batch in BATCHES:
        run = migrate("apply", "-C", repo, "--batch", batch, "--no-git")
        assert run.exit_code == 0, run.stdout + run.stderr
    text = (repo / "backend/workers/catalog_sync.py").read_text()
    assert "client = get_sync_redis()" in text
    assert "from backend.services.redis_client import get_sync_redis" in text
    assert "client.close()" not in text and "import redis\n" not in text
    assert "await" not in text  # never an await in sync code
    env = {k: v for k, v in os.environ.items() if k not in {"PYTEST_ADDOPTS"}}
    env["REDIS_URL"] = redis_url
    result = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                             "--runxfail"], cwd=repo, env=env, capture_output=True, text=True,
                            timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "23 passed" in result.stdout.strip().splitlines()[-1]
    left = [s for s in _sites(repo) if s["file"] == "backend/workers/catalog_sync.py"]
    assert left == []


def test_a_sync_client_used_in_async_code_stays_manual(tmp_path: Path) -> None:
    repo = git_repo(tmp_path / "r", {
        "migrate.toml": SYNC_POLICY,
        "app/mixed.py": "import redis\n\nclient = redis.Redis.from_url('redis://localhost/0')\n\n\n"
                        "def count() -> int:\n    return client.incr('n')\n\n\n"
                        "async def handler() -> bytes | None:\n    return client.get('k')\n",
    })
    site = _sites(repo)[0]
    assert (site["status"], site["reason_code"]) == ("manual", "sync-in-async")
    assert "app/mixed.py:11" in site["reason"]


def test_sync_accessor_needs_get_sync_redis_in_the_lifecycle_module(tmp_path: Path) -> None:
    old = template_text().split("\n# --- sync code")[0]
    repo = git_repo(tmp_path / "r", {
        "migrate.toml": SYNC_POLICY,
        "backend/services/redis_client.py": old,
        "app/worker.py": "import redis\n\n\ndef run() -> None:\n"
                         "    r = redis.Redis.from_url('redis://localhost/0')\n"
                         "    r.set('k', 1)\n",
    })
    site = _sites(repo)[0]
    # never emit a call the module cannot answer: the site waits for a human, with the snippet
    assert (site["status"], site["reason_code"]) == ("manual", "lifecycle-lacks-sync-client")
    assert "def get_sync_redis()" in site["reason"]
    run = migrate("apply", "-C", repo, "--batch", "write-caches", "--no-git")
    assert run.exit_code == 0, run.stdout + run.stderr
    assert "get_sync_redis" not in (repo / "app/worker.py").read_text()


@pytest.mark.parametrize("policy", ["manual", None])
def test_manual_is_the_default_policy(tmp_path: Path, policy: str | None) -> None:
    files = {"app/worker.py": "import redis\n\n\ndef run() -> None:\n"
                              "    r = redis.Redis.from_url('redis://localhost/0')\n"
                              "    r.set('k', 1)\n"}
    if policy:
        files["migrate.toml"] = f'[tool.migrate]\nsync-policy = "{policy}"\n'
    site = _sites(git_repo(tmp_path / "r", files))[0]
    assert (site["status"], site["reason_code"]) == ("manual", "sync-client")

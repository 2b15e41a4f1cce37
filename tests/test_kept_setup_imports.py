"""An import of a moved client stays an import of its module when that module sets things up.

CsuScheduleBot's `db.py` calls `load_dotenv()` before it makes its client; `from db import
client` was the only import of db, so removing it silently dropped the call (the program then
ran with an unloaded environment). The line now becomes `import db`, with a comment saying why;
a module that only makes the client loses its import as before.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from cli_helpers import git, git_repo, migrate

FILES = {
    "app/__init__.py": "",
    "app/db.py": '''import os

import redis.asyncio as redis

os.environ.setdefault("GREETING", "loaded by app.db")

client = redis.Redis.from_url(os.environ["APP_REDIS_URL"])
''',
    "app/worker.py": '''import asyncio
import os

from app.db import client


async def main():
    await client.set("greeting", os.environ["GREETING"])
    print((await client.get("greeting")).decode())


if __name__ == "__main__":
    asyncio.run(main())
''',
}


def _run(repo: Path, redis_url: str) -> str:
    env = {k: v for k, v in os.environ.items() if k != "GREETING"}
    run = subprocess.run([sys.executable, "-m", "app.worker"], cwd=repo, capture_output=True,
                         text=True, timeout=60, env={**env, "APP_REDIS_URL": redis_url})
    assert run.returncode == 0, run.stdout + run.stderr
    return run.stdout.strip()


def _migrate_all(repo: Path) -> None:
    assert migrate("init", "-C", repo).exit_code == 0
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "init")
    for batch in ("health", "read-caches", "write-caches", "pipelines",
                  "pubsub-streams-queues", "locks-rate-limits"):
        run = migrate("apply", "-C", repo, "--batch", batch, "--no-git")
        assert run.exit_code == 0, run.stdout + run.stderr


def test_the_module_that_loads_the_environment_is_still_imported(
        tmp_path: Path, redis_url: str) -> None:
    repo = git_repo(tmp_path / "setup", FILES)
    assert _run(repo, redis_url) == "loaded by app.db"
    _migrate_all(repo)
    worker = (repo / "app/worker.py").read_text()
    assert "from app.db import client" not in worker and "get_redis()" in worker, worker
    assert ("import app.db  # noqa: F401  (kept: it runs os.environ.setdefault() on import)"
            in worker), worker
    assert "client" not in (repo / "app/db.py").read_text()
    assert _run(repo, redis_url) == "loaded by app.db"


VARIANTS = {
    # a relative import keeps its module relatively
    "relative": (("app/worker.py", "from app.db import client", "from .db import client"),
                 "from . import db  # noqa: F401", True),
    # a module that only makes the client is not kept
    "plain": (("app/db.py", 'os.environ.setdefault("GREETING", "loaded by app.db")\n\n', ""),
              "app.db", False),
}


@pytest.mark.parametrize("variant", sorted(VARIANTS))
def test_the_import_is_kept_only_when_the_module_runs_setup(tmp_path: Path, variant: str) -> None:
    (path, old, new), marker, kept = VARIANTS[variant]
    assert old in FILES[path]
    repo = git_repo(tmp_path / variant, {**FILES, path: FILES[path].replace(old, new)})
    _migrate_all(repo)
    worker = (repo / "app/worker.py").read_text()
    assert (marker in worker) is kept, worker
    assert ("noqa" in worker) is kept, worker

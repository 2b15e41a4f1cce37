"""A dataclass field whose default is made from a client (user-microservice's
`redis: Redis = get_redis_client()`) moves with the client, as a `default_factory`.

Proven through the real CLI on a real redis-server: before the rewrite, importing the module
builds a client; after it, the import builds nothing (get_redis() would raise before
init_redis()), every instance made after startup gets the one shared client, and the cache
reads back what it wrote.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from cli_helpers import git, git_repo, migrate

APP = {
    "app/__init__.py": "",
    "app/settings.py": 'import os\n\nREDIS_URL = os.environ.get("REDIS_URL", '
                       '"redis://localhost:6379/0")\n',
    "app/storage.py": ("from redis.asyncio import ConnectionPool, Redis\n\n"
                       "from app import settings\n\n"
                       "pool = ConnectionPool.from_url(settings.REDIS_URL)\n\n\n"
                       "def get_client() -> Redis:\n"
                       "    return Redis(connection_pool=pool)\n"),
    "app/cacher.py": ("from dataclasses import dataclass\n\nfrom redis.asyncio import Redis\n\n"
                      "from app.storage import get_client\n\n\n"
                      "@dataclass\nclass UserCacher:\n    ttl: int = 60\n"
                      "    redis: Redis = get_client()\n\n"
                      "    async def get(self, key: str) -> bytes | None:\n"
                      "        return await self.redis.get(key)\n\n"
                      "    async def put(self, key: str, value: bytes) -> None:\n"
                      "        await self.redis.set(key, value, ex=self.ttl)\n"),
}

# imports the cacher first (as an app's modules load), then starts Redis if the module exists
DRIVE = '''
import asyncio, importlib.util
from app.cacher import UserCacher

async def main():
    migrated = importlib.util.find_spec("app.redis_client") is not None
    if migrated:
        from app.redis_client import close_redis, init_redis
        from app import settings
        await init_redis(settings.REDIS_URL)
    first, second = UserCacher(), UserCacher()
    await first.put("user:1", b"ada")
    print(await second.get("user:1"), first.redis is second.redis)
    if migrated:
        await close_redis()

asyncio.run(main())
'''


def _drive(repo: Path, redis_url: str) -> str:
    run = subprocess.run([sys.executable, "-c", DRIVE], cwd=repo, capture_output=True,
                         text=True, timeout=120, env={**os.environ, "REDIS_URL": redis_url})
    assert run.returncode == 0, run.stdout + run.stderr
    return run.stdout.strip()


def test_a_dataclass_default_made_from_a_client_becomes_a_default_factory(
        tmp_path: Path, redis_url: str) -> None:
    repo = git_repo(tmp_path / "users", APP)
    assert _drive(repo, redis_url) == "b'ada' True"  # one client, made at import
    assert migrate("init", "-C", repo).exit_code == 0
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "init")
    inventory = migrate("inventory", "-C", repo)
    assert "import-time-use" not in inventory.stdout, inventory.stdout
    run = migrate("apply", "-C", repo, "--batch", "write-caches", "--no-git")
    assert run.exit_code == 0, run.stdout + run.stderr
    cacher = (repo / "app/cacher.py").read_text()
    assert "redis: Redis = field(default_factory=get_client)" in cacher, cacher
    assert "return get_redis()" in (repo / "app/storage.py").read_text()
    # the import no longer reaches get_redis(); the instances share the started client
    assert _drive(repo, redis_url) == "b'ada' True"

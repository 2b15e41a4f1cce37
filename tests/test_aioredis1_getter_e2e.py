"""Issue 8 item 6's proof: aioredis 1.x reached through a lazy getter, in the getter's module and
in a module that imports the getter, is converted by `migrate apply` and stores exactly what a
hand-written redis.asyncio version stores, on a real redis-server."""

from __future__ import annotations

import asyncio
import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path

import redis
from cli_helpers import git_repo, migrate
from test_aioredis1_conversion_e2e import _dump

from redis_migrate.scan.lifecycle import template_text

DATA = Path(__file__).parent / "data" / "aioredis1_getter"
PAYLOAD = {"title": "hi", "body": "there"}
# the aioredis 1.x spellings that fail on redis.asyncio, and what is left of the getter's cache
GONE = ("import aioredis", "create_redis_pool", "hmset_dict", "multi_exec", "expire=", "exist=",
        "SET_IF_NOT_EXIST", "keys=[", "args=[", "iscan", 'blpop("q1"', "wait_closed",
        "global _pool", "_pool = None", "_pool.")


def _repo(tmp_path: Path) -> Path:
    return git_repo(tmp_path / "repo", {
        "backend/__init__.py": "", "backend/services/__init__.py": "",
        "backend/services/redis_client.py": template_text(),
        "app/__init__.py": "",
        "app/settings.py": "import os\n\nREDIS_URL = os.environ.get('REDIS_URL', "
                           "'redis://localhost:6379/0')\n",
        "app/legacy.py": (DATA / "legacy.py").read_text(),
        "app/notify.py": (DATA / "notify.py").read_text(),
    })


def _run_converted(repo: Path, url: str) -> None:
    script = ("import asyncio, sys\nsys.path.insert(0, '.')\n"
              "from backend.services.redis_client import init_redis, close_redis\n"
              "from app.legacy import remember, shutdown\n"
              "from app.notify import notify\n"
              "async def main():\n"
              "    await init_redis()\n"
              "    try:\n"
              f"        await remember('7', {PAYLOAD!r})\n"
              "        await notify('7', 'hello')\n"
              "        await shutdown()\n"
              "    finally:\n"
              "        await close_redis()\n"
              "asyncio.run(main())\n")
    env = {**os.environ, "REDIS_URL": url}
    result = subprocess.run([sys.executable, "-c", script], cwd=repo, env=env,
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def _run_reference(url: str) -> None:
    spec = importlib.util.spec_from_file_location("reference_getter", DATA / "reference.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    asyncio.run(module.run(url, "7", PAYLOAD, "hello"))


def test_calls_reached_through_a_lazy_getter_store_what_the_reference_stores(
        tmp_path: Path, redis_url: str) -> None:
    repo = _repo(tmp_path)
    inventory = json.loads(migrate("inventory", "-C", repo, "--format", "json").stdout)
    site = next(s for s in inventory["sites"] if s["kind"] == "instantiation")
    assert (site["file"], site["library"], site["rewrite"], site["status"]) == (
        "app/legacy.py", "aioredis1", "lazy-getter", "pending"), site
    assert "app.notify.notify.<locals>.redis" in site["holders"]
    assert "app.notify.stamp.<locals>.client" in site["holders"]  # followed into a parameter
    run = migrate("apply", "-C", repo, "--batch", site["batch"], "--no-git", "--force-order")
    assert run.exit_code == 0, run.stdout + run.stderr

    for name in ("app/legacy.py", "app/notify.py"):
        converted = (repo / name).read_text()
        compile(converted, name, "exec")
        for gone in GONE:
            assert gone not in converted, (name, gone, converted)
        assert "TODO(redis-migration)" not in converted, converted
    legacy = (repo / "app/legacy.py").read_text()
    assert "    return get_redis()\n" in legacy
    assert "async def shutdown():\n    pass\n" in legacy  # the close pair and its leftovers

    _run_reference(redis_url)
    expected = _dump(redis_url)
    redis.Redis.from_url(redis_url).flushall()
    _run_converted(repo, redis_url)
    assert _dump(redis_url) == expected
    assert {"notif:7", "notif:7:seen", "notif:recent", "notif:count", "notif:7:status",
            "index:notif", "popped", "notify:7:last", "notify:7", "notify:scores",
            "notify:7:stamp"} <= set(expected), expected

    again = migrate("apply", "-C", repo, "--batch", site["batch"], "--no-git", "--force-order")
    assert "nothing to change" in again.stdout, again.stdout

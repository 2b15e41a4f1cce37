"""Issue 8 item 6's proof: aioredis 1.x reached through a lazy getter, in the getter's module and
in a module that imports the getter, is converted by `migrate apply` and stores exactly what a
hand-written redis.asyncio version stores, on a real redis-server."""

from __future__ import annotations

import json
from pathlib import Path

from cli_helpers import migrate
from test_aioredis1_conversion_e2e import (
    aioredis1_repo,
    run_converted,
    run_reference,
    stores_what_the_reference_stores,
)

DATA = Path(__file__).parent / "data" / "aioredis1_getter"
PAYLOAD = {"title": "hi", "body": "there"}
# the aioredis 1.x spellings that fail on redis.asyncio, and what is left of the getter's cache
GONE = ("import aioredis", "create_redis_pool", "hmset_dict", "multi_exec", "expire=", "exist=",
        "SET_IF_NOT_EXIST", "keys=[", "args=[", "iscan", 'blpop("q1"', "wait_closed",
        "global _pool", "_pool = None", "_pool.")


def _repo(tmp_path: Path) -> Path:
    return aioredis1_repo(tmp_path, DATA, "legacy.py", "notify.py")


def _run_converted(repo: Path, url: str) -> None:
    run_converted(repo, url, "from app.legacy import remember, shutdown\n"
                             "from app.notify import notify\n",
                  f"        await remember('7', {PAYLOAD!r})\n"
                  "        await notify('7', 'hello')\n"
                  "        await shutdown()\n")


def _run_reference(url: str) -> None:
    run_reference(DATA / "reference.py", "reference_getter",
                  lambda module: module.run(url, "7", PAYLOAD, "hello"))


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

    expected = stores_what_the_reference_stores(
        redis_url, lambda: _run_reference(redis_url), lambda: _run_converted(repo, redis_url))
    assert {"notif:7", "notif:7:seen", "notif:recent", "notif:count", "notif:7:status",
            "index:notif", "popped", "notify:7:last", "notify:7", "notify:scores",
            "notify:7:stamp"} <= set(expected), expected

    again = migrate("apply", "-C", repo, "--batch", site["batch"], "--no-git", "--force-order")
    assert "nothing to change" in again.stdout, again.stdout

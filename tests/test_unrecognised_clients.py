"""Clients `check` passed over: cluster and Sentinel clients, the app's own subclasses of
redis.Redis, and clients its own factory builds at import time (23 modules of one real repo).

Each is a site, `manual` with a reason a reviewer can act on, and `check` reports it; no batch
rewrites any of them.
"""

from __future__ import annotations

import json
from pathlib import Path

from cli_helpers import git_repo, migrate

FILES = {
    "app/__init__.py": "",
    "app/topology.py": '''from redis.cluster import RedisCluster
from redis.asyncio.cluster import RedisCluster as AsyncCluster
from redis.sentinel import Sentinel

cluster = RedisCluster(host="localhost", port=7000)
async_cluster = AsyncCluster.from_url("redis://localhost:7000")
sentinel = Sentinel([("localhost", 26379)])
master = sentinel.master_for("mymaster")


async def read(key):
    return cluster.get(key), await async_cluster.get(key), master.get(key)
''',
    "app/clients.py": '''import redis.asyncio as redis


class TracedRedis(redis.Redis):
    async def get(self, name):
        print("GET", name)
        return await super().get(name)


class Redis:  # a look-alike: the app's own class, unrelated to redis-py
    def get(self, key):
        return key


def make_cache(db=0):
    return redis.Redis(host="localhost", db=db)
''',
    "app/users.py": '''from app.clients import Redis, TracedRedis, make_cache

_cache = make_cache(1)
plain = Redis()


class Audited(TracedRedis):
    pass


async def name(uid):
    local = TracedRedis(db=3)
    return await _cache.get(uid), await local.get(uid), await Audited().get(uid), plain.get(1)
''',
    "app/orders.py": '''from app.clients import make_cache

_cache = make_cache(2)


async def order(oid):
    return await _cache.get(oid)
''',
    "app/late.py": '''from app.clients import make_cache


async def late(key):
    cache = make_cache(4)  # at run time: not a factory call at import
    return await cache.get(key)
''',
}


def _sites(repo: Path) -> dict[tuple[str, int], dict]:
    run = migrate("inventory", "-C", repo, "--format", "json")
    assert run.exit_code == 0, run.stdout + run.stderr
    return {(s["file"], s["line"]): s for s in json.loads(run.stdout)["sites"]}


def test_each_unrecognised_shape_is_a_manual_site_with_its_reason(tmp_path: Path) -> None:
    sites = _sites(git_repo(tmp_path / "app", FILES))
    found = {where: (s["kind"], s["reason_code"]) for where, s in sites.items()}
    assert found[("app/topology.py", 5)] == ("instantiation", "cluster-client")
    assert found[("app/topology.py", 6)] == ("instantiation", "cluster-client")
    assert found[("app/topology.py", 7)] == ("instantiation", "sentinel-client")
    assert found[("app/users.py", 12)] == ("instantiation", "custom-client")  # across files
    assert found[("app/users.py", 13)][1] == "custom-client"  # a subclass of the subclass
    assert found[("app/users.py", 3)] == ("factory-call", "import-time-use")
    assert found[("app/orders.py", 3)] == ("factory-call", "import-time-use")
    # the factory itself: its client is built at import by those calls
    assert found[("app/clients.py", 16)] == ("instantiation", "import-time-use")
    # look-alikes: the app's own `Redis` class, and the factory called at run time
    assert ("app/users.py", 4) not in found
    assert not any(file == "app/late.py" for file, _ in found)
    assert sites[("app/topology.py", 6)]["library"] == "redis-asyncio"
    assert sites[("app/users.py", 12)]["library"] == "redis-asyncio"
    assert "TracedRedis" in sites[("app/users.py", 12)]["reason"]
    assert "make_cache() at import time" in sites[("app/orders.py", 3)]["reason"]


def test_check_reports_every_one_and_apply_leaves_them(tmp_path: Path) -> None:
    repo = git_repo(tmp_path / "app", FILES)
    run = migrate("check", "-C", repo, "--format", "json")
    assert run.exit_code == 1, run.stdout + run.stderr
    findings = {(f["file"], f["line"]): f for f in json.loads(run.stdout)["findings"]}
    for where in [("app/topology.py", 5), ("app/topology.py", 6), ("app/topology.py", 7),
                  ("app/users.py", 12), ("app/users.py", 13), ("app/users.py", 3),
                  ("app/orders.py", 3)]:
        assert where in findings, (where, sorted(findings))
    assert findings[("app/orders.py", 3)]["rule"] == "factory-call"
    assert migrate("init", "-C", repo).exit_code == 0
    before = {p: (repo / p).read_text() for p in FILES}
    for batch in ["health", "read-caches", "write-caches"]:
        applied = migrate("apply", "-C", repo, "--batch", batch, "--no-git")
        assert applied.exit_code in (0, 1), applied.stdout + applied.stderr
    assert {p: (repo / p).read_text() for p in FILES} == before

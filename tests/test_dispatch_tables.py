"""A client handed to a class picked from a table at run time is followed into that class.

Found on crypto-exchange (aiohttp): `provider_cls = PROVIDERS_MAP[exchange]` then
`provider_cls(http_session=..., redis=self.redis)`, where the table's classes have no
`__init__` of their own and their base keeps `self.redis` and runs its commands. The site was
`passed-to` ("which the analysis cannot see into"); the table's values are now the callees,
the classes' base `__init__` receives the argument, and the file of each class is read even
though it never names Redis. A table that the code changes is no table: the client stays
`passed-to`. The last test moves such a client and runs it on a real redis-server.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from analysis_helpers import scan, write_repo
from cli_helpers import git, git_repo, migrate, run_python
from snippets import source

FILES = {
    "app/__init__.py": "",
    "app/providers/__init__.py": "",
    "app/providers/base.py": source("""
        from redis.asyncio import Redis


        class Provider:
            def __init__(self, redis: Redis):
                self.redis = redis

            async def remember(self, key, value):
                await self.redis.set(key, value)
                return await self.redis.get(key)
    """),
    # neither file names Redis: they are read because the client is passed to their classes
    "app/providers/plain.py": "from app.providers.base import Provider\n\n\n"
                              "class Plain(Provider):\n    pass\n",
    "app/providers/loud.py": source("""
        from app.providers.base import Provider


        class Loud(Provider):
            async def remember(self, key, value):
                return await super().remember(key, value.upper())
    """),
    "app/resolver.py": source("""
        from app.providers.loud import Loud
        from app.providers.plain import Plain

        PROVIDERS = {"plain": Plain, "loud": Loud}


        def provider(name, redis):
            provider_cls = PROVIDERS[name]
            return provider_cls(redis=redis)
    """),
    "app/service.py": source("""
        import os

        from redis.asyncio import Redis

        from app.resolver import provider


        async def remember(name, key, value):
            client = Redis.from_url(os.environ["REDIS_URL"])
            try:
                return await provider(name, client).remember(key, value)
            finally:
                await client.aclose()
    """),
}


def _client(tmp_path: Path, files: dict[str, str]) -> tuple[str, str | None, str]:
    write_repo(tmp_path, files)
    site = next(s for s in scan(tmp_path).sites
                if s.file == "app/service.py" and s.kind == "instantiation")
    return site.status, site.reason_code, site.purpose


def test_a_class_picked_from_a_table_is_followed_to_its_bases_init(tmp_path: Path) -> None:
    assert _client(tmp_path, FILES) == ("pending", None, "write-cache")


@pytest.mark.parametrize("change", [
    'PROVIDERS["other"] = Plain\n',  # stored into: other classes may be picked
    'PROVIDERS.update(other=Plain)\n',
    'PROVIDERS = dict(PROVIDERS)\n',  # bound twice
])
def test_a_table_the_code_changes_is_no_table(tmp_path: Path, change: str) -> None:
    files = {**FILES, "app/resolver.py": FILES["app/resolver.py"].replace(
        '\n\ndef provider', f"{change}\n\ndef provider")}
    status, code, _ = _client(tmp_path, files)
    assert (status, code) == ("manual", "passed-to")


def test_a_table_of_calls_is_no_table(tmp_path: Path) -> None:
    files = {**FILES, "app/resolver.py": FILES["app/resolver.py"].replace(
        '{"plain": Plain, "loud": Loud}', '{"plain": Plain(None), "loud": Loud}')}
    status, code, _ = _client(tmp_path, files)
    assert (status, code) == ("manual", "passed-to")


DRIVE = '''
import asyncio, os
import redis
from app.redis_client import close_redis, init_redis
from app.service import remember

async def main():
    await init_redis(os.environ["REDIS_URL"])
    try:
        return [await remember("loud", "k", "hello") for _ in range(20)]
    finally:
        await close_redis()

admin = redis.Redis.from_url(os.environ["REDIS_URL"])
before = admin.info("stats")["total_connections_received"]
values = asyncio.run(main())
print(values[-1].decode(), admin.info("stats")["total_connections_received"] - before)
'''


def test_the_picked_classes_client_moves_and_works_on_a_real_server(
        tmp_path: Path, redis_url: str) -> None:
    repo = git_repo(tmp_path / "app", FILES)
    assert migrate("init", "-C", repo).exit_code == 0
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "init")
    report = json.loads(migrate("inventory", "-C", repo, "--format", "json").stdout)
    assert {(s["file"], s["status"]) for s in report["sites"]} == {
        ("app/service.py", "pending")}, report["sites"]
    run = migrate("apply", "-C", repo, "--batch", "write-caches", "--no-git", "--force-order")
    assert run.exit_code == 0, run.stdout + run.stderr
    service = (repo / "app/service.py").read_text()
    assert "get_redis()" in service and "Redis.from_url" not in service, service
    assert "aclose" not in service, service
    for name in ("base", "plain", "loud"):
        assert (repo / f"app/providers/{name}.py").read_text() == FILES[f"app/providers/{name}.py"]
    value, opened = run_python(repo, "-c", DRIVE, env={"REDIS_URL": redis_url}).split()
    assert value == "HELLO"
    assert int(opened) <= 2, opened  # one pool for the 20 calls (and the admin's own)

"""Analysis fixtures: a client passed to a function is followed into its parameter.

`helper(client)` binds helper's parameter to the client when the analysis sees helper's def
(in any module, positionally or by keyword, a method through `self` or through an instance):
what helper does with it decides the purpose, and the client does not escape. Handed to code
the analysis does not see (a library, a constructor, `*args`), it still escapes.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

from analysis_helpers import S, assert_sites, scan, site_at, write_repo
from snippets import MODULE_CLIENT, with_module_client

from redis_migrate.scan.report import Inventory

ASYNC = "redis-asyncio"

def _with_client(source: str) -> str:
    """app/cache.py: the client, then `source` (both dedented)."""
    return textwrap.dedent(MODULE_CLIENT).lstrip("\n") + textwrap.dedent(source)


def _scan_with_client(root: Path, source: str) -> Inventory:
    """A repository whose app/cache.py holds the client, then `source`; scanned."""
    write_repo(root, {"app/__init__.py": "", "app/cache.py": _with_client(source)})
    return scan(root)


def _holders(root: Path, purpose: str, source: str) -> list[str]:
    """The holders of the client in app/cache.py followed by `source`: the file's one site, of
    `purpose`."""
    inventory = _scan_with_client(root, source)
    assert_sites(inventory, [_client(purpose)])
    return inventory.sites[0].holders


def _client(purpose: str, status: str = "pending") -> S:
    return S("app/cache.py", 3, "instantiation", "redis.asyncio.Redis.from_url", purpose,
             "module", ASYNC, status)


def _linked(inventory, file: str, line: int):
    site = site_at(inventory, file, line, "instantiation")
    return inventory.details[(site.file, site.line, site.col, site.kind)]


def test_positional_argument_into_a_function_of_another_module(tmp_path: Path) -> None:
    write_repo(tmp_path, with_module_client("app/cache.py", {
        "app/events.py": """
            async def announce(redis, message):
                await redis.publish("news", message)
        """,
        "app/views.py": """
            from app.cache import client
            from app.events import announce


            async def post(message):
                await announce(client, message)
        """,
    }))
    inventory = scan(tmp_path)
    assert_sites(inventory, [_client("pubsub-stream-queue")])  # the purpose comes from announce
    site = inventory.sites[0]
    assert site.operations == ["publish"]
    assert "app.events.announce.<locals>.redis" in site.holders


def test_keyword_argument_and_keyword_only_parameter(tmp_path: Path) -> None:
    holders = _holders(tmp_path, "write-cache", """

            async def bump(key, *, redis):
                await redis.incr(key)


            async def view(key):
                await bump(key, redis=client)
        """)
    assert "app.cache.bump.<locals>.redis" in holders


def test_method_called_through_self(tmp_path: Path) -> None:
    holders = _holders(tmp_path, "write-cache", """

            class Queue:
                async def push(self, redis, item):
                    await redis.lpush("q", item)

                async def push_twice(self, item):
                    await self.push(client, item)
        """)
    assert "app.cache.Queue.push.<locals>.redis" in holders


def test_method_called_through_a_local_instance(tmp_path: Path) -> None:
    holders = _holders(tmp_path, "pubsub-stream-queue", """

            class Reader:
                async def pop_from(self, conn):
                    return await conn.brpop("q")


            class Other:
                async def pop_from(self, conn):
                    return await conn.delete("q")


            async def consume():
                reader = Reader()
                return await reader.pop_from(client)
        """)
    assert "app.cache.Reader.pop_from.<locals>.conn" in holders
    assert "app.cache.Other.pop_from.<locals>.conn" not in holders


def test_a_method_the_instance_does_not_have_is_an_escape(tmp_path: Path) -> None:
    site = _scan_with_client(tmp_path, """

            class Queue:
                pass


            class Reader:
                async def pop_from(self, conn):
                    return await conn.brpop("q")


            async def consume():
                await client.set("k", "v")
                return await Queue().pop_from(client)
        """).sites[0]
    assert (site.status, site.reason_code) == ("manual", "passed-to"), site
    assert "app.cache.Reader.pop_from.<locals>.conn" not in site.holders


def test_parameter_in_a_nested_function(tmp_path: Path) -> None:
    holders = _holders(tmp_path, "write-cache", """

            async def outer(key):
                async def inner(redis):
                    await redis.delete(key)

                await inner(client)
        """)
    assert "app.cache.outer.<locals>.inner.<locals>.redis" in holders


def test_unknown_library_and_star_args_are_passed_to(tmp_path: Path) -> None:
    sources = {
        "a library": """
            from keeper import Keeper

            async def start():
                await client.set("k", "v")
                await Keeper.init(client)
        """,
        "*args": """
            async def relay(*clients):
                for c in clients:
                    await c.set("k", "v")

            async def start():
                await client.set("k", "v")
                await relay(client)
        """,
        "after *": """
            async def relay(first, redis):
                await redis.set("k", "v")

            async def start(rest):
                await client.set("k", "v")
                await relay(*rest, client)
        """,
    }
    for what, source in sources.items():
        root = tmp_path / what.replace(" ", "_").replace("*", "star")
        site = _scan_with_client(root, source).sites[0]
        assert (site.status, site.reason_code) == ("manual", "passed-to"), (what, site)


def test_a_class_of_the_repo_takes_it_through_its_init(tmp_path: Path) -> None:
    """`Worker(client)` binds `Worker.__init__`'s parameter: what Worker does with it counts."""
    site = _scan_with_client(tmp_path, """
        class Worker:
            def __init__(self, connection):
                self.connection = connection

            async def work(self):
                await self.connection.xadd("s", {"a": 1})

        async def start():
            await client.set("k", "v")
            return Worker(client)
    """).sites[0]
    assert (site.status, site.purpose) == ("pending", "pubsub-stream-queue"), site
    assert "app.cache.Worker.connection" in site.holders



def test_a_parameter_also_given_another_object_is_a_mixed_holder(tmp_path: Path) -> None:
    inventory = _scan_with_client(tmp_path, """

            class MemoryCache:
                async def set(self, key, value):
                    pass


            async def store(backend, key):
                await backend.set(key, "1")


            async def save(key):
                mine = client
                await store(client, key)
                await store(MemoryCache(), key)
                await mine.set(key, "0")
        """)
    linked = _linked(inventory, "app/cache.py", 3)
    assert "app.cache.store.<locals>.backend" in linked.holders
    assert linked.mixed_holders == ["app.cache.store.<args>.0",
                                    "app.cache.store.<locals>.backend"]
    assert "app.cache.save.<locals>.mine" not in linked.mixed_holders

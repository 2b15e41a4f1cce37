"""Analysis fixtures: a client's purpose comes from what is done with it, in every module.

In each case the module that creates the client does nothing with it; the operations that decide
the purpose (and so the batch) are all in OTHER modules, reached through imports and aliases,
re-exports, getters, instances and subclasses.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from analysis_helpers import S, assert_sites, git_init, scan, site_at, write_repo
from snippets import MODULE_CLIENT, lazy_getter, source, with_module_client

from redis_migrate.scan.report import Inventory

ASYNC = "redis-asyncio"

def _module_client(purpose: str, file: str = "app/cache_mod.py") -> S:
    return S(file, 3, "instantiation", "redis.asyncio.Redis.from_url", purpose, "module", ASYNC)


def _scan_pkg_m(root: Path, path: str, source: str) -> Inventory:
    """A repository whose pkg/m.py holds the client and whose `path` (`source`) uses it."""
    write_repo(root, with_module_client("pkg/m.py", {path: source}))
    return scan(root)


def test_from_module_import_client_as_alias(tmp_path: Path) -> None:
    write_repo(tmp_path, with_module_client("app/cache_mod.py", {"app/views.py": """
        from app.cache_mod import client as alias


        async def save(key, value):
            await alias.set(key, value)
    """}))
    inv = scan(tmp_path)
    assert_sites(inv, [_module_client("write-cache")])
    assert inv.sites[0].operations == ["set"]
    assert "app.views.alias" in inv.sites[0].holders


def test_import_package_module_as_alias_attribute_use(tmp_path: Path) -> None:
    assert_sites(_scan_pkg_m(tmp_path, "app/notify.py", """
            import pkg.m as lr


            def notify(msg):
                return lr.client.publish("news", msg)
        """), [_module_client("pubsub-stream-queue", "pkg/m.py")])


def test_from_package_import_module_attribute_use(tmp_path: Path) -> None:
    assert_sites(_scan_pkg_m(tmp_path, "app/stream.py", """
            from pkg import m


            async def push(event):
                await m.client.xadd("stream", event)
        """), [_module_client("pubsub-stream-queue", "pkg/m.py")])


def test_plain_import_package_module_dotted_use(tmp_path: Path) -> None:
    assert_sites(_scan_pkg_m(tmp_path, "app/warm.py", """
            import pkg.m


            async def warm(key):
                return await pkg.m.client.get(key)
        """), [_module_client("read-cache", "pkg/m.py")])


def test_reexport_chain_lock_used_two_hops_away(tmp_path: Path) -> None:
    write_repo(tmp_path, {
        "pkg/__init__.py": "",
        "pkg/a.py": MODULE_CLIENT,
        "pkg/b.py": "from pkg.a import client\n\n__all__ = ['client']\n",
        "pkg/c.py": """
            from pkg.b import client


            async def exclusive(name):
                async with client.lock(name, timeout=5):
                    return True
        """,
    })
    inv = scan(tmp_path)
    assert_sites(inv, [_module_client("lock-rate-limit", "pkg/a.py")])
    assert inv.sites[0].operations == ["lock"]
    assert inv.sites[0].batch == "locks-rate-limits"


def test_reexport_chain_in_a_git_repository(tmp_path: Path) -> None:
    write_repo(tmp_path, {
        "pkg/__init__.py": "",
        "pkg/a.py": MODULE_CLIENT,
        "pkg/b.py": "from pkg.a import client\n",
        "pkg/c.py": ("from pkg.b import client\n\n\n"
                     "async def f(k):\n    await client.eval('x', 0)\n"),
    })
    git_init(tmp_path)
    assert_sites(scan(tmp_path), [_module_client("lock-rate-limit", "pkg/a.py")])


def test_lazy_getter_used_in_other_module_await_and_assign(tmp_path: Path) -> None:
    write_repo(tmp_path, {
        "app/__init__.py": "",
        "app/clients.py": source("from redis.asyncio import Redis\n\n_c = None", lazy_getter(
            "get_client", "_c", 'Redis.from_url("redis://localhost/0")')),
        "app/reader.py": """
            from app.clients import get_client


            async def read(key):
                return await get_client().get(key)
        """,
        "app/counter.py": """
            from app.clients import get_client


            async def hit(key):
                r = get_client()
                await r.incr(key)
        """,
    })
    inv = scan(tmp_path)
    assert_sites(inv, [S("app/clients.py", 9, "instantiation", "redis.asyncio.Redis.from_url",
                         "write-cache", "module", ASYNC)])
    assert inv.sites[0].rewrite == "lazy-getter"
    assert inv.sites[0].operations == ["get", "incr"]


def test_async_lazy_getter_parenthesised_await(tmp_path: Path) -> None:
    write_repo(tmp_path, {
        "app/__init__.py": "",
        "app/clients.py": source("import redis.asyncio as aioredis\n\n_c = None", lazy_getter(
            "get_client", "_c", 'aioredis.from_url("redis://localhost/0")', coroutine=True)),
        "app/reader.py": """
            from app.clients import get_client


            async def read(key):
                return await (await get_client()).hgetall(key)
        """,
    })
    inv = scan(tmp_path)
    assert_sites(inv, [S("app/clients.py", 9, "instantiation", "redis.asyncio.from_url",
                         "read-cache", "module", ASYNC)])
    assert inv.sites[0].rewrite == "lazy-getter"


def test_class_holding_client_with_module_singleton_elsewhere(tmp_path: Path) -> None:
    write_repo(tmp_path, {
        "app/__init__.py": "",
        "app/cache.py": """
            from redis.asyncio import Redis


            class Cache:
                def __init__(self, url):
                    self._r = Redis.from_url(url)

                async def put_many(self, items):
                    async with self._r.pipeline(transaction=True) as pipe:
                        for key, value in items:
                            pipe.set(key, value)
                        await pipe.execute()
        """,
        "app/singletons.py": """
            from app.cache import Cache
            from app.settings import URL

            cache = Cache(URL)
        """,
        "app/settings.py": 'URL = "x"\n',
    })
    inv = scan(tmp_path)
    assert_sites(inv, [
        S("app/cache.py", 6, "instantiation", "redis.asyncio.Redis.from_url", "pipeline",
          "class", ASYNC),
        S("app/singletons.py", 4, "owner-singleton", "app.cache.Cache", "pipeline", "module",
          ASYNC),
    ])
    assert site_at(inv, "app/cache.py", 6).rewrite == "instance-attribute"
    assert site_at(inv, "app/singletons.py", 4).col == 1


def test_subclass_uses_client_set_in_base_init(tmp_path: Path) -> None:
    write_repo(tmp_path, {
        "app/__init__.py": "",
        "app/base.py": """
            import redis.asyncio as aioredis


            class Base:
                def __init__(self):
                    self._r = aioredis.from_url("redis://localhost")
        """,
        "app/sub.py": """
            from app.base import Base


            class Events(Base):
                async def emit(self, event):
                    await self._r.xadd("events", event)
        """,
    })
    assert_sites(scan(tmp_path), [S("app/base.py", 6, "instantiation", "redis.asyncio.from_url",
                                    "pubsub-stream-queue", "class", ASYNC)])


_COUNTER_BODY = """
    from app.store import client


    async def {name}(key):
        count = await client.incr(key)
        if count == 1:
            await client.expire(key, 60)
        return count
"""


@pytest.mark.parametrize(("name", "purpose"), [
    ("check_rate_limit", "lock-rate-limit"),
    ("count_views", "write-cache"),
])
def test_counter_with_expiry_is_rate_limit_only_in_limit_context(
        tmp_path: Path, name: str, purpose: str) -> None:
    write_repo(tmp_path, {
        "app/__init__.py": "",
        "app/store.py": MODULE_CLIENT,
        "app/handlers.py": _COUNTER_BODY.format(name=name),
    })
    inv = scan(tmp_path)
    assert_sites(inv, [_module_client(purpose, "app/store.py")])
    assert inv.sites[0].operations == ["expire", "incr"]


def test_client_passed_to_a_known_consumer_takes_its_commands(tmp_path: Path) -> None:
    """fastapi-limiter is in the known consumers: it runs a Lua script on the client, so the
    client is a rate limiter (last batch), not an escape."""
    write_repo(tmp_path, {
        "app/__init__.py": "",
        "app/main.py": """
            import redis.asyncio as aioredis
            from fastapi_limiter import FastAPILimiter

            client = aioredis.from_url("redis://localhost", encoding="utf8")


            async def startup():
                await FastAPILimiter.init(client)
        """,
    })
    inv = scan(tmp_path)
    assert_sites(inv, [S("app/main.py", 4, "instantiation", "redis.asyncio.from_url",
                         "lock-rate-limit", "module", ASYNC)])
    assert inv.sites[0].operations == ["evalsha", "script_load"]
    linked = inv.details[(inv.sites[0].file, 4, inv.sites[0].col, "instantiation")]
    assert linked.consumers == ["fastapi_limiter.FastAPILimiter.init at app/main.py:8"]


def test_client_passed_to_an_unknown_library_is_manual_passed_to(tmp_path: Path) -> None:
    write_repo(tmp_path, {
        "app/__init__.py": "",
        "app/main.py": """
            import redis.asyncio as aioredis
            from keeper import Keeper

            client = aioredis.from_url("redis://localhost")


            async def startup():
                await client.get("k")
                return Keeper(store=client)
        """,
    })
    site = scan(tmp_path).sites[0]
    assert (site.status, site.reason_code, site.batch) == ("manual", "passed-to", "read-caches")
    assert site.reason == ("passed to Keeper(), which the analysis cannot see into "
                           "(app/main.py:9): it may keep or close the client"), site.reason


def test_riskiest_use_across_modules_wins(tmp_path: Path) -> None:
    write_repo(tmp_path, {
        "app/__init__.py": "",
        "app/cache_mod.py": MODULE_CLIENT,
        "app/read.py": "from app.cache_mod import client\n\n\nasync def r(k):\n"
                       "    return await client.get(k)\n",
        "app/pub.py": "from app.cache_mod import client as c\n\n\nasync def p(m):\n"
                      "    await c.publish('x', m)\n",
        "app/write.py": "import app.cache_mod as cm\n\n\nasync def w(k):\n"
                        "    await cm.client.set(k, 1)\n",
    })
    inv = scan(tmp_path)
    assert_sites(inv, [_module_client("pubsub-stream-queue")])
    assert inv.sites[0].operations == ["get", "publish", "set"]


def _importer_repo(root: Path) -> None:
    write_repo(root, {
        "app/__init__.py": "",
        "app/cache_mod.py": MODULE_CLIENT,
        # no mention of the word r-e-d-i-s anywhere in this file: only the second pass finds it
        "app/feed.py": """
            from app.cache_mod import client as c


            async def feed(k):
                return await c.lpush(k, 1), await c.brpop(k)
        """,
    })
    assert b"redis" not in (root / "app/feed.py").read_bytes().lower()


def test_importer_without_the_word_redis_plain_directory(tmp_path: Path) -> None:
    _importer_repo(tmp_path)
    inv = scan(tmp_path)
    assert_sites(inv, [_module_client("pubsub-stream-queue")])
    assert inv.sites[0].operations == ["brpop", "lpush"]
    assert "needs-blocking-client" in inv.sites[0].flags
    assert inv.files_parsed == 2  # cache_mod.py in pass 1, feed.py in pass 2; not __init__


def test_importer_without_the_word_redis_git_repository(tmp_path: Path) -> None:
    _importer_repo(tmp_path)
    git_init(tmp_path)
    inv = scan(tmp_path)
    assert_sites(inv, [_module_client("pubsub-stream-queue")])
    assert inv.sites[0].operations == ["brpop", "lpush"]


def test_importer_two_hops_without_the_word_redis_git_repository(tmp_path: Path) -> None:
    write_repo(tmp_path, {
        "app/__init__.py": "",
        "app/cache_mod.py": MODULE_CLIENT,
        "app/shared.py": "from app.cache_mod import client as conn\n",
        "app/jobs.py": "from app.shared import conn\n\n\nasync def j(k):\n"
                       "    await conn.setex(k, 5, 1)\n",
    })
    git_init(tmp_path)
    assert_sites(scan(tmp_path), [_module_client("write-cache")])


def test_instance_attribute_of_module_singleton_used_in_other_module(tmp_path: Path) -> None:
    write_repo(tmp_path, {
        "app/__init__.py": "",
        "app/svc.py": """
            from redis.asyncio import Redis


            class Store:
                def __init__(self):
                    self.conn = Redis(host="localhost")


            store = Store()
        """,
        "app/api.py": """
            from app.svc import store


            async def load(key):
                return await store.conn.get(key)
        """,
    })
    inv = scan(tmp_path)
    assert_sites(inv, [
        S("app/svc.py", 6, "instantiation", "redis.asyncio.Redis", "read-cache", "class", ASYNC),
        S("app/svc.py", 9, "owner-singleton", "app.svc.Store", "read-cache", "module", ASYNC),
    ])


@pytest.mark.parametrize(("module", "function", "key", "purpose"), [
    ("app/ratelimit.py", "hit", "'k'", "lock-rate-limit"),  # the module says it
    ("app/handlers.py", "hit", "f'throttle:{ip}'", "lock-rate-limit"),  # the key says it
    ("app/handlers.py", "enforce_quota", "'k'", "lock-rate-limit"),
    ("app/handlers.py", "record_visit", "f'visits:{ip}'", "write-cache"),
    # words that merely contain "rate"/"limit" are not about limiting
    ("app/integrations/stats.py", "count_views", "f'views:{ip}'", "write-cache"),
    ("app/handlers.py", "generate_report_id", "'report-seq'", "write-cache"),
    ("app/corporate/stats.py", "count_views", "f'views:{ip}'", "write-cache"),
])
def test_rate_limit_hint_sources(tmp_path: Path, module: str, function: str, key: str,
                                 purpose: str) -> None:
    write_repo(tmp_path, {
        "app/__init__.py": "",
        "app/integrations/__init__.py": "",
        "app/corporate/__init__.py": "",
        "app/store.py": MODULE_CLIENT,
        module: f"""
            from app.store import client


            async def {function}(ip):
                n = await client.incr({key})
                await client.expire({key}, 60)
                return n
        """,
    })
    inv = scan(tmp_path)
    assert_sites(inv, [_module_client(purpose, "app/store.py")])


def test_factory_function_return_used_in_other_module(tmp_path: Path) -> None:
    write_repo(tmp_path, {
        "app/__init__.py": "",
        "app/factory.py": """
            import redis.asyncio as aioredis


            def make_client(url):
                return aioredis.from_url(url)
        """,
        "app/jobs.py": """
            from app.factory import make_client


            async def job(url):
                c = make_client(url)
                await c.rpush("q", 1)
                await c.lpop("q")
        """,
    })
    inv = scan(tmp_path)
    # purpose followed through the factory's callers, which the analysis sees: it may move
    assert_sites(inv, [S("app/factory.py", 5, "instantiation", "redis.asyncio.from_url",
                         "pubsub-stream-queue", "function", ASYNC)])
    assert "app.jobs.job.<locals>.c" in inv.sites[0].holders


def test_factory_whose_callers_are_not_seen_escapes(tmp_path: Path) -> None:
    write_repo(tmp_path, {"app/__init__.py": "", "app/factory.py": """
        import redis.asyncio as aioredis


        def make_client(url):
            client = aioredis.from_url(url)
            return client
    """})
    site = scan(tmp_path).sites[0]
    assert (site.status, site.reason_code) == ("manual", "unclassified"), site
    write_repo(tmp_path, {"app/factory.py": """
        import redis.asyncio as aioredis


        def make_client(url):
            return aioredis.from_url(url)


        async def warm(url):
            await aioredis.from_url(url).get("k")
    """})
    sites = scan(tmp_path).sites
    assert (sites[0].status, sites[0].reason_code) == ("manual", "unclassified"), sites[0]


def test_factory_whose_callers_use_the_result_directly_is_followed(tmp_path: Path) -> None:
    """`client().incr(k)` keeps nothing, but the caller is seen and its command counts."""
    write_repo(tmp_path, {"app/__init__.py": "", "app/views.py": """
        import redis.asyncio as aioredis


        async def index():
            return await client().incr("page_views")


        def client():
            return aioredis.from_url("redis://localhost:6379")
    """})
    (site,) = scan(tmp_path).sites
    assert (site.purpose, site.status) == ("write-cache", "pending"), site
    assert site.operations == ["incr"]


def test_pool_with_an_unused_client_goes_with_the_health_batch(tmp_path: Path) -> None:
    """No command reaches either, and nothing escapes: a connection-only change, done first."""
    write_repo(tmp_path, {"app/p.py": """
        from redis.asyncio import ConnectionPool, Redis

        pool = ConnectionPool.from_url("redis://localhost")
        client = Redis(connection_pool=pool)
    """})
    inv = scan(tmp_path)
    assert_sites(inv, [
        S("app/p.py", 3, "instantiation", "redis.asyncio.ConnectionPool.from_url", "unused",
          "module", ASYNC),
        S("app/p.py", 4, "instantiation", "redis.asyncio.Redis", "unused", "module", ASYNC),
    ])
    assert all("no Redis command reaches it" in " ".join(s.notes) for s in inv.sites)


def test_a_client_that_is_handed_on_or_returned_unseen_is_not_unused(tmp_path: Path) -> None:
    """Unused means every way out was followed: an unknown callee or unseen callers is doubt."""
    write_repo(tmp_path, {"app/p.py": """
        import redis.asyncio as aioredis
        from somewhere import register

        passed = aioredis.from_url("redis://localhost")
        register(passed)


        def make():
            made = aioredis.from_url("redis://localhost")
            return made
    """})
    by_line = {s.line: s for s in scan(tmp_path).sites}
    assert (by_line[4].purpose, by_line[4].reason_code) == ("unclassified", "passed-to")
    assert "register" in (by_line[4].reason or "")
    assert (by_line[9].purpose, by_line[9].reason_code) == ("unclassified", "unclassified")


def test_close_on_self_attribute_in_class(tmp_path: Path) -> None:
    write_repo(tmp_path, {"app/svc.py": """
        from redis.asyncio import Redis


        class Svc:
            def __init__(self):
                self._r = Redis()

            async def get(self, k):
                return await self._r.get(k)

            async def close(self):
                await self._r.aclose()
    """})
    inv = scan(tmp_path)
    assert_sites(inv, [
        S("app/svc.py", 6, "instantiation", "redis.asyncio.Redis", "read-cache", "class", ASYNC),
        S("app/svc.py", 12, "close", ".aclose()", "read-cache", "class", ASYNC),
    ])


def test_parallel_parse_gives_the_same_answer(tmp_path: Path) -> None:
    from redis_migrate.batch_catalog import load_batches
    from redis_migrate.config import Config
    from redis_migrate.scan.inventory import build_inventory

    files: dict[str, str] = {"app/__init__.py": "", "app/cache_mod.py": MODULE_CLIENT}
    for n in range(60):  # enough files for worker processes (and for redis in each name)
        files[f"app/redis_user_{n:02d}.py"] = (
            "from app.cache_mod import client\n\n\n"
            f"async def f{n}(k):\n    await client.{'get' if n else 'xadd'}(k)\n")
    write_repo(tmp_path, files)
    serial = scan(tmp_path)
    parallel = build_inventory(tmp_path, Config(), load_batches(), jobs=4)
    assert_sites(parallel, [_module_client("pubsub-stream-queue")])
    assert [s.to_dict() for s in parallel.sites] == [s.to_dict() for s in serial.sites]


def test_a_client_aliased_at_import_in_another_module_gets_the_stand_in(tmp_path: Path) -> None:
    """`cache_client = client` runs at import: get_redis() there would fail before
    init_redis(), so the global is given lazy_redis(), which the alias holds."""
    write_repo(tmp_path, {
        "app/__init__.py": "",
        "app/store.py": """
            import redis.asyncio as aioredis

            client = aioredis.from_url("redis://localhost")
        """,
        "app/views.py": """
            from app.store import client

            cache_client = client


            async def read(key):
                return await cache_client.get(key)
        """,
    })
    inv = scan(tmp_path)
    assert_sites(inv, [S("app/store.py", 3, "instantiation", "redis.asyncio.from_url",
                         "read-cache", "module", ASYNC, "pending")])
    assert "lazy-client" in inv.sites[0].flags
    assert any("app/views.py:3" in note for note in inv.sites[0].notes)

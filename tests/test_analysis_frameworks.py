"""Analysis fixtures: clients wired through a framework are followed to where they are used.

Real apps keep their clients on `app.state`, in `app["redis"]`, on a Flask app read back as
`current_app`, hand them out through `Depends(...)` yield providers, create them in startup
hooks and close them in shutdown hooks (sometimes in a lambda or a `functools.partial`).
Frameworks are recognised by the qualified names the target's imports resolve to; nothing is
imported. Each case scans a tiny repository through the real engine.
"""

from __future__ import annotations

from pathlib import Path

from analysis_helpers import scan, write_repo
from snippets import lazy_getter, source, yield_provider

from redis_migrate.config import Config
from redis_migrate.scan.lifecycle import template_text


def _instantiations(inventory):
    return [s for s in inventory.sites if s.kind == "instantiation"]


def _closes(inventory):
    return [(s.file, s.line) for s in inventory.sites if s.kind == "close"]


def _linked(inventory, site):
    return inventory.details[(site.file, site.line, site.col, site.kind)]


def test_app_state_set_in_a_lifespan_is_read_through_request_app_in_another_module(
        tmp_path: Path) -> None:
    write_repo(tmp_path, {
        "app/__init__.py": "",
        "app/main.py": """
            from contextlib import asynccontextmanager

            import redis.asyncio as redis
            from fastapi import FastAPI

            from app.routes import router


            @asynccontextmanager
            async def lifespan(app: FastAPI):
                app.state.redis = redis.from_url("redis://localhost/0")
                yield
                await app.state.redis.aclose()


            app = FastAPI(lifespan=lifespan)
            app.include_router(router)
        """,
        "app/routes.py": """
            from fastapi import APIRouter, Request, WebSocket

            router = APIRouter()


            @router.get("/{key}")
            async def read(key: str, request: Request):
                return await request.app.state.redis.get(key)


            @router.websocket("/ws")
            async def feed(websocket: WebSocket):
                await websocket.app.state.redis.publish("feed", "hello")
        """,
    })
    inventory = scan(tmp_path)
    [site] = _instantiations(inventory)
    assert site.operations == ["get", "publish"]
    assert site.purpose == "pubsub-stream-queue"
    linked = _linked(inventory, site)
    assert (linked.holder, linked.hook) == ("app-state", "lifespan")
    assert _closes(inventory) == [("app/main.py", 13)]


def test_module_level_app_used_in_a_startup_hook_and_elsewhere(tmp_path: Path) -> None:
    write_repo(tmp_path, {
        "app/__init__.py": "",
        "app/main.py": """
            from fastapi import FastAPI
            from redis.asyncio import Redis

            app = FastAPI()


            @app.on_event("startup")
            async def startup():
                app.state.cache = Redis.from_url("redis://localhost/0")


            @app.on_event("shutdown")
            async def shutdown():
                await app.state.cache.aclose()
        """,
        "app/jobs.py": """
            from app.main import app


            async def remember(key, value):
                await app.state.cache.set(key, value)
        """,
    })
    inventory = scan(tmp_path)
    [site] = _instantiations(inventory)
    assert site.operations == ["set"]
    assert _linked(inventory, site).hook == "startup"
    [close] = [s for s in inventory.sites if s.kind == "close"]
    assert _linked(inventory, close).hook == "shutdown"


def test_aiohttp_app_keys_config_dict_and_a_lambda_cleanup(tmp_path: Path) -> None:
    write_repo(tmp_path, {
        "chat/__init__.py": "",
        "chat/app.py": """
            import redis.asyncio as redis
            from aiohttp import web

            PUBSUB = web.AppKey("pubsub", redis.Redis)


            async def connect(app):
                app["redis"] = redis.from_url("redis://localhost/0")
                app[PUBSUB] = redis.from_url("redis://localhost/1")


            async def history(request):
                return await request.app["redis"].lrange("history", 0, -1)


            async def post(request: web.Request):
                await request.config_dict["redis"].lpush("history", "x")
                await request.app[PUBSUB].publish("chat", "x")


            def create_app():
                app = web.Application()
                app.on_startup.append(connect)
                app.on_cleanup.append(lambda app: app["redis"].aclose())
                return app
        """,
    })
    inventory = scan(tmp_path)
    first, second = _instantiations(inventory)
    assert first.operations == ["lpush", "lrange"]
    assert second.operations == ["publish"]
    [close] = [s for s in inventory.sites if s.kind == "close"]
    linked = _linked(inventory, close)
    assert (close.line, linked.in_lambda, linked.hook) == (24, True, "shutdown")
    assert linked.receiver == "app['redis']"


def test_flask_app_attribute_read_as_current_app(tmp_path: Path) -> None:
    write_repo(tmp_path, {
        "web/__init__.py": """
            import redis
            from flask import Flask


            def create_app():
                app = Flask(__name__)
                app.redis = redis.Redis.from_url("redis://localhost/0")
                return app
        """,
        "web/views.py": """
            from flask import current_app


            def page(key):
                return current_app.redis.get(key)
        """,
    })
    [site] = _instantiations(scan(tmp_path))
    assert site.operations == ["get"]


def test_yield_dependency_reaches_depends_and_annotated_parameters(tmp_path: Path) -> None:
    write_repo(tmp_path, {
        "app/__init__.py": "",
        "app/deps.py": source("from redis.asyncio import Redis", yield_provider(
            "get_cache", 'Redis.from_url("redis://localhost/0")')),
        "app/routes.py": """
            from typing import Annotated

            from fastapi import Depends

            from app.deps import get_cache


            async def count(cache=Depends(get_cache)):
                return await cache.incr("n")


            async def pop(cache: Annotated[object, Depends(get_cache)]):
                return await cache.rpop("q")
        """,
    })
    inventory = scan(tmp_path)
    [site] = _instantiations(inventory)
    assert site.operations == ["incr", "rpop"]
    assert site.status == "pending"
    assert _closes(inventory) == [("app/deps.py", 9)]


def test_closes_on_a_parameter_through_partial_and_in_aclosing(tmp_path: Path) -> None:
    write_repo(tmp_path, {
        "app/__init__.py": "",
        "app/main.py": """
            import contextlib
            import functools

            from redis.asyncio import Redis

            client = Redis.from_url("redis://localhost/0")


            async def shutdown(redis):
                await redis.aclose()


            def register(app):
                app.on_shutdown.append(functools.partial(shutdown, client))


            async def once():
                async with contextlib.aclosing(client):
                    await client.get("k")
        """,
    })
    inventory = scan(tmp_path)
    assert _closes(inventory) == [("app/main.py", 10), ("app/main.py", 18)]
    [site] = _instantiations(inventory)
    assert site.operations == ["get"]


def test_attribute_of_an_object_of_another_module(tmp_path: Path) -> None:
    write_repo(tmp_path, {
        "app/__init__.py": "",
        "app/cache.py": """
            class Cache:
                client = None

                async def read(self, key):
                    return await self.client.get(key)


            cache = Cache()
        """,
        "app/setup.py": """
            from redis.asyncio import Redis

            from app.cache import cache


            async def start():
                cache.client = Redis.from_url("redis://localhost/0")


            async def stop():
                await cache.client.aclose()
        """,
    })
    inventory = scan(tmp_path)
    [site] = _instantiations(inventory)
    assert site.operations == ["get"]
    assert _closes(inventory) == [("app/setup.py", 11)]


def test_factory_called_at_import_is_an_import_time_use(tmp_path: Path) -> None:
    write_repo(tmp_path, {"app/__init__.py": "", "app/clients.py": """
        from redis.asyncio import Redis


        def make_client():
            return Redis.from_url("redis://localhost/0")


        client = make_client()


        async def read(key):
            return await client.get(key)
    """})
    [site] = _instantiations(scan(tmp_path))
    assert (site.status, site.reason_code) == ("manual", "import-time-use"), site


def test_hooks_registered_every_way(tmp_path: Path) -> None:
    write_repo(tmp_path, {"app/__init__.py": "", "app/main.py": """
        import asyncio

        import redis.asyncio as redis
        from starlette.applications import Starlette


        async def boot():
            boot.client = redis.from_url("redis://localhost/0")


        async def main():
            client = redis.from_url("redis://localhost/1")
            await client.ping()


        class WorkerSettings:
            on_startup = boot


        app = Starlette(on_startup=[boot])
        asyncio.run(main())
    """})
    inventory = scan(tmp_path)
    hooks = sorted(_linked(inventory, s).hook for s in _instantiations(inventory))
    assert hooks == ["main", "startup"]


def test_a_property_that_returns_the_client_carries_its_commands(tmp_path: Path) -> None:
    write_repo(tmp_path, {"app/__init__.py": "", "app/clients.py": source(
        "import redis.asyncio as redis\n\n_client = None",
        lazy_getter("get_client", "_client", 'redis.from_url("redis://localhost/0")'),
    ), "app/cache.py": """
        from app.clients import get_client


        class CacheService:
            def __init__(self):
                self._redis = None

            @property
            def redis(self):
                if not self._redis:
                    self._redis = get_client()
                return self._redis

            async def put(self, key, value):
                await self.redis.set(key, value)
    """})
    [site] = _instantiations(scan(tmp_path))
    assert site.operations == ["set"]
    assert site.batch == "write-caches"


def test_hooks_without_a_url_leave_the_client_its_closes_and_owners_manual(
        tmp_path: Path) -> None:
    write_repo(tmp_path, {"app/__init__.py": "", "app/main.py": """
        from contextlib import asynccontextmanager

        from fastapi import FastAPI
        from redis.asyncio import Redis


        class Store:
            def __init__(self):
                self.r = Redis.from_url(make_url())

            async def put(self, key):
                await self.r.set(key, 1)

            async def stop(self):
                await self.r.aclose()


        store = Store()


        @asynccontextmanager
        async def lifespan(app: FastAPI):
            yield
            await store.stop()


        app = FastAPI(lifespan=lifespan)
    """})
    inventory = scan(tmp_path)
    kinds = sorted((s.kind, s.status, s.reason_code) for s in inventory.sites)
    assert kinds == [("close", "manual", "lifecycle-not-wired"),
                     ("instantiation", "manual", "lifecycle-not-wired"),
                     ("owner-singleton", "manual", "lifecycle-not-wired")]


def test_no_hook_and_no_init_call_is_said_in_a_note(tmp_path: Path) -> None:
    write_repo(tmp_path, {"lib/__init__.py": "", "lib/cache.py": """
        from redis.asyncio import Redis


        async def remember(key):
            r = Redis.from_url("redis://localhost/0", socket_timeout=3)
            await r.set(key, 1)
    """})
    [site] = _instantiations(scan(tmp_path))
    assert site.status == "pending"
    assert any("init_redis() is called nowhere in this repository" in n for n in site.notes)
    assert any("socket_timeout=3 dropped" in n for n in site.notes)


def test_each_program_is_wired_with_the_url_of_its_own_package(tmp_path: Path) -> None:
    getter = """
        import redis.asyncio as aioredis
        from .config import REDIS_URL

        _redis = None


        async def get_redis():
            global _redis
            if _redis is None:
                _redis = aioredis.from_url(REDIS_URL)
            return _redis
    """
    write_repo(tmp_path, {
        "api/__init__.py": "", "ingest/__init__.py": "",
        "api/config.py": "REDIS_URL = 'redis://localhost/0'\n",
        "ingest/config.py": "REDIS_URL = 'redis://localhost/1'\n",
        "api/redis.py": getter, "ingest/redis.py": getter,
        "api/app.py": """
            from contextlib import asynccontextmanager

            from fastapi import FastAPI, Request

            from .redis import get_redis


            @asynccontextmanager
            async def lifespan(app: FastAPI):
                app.state.redis = await get_redis()
                yield


            app = FastAPI(lifespan=lifespan)


            @app.get("/k")
            async def read(request: Request):
                return await request.app.state.redis.get("k")
        """,
        "ingest/main.py": """
            import asyncio

            from .redis import get_redis


            async def run():
                r = await get_redis()
                await r.set("k", 1)


            if __name__ == "__main__":
                asyncio.run(run())
        """,
    })
    inventory = scan(tmp_path)
    assert [(s.file, s.status) for s in _instantiations(inventory)] == [
        ("api/redis.py", "pending"), ("ingest/redis.py", "pending")]
    anchors = {(a.path, a.url_code) for a in inventory.wiring.anchors}
    assert anchors == {("api/app.py", "REDIS_URL"), ("ingest/main.py", "REDIS_URL")}
    assert inventory.wiring.url_imports == {"api.app.lifespan": (("api.config", "REDIS_URL"),),
                                            "ingest.main.run": (("ingest.config", "REDIS_URL"),)}


def test_python_inject_binding_is_read_by_instance_attr_autoparams_and_params(
        tmp_path: Path) -> None:
    """`binder.bind(Redis, client)` stores the client under its class; every way
    python-inject hands it back carries its commands, and the shutdown close is found."""
    write_repo(tmp_path, {
        "app/__init__.py": "",
        "app/di.py": """
            import inject
            from redis.asyncio import Redis

            URL = "redis://localhost:6379/0"


            def _bind(binder: inject.Binder) -> None:
                binder.bind(Redis, Redis.from_url(URL))


            def configure() -> None:
                inject.configure(_bind)
        """,
        "app/store.py": """
            import inject
            from redis.asyncio import Redis


            @inject.autoparams("redis")
            async def load(key: str, redis: Redis) -> bytes:
                return await redis.get(key)


            @inject.params(client=Redis)
            async def save(key: str, value: str, client=None) -> None:
                await client.set(key, value)


            async def count(key: str) -> int:
                return await inject.instance(Redis).incr(key)
        """,
        "app/main.py": """
            import inject
            from redis.asyncio import Redis


            async def shutdown() -> None:
                await inject.instance(Redis).aclose()
        """,
    })
    inventory = scan(tmp_path)
    (site,) = _instantiations(inventory)
    assert (site.file, site.status) == ("app/di.py", "pending"), site
    assert {"get", "set", "incr"} <= set(site.operations)
    assert ("app/main.py", 6) in _closes(inventory)


def test_a_bind_method_outside_python_inject_is_a_hand_off(tmp_path: Path) -> None:
    """Look-alike: `registry.bind(Redis, client)` in a module that does not import inject is
    an unknown callee, so the client stays manual with `passed-to`."""
    write_repo(tmp_path, {
        "app/__init__.py": "",
        "app/di.py": """
            from redis.asyncio import Redis

            from app.registry import registry


            def setup() -> None:
                registry.bind(Redis, Redis.from_url("redis://localhost"))
        """,
    })
    (site,) = _instantiations(scan(tmp_path))
    assert (site.status, site.reason_code) == ("manual", "passed-to"), site
    assert "registry.bind" in (site.reason or "")


def test_an_app_with_no_hook_is_not_wired_by_assumption(tmp_path: Path) -> None:
    """A Litestar app made in a main.py that never names Redis, with no startup hook, and a
    client whose URL a hook cannot spell (a call): moving it onto get_redis() would raise at
    the first request, so it waits, saying where the app is. Look-alike: alembic's env.py
    runs migrations with asyncio.run(); that is no program to start Redis in, and no reason
    to stop the batches."""
    write_repo(tmp_path, {
        "app/__init__.py": "",
        "app/main.py": """
            from litestar import Litestar

            from app.routes import handlers

            app = Litestar(route_handlers=handlers)
        """,
        "app/routes.py": """
            from litestar import get
            from redis.asyncio import Redis

            def make_url() -> str:
                return "redis://localhost:6379/0"


            client = Redis.from_url(make_url())


            @get("/")
            async def index() -> str:
                return await client.get("greeting")


            handlers = [index]
        """,
        "app/migrations/env.py": """
            import asyncio

            from alembic import context


            async def run_migrations_online() -> None:
                pass


            asyncio.run(run_migrations_online())
        """,
    })
    inventory = scan(tmp_path)
    (site,) = _instantiations(inventory)
    assert (site.status, site.reason_code) == ("manual", "lifecycle-not-wired"), site
    assert "Litestar() at app/main.py:5" in (site.reason or "")
    assert not inventory.wiring.hooks  # env.py's runner is not the app's main


def test_litestar_named_dependency_reaches_handler_parameters_of_that_name(
        tmp_path: Path) -> None:
    """`dependencies={"redis": Provide(provide_redis)}`: Litestar injects by name, so the
    handlers' `redis` parameters carry the commands. Look-alike: a plain function with a
    `redis` parameter is no handler and receives nothing."""
    write_repo(tmp_path, {
        "app/__init__.py": "",
        "app/deps.py": """
            from redis.asyncio import Redis

            from app.settings import REDIS_URL


            async def provide_redis():
                client = Redis.from_url(REDIS_URL)
                try:
                    yield client
                finally:
                    await client.aclose()
        """,
        "app/settings.py": "REDIS_URL = 'redis://localhost:6379/0'\n",
        "app/routes.py": """
            from litestar import get, post
            from redis.asyncio import Redis


            @get("/code")
            async def read_code(token: str, redis: Redis) -> str:
                return await redis.get(token)


            @post("/code")
            async def store_code(token: str, redis: Redis) -> None:
                await redis.set(token, "1", ex=60)


            async def not_a_handler(redis: Redis) -> None:
                await redis.publish("events", "x")
        """,
        "app/main.py": """
            from contextlib import asynccontextmanager

            from litestar import Litestar
            from litestar.di import Provide

            from app.deps import provide_redis
            from app.routes import read_code, store_code


            @asynccontextmanager
            async def lifespan(app):
                yield


            app = Litestar(route_handlers=[read_code, store_code], lifespan=[lifespan],
                           dependencies={"redis": Provide(provide_redis)})
        """,
    })
    (site,) = _instantiations(scan(tmp_path))
    assert site.file == "app/deps.py"
    assert set(site.operations) == {"get", "set"}, site  # not `publish`
    assert site.purpose == "write-cache"


def test_a_script_that_never_imports_a_client_is_not_wired(tmp_path: Path) -> None:
    """A `main()` is wired only where Redis is: `worker.py` imports the module that holds the
    client and gets init_redis(); `report.py`, and `scripts/stats.py` beside a script that has
    a client of its own, import nothing of it and are left alone."""
    main_of = """
        import asyncio
        {imports}

        async def main():
            {body}


        if __name__ == "__main__":
            asyncio.run(main())
    """
    write_repo(tmp_path, {
        "cache.py": """
            from redis.asyncio import Redis

            client = Redis.from_url("redis://localhost:6379/3")


            async def remember(key):
                await client.set(key, 1)
        """,
        "worker.py": main_of.format(imports="from cache import remember\n",
                                    body="await remember('k')"),
        "report.py": main_of.format(imports="import json\n", body="print(json.dumps({}))"),
        # a folder of scripts: the probe holds a client, its neighbour does not import it
        "scripts/probe.py": """
            import asyncio

            from redis.asyncio import Redis

            probe = Redis.from_url("redis://localhost:6379/3")


            async def main():
                await probe.set("k", 1)


            if __name__ == "__main__":
                asyncio.run(main())
        """,
        "scripts/stats.py": main_of.format(imports="import json\n", body="print(1)"),
    })
    inventory = scan(tmp_path)
    anchors = {a.path for a in inventory.wiring.anchors}
    assert anchors == {"worker.py", "scripts/probe.py"}, anchors
    assert {s.status for s in _instantiations(inventory)} == {"pending"}


def test_a_host_port_client_is_never_wired_with_its_host_alone(tmp_path: Path) -> None:
    """`Redis(host=settings.REDIS_HOST, port=6380)` under a lifespan that creates nothing: the
    hook is given the URL spelled from all three parts, never `init_redis(settings.REDIS_HOST)`,
    a host and not a URL, which fails at startup."""
    write_repo(tmp_path, {
        "app/__init__.py": "", "app/settings.py": "REDIS_HOST = 'cache'\n",
        "app/main.py": """
            from contextlib import asynccontextmanager

            from fastapi import FastAPI
            from redis.asyncio import Redis

            from app import settings

            cache = Redis(host=settings.REDIS_HOST, port=6380)


            @asynccontextmanager
            async def lifespan(app: FastAPI):
                yield


            app = FastAPI(lifespan=lifespan)


            @app.get("/{key}")
            async def read(key: str):
                return await cache.get(key)
        """,
    })
    inventory = scan(tmp_path)
    (site,) = _instantiations(inventory)
    assert site.status == "pending", site
    (anchor,) = inventory.wiring.anchors
    assert anchor.url_code == 'f"redis://{settings.REDIS_HOST}:6380/0"'


def test_two_clients_on_one_host_and_two_ports_connect_to_two_servers(tmp_path: Path) -> None:
    """The URL of a host/port client is its host, port and db: a second client on another
    port is `url-differs` from the one the startup hook wires, not the same server."""
    write_repo(tmp_path, {
        "app/__init__.py": "",
        "app/main.py": """
            from contextlib import asynccontextmanager

            from fastapi import FastAPI
            from redis.asyncio import Redis

            other = Redis(host="cache", port=6380)


            @asynccontextmanager
            async def lifespan(app: FastAPI):
                app.state.redis = Redis(host="cache", port=6379)
                yield
                await app.state.redis.aclose()


            app = FastAPI(lifespan=lifespan)


            @app.get("/{key}")
            async def read(key: str):
                return await other.get(key) or await app.state.redis.get(key)
        """,
    })
    sites = {s.line: s for s in _instantiations(scan(tmp_path))}
    assert (sites[11].status, sites[11].reason_code) == ("pending", None), sites[11]
    assert (sites[6].status, sites[6].reason_code) == ("manual", "url-differs"), sites[6]
    assert sites[6].reason == 'connects to "cache", the central client to a literal host:6379/0'


def test_a_dependency_provider_nothing_uses_moves_with_the_first_batch(tmp_path: Path) -> None:
    """planit's `get_redis()` yield dependency: no route depends on it and nothing imports
    it. What it yields goes nowhere, so moving it changes connections only (the health
    batch). Look-alikes: a provider a route does use is classified by that route's commands;
    a method that yields a client (a task base class's `redis_client()`, bound by Celery) is
    never taken as unused."""
    write_repo(tmp_path, {
        "app/__init__.py": "",
        "app/deps.py": source(
            "import redis.asyncio as redis",
            yield_provider("unused_provider", 'redis.from_url("redis://localhost:6379/0")'),
            yield_provider("used_provider", 'redis.from_url("redis://localhost:6379/0")'), """
            class Task:
                async def redis_client(self):
                    client = redis.from_url("redis://localhost:6379/0")
                    yield client
        """),
        "app/routes.py": """
            from fastapi import Depends, FastAPI

            from app.deps import used_provider

            app = FastAPI()


            @app.get("/{key}")
            async def read(key: str, cache=Depends(used_provider)):
                return await cache.get(key)
        """,
    })
    sites = {s.line: s for s in _instantiations(scan(tmp_path))}
    assert (sites[5].batch, sites[5].status) == ("health", "pending"), sites[5]
    assert any("no Redis command reaches it" in n for n in sites[5].notes), sites[5].notes
    assert (sites[13].batch, sites[13].purpose) == ("read-caches", "read-cache"), sites[13]
    assert (sites[22].status, sites[22].reason_code) == ("manual", "unclassified"), sites[22]


def test_init_redis_on_a_re_exported_setting_matches_clients_on_the_original(
        tmp_path: Path) -> None:
    """planit's shape: main.py calls `init_redis(settings.REDIS_URL)` with `settings` from
    `core.setup`, which never names Redis and re-exports `core.config.settings`; a client on
    `core.config.settings.REDIS_URL` connects to the same place, not `url-differs`."""
    write_repo(tmp_path, {
        "core/__init__.py": "",
        "core/config.py": ("class S:\n    REDIS_URL = 'redis://localhost:6379/0'\n\n\n"
                           "settings = S()\n"),
        "core/setup.py": "from core.config import settings\n\nDEBUG = True\n",
        "core/cache.py": """
            import redis.asyncio as redis

            from core.config import settings

            client = redis.from_url(settings.REDIS_URL)


            async def read(key):
                return await client.get(key)
        """,
        "main.py": """
            from contextlib import asynccontextmanager

            from fastapi import FastAPI

            from core.setup import settings
            from redis_client import close_redis, init_redis


            @asynccontextmanager
            async def lifespan(app: FastAPI):
                await init_redis(settings.REDIS_URL)
                yield
                await close_redis()


            app = FastAPI(lifespan=lifespan)
        """,
        "redis_client.py": template_text(),
    })
    config = Config(lifecycle_module="redis_client.py", lifecycle_import="redis_client")
    (site,) = _instantiations(scan(tmp_path, config))
    assert (site.status, site.reason_code) == ("pending", None), site


def test_a_script_main_does_not_start_an_app_it_never_imports(tmp_path: Path) -> None:
    """A FastAPI app made with no hook, and a script whose `main()` uses the same client: the
    script's `main()` would be the only place init_redis() goes, and the app's requests would
    reach get_redis() unstarted. The sites wait, naming the app. Look-alike: a `main()` that
    imports the app and serves it does start it, and is wired."""
    files = {
        "app/__init__.py": "",
        "app/cache.py": """
            from redis.asyncio import Redis

            from app import settings

            client = Redis.from_url(settings.REDIS_URL)


            async def read(key):
                return await client.get(key)
        """,
        "app/settings.py": "REDIS_URL = 'redis://localhost:6379/0'\n",
        "app/main.py": """
            from fastapi import FastAPI

            from app.cache import read

            app = FastAPI()


            @app.get("/{key}")
            async def get(key: str):
                return await read(key)
        """,
        "scripts/warm.py": """
            import asyncio

            from app.cache import read


            async def main():
                await read("k")


            if __name__ == "__main__":
                asyncio.run(main())
        """,
    }
    write_repo(tmp_path / "a", files)
    (site,) = _instantiations(scan(tmp_path / "a"))
    assert (site.status, site.reason_code) == ("manual", "lifecycle-not-wired"), site
    assert "FastAPI() at app/main.py:5" in (site.reason or ""), site.reason
    serve = files | {"scripts/warm.py": """
        import asyncio

        import uvicorn

        from app.main import app


        async def main():
            await uvicorn.Server(uvicorn.Config(app)).serve()


        if __name__ == "__main__":
            asyncio.run(main())
    """}
    write_repo(tmp_path / "b", serve)
    inventory = scan(tmp_path / "b")
    (site,) = _instantiations(inventory)
    assert (site.status, site.reason_code) == ("pending", None), site
    assert {a.path for a in inventory.wiring.anchors} == {"scripts/warm.py"}


def test_aiogram_dispatcher_observers_are_hooks(tmp_path: Path) -> None:
    """testopia's shape: `dp.startup.register(on_startup)` runs as the dispatcher starts; the
    same `register` call in a module that does not import aiogram is no hook."""
    bot = """
        import os

        import redis.asyncio as redis
        from aiogram import Dispatcher

        dp = Dispatcher()


        async def on_startup():
            on_startup.client = redis.from_url(os.environ["REDIS_URL"])


        async def on_shutdown():
            await on_startup.client.aclose()


        dp.startup.register(on_startup)
        dp.shutdown.register(on_shutdown)
    """
    write_repo(tmp_path / "bot", {"bot.py": bot})
    [site] = _instantiations(scan(tmp_path / "bot"))
    linked = _linked(scan(tmp_path / "bot"), site)
    assert linked.hook == "startup", linked
    write_repo(tmp_path / "other", {"bot.py": bot.replace(
        "from aiogram import Dispatcher", "from signals import Dispatcher")})
    inventory = scan(tmp_path / "other")
    [site] = _instantiations(inventory)
    assert _linked(inventory, site).hook is None


def test_asyncio_run_in_a_def_called_at_import_is_no_program(tmp_path: Path) -> None:
    """notifications-p's shape: `broker = setup_broker_sync()` runs `asyncio.run(setup())` as
    the module loads; `setup()` is no worker main() to start Redis in. The same runner under
    `if __name__ == "__main__":` is one."""
    source_ = """
        import asyncio
        import os

        import redis.asyncio as redis


        async def setup():
            client = redis.from_url(os.environ["REDIS_URL"])
            await client.ping()
            return client


        def setup_sync():
            return asyncio.run(setup())


        broker = setup_sync()
    """
    write_repo(tmp_path / "at_import", {"tasks.py": source_})
    inventory = scan(tmp_path / "at_import")
    [site] = _instantiations(inventory)
    assert _linked(inventory, site).hook is None
    write_repo(tmp_path / "script", {"tasks.py": source_.replace(
        "broker = setup_sync()", 'if __name__ == "__main__":\n            setup_sync()')})
    inventory = scan(tmp_path / "script")
    [site] = _instantiations(inventory)
    assert _linked(inventory, site).hook == "main"

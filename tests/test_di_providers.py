"""dependency-injector containers hand a client from a `providers.Resource` to a service.

Found on three public FastAPI apps tried after the corpus was fixed (auth-kolosov,
footy-sync, fridon-ai): `redis_pool = providers.Resource(init_redis_pool, ...)` and
`service = providers.Factory(Service, redis=redis_pool)` in a `DeclarativeContainer`. The
container calls `Service(redis=<what init_redis_pool yields>)` when asked, not when the class
body runs: the service's commands are the client's, and nothing runs at import. fridon-ai
also takes the client out of the generator with `await anext(init_redis_pool(...))`. Before,
every such client was `unclassified` ("no Redis command on it can be followed") or
`passed-to anext()`. The rewrite is proven by the fixture
`inline_function_client/di_resource_generator`.
"""

from __future__ import annotations

from pathlib import Path

from analysis_helpers import scan, write_repo

RESOURCE = """
    from redis.asyncio import Redis


    async def init_redis_pool(url: str):
        client = Redis.from_url("redis://localhost/0")
        try:
            yield client
        finally:
            await client.aclose()
"""

SERVICE = """
    class Service:
        def __init__(self, redis) -> None:
            self._redis = redis

        async def process(self) -> str:
            await self._redis.set("my-key", "value")
            return await self._redis.get("my-key")
"""


def _client(root: Path):
    [site] = [s for s in scan(root).sites if s.kind == "instantiation"]
    return site


def test_a_factory_hands_the_resource_to_the_service_constructor(tmp_path: Path) -> None:
    write_repo(tmp_path, {
        "app/__init__.py": "", "app/resources.py": RESOURCE, "app/services.py": SERVICE,
        "app/containers.py": """
            from dependency_injector import containers, providers

            from app import resources, services


            class Container(containers.DeclarativeContainer):
                config = providers.Configuration()
                redis_pool = providers.Resource(resources.init_redis_pool, url=config.url)
                service = providers.Factory(services.Service, redis=redis_pool)
        """,
    })
    site = _client(tmp_path)
    assert sorted(site.operations) == ["get", "set"], site
    assert site.reason_code != "import-time-use", site  # the class body makes no call


def test_a_provider_that_is_not_given_the_resource_passes_nothing(tmp_path: Path) -> None:
    """The look-alike: the factory makes the service with something else."""
    write_repo(tmp_path, {
        "app/__init__.py": "", "app/resources.py": RESOURCE, "app/services.py": SERVICE,
        "app/containers.py": """
            from dependency_injector import containers, providers

            from app import resources, services


            class Container(containers.DeclarativeContainer):
                redis_pool = providers.Resource(resources.init_redis_pool, url="x")
                other = providers.Object(None)
                service = providers.Factory(services.Service, redis=other)
        """,
    })
    site = _client(tmp_path)
    assert site.operations == [], site
    assert (site.status, site.reason_code) == ("manual", "unclassified"), site


def test_anext_takes_what_the_generator_yields(tmp_path: Path) -> None:
    write_repo(tmp_path, {
        "app/__init__.py": "", "app/resources.py": RESOURCE,
        "app/repository.py": """
            from app.resources import init_redis_pool


            class Repository:
                async def connect(self) -> None:
                    self.redis = await anext(init_redis_pool(url="redis://localhost/0"))

                async def read(self, key):
                    return await self.redis.get(key)
        """,
    })
    site = _client(tmp_path)
    assert site.operations == ["get"], site
    assert site.reason_code != "passed-to", site

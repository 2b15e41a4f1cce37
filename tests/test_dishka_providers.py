"""dishka's `@provide` hands what it returns to every parameter of the type it provides.

Found on pupaXD (solodieyo/pupaXD, a public aiogram bot): a `Provider`'s `@provide def
get_redis(self, config) -> Redis` returns a client, and another `@provide def get_storage(self,
redis: Redis) -> BaseStorage` gives it to aiogram's `RedisStorage`. The analysis did not know
dishka: the client's only "caller" was the provider's base class, so the site was `unused`,
and went in the health batch, first, though aiogram reads and writes FSM state on it. Now a
`@provide` def's return or yield is held under its return type, which its typed parameters,
and a handler's `FromDishka[Redis]`, read: the client is a write cache, in its batch.
"""

from __future__ import annotations

from pathlib import Path

from analysis_helpers import scan, write_repo

PROVIDERS = """
    from aiogram.fsm.storage.base import BaseStorage
    from aiogram.fsm.storage.redis import RedisStorage
    from dishka import Provider, Scope, provide
    from redis.asyncio import Redis


    class DpProvider(Provider):
        scope = Scope.APP

        @provide(scope=Scope.APP)
        def get_redis(self) -> Redis:
            return Redis(host="localhost", port=6379, decode_responses=True)

        @provide(scope=Scope.APP)
        def get_storage(self, redis: Redis) -> BaseStorage:
            return RedisStorage(redis=redis)
"""

HANDLER = """
    from dishka import FromDishka
    from dishka.integrations.aiogram import inject
    from redis.asyncio import Redis


    @inject
    async def stats(message, redis: FromDishka[Redis]) -> None:
        await message.answer(str(await redis.get("stats")))
"""


def _client(root: Path):
    [site] = [s for s in scan(root).sites if s.kind == "instantiation"]
    return site


def test_a_provided_client_is_used_by_what_its_type_is_given_to(tmp_path: Path) -> None:
    write_repo(tmp_path, {"bot/__init__.py": "", "bot/providers.py": PROVIDERS})
    site = _client(tmp_path)
    assert (site.purpose, site.batch) == ("write-cache", "write-caches"), site
    assert any("aiogram.fsm.storage.redis.RedisStorage" in note for note in site.notes), site


def test_a_handler_reads_it_through_from_dishka(tmp_path: Path) -> None:
    only_provider = PROVIDERS.replace("""
        @provide(scope=Scope.APP)
        def get_storage(self, redis: Redis) -> BaseStorage:
            return RedisStorage(redis=redis)
""", "")
    write_repo(tmp_path, {"bot/__init__.py": "", "bot/providers.py": only_provider,
                          "bot/handlers.py": HANDLER})
    site = _client(tmp_path)
    assert (site.purpose, site.batch) == ("read-cache", "read-caches"), site
    assert "get" in site.operations


def test_without_provide_the_return_type_is_no_provider(tmp_path: Path) -> None:
    """The look-alike: the same method without `@provide` hands its client to no one the
    analysis sees, as before."""
    write_repo(tmp_path, {"bot/__init__.py": "", "bot/providers.py": PROVIDERS.replace(
        "@provide(scope=Scope.APP)", "")})
    site = _client(tmp_path)
    assert site.purpose != "write-cache", site

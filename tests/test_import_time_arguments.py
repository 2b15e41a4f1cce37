"""A client handed to a call made at import is used at import.

Found on bot4 (skaffenn/bot4, a public aiogram bot tried after the corpus was fixed):
`storage = RedisStorage(redis=r)` at module level, the dispatcher polling in `main()`. The
batch made it `RedisStorage(redis=get_redis())`, which raises as the module is imported,
before `main()` can call `init_redis()`. An async client handed to a call made at import is
`import-time-use`; a sync one is not (`get_sync_redis()` needs no startup call), nor is a
hand-off inside a def. A callee known to only keep it (aiogram's `RedisStorage`, a class of the
app) gets `lazy_redis()` instead: tests/test_lazy_stand_in.py.
"""

from __future__ import annotations

from pathlib import Path

from analysis_helpers import scan, write_repo


def _client(root: Path):
    [site] = [s for s in scan(root).sites if s.kind == "instantiation"]
    return site


def test_an_async_client_handed_at_import_to_a_consumer_that_checks_it(tmp_path: Path) -> None:
    write_repo(tmp_path, {"bot.py": """
        import asyncio

        from aiogram import Dispatcher
        from aiohttp_session.redis_storage import RedisStorage
        from redis.asyncio import Redis

        r = Redis(host="localhost", port=6379)
        storage = RedisStorage(r)
        dp = Dispatcher(storage=storage)


        async def main():
            await dp.start_polling()


        if __name__ == "__main__":
            asyncio.run(main())
    """})
    site = _client(tmp_path)
    assert (site.status, site.reason_code) == ("manual", "import-time-use"), site
    # aiohttp-session's RedisStorage raises unless given a Redis: no stand-in for it
    assert "bot.py:8" in (site.reason or ""), site  # the RedisStorage(...) line


def test_handed_over_inside_a_def_or_as_a_sync_client_is_not(tmp_path: Path) -> None:
    """The look-alikes: the same hand-off inside `main()`, and a sync client handed to an RQ
    queue at import (get_sync_redis() works there)."""
    write_repo(tmp_path, {"bot.py": """
        import asyncio

        from aiogram import Dispatcher
        from aiogram.fsm.storage.redis import RedisStorage
        from redis.asyncio import Redis

        r = Redis(host="localhost", port=6379)


        async def main():
            dp = Dispatcher(storage=RedisStorage(redis=r))
            await dp.start_polling()
    """})
    assert _client(tmp_path).reason_code != "import-time-use"
    sync = tmp_path / "sync"
    write_repo(sync, {"jobs.py": """
        from redis import Redis
        from rq import Queue

        connection = Redis(host="localhost", port=6379)
        queue = Queue(connection=connection)


        def enqueue(job):
            return queue.enqueue(job)
    """})
    assert _client(sync).reason_code != "import-time-use"

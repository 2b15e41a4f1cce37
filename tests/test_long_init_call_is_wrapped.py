"""An `await init_redis(...)` too long for one line is written one argument a line.

A wired call carries the URL and, beside it, the options or credentials the clients share
(`clients={"default": {...}}`); on FastWrap it came to 190 characters on one line. It is now
written as a formatter would (99 columns at most), and the positions of everything after it
move down by as many lines as it takes: the client right below it is still found and
rewritten. Run on a real server before and after: the count goes on in the same database.
"""

from __future__ import annotations

from pathlib import Path

import redis
from cli_helpers import dedented_repo, init_and_apply_every_batch, run_python

from redis_migrate.codemods.wire_lifecycle import LINE_LENGTH, awaited_call

CONFIGURATION = """
    import os

    PRIMARY_REDIS_CONNECTION_URL_FOR_THE_COUNTER = os.environ["APP_REDIS_URL"]
    PRIMARY_REDIS_DATABASE_NUMBER_FOR_THE_COUNTER = int(os.environ.get("APP_REDIS_DB", "3"))
"""

WORKER = """
    import asyncio

    import redis.asyncio as redis

    from app import configuration as settings


    async def main():
        \"\"\"Count one more run.\"\"\"
        client = redis.Redis.from_url(settings.PRIMARY_REDIS_CONNECTION_URL_FOR_THE_COUNTER,
                                      db=settings.PRIMARY_REDIS_DATABASE_NUMBER_FOR_THE_COUNTER)
        try:
            print(await client.incr("runs"))
        finally:
            await client.aclose()


    if __name__ == "__main__":
        asyncio.run(main())
"""

WRAPPED = '''
    """Count one more run."""
    await init_redis(
        settings.PRIMARY_REDIS_CONNECTION_URL_FOR_THE_COUNTER,
        clients={"default": {"db": settings.PRIMARY_REDIS_DATABASE_NUMBER_FOR_THE_COUNTER}},
    )
    client = get_redis()
    try:
'''


def test_a_long_init_is_wrapped_and_the_client_below_it_still_moves(
        tmp_path: Path, redis_url: str) -> None:
    server = redis_url.rsplit("/", 1)[0]
    repo = dedented_repo(tmp_path / "worker", {"app/__init__.py": "",
                                               "app/configuration.py": CONFIGURATION,
                                               "worker.py": WORKER})
    assert run_python(repo, "worker.py", env={"APP_REDIS_URL": server}) == "1"
    init_and_apply_every_batch(repo)
    text = (repo / "worker.py").read_text()
    assert WRAPPED in text, text
    assert "aclose()" not in text and "await close_redis()" in text, text
    assert max(len(line) for line in text.splitlines()) <= LINE_LENGTH, text
    assert run_python(repo, "worker.py", env={"APP_REDIS_URL": server}) == "2"
    with redis.Redis.from_url(server, db=3) as admin:
        assert admin.get("runs") == b"2"


def test_a_short_call_stays_on_one_line() -> None:
    assert awaited_call("init_redis(settings.REDIS_URL)", "    ") == \
        "await init_redis(settings.REDIS_URL)"
    # the column it will stand at counts, not only the indent it is written with
    long = 'init_redis(settings.REDIS_URL, clients={"default": {"db": settings.REDIS_DB}})'
    assert awaited_call(long, "", column=4) == f"await {long}"
    assert awaited_call(long, "", column=40).splitlines() == [
        "await init_redis(", "    settings.REDIS_URL,",
        '    clients={"default": {"db": settings.REDIS_DB}},', ")"]

"""A client's `password=` / `username=` are part of where it connects.

Found while reading FastWrap (a public FastAPI app of the corpus) for this: the URL key of
`Redis(host=h, port=p, password=pw)` was the host, port and db only, so beside a client on the
same host without a password it counted as the same server, and the batch moved it onto the
shared client, which connects without the password: every command would then fail with
NOAUTH. Credentials are now part of the key, masked (a literal is hashed, a name is its key),
and a URL with credentials beside it is never spelled without them in a wired init_redis().
"""

from __future__ import annotations

from pathlib import Path

import pytest
from analysis_helpers import scan, write_repo

from redis_migrate.config import Config

APP = """
    import os
    from contextlib import asynccontextmanager

    from fastapi import FastAPI
    from redis.asyncio import Redis


    @asynccontextmanager
    async def lifespan(app: FastAPI):
        app.state.cache = Redis(host=os.environ["REDIS_HOST"], port=6379)
        yield
        await app.state.cache.aclose()


    app = FastAPI(lifespan=lifespan)
    other = Redis(host=os.environ["REDIS_HOST"], port=6379{extra})


    @app.get("/")
    async def index():
        await app.state.cache.get("a")
        return await other.get("b")
"""


def _other(tmp_path: Path, extra: str):
    write_repo(tmp_path, {"app/__init__.py": "", "app/main.py": APP.format(extra=extra)})
    return next(s for s in scan(tmp_path).sites if s.kind == "instantiation" and s.line == 16)


@pytest.mark.parametrize(("extra", "said"), [
    (', password=os.environ["REDIS_PASSWORD"]', "with a password of its own"),
    (', username="app", password="hunter2"', "with a username and a password of its own"),
])
def test_a_client_with_credentials_is_another_client(tmp_path: Path, extra: str,
                                                     said: str) -> None:
    site = _other(tmp_path, extra)
    assert (site.status, site.reason_code) == ("manual", "url-differs"), site
    assert said in (site.reason or ""), site.reason
    assert "hunter2" not in (site.reason or "") and "hunter2" not in str(site.notes)


@pytest.mark.parametrize("extra", ["", ", password=None"])
def test_the_same_server_without_credentials_still_moves(tmp_path: Path, extra: str) -> None:
    site = _other(tmp_path, extra)
    assert (site.status, site.reason_code) == ("pending", None), site


def test_a_named_client_spelled_like_its_url_does_not_take_it(tmp_path: Path) -> None:
    """`init` proposes `[tool.migrate.clients.host] url = 'os.environ["REDIS_HOST"]'` for the
    app's URL as written; the client with a password is written the same way, but a named
    client is made from its URL alone, so it would connect without the password."""
    write_repo(tmp_path, {"app/__init__.py": "",
                          "app/main.py": APP.format(extra=', password="hunter2"')})
    config = Config(clients={"host": {"url": 'os.environ["REDIS_HOST"]'}})
    sites = {s.line: s for s in scan(tmp_path, config).sites if s.kind == "instantiation"}
    assert sites[10].client == "host", sites[10]  # the look-alike without one takes it
    assert (sites[16].client, sites[16].reason_code) == (None, "url-differs"), sites[16]

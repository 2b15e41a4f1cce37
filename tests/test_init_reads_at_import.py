"""What a class's `__init__` stores on `self` is read whenever the class is built: at import
for an object built at import.

Found on AnimalRescueKharkiv_backend (baza-trainee, a public FastAPI app): its `Cache` stores
the module's client in `__init__` (`self.__client = redis_client_async`), and eight routers
build a `Cache(...)` at module level. The batch made it `self.__client = get_redis()`, which
raises as the routers are imported, before the lifespan can call `init_redis()`. The attribute
now becomes a property returning `get_redis()`, read when a method uses it, as a client made
in `__init__` already did. A value that cannot be made a property (`client or fallback`, an
attribute set again elsewhere) is `import-time-use`; the same class built inside a def moves
as before.
"""

from __future__ import annotations

import textwrap
import warnings
from pathlib import Path

from analysis_helpers import scan, write_repo
from cli_helpers import git_repo, init_and_apply_every_batch, run_python

CLIENT = """
    import os

    import redis.asyncio as redis

    client = redis.Redis.from_url(os.environ["REDIS_URL"])
"""

CACHE = """
    from app.redis_conn import client


    class Cache:
        def __init__(self, prefix: str) -> None:
            self.__client = client
            self.prefix = prefix

        async def get(self, key: str):
            return await self.__client.get(self.prefix + key)

        async def bump(self, key: str) -> int:
            return await self.__client.incr(self.prefix + key)
"""

ROUTES = """
    from app.cache import Cache

    users_cache = Cache("users:")


    async def bump(key: str) -> int:
        return await users_cache.bump(key)
"""

MAIN = """
    from contextlib import asynccontextmanager

    from fastapi import FastAPI

    from app.redis_conn import client
    from app.routes import bump


    @asynccontextmanager
    async def lifespan(app: FastAPI):
        yield
        await client.aclose()


    app = FastAPI(lifespan=lifespan)


    @app.post("/hits/{key}")
    async def hit(key: str) -> int:
        return await bump(key)
"""


def _files(routes: str = ROUTES, cache: str = CACHE) -> dict[str, str]:
    return {"app/__init__.py": "", "app/redis_conn.py": CLIENT, "app/cache.py": cache,
            "app/routes.py": routes, "app/main.py": MAIN}


def _client(root: Path):
    [site] = [s for s in scan(root).sites if s.kind == "instantiation"]
    return site


# two app lifetimes (two event loops), 20 requests each: the last count, and the connections
# the server accepted meanwhile
DRIVE = '''
import os
import redis
from fastapi.testclient import TestClient
from app.main import app

admin = redis.Redis.from_url(os.environ["REDIS_URL"])
admin.delete("users:k")
before = admin.info("stats")["total_connections_received"]
for _ in range(2):
    with TestClient(app) as client:
        counts = [client.post("/hits/k").json() for _ in range(20)]
print(counts[-1], admin.info("stats")["total_connections_received"] - before)
'''


def test_a_module_client_stored_by_init_of_an_object_built_at_import_becomes_a_property(
        tmp_path: Path, redis_url: str) -> None:
    warnings.simplefilter("ignore", DeprecationWarning)
    repo = git_repo(tmp_path / "hits", {k: textwrap.dedent(v).lstrip() for k, v in
                                        _files().items()})
    assert run_python(repo, "-c", DRIVE, env={"REDIS_URL": redis_url}).split()[0] == "40"
    init_and_apply_every_batch(repo)
    cache = (repo / "app/cache.py").read_text()
    assert "self.__client = " not in cache, cache
    assert "@property\n    def __client(self):" in cache and "return get_redis()" in cache, cache
    assert "users_cache = Cache(\"users:\")" in (repo / "app/routes.py").read_text()
    last, opened = run_python(repo, "-c", DRIVE, env={"REDIS_URL": redis_url}).split()
    assert last == "40", last
    assert int(opened) <= 4, opened  # one pool per app lifetime


def test_a_subclass_built_at_import_runs_its_base_init(tmp_path: Path) -> None:
    write_repo(tmp_path, _files(routes="""
        from app.cache import Cache


        class UserCache(Cache):
            pass


        users_cache = UserCache("users:")


        async def bump(key: str) -> int:
            return await users_cache.bump(key)
    """))
    site = _client(tmp_path)
    assert site.status == "pending", site
    details = scan(tmp_path).details
    [linked] = [d for d in details.values() if d.kind == "instantiation"]
    assert linked.init_attributes == [("app/cache.py", "app.cache.Cache", "__client")], linked


def test_a_value_that_cannot_become_a_property_is_given_the_stand_in(tmp_path: Path) -> None:
    """`self.__client = client or fallback` is read as the object is built, and so is an
    attribute that another method sets again: neither can be a property, so the global is
    given lazy_redis(), which the object keeps (tests/test_lazy_stand_in.py)."""
    for old, new in (("self.__client = client", "self.__client = client or None"),
                     ("self.prefix = prefix", "self.prefix = prefix\n\n"
                      "    def reset(self) -> None:\n        self.__client = client")):
        root = tmp_path / str(len(old))
        write_repo(root, _files(cache=textwrap.dedent(CACHE).replace(old, new)))
        site = _client(root)
        assert (site.status, site.reason_code) == ("pending", None), site
        assert "lazy-client" in site.flags, site
        # the line is `users_cache = Cache(...)`: the note says the client is in it
        assert any("app/routes.py:3: Cache() is built with it" in n for n in site.notes), site


def test_a_client_made_by_init_of_an_object_built_at_import_still_moves(
        tmp_path: Path) -> None:
    """The look-alike: a client `__init__` makes itself becomes a property, read when used
    (tests/test_startup_beside_shutdown_hook.py runs such an app)."""
    write_repo(tmp_path, _files(cache=CACHE.replace(
        "from app.redis_conn import client", "import os\n\n    import redis.asyncio as redis",
    ).replace("self.__client = client",
              'self.__client = redis.Redis.from_url(os.environ["REDIS_URL"])')))
    sites = [s for s in scan(tmp_path).sites if s.kind == "instantiation"
             and s.file == "app/cache.py"]
    assert [(s.status, s.rewrite) for s in sites] == [("pending", "instance-attribute")], sites


def test_the_same_class_built_inside_a_def_still_moves(tmp_path: Path) -> None:
    """The look-alike: the object is built per call, after the app has started; its
    attribute is given get_redis() as before."""
    write_repo(tmp_path, _files(routes="""
        from app.cache import Cache


        async def bump(key: str) -> int:
            return await Cache("users:").bump(key)
    """))
    site = _client(tmp_path)
    assert (site.status, site.reason_code) == ("pending", None), site
    [linked] = [d for d in scan(tmp_path).details.values() if d.kind == "instantiation"]
    assert linked.init_attributes == [], linked

"""Source text of the shapes many test cases write into their tiny repositories, one copy each.

A case joins these with its own code through `source`; the line numbers come out as if the
module were written whole, so what a case asserts about lines is unchanged.
"""

from __future__ import annotations

import textwrap

MODULE_CLIENT = """
    from redis.asyncio import Redis

    client = Redis.from_url("redis://localhost/0")
"""


# A module's own class named Redis, spelled like redis-py's: a look-alike, never a site.
LOCAL_REDIS_CLASS = ("class Redis:\n    @classmethod\n"
                     "    def from_url(cls, url):\n        return cls()\n")


def with_module_client(client_path: str, files: dict[str, str]) -> dict[str, str]:
    """`files` beside the module `client_path` (MODULE_CLIENT), in a package of its own."""
    package = client_path.rpartition("/")[0]
    return {f"{package}/__init__.py": "", client_path: MODULE_CLIENT, **files}


def source(*parts: str) -> str:
    """A module's source: `parts` (each dedented and stripped) two blank lines apart."""
    return "\n\n\n".join(textwrap.dedent(part).strip("\n") for part in parts) + "\n"


def yield_provider(name: str, build: str) -> str:
    """`async def name()`, a yield dependency: the client `build` makes, yielded, then closed."""
    return (f"async def {name}():\n    client = {build}\n"
            "    try:\n        yield client\n    finally:\n        await client.aclose()\n")


def lazy_getter(name: str, cache: str, build: str, coroutine: bool = False) -> str:
    """`def name()` (`async def` if `coroutine`): on the first call it stores what `build`
    evaluates to in the module global `cache`; it returns that global."""
    keyword = "async def" if coroutine else "def"
    return (f"{keyword} {name}():\n    global {cache}\n    if {cache} is None:\n"
            f"        {cache} = {build}\n    return {cache}\n")


def template_without_lazy_redis(template: str) -> str:
    """The lifecycle template as a team module that has no `lazy_redis()` stand-in."""
    team = template.replace('"lazy_redis", ', "")
    team = team[:team.index("class _LazyRedis")] + team[team.index("async def close_redis"):]
    assert "lazy_redis" not in team
    return team

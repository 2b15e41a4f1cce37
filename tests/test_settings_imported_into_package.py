"""A package whose `__init__` imports the settings object from its own `settings` module.

Found on Linkly (drona-gyawali/Linkly, a public FastAPI app): `from linkly.settings import
settings` in `linkly/__init__.py` binds the package's name `settings` to the object, so the
name `linkly.settings` was followed to `linkly.settings.settings`, again and again, and the
central URL became `linkly.settings.settings.settings…redis_url`, equal to no client's URL.
A key under a module names that module's globals: the import is not followed there.
"""

from __future__ import annotations

from pathlib import Path

from analysis_helpers import scan, write_repo

SETTINGS = """
    import os


    class Settings:
        redis_url = os.getenv("REDIS_URL", "redis://localhost")


    settings = Settings()
"""

MAIN = """
    from contextlib import asynccontextmanager

    import redis.asyncio as redis
    from fastapi import FastAPI

    from app.settings import settings


    @asynccontextmanager
    async def lifespan(app: FastAPI):
        app.state.redis = redis.from_url(settings.redis_url)
        yield
        await app.state.redis.aclose()


    app = FastAPI(lifespan=lifespan)


    @app.get("/")
    async def index():
        return await app.state.redis.get("k")
"""

CACHE = """
    import redis.asyncio as redis

    from app.settings import settings

    client = redis.from_url(settings.redis_url)


    async def remember(key: str, value: str) -> None:
        await client.set(key, value)
"""


def test_the_url_of_a_settings_object_the_package_imports_is_the_same_url(
        tmp_path: Path) -> None:
    write_repo(tmp_path, {
        "app/__init__.py": "from app.settings import settings\n",
        "app/settings.py": SETTINGS,
        "app/main.py": MAIN,
        "app/cache.py": CACHE,
    })
    sites = {s.file: s for s in scan(tmp_path).sites if s.kind == "instantiation"}
    cache = sites["app/cache.py"]
    assert cache.reason_code != "url-differs", cache
    assert cache.status == "pending", cache
    assert "settings.settings.settings" not in (cache.reason or ""), cache


def test_a_name_the_package_re_exports_from_elsewhere_is_still_followed(
        tmp_path: Path) -> None:
    """The look-alike: `from app.config import settings` in `app/__init__.py`, with the
    clients spelling `app.settings.redis_url`: that name is the re-export, and resolves to
    `app.config.settings`."""
    write_repo(tmp_path, {
        "app/__init__.py": "from app.config import settings\n",
        "app/config.py": SETTINGS,
        "app/main.py": MAIN.replace("from app.settings import settings",
                                    "from app import settings"),
        "app/cache.py": CACHE.replace("from app.settings import settings",
                                      "import app").replace("settings.redis_url",
                                                            "app.settings.redis_url"),
    })
    sites = {s.file: s for s in scan(tmp_path).sites if s.kind == "instantiation"}
    cache = sites["app/cache.py"]
    assert cache.reason_code != "url-differs", cache
    assert cache.status == "pending", cache

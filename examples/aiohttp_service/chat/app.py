"""aiohttp app: ``python -m aiohttp.web chat.app:create_app``."""

import redis.asyncio as redis
from aiohttp import web
from redis.asyncio import Redis

from chat import config
from chat.handlers import routes


async def connect_redis(app: web.Application) -> None:
    app["redis"] = redis.from_url(config.REDIS_URL, decode_responses=True)


async def presence_store(app: web.Application):
    app["presence"] = Redis.from_url(config.REDIS_URL, decode_responses=True)
    yield
    await app["presence"].aclose()


def create_app() -> web.Application:
    app = web.Application()
    app.on_startup.append(connect_redis)
    app.on_shutdown.append(lambda app: app["redis"].aclose())
    app.cleanup_ctx.append(presence_store)
    app.add_routes(routes)
    return app

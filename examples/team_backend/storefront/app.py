"""ASGI app: ``uvicorn storefront.app:app``."""

import sys
from contextlib import asynccontextmanager

from fastapi import FastAPI

from storefront.infra.redis_pool import close_redis, init_redis
from storefront.routers import catalog, health, jobs, notifications, orders, search, sessions, stock, wishlist


@asynccontextmanager
async def lifespan(app: FastAPI):
    await init_redis()
    yield
    # The legacy notifications module is imported on first use only (see storefront/legacy).
    legacy = sys.modules.get("storefront.legacy.notifications")
    if legacy is not None:
        await legacy.shutdown()
    await close_redis()


app = FastAPI(title="storefront", lifespan=lifespan)
for module in (health, catalog, stock, wishlist, sessions, orders, search, jobs, notifications):
    app.include_router(module.router)

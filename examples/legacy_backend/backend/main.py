"""ASGI entry point: ``uvicorn backend.main:app``."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from backend import settings
from backend.api import accounts, feeds, health, shop
from backend.services.redis_client import close_redis, init_redis


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    await init_redis(settings.REDIS_URL)
    try:
        yield
    finally:
        await close_redis()


app = FastAPI(title="storefront", lifespan=lifespan)
app.include_router(health.router)
app.include_router(accounts.router)
app.include_router(shop.router)
app.include_router(feeds.router)

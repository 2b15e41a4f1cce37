"""ASGI app: ``uvicorn shopapi.main:app``."""

from contextlib import asynccontextmanager

import redis.asyncio as redis
from fastapi import FastAPI

from shopapi import settings
from shopapi.routers import carts, catalog, scores, sessions
from shopapi.services.leaderboard import Leaderboard


@asynccontextmanager
async def lifespan(app: FastAPI):
    app.state.redis = redis.from_url(settings.REDIS_URL, decode_responses=True)
    app.state.leaderboard = Leaderboard(app.state.redis)
    yield
    await app.state.redis.aclose()


app = FastAPI(title="shopapi", lifespan=lifespan)
app.include_router(catalog.router)
app.include_router(sessions.router)
app.include_router(carts.router)
app.include_router(scores.router)

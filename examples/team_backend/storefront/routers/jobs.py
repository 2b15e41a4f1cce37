"""Lets the ops dashboard run one consumer round by hand."""

from fastapi import APIRouter

from storefront.workers.queues import take_long_job, take_short_job

router = APIRouter(prefix="/jobs", tags=["jobs"])


@router.post("/short/take")
async def take_short() -> dict:
    return {"job": await take_short_job()}


@router.post("/long/take")
async def take_long() -> dict:
    return {"job": await take_long_job()}

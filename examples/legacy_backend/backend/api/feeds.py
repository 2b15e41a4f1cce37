"""Event long-polling, the activity feed and the job queue."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Query, status
from pydantic import BaseModel

from backend.services import activity, events, jobs

router = APIRouter(tags=["feeds"])


class JobRequest(BaseModel):
    kind: str
    args: dict[str, Any] = {}


@router.post("/events/{topic}")
async def publish(topic: str, payload: dict[str, Any]) -> dict[str, int]:
    return {"receivers": await events.publish_event(topic, payload)}


@router.get("/events/{topic}/next")
async def next_event(topic: str, timeout: float = Query(10.0, gt=0, le=30)) -> dict[str, Any]:
    """Long poll: the next event on ``topic``, or ``{"event": null}`` after ``timeout``."""
    return {"event": await events.next_event(topic, timeout)}


@router.post("/activity/{user_id}", status_code=status.HTTP_201_CREATED)
async def post_activity(user_id: int, action: str) -> dict[str, str]:
    return {"id": await activity.record_activity(user_id, action)}


@router.get("/activity")
async def get_activity(after: str = "0-0", count: int = Query(50, ge=1, le=500)) -> dict[str, Any]:
    entries = await activity.read_activity(after=after, count=count)
    return {"entries": entries, "last_id": entries[-1]["id"] if entries else after}


@router.post("/jobs", status_code=status.HTTP_202_ACCEPTED)
async def submit_job(job: JobRequest) -> dict[str, str]:
    return {"job_id": await jobs.enqueue_job(job.kind, job.args)}


@router.get("/jobs/queue")
async def queue_depth() -> dict[str, int]:
    return {"pending": await jobs.queue_length()}

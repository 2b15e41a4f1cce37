"""Loyalty points leaderboard."""

from fastapi import APIRouter, Request
from pydantic import BaseModel

router = APIRouter(prefix="/leaderboard", tags=["loyalty"])


class Points(BaseModel):
    user: str
    points: int


@router.post("")
async def add_points(body: Points, request: Request) -> dict:
    await request.app.state.leaderboard.add_points(body.user, body.points)
    return {"ok": True}


@router.get("")
async def top(request: Request, n: int = 10) -> list[dict]:
    rows = await request.app.state.leaderboard.top(n)
    return [{"user": user, "points": points} for user, points in rows]

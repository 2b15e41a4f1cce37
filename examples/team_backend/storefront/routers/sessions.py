"""Log in / who am I / log out."""

from fastapi import APIRouter, HTTPException
from pydantic import BaseModel

from storefront.domain import sessions

router = APIRouter(prefix="/sessions", tags=["sessions"])


class Login(BaseModel):
    user_id: str


@router.post("")
async def login(body: Login) -> dict:
    return {"sid": await sessions.open_session(body.user_id)}


@router.get("/{sid}")
async def whoami(sid: str) -> dict:
    if (data := await sessions.read_session(sid)) is None:
        raise HTTPException(status_code=401, detail="no such session")
    return data


@router.delete("/{sid}")
async def logout(sid: str) -> dict:
    return {"ended": await sessions.end_session(sid)}

"""Stores an in-app notification for a user."""

from fastapi import APIRouter

router = APIRouter(prefix="/notifications", tags=["notifications"])


@router.post("/{user_id}")
async def notify(user_id: str, payload: dict[str, str]) -> dict:
    # Imported here, not at the top: the module still uses aioredis 1.x.
    from storefront.legacy import notifications

    await notifications.remember(user_id, payload)
    return {"stored": True}

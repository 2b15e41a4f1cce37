"""Outgoing webhooks (order events to the partner's endpoint) and de-duplication."""

from __future__ import annotations

from typing import Any

import httpx

from backend import settings
from backend.services.memory_store import seen_webhooks

WEBHOOK_DEDUP_SECONDS = 600


def first_delivery(delivery_id: str) -> bool:
    """True the first time ``delivery_id`` is seen within the de-dup window."""
    return seen_webhooks.set(f"webhook:{delivery_id}", "1", ex=WEBHOOK_DEDUP_SECONDS, nx=True)


async def send_webhook(event: str, payload: dict[str, Any]) -> int | None:
    """POST the event to ``WEBHOOK_URL``; returns the status code, None if unset."""
    if settings.WEBHOOK_URL is None:
        return None
    http = httpx.AsyncClient(timeout=5.0)
    try:
        response = await http.post(settings.WEBHOOK_URL, json={"event": event, "data": payload})
        return response.status_code
    finally:
        await http.aclose()

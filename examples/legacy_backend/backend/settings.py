"""Runtime settings, read once from the environment.

Every Redis user is meant to take its URL from ``REDIS_URL`` here; the phase-2
migration moves them all onto ``backend.services.redis_client`` so that no module
calls ``Redis.from_url(...)`` on its own any more.
"""

from __future__ import annotations

import os

REDIS_URL: str = os.environ.get("REDIS_URL", "redis://localhost:6379/0")
"""Primary Redis (cache, sessions, queues, locks)."""

DATABASE_DSN: str = os.environ.get(
    "DATABASE_DSN", "dbname=storefront user=storefront host=localhost"
)
"""Postgres DSN, used by the nightly reporting job only."""

SESSION_TTL_SECONDS: int = int(os.environ.get("SESSION_TTL_SECONDS", "86400"))
PRODUCT_CACHE_TTL_SECONDS: int = int(os.environ.get("PRODUCT_CACHE_TTL_SECONDS", "300"))
CART_TTL_SECONDS: int = int(os.environ.get("CART_TTL_SECONDS", "604800"))

LOGIN_ATTEMPTS_PER_MINUTE: int = int(os.environ.get("LOGIN_ATTEMPTS_PER_MINUTE", "5"))
ORDER_LOCK_WAIT_SECONDS: float = float(os.environ.get("ORDER_LOCK_WAIT_SECONDS", "0.5"))

WEBHOOK_URL: str | None = os.environ.get("WEBHOOK_URL") or None

"""Settings, read from the environment when this module is imported."""

import os

REDIS_URL = os.environ.get("REDIS_URL", "redis://localhost:6379/0")
SESSION_TTL_SECONDS = 3600
CART_TTL_SECONDS = 86400
REQUESTS_PER_MINUTE = int(os.environ.get("REQUESTS_PER_MINUTE", "600"))

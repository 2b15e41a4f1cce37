"""Configuration, read from the environment when this module is imported."""

import os

REDIS_URL = os.environ.get("REDIS_URL", "redis://localhost:6379/0")
TOPIC_TTL_SECONDS = 7 * 24 * 3600
PRESENCE_TTL_SECONDS = 60
TYPING_TTL_SECONDS = 5
HISTORY_LENGTH = 50

"""Runtime settings, read once from the environment when this module is imported."""

import os


class Settings:
    redis_url: str = os.environ.get("REDIS_URL", "redis://localhost:6379/0")
    # Seconds a single Redis read may take before redis-py gives up on it.
    redis_socket_timeout: float = 2.0
    session_ttl_seconds: int = 1800
    search_requests_per_minute: int = 5


settings = Settings()

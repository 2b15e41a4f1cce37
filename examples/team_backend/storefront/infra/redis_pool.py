"""The one Redis connection pool of the storefront (phase 1 of the Redis clean-up).

Start-up calls ``init_redis()``, request code calls ``get_redis()``, shutdown calls
``close_redis()``. Importing this module opens no connection.
"""

from redis.asyncio import Redis

from storefront.config import settings

_client: Redis | None = None


async def init_redis() -> Redis:
    """Create the shared client (idempotent); it connects on first use."""
    global _client
    if _client is None:
        _client = Redis.from_url(
            settings.redis_url,
            decode_responses=True,
            socket_timeout=settings.redis_socket_timeout,
            socket_connect_timeout=2,
            health_check_interval=30,
            retry_on_timeout=True,
        )
    return _client


def get_redis() -> Redis:
    """The shared client; only valid between init_redis() and close_redis()."""
    if _client is not None:
        return _client
    raise RuntimeError("call init_redis() first")


async def close_redis() -> None:
    """Close the shared pool; the next init_redis() builds a fresh one."""
    global _client
    if _client is not None:
        await _client.aclose()
        _client = None

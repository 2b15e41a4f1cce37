"""Append-only audit trail of orders in a Redis stream."""

from redis import asyncio as aioredis

from storefront.config import settings

AUDIT_STREAM = "audit:orders"

_stream_client = None


def _client():
    global _stream_client
    if _stream_client is None:
        _stream_client = aioredis.Redis.from_url(settings.redis_url, decode_responses=True)
    return _stream_client


async def record(kind: str, **fields: str) -> str:
    """Append one entry; returns its stream id."""
    return await _client().xadd(AUDIT_STREAM, {"kind": kind, **fields}, maxlen=10_000, approximate=True)

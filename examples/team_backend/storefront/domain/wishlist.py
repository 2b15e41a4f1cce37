"""Wishlists: one hash per user, sku -> note."""

from redis.asyncio import Redis

from storefront.config import settings


class WishlistStore:
    def __init__(self, prefix: str = "wishlist") -> None:
        self._prefix = prefix
        self._redis = Redis.from_url(settings.redis_url, decode_responses=True)

    def _key(self, user_id: str) -> str:
        return f"{self._prefix}:{user_id}"

    async def add(self, user_id: str, sku: str, note: str = "") -> None:
        await self._redis.hset(self._key(user_id), sku, note)

    async def remove(self, user_id: str, sku: str) -> None:
        await self._redis.hdel(self._key(user_id), sku)

    async def items(self, user_id: str) -> dict[str, str]:
        return await self._redis.hgetall(self._key(user_id))

    async def clear(self, user_id: str) -> None:
        await self._redis.delete(self._key(user_id))

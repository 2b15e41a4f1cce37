"""Top buyers by points, in one sorted set."""

KEY = "leaderboard:points"


class Leaderboard:
    def __init__(self, redis):
        self._redis = redis

    async def add_points(self, user: str, points: int) -> None:
        await self._redis.zadd(KEY, {user: points}, incr=True)

    async def top(self, n: int = 10) -> list[tuple[str, int]]:
        rows = await self._redis.zrevrange(KEY, 0, n - 1, withscores=True)
        return [(user, int(score)) for user, score in rows]

"""worker: fulfils orders from the ``orders`` stream (a consumer group of redis.asyncio readers)."""

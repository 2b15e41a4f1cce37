"""Shared fixtures: one real redis-server per test session."""

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis

# Importable as `redis_server` from any test module, whether or not tests/ is a package.
_HERE = str(Path(__file__).resolve().parent)
if _HERE not in sys.path:
    sys.path.insert(0, _HERE)
from redis_server import RedisServer, start_redis_server  # noqa: E402

# Loaded once here: `apply` in this process (CliRunner) forks a process that loads the rewrite's
# code (LibCST, the codemods); forked from here, it finds them loaded instead of importing them
# again for each of the hundreds of batches the tests apply. The CLI run as a program still
# loads them in that process (tests/test_parallel_rewrite.py checks it).
import redis_migrate.rewrite.file_rewrite  # noqa: E402, F401


@pytest.fixture(scope="session")
def redis_server() -> Iterator[RedisServer]:
    """A real redis-server (``.url``, ``.port``) for the whole session; fails if none exists."""
    server = start_redis_server()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def redis_url(redis_server: RedisServer) -> str:
    """URL of the session server, emptied (FLUSHALL) before the test."""
    with redis.Redis.from_url(redis_server.url) as admin:
        admin.flushall()
    return redis_server.url

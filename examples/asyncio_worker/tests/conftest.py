"""Shared fixtures: a real redis-server and a way to look into Redis.

``REDIS_URL`` wins when set; otherwise ``redis-server`` from PATH is started on a free
loopback port without persistence and stopped when the run ends. The URL is put into the
environment before any ``worker`` module is imported (``worker.settings`` reads it then).
"""

import os
import sys
from pathlib import Path

import pytest

# examples/_testkit: the one copy of the Redis test helpers every example shares
sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "_testkit"))

from redis_testkit import Resp, ThrowawayRedis  # noqa: E402

_redis = ThrowawayRedis(prefix="worker-redis-")


def pytest_configure(config):
    _redis.start()


def pytest_unconfigure(config):
    _redis.stop()


@pytest.fixture(scope="session")
def resp() -> Resp:
    return Resp(os.environ["REDIS_URL"])


@pytest.fixture(autouse=True)
def _empty_redis(resp):
    resp("FLUSHDB")

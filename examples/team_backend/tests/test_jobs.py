"""Blocking queue consumers (BLPOP 1 s, BRPOP 5 s). The producer is this test's own client."""

import os
import time

import pytest
import redis


@pytest.fixture
def producer():
    client = redis.Redis.from_url(os.environ["REDIS_URL"], decode_responses=True)
    yield client
    client.close()


def test_short_consumer_takes_the_oldest_job(api, producer, resp):
    producer.rpush("jobs:short", "thumb-1", "thumb-2")
    assert api.post("/jobs/short/take").json() == {"job": "thumb-1"}
    assert resp("LRANGE", "jobs:short", 0, -1) == ["thumb-2"]


def test_long_consumer_takes_from_the_tail(api, producer, resp):
    producer.lpush("jobs:long", "export-1", "export-2")
    assert api.post("/jobs/long/take").json() == {"job": "export-1"}
    assert resp("LRANGE", "jobs:long", 0, -1) == ["export-2"]


def test_idle_short_consumer_returns_after_its_block_time(api):
    started = time.monotonic()
    assert api.post("/jobs/short/take").json() == {"job": None}
    assert time.monotonic() - started >= 0.9


def test_idle_long_consumer_waits_its_full_block_time(api):
    # BRPOP blocks for 5 s, longer than the shared pool's 2 s socket_timeout: the consumer
    # must sit it out and report an idle round, not fail with a read timeout.
    started = time.monotonic()
    response = api.post("/jobs/long/take")
    assert response.status_code == 200, response.text
    assert response.json() == {"job": None}
    assert time.monotonic() - started >= 4.5

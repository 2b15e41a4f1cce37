"""The worker on a real stream: every order is handled once and acknowledged."""

import asyncio
import threading
import time

from worker import main as worker_main
from worker import producer, settings


def test_the_worker_handles_and_acks_a_bounded_number_of_orders(resp):
    ids = asyncio.run(producer.main([f"o{i}" for i in range(5)]))
    assert len(ids) == 5 and resp("XLEN", "orders") == 5
    assert asyncio.run(worker_main.main(max_messages=5)) == 5
    assert resp("HGET", "fulfilment:o3", "status") == "packed"
    assert resp("HGET", "fulfilment:o3", "message") == ids[3]
    assert resp("GET", "fulfilment:packed") == "5"
    assert resp("XPENDING", "orders", "fulfilment")[0] == 0  # all acknowledged


def test_a_second_run_only_sees_new_orders(resp):
    asyncio.run(producer.main(["a", "b"]))
    assert asyncio.run(worker_main.main(max_messages=2)) == 2
    asyncio.run(producer.main(["c"]))
    assert asyncio.run(worker_main.main(max_messages=5, max_idle_reads=1)) == 1
    assert resp("GET", "fulfilment:packed") == "3"


def test_an_idle_read_waits_its_whole_block_time(resp):
    started = time.monotonic()
    assert asyncio.run(worker_main.main(max_idle_reads=1)) == 0
    waited = time.monotonic() - started
    assert settings.BLOCK_MS / 1000 - 0.2 <= waited < settings.BLOCK_MS / 1000 + 2, waited


def test_an_order_arriving_during_the_block_is_handled(resp):
    resp("XGROUP", "CREATE", "orders", "fulfilment", "0", "MKSTREAM")
    later = threading.Timer(0.5, lambda: resp("XADD", "orders", "*", "order_id", "late"))
    later.start()
    try:
        assert asyncio.run(worker_main.main(max_messages=1)) == 1
    finally:
        later.join()
    assert resp("HGET", "fulfilment:late", "status") == "packed"

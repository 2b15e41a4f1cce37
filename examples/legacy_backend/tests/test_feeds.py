from __future__ import annotations

import time

from backend.services import events
from backend.workers.job_runner import run_once


def test_publish_without_subscribers(client) -> None:
    assert client.post("/events/orders", json={"id": 1}).json() == {"receivers": 0}


def test_pubsub_long_poll(client) -> None:
    waiting = client.portal.start_task_soon(events.next_event, "stock", 5.0)
    deadline = time.monotonic() + 5
    receivers = 0
    while receivers == 0 and time.monotonic() < deadline:
        receivers = client.post("/events/stock", json={"sku": "BEAN-1KG", "stock": 0}).json()["receivers"]
        time.sleep(0.02)
    assert receivers == 1
    assert waiting.result(timeout=5) == {"sku": "BEAN-1KG", "stock": 0}


def test_long_poll_times_out(client) -> None:
    assert client.get("/events/quiet/next", params={"timeout": 0.2}).json() == {"event": None}


def test_activity_stream(client, resp) -> None:
    first = client.post("/activity/1", params={"action": "login"}).json()["id"]
    client.post("/activity/2", params={"action": "view"})
    feed = client.get("/activity").json()
    assert [(e["user_id"], e["action"]) for e in feed["entries"]] == [("1", "login"), ("2", "view")]
    assert feed["entries"][0]["id"] == first

    newer = client.get("/activity", params={"after": first}).json()
    assert [e["action"] for e in newer["entries"]] == ["view"]
    assert client.get("/activity", params={"after": newer["last_id"]}).json()["entries"] == []
    assert resp("XLEN", "activity") == 2


def test_job_queue(client, resp) -> None:
    job_id = client.post("/jobs", json={"kind": "send_order_confirmation", "args": {"user_id": 9}}).json()["job_id"]
    client.post("/jobs", json={"kind": "reindex"})
    assert client.get("/jobs/queue").json() == {"pending": 2}

    done = client.portal.call(run_once, 1.0)
    assert done["id"] == job_id  # FIFO: LPUSH in, BRPOP out
    assert done["outcome"] == "confirmation queued for user 9"
    assert resp("HGET", f"job:{job_id}", "outcome") == "confirmation queued for user 9"

    assert client.portal.call(run_once, 1.0)["outcome"] == "unknown job kind 'reindex'"
    assert client.portal.call(run_once, 0.1) is None  # BRPOP timed out on the empty queue

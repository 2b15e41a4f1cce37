"""The worker's ``main()`` run twice in one interpreter, each in its own ``asyncio.run``
(a supervisor restarting it in-process, a test runner): both runs must work.

Runs in a fresh interpreter, so nothing else this pytest process did is involved.
"""

from pathlib import Path

from redis_testkit import run_fresh

ROOT = Path(__file__).resolve().parents[1]

TWO_RUNS = """
import asyncio

from worker import main as worker_main
from worker import producer

for run in (1, 2):
    asyncio.run(producer.main([f"r{run}-a", f"r{run}-b"]))
    assert asyncio.run(worker_main.main(max_messages=2)) == 2
    print(f"run {run} ok", flush=True)
"""


def test_the_worker_survives_two_runs(resp):
    proc = run_fresh(ROOT, TWO_RUNS)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert proc.stdout.splitlines()[:2] == ["run 1 ok", "run 2 ok"]
    assert resp("GET", "fulfilment:packed") == "4"

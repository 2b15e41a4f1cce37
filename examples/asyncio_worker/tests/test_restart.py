"""The worker's ``main()`` run twice in one interpreter, each in its own ``asyncio.run``
(a supervisor restarting it in-process, a test runner): both runs must work.

Runs in a fresh interpreter, so nothing else this pytest process did is involved.
"""

import os
import subprocess
import sys
from pathlib import Path

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
    proc = subprocess.run(
        [sys.executable, "-c", TWO_RUNS], cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert proc.stdout.splitlines()[:2] == ["run 1 ok", "run 2 ok"]
    assert resp("GET", "fulfilment:packed") == "4"

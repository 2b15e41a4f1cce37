"""One run of the worker holds one client: handling 30 orders opens at most two connections
(the shared pool's, and a blocking client's for XREADGROUP BLOCK if the code uses one),
never one per message. Counted with client ids in a fresh interpreter (see the RESP helper).
"""

import json
from pathlib import Path

from redis_testkit import run_fresh

ROOT = Path(__file__).resolve().parents[1]
MESSAGES = 30
MAX_OPENED = 2

ONE_RUN = """
import asyncio, json, os, sys

from redis_testkit import Resp

resp = Resp(os.environ["REDIS_URL"])
count = int(sys.argv[1])
for i in range(count):
    resp("XADD", "orders", "*", "order_id", f"o{i}")

from worker import main as worker_main

first_id = resp("CLIENT", "ID")
handled = asyncio.run(worker_main.main(max_messages=count))
last_id = resp("CLIENT", "ID")
print(json.dumps({"handled": handled, "opened": last_id - first_id - 1}))
"""


def test_thirty_orders_use_at_most_two_connections():
    proc = run_fresh(ROOT, ONE_RUN, str(MESSAGES))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    report = json.loads(proc.stdout.strip().splitlines()[-1])
    assert report["handled"] == MESSAGES
    assert report["opened"] <= MAX_OPENED, report

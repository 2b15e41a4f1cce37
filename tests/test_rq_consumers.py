"""rq's worker, `Connection()` and `Job.fetch()` are known consumers of a sync client.

Found on two public apps: sandbox-rq (`with Connection(r): Worker(["default"]).work()`) and
ml-dev (`Worker([queue], connection=redis_conn)`, and `Job.fetch(job_id, connection=
redis_conn)` in its FastAPI app). Both clients stayed `manual` (`passed-to Connection()`,
`passed-to Job.fetch()`). They now move to `get_sync_redis()`, and where a worker is handed
the client, to `get_sync_redis(blocking=True)`: the worker waits on BLPOP for up to its dequeue
timeout (405 s), past a shared client's socket_timeout, and it raises the socket_timeout of
the pool it is given (rq's `Worker._set_connection`), which must not be the shared one.
"""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

from cli_helpers import git_repo, init_and_apply_every_batch, migrate, run_python

FILES = {
    "jobs.py": """
        def add(a, b):
            return a + b
    """,
    "worker.py": """
        import os

        from redis import Redis
        from rq import Worker

        redis_conn = Redis.from_url(os.environ["REDIS_URL"])


        def run():
            Worker(["default"], connection=redis_conn).work(burst=True)
    """,
    "app.py": """
        import os

        from redis import Redis
        from rq import Queue
        from rq.job import Job

        redis = Redis.from_url(os.environ["REDIS_URL"])
        queue = Queue("default", connection=redis)


        def submit(a, b):
            return queue.enqueue("jobs.add", a, b).id


        def result(job_id):
            from worker import redis_conn

            return Job.fetch(job_id, connection=redis_conn).return_value()
    """,
}

# a job enqueued, a worker run in burst mode (it forks the job's work horse), the result read.
# The worker's pub/sub thread (commands from `rq` tooling) waits up to 60 s to stop: not used.
DRIVE = """
from rq import Worker
Worker.subscribe = Worker.unsubscribe = lambda self: None
import app, worker
job_id = app.submit(2, 3)
worker.run()
print(app.result(job_id))
"""


def _repo(tmp_path: Path) -> Path:
    return git_repo(tmp_path / "rq-app", {path: textwrap.dedent(text).lstrip()
                                          for path, text in FILES.items()})


def _result(repo: Path, redis_url: str) -> str:
    # the worker logs to stdout first: the result is the last line
    return run_python(repo, "-c", DRIVE, env={"REDIS_URL": redis_url}).splitlines()[-1]


def test_an_rq_worker_and_job_fetch_run_on_the_sync_accessor(tmp_path: Path,
                                                              redis_url: str) -> None:
    repo = _repo(tmp_path)
    assert _result(repo, redis_url) == "5"
    init_and_apply_every_batch(repo)
    worker = (repo / "worker.py").read_text()
    assert "redis_conn" not in worker and "from redis import Redis" not in worker, worker
    assert 'Worker(["default"], connection=get_sync_redis(blocking=True))' in worker, worker
    app = (repo / "app.py").read_text()
    assert 'Queue("default", connection=get_sync_redis())' in app and "redis =" not in app, app
    # the worker's client (it blocks) is the one Job.fetch() is given too
    assert ("def result(job_id):\n"
            "    return Job.fetch(job_id, connection=get_sync_redis(blocking=True))") in app, app
    assert _result(repo, redis_url) == "5"


def test_the_worker_site_says_why_it_takes_the_blocking_client(tmp_path: Path) -> None:
    repo = _repo(tmp_path)
    run = migrate("init", "-C", repo)  # every client is sync: sync-policy "sync-accessor"
    assert 'sync-policy = "sync-accessor"' in (repo / "migrate.toml").read_text(), run.stdout
    report = json.loads(migrate("inventory", "-C", repo, "--format", "json").stdout)
    [site] = [s for s in report["sites"] if s["file"] == "worker.py"
              and s["kind"] == "instantiation"]
    assert site["status"] == "pending", site
    notes = " ".join(site["notes"])
    assert "blocks up to 405 s" in notes and "blocking client" in notes, notes
    assert "rq.Worker at worker.py:10" in notes and "rq.job.Job.fetch at app.py:18" in notes

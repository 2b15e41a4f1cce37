"""Progress of a long run: shown on stderr when it is a terminal, never in a pipe or the output.

The CLI runs as a real process, its stderr on a pseudo-terminal (stdlib `pty`) or on a pipe,
its stdout always on a pipe. `MIGRATE_PROGRESS_AFTER` is how long a run goes before its
progress shows (2 s by default): 0 here, so that a small tree shows it without a slow test.
No test measures a duration.
"""

from __future__ import annotations

import json
import os
import select
import subprocess
import sys
from pathlib import Path

import pytest

from redis_migrate.batch_catalog import load_batches
from redis_migrate.config import Config
from redis_migrate.scan.inventory import build_inventory

MIGRATE = [sys.executable, "-m", "redis_migrate"]

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="pseudo-terminals are POSIX")


@pytest.fixture(scope="module")
def tree(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small backend with a few clients, outside any git repository."""
    root = tmp_path_factory.mktemp("progress") / "backend"
    files = {
        "app/__init__.py": "",
        "app/cache.py": "import redis.asyncio as aioredis\n\n"
                        "client = aioredis.Redis.from_url('redis://localhost/0')\n\n\n"
                        "async def get(key):\n    return await client.get(key)\n",
        "app/jobs.py": "import redis\n\n\ndef enqueue(item):\n"
                       "    r = redis.Redis(host='localhost')\n    r.rpush('jobs', item)\n",
        "app/views.py": "from app.cache import client as cache\n\n\n"
                        "async def show(key):\n    return await cache.get(key)\n",
    }
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    return root


def run(tree: Path, *, stderr_on_terminal: bool, after: str | None = "0",
        term: str = "xterm-256color", fmt: str = "json") -> tuple[int, bytes, bytes]:
    """`migrate inventory` on `tree`: (exit code, stdout, stderr), stdout on a pipe."""
    env = {**os.environ, "TERM": term}
    env.pop("MIGRATE_PROGRESS_AFTER", None)
    env.pop("NO_COLOR", None)
    env.pop("FORCE_COLOR", None)
    if after is not None:
        env["MIGRATE_PROGRESS_AFTER"] = after
    args = [*MIGRATE, "inventory", "-C", str(tree), "--format", fmt]
    if not stderr_on_terminal:
        done = subprocess.run(args, capture_output=True, env=env, stdin=subprocess.DEVNULL,
                              timeout=300)
        return done.returncode, done.stdout, done.stderr
    import pty

    terminal, child_end = pty.openpty()
    process = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=child_end,
                               stdin=subprocess.DEVNULL, env=env)
    os.close(child_end)
    assert process.stdout is not None
    chunks: dict[int, list[bytes]] = {terminal: [], process.stdout.fileno(): []}
    open_ends = set(chunks)
    while open_ends:
        ready, _, _ = select.select(list(open_ends), [], [], 60)
        assert ready, "the run went a minute without a byte"
        for end in ready:
            try:
                chunk = os.read(end, 65536)
            except OSError:  # the terminal's other end closed
                chunk = b""
            if chunk:
                chunks[end].append(chunk)
            else:
                open_ends.discard(end)
    os.close(terminal)
    code = process.wait(timeout=60)
    return code, b"".join(chunks[process.stdout.fileno()]), b"".join(chunks[terminal])


def test_progress_shows_on_a_terminal_and_stays_out_of_the_output(tree: Path) -> None:
    code, out, err = run(tree, stderr_on_terminal=True)
    assert code == 0, err.decode(errors="replace")
    shown = err.decode(errors="replace")
    assert "parsing" in shown and "files" in shown
    assert "\x1b[" in shown  # drawn (and erased) on the terminal
    data = json.loads(out)  # stdout is the JSON and nothing else
    assert data["sites"]

    piped_code, piped_out, piped_err = run(tree, stderr_on_terminal=False)
    assert piped_code == 0
    assert piped_err == b""  # a pipe never sees the progress
    assert piped_out == out  # the output does not depend on where stderr goes


def test_no_progress_before_the_delay(tree: Path) -> None:
    # a run that ends before MIGRATE_PROGRESS_AFTER shows nothing, even on a terminal
    code, out, err = run(tree, stderr_on_terminal=True, after="600")
    assert code == 0
    assert err == b""
    assert json.loads(out)["sites"]


def test_no_progress_on_a_dumb_terminal(tree: Path) -> None:
    code, _, err = run(tree, stderr_on_terminal=True, term="dumb")
    assert code == 0
    assert err == b""


def test_table_output_with_progress_on_a_terminal(tree: Path) -> None:
    _, table_piped, _ = run(tree, stderr_on_terminal=False, fmt="table")
    code, table, err = run(tree, stderr_on_terminal=True, fmt="table")
    assert code == 0
    assert b"parsing" in err
    assert table == table_piped


def test_the_engine_reports_and_never_prints(tree: Path, capfd: pytest.CaptureFixture[str]
                                             ) -> None:
    calls: list[tuple[str, int, int | None]] = []
    inventory = build_inventory(tree, Config(), load_batches(), jobs=1,
                                progress=lambda *call: calls.append(call))
    assert inventory.sites
    steps = [step for step, _, _ in calls]
    assert steps[0] == "listing files"
    assert {"searching", "parsing", "linking", "classifying"} <= set(steps)
    parsing = [(done, total) for step, done, total in calls if step == "parsing"]
    assert parsing[-1][0] == parsing[-1][1] == inventory.files_parsed
    assert all(done <= total for done, total in parsing)
    captured = capfd.readouterr()
    assert captured.out == "" and captured.err == ""

"""Fault-injection points for the crash and interrupt tests.

With MIGRATE_FAULT=<name>, the process kills itself (SIGKILL, no clean-up) when it reaches the
point of that name. With MIGRATE_FAULT=pause-<name>, it stops there the first time instead: it
creates the file named by MIGRATE_FAULT_MARKER and waits until the test deletes it, so that the
test can send a signal at exactly that moment.
"""

from __future__ import annotations

import os
import signal
import tempfile
import time
from pathlib import Path

FAULT_ENV = "MIGRATE_FAULT"
MARKER_ENV = "MIGRATE_FAULT_MARKER"
PAUSE = "pause-"
PAUSE_LIMIT = 120.0  # seconds: a test that never deletes the marker does not hang the run

_paused: set[str] = set()


def checkpoint(name: str) -> None:
    """Die here, abruptly, or pause here, if the tests asked for it."""
    fault = os.environ.get(FAULT_ENV)
    if fault == name:
        os.kill(os.getpid(), signal.SIGKILL)
    elif fault == PAUSE + name and name not in _paused:
        _paused.add(name)  # once: a point inside a loop pauses at its first pass only
        _pause()


def _pause() -> None:
    """Create the marker file, then wait until it is deleted (or PAUSE_LIMIT has passed)."""
    marker = Path(os.environ.get(MARKER_ENV)
                  or Path(tempfile.gettempdir()) / f"migrate-fault-{os.getpid()}")
    marker.write_text(f"{os.getpid()}\n", encoding="utf-8")
    deadline = time.monotonic() + PAUSE_LIMIT
    # short sleeps: a signal handler that raises (KeyboardInterrupt) gets to run promptly
    while marker.exists() and time.monotonic() < deadline:
        time.sleep(0.01)

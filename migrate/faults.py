"""Fault-injection points for the crash tests: with MIGRATE_FAULT=<name> set, the process
kills itself (SIGKILL, no clean-up) when it reaches the point of that name."""

from __future__ import annotations

import os
import signal

FAULT_ENV = "MIGRATE_FAULT"


def checkpoint(name: str) -> None:
    """Die here, abruptly, if the crash tests asked for it."""
    if os.environ.get(FAULT_ENV) == name:
        os.kill(os.getpid(), signal.SIGKILL)

"""Running the team's own test command (`apply --test-cmd`) on a batch branch's checkout."""

from __future__ import annotations

import subprocess
from dataclasses import dataclass
from pathlib import Path


@dataclass(slots=True)
class TestRun:
    """The team's test command and how it ended."""

    __test__ = False  # not a pytest test class

    command: str
    returncode: int
    tail: str


def run_tests(checkout: Path, command: str, tail_lines: int = 30) -> TestRun:
    """Run `command` through the shell in `checkout`; keep the last lines of its output."""
    process = subprocess.run(command, shell=True, cwd=checkout, capture_output=True, text=True,
                             check=False)
    output = (process.stdout + process.stderr).strip().splitlines()
    return TestRun(command, process.returncode, "\n".join(output[-tail_lines:]))

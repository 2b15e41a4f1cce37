"""What a long run shows while it works: a rich progress line on stderr, on a terminal only.

The engine never prints: it calls a `Progress` callback (`inventory.Progress`) with the step it
is in and how far it got. `display` turns those calls into a transient progress line, shown
only when stderr is a terminal and only once the run has taken `MIGRATE_PROGRESS_AFTER`
seconds (2 by default), so quick runs, pipes, files and CI logs never see it; it is erased
when the run ends, before the command prints its output.
"""

from __future__ import annotations

import os
import time
from contextlib import AbstractContextManager, nullcontext
from typing import Any, TextIO

PROGRESS_AFTER = 2.0  # seconds a run takes before it shows its progress


def shows_progress(stream: TextIO) -> bool:
    """Whether `stream` is a terminal that can redraw a line (not dumb, not a pipe)."""
    try:
        on_terminal = stream.isatty()
    except ValueError:  # closed
        return False
    return on_terminal and os.environ.get("TERM", "") not in ("dumb", "unknown")


def delay() -> float:
    """How long a run goes before its progress shows (`MIGRATE_PROGRESS_AFTER`, seconds)."""
    try:
        return max(0.0, float(os.environ.get("MIGRATE_PROGRESS_AFTER", PROGRESS_AFTER)))
    except ValueError:
        return PROGRESS_AFTER


def display(stream: TextIO, color: bool) -> AbstractContextManager[Any]:
    """A context whose value is the progress callback to hand the engine: a `_Display` on a
    terminal, None elsewhere (nothing is imported, nothing is shown)."""
    if not shows_progress(stream):
        return nullcontext(None)
    return _Display(stream, color, delay())


class _Display:
    """The progress line, drawn by the thread that runs the engine and only from its calls:
    no thread of its own, so the worker processes the engine forks never inherit a lock held
    in the middle of a write."""

    def __init__(self, stream: TextIO, color: bool, after: float) -> None:
        from rich.console import Console
        from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

        console = Console(file=stream, force_terminal=True, no_color=not color,
                          highlight=False)
        self.progress = Progress(SpinnerColumn(), TextColumn("{task.description}"),
                                 BarColumn(), TextColumn("{task.fields[count]}"),
                                 TimeElapsedColumn(), console=console, transient=True,
                                 auto_refresh=False)
        self.task = self.progress.add_task("starting", total=None, count="")
        self.after = after
        self.started = False
        self.begun = self.drawn = 0.0

    def __enter__(self) -> _Display:
        self.begun = time.monotonic()
        return self

    def __exit__(self, *exc: object) -> None:
        if self.started:
            self.progress.stop()  # transient: the line is erased

    def __call__(self, step: str, done: int, total: int | None) -> None:
        """The engine's report: the step it is in, how far it got, out of how many."""
        if step == "parsing" and total:
            self.progress.update(self.task, description=step, completed=done, total=total,
                                 count=f"{done}/{total} files")
        else:  # a step that does not count: a pulsing bar
            self.progress.update(self.task, description=step, completed=0, total=None,
                                 count=f"{total} files" if total else "")
        now = time.monotonic()
        if not self.started:
            if now - self.begun < self.after:
                return
            self.started = True
            self.progress.start()
        if now - self.drawn >= _REDRAW or done == total or total is None:
            self.drawn = now
            self.progress.refresh()


_REDRAW = 0.1  # seconds between two redraws while files are counted

"""Worker processes shared by the passes that parallelise per-file work (the inventory's
parse, a batch's rewrite): how many, and a pool that inherits the parent's data by forking."""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from typing import TypeVarTuple, Unpack

Args = TypeVarTuple("Args")


def cpu_count() -> int:
    """The CPUs this process may run on (its affinity, not the machine's count)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        return os.cpu_count() or 1


def process_pool(jobs: int, initializer: Callable[[Unpack[Args]], object] | None = None,
                 *initargs: Unpack[Args]) -> ProcessPoolExecutor:
    """`jobs` worker processes, forked where the platform can: a forked worker reads the
    analysis the parent already holds (`initargs` too) instead of receiving it pickled."""
    methods = multiprocessing.get_all_start_methods()
    context = multiprocessing.get_context("fork" if "fork" in methods else None)
    if initializer is None:
        return ProcessPoolExecutor(max_workers=jobs, mp_context=context)
    return ProcessPoolExecutor(max_workers=jobs, mp_context=context, initializer=initializer,
                               initargs=initargs)

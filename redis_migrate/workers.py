"""Worker processes shared by the passes that parallelise per-file work (the inventory's
parse, a batch's rewrite): how many, a pool that inherits the parent's data by forking, and a
process that loads the workers' code while the parent does something else."""

from __future__ import annotations

import contextlib
import importlib
import os
import signal
from collections.abc import Callable
from typing import TYPE_CHECKING, TypeVar, TypeVarTuple, Unpack, cast

if TYPE_CHECKING:  # imported where a process starts: a run that needs none (a small
    # repository, `migrate check` as a hook) does not pay for multiprocessing
    from concurrent.futures import ProcessPoolExecutor
    from multiprocessing.connection import Connection

Args = TypeVarTuple("Args")
Result = TypeVar("Result")


def cpu_count() -> int:
    """The CPUs this process may run on (its affinity, not the machine's count)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        return os.cpu_count() or 1


def process_pool(jobs: int) -> ProcessPoolExecutor:
    """`jobs` worker processes, forked where the platform can: a forked worker reads the
    analysis the parent already holds instead of receiving it pickled."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    methods = multiprocessing.get_all_start_methods()
    context = multiprocessing.get_context("fork" if "fork" in methods else None)
    return ProcessPoolExecutor(max_workers=jobs, mp_context=context)


class WarmProcess:
    """One process forked now that imports `module` while the caller goes on with other work
    (the inventory, for a batch); `call` later runs a function of it there and returns what it
    returns, and that function may fork workers of its own, which start with the module loaded.

    A plain pipe rather than a one-worker pool: a pool keeps a thread running in the caller,
    and the caller forks its own workers meanwhile (a fork while a thread holds a lock can
    leave the child stuck on it).
    """

    def __init__(self, module: str) -> None:
        import multiprocessing

        context = multiprocessing.get_context("fork")
        self._conn, theirs = context.Pipe()
        # not a daemon: daemonic processes may not have children
        self._process = context.Process(target=_serve, args=(theirs, self._conn, module),
                                        daemon=False)
        self._process.start()
        theirs.close()

    def call(self, function: Callable[[Unpack[Args]], Result], *args: Unpack[Args]) -> Result:
        """`function(*args)`, run in the process; its exception is raised here."""
        self._conn.send((function, args))
        try:
            ok, value, trace = self._conn.recv()
        except EOFError:
            raise RuntimeError("the worker process ended without an answer") from None
        if not ok:
            raise value from RemoteError(trace)
        return cast(Result, value)

    def close(self, timeout: float = 10.0) -> int | None:
        """End the process (it exits when the pipe closes), waiting at most `timeout` seconds
        before killing it and the workers it forked; its exit code (0: it ended by itself)."""
        self._conn.close()
        self._process.join(timeout)
        pid = self._process.pid
        if self._process.is_alive() and pid is not None:
            # the group, unless the process has not made it yet: then the process alone
            with contextlib.suppress(ProcessLookupError):
                os.killpg(pid, signal.SIGKILL)
            self._process.kill()
            self._process.join()
        return self._process.exitcode


def warm_process(module: str) -> WarmProcess | None:
    """A WarmProcess for `module`, where the platform can fork (None: it cannot)."""
    import multiprocessing

    if "fork" not in multiprocessing.get_all_start_methods():  # pragma: no cover - not Linux
        return None
    return WarmProcess(module)


class RemoteError(Exception):
    """The traceback of an exception raised in a WarmProcess, as text."""


def _serve(conn: Connection, callers: Connection, module: str) -> None:
    import gc
    import traceback  # here: a run that starts no process (most of them) does not load it

    # the fork copied the caller's end too: while it is open here, the caller closing its
    # own would never end this loop
    callers.close()
    # a group of its own, with the workers it forks: a terminal's interrupt reaches the caller
    # alone, which closes the pipe when it is done, or ends the whole group at once
    os.setpgid(0, 0)
    broken: tuple[bool, object, str] | None = None
    # the code loads at the lowest priority: it loads while the caller's own workers parse
    # (the inventory), and on two cores it took their CPU, which the caller waits for; at the
    # lowest priority it loads in their gaps (the inventory's single-threaded steps)
    priority = _lowest_priority()
    try:
        importlib.import_module(module)
    except Exception as exc:  # noqa: BLE001 - every call answers with it
        broken = (False, exc, traceback.format_exc())
    _restore_priority(priority)
    while True:
        try:
            function, args = conn.recv()
        except EOFError:
            return
        # what the workers it forks inherit (the code, the call's data) is out of their
        # collections: a collection there would walk it and write to each object it walks,
        # copying page after page the fork shared (Python's advice for forked workers)
        gc.freeze()
        answer = broken
        if answer is None:
            try:
                answer = (True, function(*args), "")
            except Exception as exc:  # noqa: BLE001 - handed to the caller, which raises it
                answer = (False, exc, traceback.format_exc())
        try:
            conn.send(answer)
        except OSError:  # the caller has gone
            return
        except Exception:  # noqa: BLE001 - an answer that does not pickle
            conn.send((False, RuntimeError(f"{function}: its answer cannot be sent back"),
                       traceback.format_exc()))


_LOWEST = 19  # the highest nice value


def _lowest_priority() -> int | None:
    """Lower this process to the lowest priority; what it was (None: not lowered)."""
    try:
        before = os.getpriority(os.PRIO_PROCESS, 0)
        os.setpriority(os.PRIO_PROCESS, 0, _LOWEST)
    except (AttributeError, OSError):  # pragma: no cover - not POSIX, or not allowed
        return None
    return before


def _restore_priority(before: int | None) -> None:
    """Back to the priority it had, where this process may raise its own (a privileged
    one, or RLIMIT_NICE); elsewhere it keeps the lowest, and its workers with it: they run
    while the caller waits, and yield only to other programs."""
    if before is None:
        return
    with contextlib.suppress(OSError):
        os.setpriority(os.PRIO_PROCESS, 0, before)

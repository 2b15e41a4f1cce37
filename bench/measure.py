"""Measuring primitives the benchmark sections share: a timed child process with its peak
memory, best-of-N, tree sizes, the reference text search, and how the benchmark reports (`say`,
`loud`) and reads git (`git_out`).

Wall-clock times (`time.perf_counter`) include process start-up: users pay for it too. Peak
memory is the child's `ru_maxrss` as `os.wait4` reports it (Linux: KiB; it covers the child
and the worker processes it waited for, as the largest of them).

The child is started by a small launcher (`_LAUNCHER`), not by this process: Linux counts in a
child's `ru_maxrss` the memory of the process it was forked from, so a child of a large
process (the test session, a long benchmark) would report at least that process's size.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path


class BenchError(Exception):
    pass


def say(msg: str = "") -> None:
    print(msg, flush=True)


def loud(msg: str) -> None:
    bar = "!" * 78
    print(f"{bar}\n!!! {msg}\n{bar}", flush=True)


def git_out(tree: Path, *args: str) -> str:
    res = subprocess.run(["git", *args], cwd=tree, capture_output=True, text=True)
    if res.returncode != 0:
        raise BenchError(f"git {' '.join(args)} in {tree} failed: {res.stderr.strip()}")
    return res.stdout


@dataclass
class Timed:
    seconds: float
    returncode: int
    stdout: bytes
    stderr: bytes
    peak_kib: int  # ru_maxrss of the child (KiB on Linux, bytes on macOS: normalised)


# Runs argv[2:], then writes its wall time, exit code and ru_maxrss as JSON to argv[1]. Started
# with -I -S: a bare interpreter, a few MB, which is all a grandchild's ru_maxrss can inherit.
_LAUNCHER = """
import json, os, subprocess, sys, time
start = time.perf_counter()
child = subprocess.Popen(sys.argv[2:])
_, status, usage = os.wait4(child.pid, 0)
seconds = time.perf_counter() - start
with open(sys.argv[1], "w") as out:
    json.dump([seconds, os.waitstatus_to_exitcode(status), usage.ru_maxrss], out)
"""


def run_timed(cmd: list[str], cwd: Path | None = None,
              env: dict[str, str] | None = None) -> Timed:
    """Run `cmd`; its wall time, exit code, output and peak memory."""
    with tempfile.TemporaryDirectory(prefix="bench-run-") as scratch:
        report = Path(scratch) / "report.json"
        process = subprocess.Popen([sys.executable, "-I", "-S", "-c", _LAUNCHER, str(report),
                                    *cmd], cwd=cwd, env=env, stdin=subprocess.DEVNULL,
                                   stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        output: dict[str, bytes] = {}
        readers = [threading.Thread(target=lambda name=name, stream=stream:
                                    output.__setitem__(name, stream.read()))
                   for name, stream in (("out", process.stdout), ("err", process.stderr))]
        for reader in readers:
            reader.start()
        process.wait()
        for reader in readers:
            reader.join()
        for stream in (process.stdout, process.stderr):
            assert stream is not None
            stream.close()
        if not report.exists():  # the launcher itself failed (the command could not start)
            return Timed(0.0, process.returncode or 127, output.get("out", b""),
                         output.get("err", b""), 0)
        seconds, returncode, peak = json.loads(report.read_text())
    peak = peak // 1024 if sys.platform == "darwin" else peak
    return Timed(seconds, returncode, output.get("out", b""), output.get("err", b""), peak)


def best_of(repeat: int, fn):  # type: ignore[no-untyped-def]
    """The run of `fn()` (returning a Timed) with the least time, after `repeat` runs."""
    runs = [fn() for _ in range(max(1, repeat))]
    return min(runs, key=lambda r: r.seconds)


@dataclass
class TreeSize:
    files: int
    bytes: int
    lines: int

    @property
    def mb(self) -> float:
        return self.bytes / 1e6


def tree_size(tree: Path) -> TreeSize:
    """The .py files below `tree` (outside .git), their bytes and lines."""
    files = size = lines = 0
    for root, dirs, names in os.walk(tree):
        dirs[:] = [d for d in dirs if d != ".git"]
        for name in names:
            if name.endswith(".py"):
                path = os.path.join(root, name)
                try:
                    data = Path(path).read_bytes()
                except OSError:
                    continue
                files += 1
                size += len(data)
                lines += data.count(b"\n")
    return TreeSize(files, size, lines)


def reference_grep(tree: Path) -> tuple[str, list[str]]:
    """The fastest text search at hand, as (name, command) listing the .py files naming redis:
    ripgrep if installed (beside this interpreter, as `make bench` installs it, or on PATH),
    else git grep --no-index (multi-threaded too), else grep -r."""
    beside = Path(sys.executable).parent / "rg"
    rg = str(beside) if beside.is_file() else shutil.which("rg")
    if rg:
        return "ripgrep", [rg, "-l", "--no-messages", "-g", "*.py", "redis", str(tree)]
    if shutil.which("git"):
        return "git grep --no-index (ripgrep is not installed)", [
            "git", "-C", str(tree), "grep", "--no-index", "-l", "-I", "-e", "redis", "--",
            "*.py"]
    return "grep -r (neither ripgrep nor git is installed)", [
        "grep", "-rl", "--include=*.py", "redis", str(tree)]


def fmt_s(t: float | None) -> str:
    if t is None:
        return "-"
    return f"{t * 1000:.0f} ms" if t < 1 else f"{t:.2f} s"


def fmt_mib(kib: int | None) -> str:
    return "-" if not kib else f"{kib / 1024:.0f} MiB"


def verdict(ok: bool | None) -> str:
    return "-" if ok is None else ("PASS" if ok else "MISS")

"""How `migrate apply --dry-run` grows with the size of one file (issue 10 item 9).

Each size gets a fresh git repository holding one module: a module-level client and N async
functions reading it, about 94 bytes each. `init` runs first; then the dry run of the batch that
moves the client is timed as CPU seconds of the child process (wall time on a shared 2-core
machine says more about the neighbours). Linear cost shows as a flat "s per MB" column.

    python bench/apply_scaling.py                 # 10 KB, 40 KB, 160 KB
    python bench/apply_scaling.py --kb 10 100 1000
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
from pathlib import Path

FUNCTION = "async def read_{i}(key):\n    value = await client.get(f'k{i}:{{key}}')\n" \
           "    return value or {i}\n\n"
HEADER = "import redis.asyncio as redis\n\nclient = redis.from_url('redis://localhost:6379/0')\n\n"


def module_of(kb: int) -> str:
    """A module of about `kb` kilobytes."""
    parts, size, i = [HEADER], len(HEADER), 0
    while size < kb * 1024:
        part = FUNCTION.format(i=i)
        parts.append(part)
        size += len(part)
        i += 1
    return "".join(parts)


def _run(args: list[str], cwd: Path) -> None:
    subprocess.run(args, cwd=cwd, check=True, capture_output=True)


def cpu_seconds_of_dry_run(root: Path, kb: int) -> tuple[int, float]:
    """(bytes of the file, CPU seconds of `apply --batch read-caches --dry-run` on it)."""
    repo = root / f"kb{kb}"
    (repo / "app").mkdir(parents=True)
    (repo / "app" / "__init__.py").write_text("")
    text = module_of(kb)
    (repo / "app" / "big.py").write_text(text)
    git = ["git", "-c", "user.name=bench", "-c", "user.email=bench@example.invalid"]
    _run(["git", "init", "-q"], repo)
    _run([*git, "add", "-A"], repo)
    _run([*git, "commit", "-qm", "app"], repo)
    _run([sys.executable, "-m", "redis_migrate", "init"], repo)
    _run([*git, "add", "-A"], repo)
    _run([*git, "commit", "-qm", "init"], repo)
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    _run([sys.executable, "-m", "redis_migrate", "apply", "--batch", "read-caches", "--dry-run"],
         repo)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return len(text), (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def startup_seconds(root: Path) -> float:
    """CPU seconds of `migrate --version`: the fixed cost, taken off each row."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    _run([sys.executable, "-m", "redis_migrate", "--version"], root)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kb", type=int, nargs="+", default=[10, 40, 160])
    args = parser.parse_args()
    os.environ.pop("MIGRATE_FAULT", None)
    with tempfile.TemporaryDirectory() as scratch:
        root = Path(scratch)
        fixed = startup_seconds(root)
        print(f"{'file':>10} {'dry run (CPU)':>14} {'minus startup':>14} {'s per MB':>10}")
        for kb in args.kb:
            size, seconds = cpu_seconds_of_dry_run(root, kb)
            work = max(seconds - fixed, 0.0)
            print(f"{size / 1024:>8.0f}KB {seconds:>13.2f}s {work:>13.2f}s "
                  f"{work / (size / 2**20):>10.1f}")


if __name__ == "__main__":
    main()

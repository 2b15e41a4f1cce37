"""Shared helpers for the analysis fixture tests (`tests/test_analysis_*.py`).

Each case writes a tiny repository into `tmp_path`, scans it through the real engine and
compares the sites found with the exact list expected, in the style of ruff/pyupgrade fixtures.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import NamedTuple

_HERE = str(Path(__file__).resolve().parent)
if _HERE not in sys.path:
    sys.path.insert(0, _HERE)

from typer.testing import CliRunner  # noqa: E402

from redis_migrate.batch_catalog import load_batches  # noqa: E402
from redis_migrate.cli import app  # noqa: E402
from redis_migrate.config import Config  # noqa: E402
from redis_migrate.model import Site  # noqa: E402
from redis_migrate.scan.inventory import build_inventory  # noqa: E402
from redis_migrate.scan.report import Inventory  # noqa: E402

LIFECYCLE_IMPORT = "backend.services.redis_client"
LIFECYCLE_PATH = "backend/services/redis_client.py"

BATCH_OF = {
    "health": "health",
    "lifecycle": "health",
    "unused": "health",
    "read-cache": "read-caches",
    "write-cache": "write-caches",
    "pipeline": "pipelines",
    "pubsub-stream-queue": "pubsub-streams-queues",
    "lock-rate-limit": "locks-rate-limits",
    "unclassified": None,
}


class S(NamedTuple):
    """The facts of one site a test pins down (batch and status follow from the purpose)."""

    file: str
    line: int
    kind: str
    pattern: str
    purpose: str
    scope: str
    library: str
    status: str = "pending"

    @property
    def batch(self) -> str | None:
        return BATCH_OF[self.purpose]


def async_client(file: str, line: int, pattern: str, purpose: str, scope: str = "module") -> S:
    """The facts of a redis.asyncio client or pool (`pattern`) instantiated at `file:line`."""
    return S(file, line, "instantiation", pattern, purpose, scope, "redis-asyncio")


def write_repo(root: Path, files: dict[str, str | bytes]) -> Path:
    """Write `files` (path -> source; str is dedented and UTF-8 encoded) below `root`."""
    for rel, content in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, str):
            path.write_bytes(textwrap.dedent(content).lstrip("\n").encode("utf-8"))
        else:
            path.write_bytes(content)
    return root


def scan(root: Path, config: Config | None = None) -> Inventory:
    """The real engine, as `migrate inventory` runs it."""
    return build_inventory(root, config or Config(), load_batches(), jobs=1)


def facts(site: Site) -> S:
    return S(site.file, site.line, site.kind, site.pattern, site.purpose, site.scope,
             site.library, site.status)


def assert_sites(inventory: Inventory, expected: list[S]) -> None:
    """The inventory holds exactly `expected` (in any order), batches and sync included."""
    got = sorted((facts(s) for s in inventory.sites), key=lambda s: (s.file, s.line, s.kind))
    want = sorted(expected, key=lambda s: (s.file, s.line, s.kind))
    assert got == want, _describe(inventory)
    for site in inventory.sites:
        assert site.batch == BATCH_OF[site.purpose] or site.batch is None and \
            site.purpose == "unclassified", site
        assert site.sync == (site.library == "redis-sync"), site
        if site.status == "manual":
            assert site.reason, site
        else:
            assert site.reason is None, site


def site_at(inventory: Inventory, file: str, line: int, kind: str | None = None) -> Site:
    found = [s for s in inventory.sites if s.file == file and s.line == line
             and (kind is None or s.kind == kind)]
    assert len(found) == 1, _describe(inventory)
    return found[0]


def _describe(inventory: Inventory) -> str:
    rows = [f"  {s.file}:{s.line}:{s.col} {s.kind} {s.pattern} {s.library} {s.scope} "
            f"{s.purpose}/{s.batch} {s.status} rewrite={s.rewrite} ops={s.operations} "
            f"reason={s.reason}" for s in inventory.sites]
    skipped = [f"  skipped {s}" for s in inventory.skipped]
    return "inventory:\n" + "\n".join(rows + skipped)


def git(root: Path, *args: str) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
    subprocess.run(["git", "-C", str(root), *args], check=True, capture_output=True, env=env)


def git_init(root: Path, commit: bool = True) -> None:
    """Make `root` a git repository; commit everything in it if `commit`."""
    root.mkdir(parents=True, exist_ok=True)
    git(root, "init", "-q")
    if commit:
        git(root, "add", "-A")
        git(root, "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-q", "-m", "init",
            "--allow-empty")


def run_cli(*args: str):
    """`migrate ARGS` through Typer's runner; stdout and stderr kept apart."""
    runner = CliRunner()
    return runner.invoke(app, list(args), catch_exceptions=False)


def cli_json(root: Path, *extra: str) -> tuple[int, dict, str]:
    result = run_cli("inventory", "-C", str(root), "--format", "json", *extra)
    data = json.loads(result.stdout) if result.stdout.strip() else {}
    return result.exit_code, data, result.stderr

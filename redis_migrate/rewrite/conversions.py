"""The inventory `migrate inventory` reports, with what the rewrite will leave to a human.

Kept apart from `apply` so that an inventory imports no codemod and no LibCST unless the
target has aioredis calls to flag (importing them is a fifth of a run on a large tree).
"""

from __future__ import annotations

from pathlib import Path

from redis_migrate.batch_catalog import Batch
from redis_migrate.config import Config
from redis_migrate.scan.early_search import Prefetch
from redis_migrate.scan.inventory import Progress, build_inventory
from redis_migrate.scan.report import Inventory


def inventory_report(repo: Path, config: Config, batches: list[Batch],
                     paths: list[str] | None = None,
                     progress: Progress | None = None,
                     prefetched: Prefetch | None = None) -> Inventory:
    """The inventory `migrate inventory` reports: every site, and the aioredis calls each
    batch will leave to a human (`Inventory.conversions`), found by rewriting in memory.
    `progress`, `prefetched`: as `build_inventory` takes them."""
    inventory = build_inventory(repo, config, batches, paths, progress=progress,
                                prefetched=prefetched)
    if any(s.library in ("aioredis1", "aioredis2") for s in inventory.sites):
        from redis_migrate.rewrite.apply import conversion_flags

        inventory.conversions = conversion_flags(repo, config, batches, inventory)
    return inventory

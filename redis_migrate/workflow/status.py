"""`migrate status`: where each batch stands, read from git history and trailers (no side file)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from redis_migrate import gitrepo
from redis_migrate.batch_catalog import Batch
from redis_migrate.config import Config
from redis_migrate.scan.report import Inventory
from redis_migrate.workflow.branch import branch_name, merged_as
from redis_migrate.workflow.pr_body import TRAILER_REVERT


@dataclass(slots=True)
class BatchStatus:
    """One batch's state."""

    order: int
    batch: str
    pending: int
    manual: int
    branch: str | None = None
    commit: str | None = None
    pushed: bool = False
    pr: str | None = None
    merged: bool = False
    merged_as: str | None = None  # merge | squash | fast-forward
    stacked_on: str | None = None  # the branch this one was built on, if not the base
    revert_branch: str | None = None  # redis-migration/revert-<batch>, if rollback made it
    rolled_back: bool = False  # a revert of it is merged into the base
    flags: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def batch_status(repo: Path, config: Config, batches: list[Batch], inventory: Inventory,
                 base: str | None = None) -> list[BatchStatus]:
    """Every batch in order, with its branch, commit, push, PR and merge state."""
    base_ref = base or config.base_branch or gitrepo.current_branch(repo) or "HEAD"
    rows = []
    tips: dict[str, str] = {}
    for batch in batches:
        sites = [s for s in inventory.sites if s.batch == batch.name]
        row = BatchStatus(batch.order, batch.name,
                          sum(s.status == "pending" for s in sites),
                          sum(s.status == "manual" for s in sites))
        name = branch_name(config, batch)
        tip = gitrepo.rev_parse(repo, f"refs/heads/{name}")
        if tip:
            row.branch, row.commit = name, tip
            tips[batch.name] = tip
            remote = gitrepo.remote_tip(repo, config.remote, name)
            row.pushed = remote == tip
            row.pr = gitrepo.note_of(repo, tip)
        row.merged_as = merged_as(repo, base_ref, batch.name, tip)
        row.merged = row.merged_as is not None
        revert = f"{config.branch_prefix}revert-{batch.name}"
        if gitrepo.branch_exists(repo, revert):
            row.revert_branch = revert
        row.rolled_back = bool(gitrepo.rev_parse(repo, base_ref)) and bool(
            gitrepo.commits_with_trailer(repo, base_ref, TRAILER_REVERT, batch.name))
        if row.merged and row.pending and not row.rolled_back:
            row.flags.append("sites reappeared after the merge")
        rows.append(row)
    for row in rows:  # a stacked branch contains an earlier, unmerged batch's commit
        if row.commit and not row.merged:
            for earlier in rows:
                if (earlier.order < row.order and earlier.commit and not earlier.merged
                        and gitrepo.is_ancestor(repo, earlier.commit, row.commit)):
                    row.stacked_on = earlier.branch
    return rows

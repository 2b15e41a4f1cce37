"""`migrate apply --batch NAME` with git: one branch and one commit per batch (SPEC §7).

The batch is applied in a temporary worktree of the base commit, committed there, and only then
does its branch point at the commit (one atomic ref update). The user's own work tree and branch
are never touched: an interrupt at any point leaves them exactly as they were, and the batch
branch either absent or fully committed.

What the run has made in git by the time an interrupt comes (the branch, its push, its pull
request) is recorded, as `fileio` records the files it wrote, so that the interrupt message says
what stands and how to undo it (`branches_that_stand`).
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from redis_migrate import gitrepo
from redis_migrate.batch_catalog import Batch
from redis_migrate.config import Config, load_config
from redis_migrate.errors import UsageError
from redis_migrate.faults import checkpoint
from redis_migrate.rewrite.apply import ApplyResult, run_batch, write_changes
from redis_migrate.workflow.pr_body import TRAILER_BATCH, commit_message
from redis_migrate.workflow.team_tests import TestRun, run_tests

WORKTREES = "redis-migrate"  # below the common git dir, so the user's tree never shows them


@dataclass(slots=True)
class BranchOutcome:
    """What `apply` did in git."""

    result: ApplyResult
    base: str  # the ref the branch was made from
    base_commit: str
    branch: str | None = None
    commit: str | None = None
    test: TestRun | None = None


# --- what this process made in git, so that an interrupt message can tell the truth ----------

@dataclass(slots=True)
class MadeBranch:
    """A branch this process points at a commit of its own, and what followed it."""

    repo: Path
    name: str
    commit: str
    previous: str | None  # the commit it pointed at before (`--replace`); None: it was new
    kind: Literal["batch", "revert"] = "batch"
    doing: str | None = None  # the step under way after it, e.g. "running the tests"
    pushed_to: str | None = None
    pull_request: str | None = None  # its URL

    def made(self) -> str:
        """`creating branch X (commit abc123456789) and pushing it to origin`."""
        if self.previous is None:
            text = f"creating branch {self.name} (commit {self.commit[:12]})"
        elif self.previous == self.commit:
            text = f"rebuilding branch {self.name} as it was (commit {self.commit[:12]})"
        else:
            text = (f"moving branch {self.name} from {self.previous[:12]} to commit "
                    f"{self.commit[:12]}")
        if self.pushed_to:
            text += f" and pushing it to {self.pushed_to}"
        if self.pull_request:
            text += f" and opening pull request {self.pull_request}"
        return text

    def cut_short(self) -> str:
        """` while running the tests`, or nothing when no step was under way."""
        return f" while {self.doing}" if self.doing else ""

    def next_steps(self) -> str:
        """How to undo it, or to finish the job."""
        if self.previous == self.commit and not self.pushed_to and not self.pull_request:
            return "nothing to undo"
        if self.previous is not None:
            undo = f"put the branch back with `git branch -f {self.name} {self.previous[:12]}`"
        else:
            undo = f"delete the branch with `git branch -D {self.name}`"
        if self.pushed_to:
            undo += f" and `git push {self.pushed_to} --delete {self.name}`"
        if self.pull_request:
            undo += f" and close {self.pull_request}"
        if self.kind == "revert":
            return f"review and merge the branch to roll the batch back, or {undo}"
        return f"{undo}, or rebuild it by re-running the same `migrate apply` with --replace"


_made: list[MadeBranch] = []


def record_branch(repo: Path, name: str, commit: str, previous: str | None,
                  kind: Literal["batch", "revert"] = "batch") -> MadeBranch:
    """Note, just before the ref update, that `name` is about to point at `commit`."""
    made = MadeBranch(repo, name, commit, previous, kind)
    _made.append(made)
    return made


def forget_branches() -> None:
    """Start a new record of the branches made (one per command)."""
    _made.clear()


def branches_that_stand() -> list[MadeBranch]:
    """The recorded branches that point at their commit now (an interrupt may have come before
    the ref update, or during it)."""
    standing = []
    for made in _made:
        try:
            tip = gitrepo.rev_parse(made.repo, f"refs/heads/{made.name}")
        except Exception:  # noqa: BLE001 - a repository gone since: nothing of it stands
            continue
        if tip == made.commit:
            standing.append(made)
    return standing


def branch_name(config: Config, batch: Batch) -> str:
    """`redis-migration/02-read-caches`."""
    return f"{config.branch_prefix}{batch.order:02d}-{batch.name}"


def check_work_tree(repo_path: Path) -> None:
    """Refuse a detached HEAD or uncommitted changes to tracked files (never stash them)."""
    if gitrepo.is_detached(repo_path):
        raise UsageError("HEAD is detached: check out the branch the migration starts from")
    if gitrepo.has_tracked_changes(repo_path):
        raise UsageError("the work tree has uncommitted changes to tracked files: commit or "
                         "stash them first (migrate never stashes, resets or discards them)")


def resolve_base(repo_path: Path, config: Config, batches: list[Batch], batch: Batch,
                 base: str | None, stack: bool) -> str:
    """The ref the batch starts from: --base, else the configured base, else HEAD's branch;
    with --stack, the branch of the nearest earlier batch not merged into that base yet."""
    chosen = base or config.base_branch or gitrepo.current_branch(repo_path)
    if chosen is None or gitrepo.rev_parse(repo_path, chosen) is None:
        raise UsageError(f"base '{chosen}' does not name a commit")
    if stack:
        for earlier in sorted((b for b in batches if b.order < batch.order),
                              key=lambda b: b.order, reverse=True):
            name = branch_name(config, earlier)
            tip = gitrepo.rev_parse(repo_path, f"refs/heads/{name}")
            if tip and merged_as(repo_path, chosen, earlier.name, tip) is None:
                return name
    return chosen


def merged_as(repo_path: Path, base: str, batch: str, tip: str | None) -> str | None:
    """How the batch reached `base`: "fast-forward", "merge", "squash", or None (not yet)."""
    if gitrepo.rev_parse(repo_path, base) is None:
        return None
    if tip and gitrepo.is_ancestor(repo_path, tip, base):
        first_parents = {sha for sha, _ in gitrepo.first_parent_history(repo_path, base)}
        return "fast-forward" if tip in first_parents else "merge"
    if gitrepo.commits_with_trailer(repo_path, base, TRAILER_BATCH, batch):
        return "squash"  # found by its trailer in the squashed message
    return None


def apply_on_branch(repo_path: Path, config: Config, batches: list[Batch], batch: Batch, *,
                    base: str | None,
                    replace: bool, stack: bool, force_order: bool,
                    test_cmd: str | None, compat: bool = False) -> BranchOutcome:
    """Build the batch's branch and commit; return what happened."""
    forget_branches()
    check_work_tree(repo_path)
    base_ref = resolve_base(repo_path, config, batches, batch, base, stack)
    base_commit = gitrepo.rev_parse(repo_path, base_ref) or ""
    branch = branch_name(config, batch)
    if replace and gitrepo.current_branch(repo_path) == branch:
        raise UsageError(f"you are on {branch}: switch to another branch before rebuilding it "
                         f"with --replace")
    if gitrepo.branch_exists(repo_path, branch) and not replace:
        raise UsageError(f"branch {branch} already exists: review or delete it, or pass "
                         f"--replace to rebuild it from {base_ref}")
    outcome = BranchOutcome(ApplyResult(batch), base_ref, base_commit)
    worktree = _fresh_worktree(repo_path, batch)
    try:
        gitrepo.add_worktree(repo_path, worktree, base_commit)
        checkpoint("worktree-added")
        worktree_config = load_config(worktree)
        outcome.result = run_batch(worktree, worktree_config, batches, batch, force_order,
                                   compat=compat)
        result = outcome.result
        if not result.ok or not result.changes:
            return outcome
        write_changes(worktree, result)
        checkpoint("written")
        message = commit_message(result, worktree_config.lifecycle_import)
        outcome.commit = gitrepo.commit_paths(worktree, [c.path for c in result.changes],
                                              message)
        checkpoint("committed")
        previous = gitrepo.rev_parse(repo_path, f"refs/heads/{branch}")
        made = record_branch(repo_path, branch, outcome.commit, previous)
        gitrepo.set_branch(repo_path, branch, outcome.commit)
        outcome.branch = branch
        checkpoint("branch-set")
        if test_cmd:
            made.doing = "running the tests (--test-cmd)"
            outcome.test = run_tests(worktree, test_cmd)
            made.doing = None
    finally:
        gitrepo.remove_worktree(repo_path, worktree)
        shutil.rmtree(worktree, ignore_errors=True)
    return outcome


def _fresh_worktree(repo_path: Path, batch: Batch) -> Path:
    """A new worktree path; leftovers of interrupted runs are cleared first."""
    folder = gitrepo.git_dir(repo_path) / WORKTREES
    if folder.exists():
        for stale in folder.iterdir():
            shutil.rmtree(stale, ignore_errors=True)
    gitrepo.prune_worktrees(repo_path)
    folder.mkdir(parents=True, exist_ok=True)
    return folder / f"{batch.name}-{os.getpid()}"



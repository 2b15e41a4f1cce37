"""`migrate rollback --batch NAME`: revert a merged batch on its own branch (SPEC §7).

The batch's commits are found on the base by their trailer, however they were merged: a merge
commit is reverted against its mainline parent, a squash or fast-forward commit as it is. The
reverts are made in a temporary worktree and committed once, with a `Migrate-Revert` trailer; a
conflict aborts them and leaves the repository exactly as it was.
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass, field
from pathlib import Path

from redis_migrate import gitrepo
from redis_migrate.batch_catalog import Batch
from redis_migrate.config import Config
from redis_migrate.errors import ApplyError, UsageError
from redis_migrate.faults import checkpoint
from redis_migrate.workflow.branch import WORKTREES, check_work_tree, forget_branches, record_branch
from redis_migrate.workflow.pr_body import TRAILER_BATCH, TRAILER_REVERT


@dataclass(slots=True)
class Rollback:
    """What was (or would be) reverted."""

    batch: Batch
    base: str
    branch: str
    # sha, mainline, subject
    reverts: list[tuple[str, int | None, str]] = field(default_factory=list)
    commit: str | None = None


def find_batch_commits(repo: Path, base: str, batch: str) -> list[tuple[str, int | None]]:
    """The commits on `base` that brought `batch` in, newest first, with their mainline."""
    tagged = gitrepo.commits_with_trailer(repo, base, TRAILER_BATCH, batch)
    if not tagged:
        return []
    found: list[tuple[str, int | None]] = []
    for sha, parents in gitrepo.first_parent_history(repo, base):
        if sha in tagged:  # fast-forward or squash: the commit itself is on the mainline
            found.append((sha, None))
        elif len(parents) > 1:
            brought = [t for t in tagged if gitrepo.is_ancestor(repo, t, parents[1])
                       and not gitrepo.is_ancestor(repo, t, parents[0])]
            if not brought:
                continue
            others = [c for c in gitrepo.commits_between(repo, parents[0], parents[1])
                      if c not in brought and gitrepo.trailer_values(repo, c, TRAILER_BATCH)]
            if others:
                # the merge also brought other batches (a stack): revert only this batch's own
                # commits, not the whole merge
                found.extend((t, None) for t in brought)
            else:
                found.append((sha, 1))  # revert the merge against its mainline parent
    return found


def plan_rollback(repo: Path, config: Config, batches: list[Batch], batch: Batch,
                  base: str | None, force: bool) -> Rollback:
    """What rolling back `batch` means; refuses when a later batch depends on it."""
    base_ref = base or config.base_branch or gitrepo.current_branch(repo)
    if base_ref is None:
        raise UsageError("HEAD is detached and no base is configured: pass --base (the branch "
                         "the batch was merged into) or set base-branch in [tool.migrate]")
    if gitrepo.rev_parse(repo, base_ref) is None:
        raise UsageError(f"base '{base_ref}' does not name a commit")
    commits = find_batch_commits(repo, base_ref, batch.name)
    if not commits:
        raise UsageError(f"batch '{batch.name}' has no commit on {base_ref} (look for the "
                         f"trailer '{TRAILER_BATCH}: {batch.name}'); nothing to roll back")
    if not force:
        later = [b.name for b in batches if b.order > batch.order
                 and find_batch_commits(repo, base_ref, b.name)]
        if later:
            raise UsageError(f"later batches are merged on {base_ref} and build on "
                             f"'{batch.name}': {', '.join(later)}; roll them back first or "
                             f"pass --force")
    plan = Rollback(batch, base_ref, f"{config.branch_prefix}revert-{batch.name}")
    plan.reverts = [(sha, mainline, gitrepo.subject_of(repo, sha)) for sha, mainline in commits]
    return plan


def run_rollback(repo: Path, plan: Rollback) -> Rollback:
    """Make the revert branch; on a conflict nothing is left behind and the files are named."""
    forget_branches()
    check_work_tree(repo)
    if gitrepo.branch_exists(repo, plan.branch):
        raise UsageError(f"branch {plan.branch} already exists: review or delete it first")
    folder = gitrepo.git_dir(repo) / WORKTREES
    folder.mkdir(parents=True, exist_ok=True)
    worktree = folder / f"revert-{plan.batch.name}-{os.getpid()}"
    try:
        gitrepo.add_worktree(repo, worktree, gitrepo.rev_parse(repo, plan.base) or plan.base)
        conflicts = gitrepo.revert_all(worktree, [(s, m) for s, m, _ in plan.reverts],
                                       _message(plan))
        if conflicts:
            raise ApplyError(f"reverting '{plan.batch.name}' conflicts in "
                             f"{', '.join(conflicts)}; nothing was changed (resolve by hand "
                             f"with git revert)")
        plan.commit = gitrepo.head(worktree)
        record_branch(repo, plan.branch, plan.commit, None, kind="revert")
        gitrepo.set_branch(repo, plan.branch, plan.commit)
        checkpoint("revert-branch-set")
    finally:
        gitrepo.remove_worktree(repo, worktree)
        shutil.rmtree(worktree, ignore_errors=True)
    return plan


def _message(plan: Rollback) -> str:
    lines = [f"redis-migration: revert {plan.batch.name}", "",
             f"Reverts the {plan.batch.name} batch ({plan.batch.title}):"]
    lines += [f"- {sha[:12]} {subject}" + (" (merge, mainline 1)" if mainline else "")
              for sha, mainline, subject in plan.reverts]
    lines += ["", f"{TRAILER_REVERT}: {plan.batch.name}"]
    return "\n".join(lines) + "\n"



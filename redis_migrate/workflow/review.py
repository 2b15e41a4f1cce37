"""The review workflow around a batch branch: PR body, push, pull request, test results."""

from __future__ import annotations

import errno
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from redis_migrate import gitrepo
from redis_migrate.batch_catalog import Batch
from redis_migrate.config import Config
from redis_migrate.errors import EXIT_FINDINGS, EXIT_OK, UsageError
from redis_migrate.rewrite.fileio import write_atomic
from redis_migrate.workflow.branch import (
    BranchOutcome,
    MadeBranch,
    apply_on_branch,
    branches_that_stand,
)
from redis_migrate.workflow.codeowners import owners_for
from redis_migrate.workflow.forge import TOKEN_ENV, PullRequest, open_pull_request, slug_from_remote
from redis_migrate.workflow.pr_body import pr_body, subject


@dataclass(frozen=True, slots=True)
class ReviewOptions:
    """The git-flow flags of `apply`."""

    base: str | None = None
    stack: bool = False
    replace: bool = False
    force_order: bool = False
    test_cmd: str | None = None
    pr_body: Path | None = None
    push: bool = False
    remote: str = "origin"
    open_pr: bool = False
    reviewers: tuple[str, ...] = ()
    compat: bool = False


@dataclass(slots=True)
class ReviewReport:
    """Everything `apply` did, for the CLI to print."""

    outcome: BranchOutcome
    pr_body_written: Path | None = None
    pushed_to: str | None = None
    pull_request: PullRequest | None = None
    messages: list[str] = field(default_factory=list)

    @property
    def exit_code(self) -> int:
        failed_tests = self.outcome.test is not None and self.outcome.test.returncode != 0
        if not self.outcome.result.ok or failed_tests or self.outcome.result.skipped:
            return EXIT_FINDINGS
        return EXIT_OK


def apply_for_review(repo: Path, config: Config, batches: list[Batch], batch: Batch,
                     options: ReviewOptions) -> ReviewReport:
    """Branch, commit, and (as asked) PR body, push and pull request for one batch."""
    slug = _preflight(repo, config, options)
    outcome = apply_on_branch(repo, config, batches, batch, base=options.base,
                              replace=options.replace,
                              stack=options.stack, force_order=options.force_order,
                              test_cmd=options.test_cmd, compat=options.compat)
    report = ReviewReport(outcome)
    if outcome.branch is None or outcome.commit is None:
        return report
    made = next((m for m in branches_that_stand() if m.name == outcome.branch), None)
    body = pr_body(outcome.result, config.lifecycle_import, outcome.branch)
    if options.pr_body is not None:
        _write_pr_body(options.pr_body, body, outcome.branch, outcome.commit)
        report.pr_body_written = options.pr_body
    if outcome.test is not None and outcome.test.returncode != 0:
        report.messages.append("tests failed on the batch branch: not pushed, no PR opened")
        return report
    if options.push:
        _push(repo, options, outcome.branch, made)
        report.pushed_to = options.remote
    if options.open_pr and slug is not None:
        report.pull_request = _open_pr(repo, config, options, outcome, outcome.branch, slug,
                                       body, made)
        gitrepo.add_note(repo, outcome.commit, report.pull_request.url)
    return report


def _preflight(repo: Path, config: Config, options: ReviewOptions) -> str | None:
    """Refuse the flags and environment that cannot work, before any branch is made or pushed;
    the GitHub repository's slug when a PR is to be opened."""
    if options.open_pr and not options.push:
        raise UsageError("--open-pr needs --push: GitHub can only open a PR for a pushed branch")
    if options.pr_body is not None:
        check_writable(options.pr_body)  # before any branch is made
    if not options.open_pr:
        return None
    if not os.environ.get(TOKEN_ENV):
        raise UsageError(f"--open-pr needs a token in ${TOKEN_ENV}")
    slug = config.github_repo or slug_from_remote(
        gitrepo.remote_url(repo, options.remote) or "")
    if slug is None:
        raise UsageError(f"cannot tell the GitHub repository from remote "
                         f"'{options.remote}': set github-repo in [tool.migrate]")
    return slug


def _write_pr_body(path: Path, body: str, branch: str, commit: str) -> None:
    try:
        write_atomic(path, body.encode("utf-8"))
    except OSError as exc:  # the folder went away, a full disk, …
        raise UsageError(f"{cannot_write(path, exc)}; branch {branch} "
                         f"(commit {commit[:12]}) is made but not pushed: re-run "
                         f"with --replace and a --pr-body that can be written") from None


def _push(repo: Path, options: ReviewOptions, branch: str, made: MadeBranch | None) -> None:
    """Push the batch branch; `made` says what is under way if the push is interrupted."""
    if made is not None:
        made.doing = (f"pushing it to {options.remote} (`git ls-remote {options.remote} "
                      f"{made.name}` tells whether it got there)")
    gitrepo.push_branch(repo, options.remote, branch, force=options.replace)
    if made is not None:
        made.pushed_to, made.doing = options.remote, None


def _open_pr(repo: Path, config: Config, options: ReviewOptions, outcome: BranchOutcome,
             branch: str, slug: str, body: str, made: MadeBranch | None) -> PullRequest:
    """Open the batch's pull request, the changed files' code owners asked to review."""
    owners = owners_for(repo, [c.path for c in outcome.result.changes])
    reviewers = tuple(dict.fromkeys((*owners.users, *config.reviewers, *options.reviewers)))
    if made is not None:
        made.doing = f"opening its pull request (one may be open on {slug})"
    pull_request = open_pull_request(
        api=config.github_api, slug=slug, head=branch, base=outcome.base,
        title=subject(outcome.result), body=body, reviewers=reviewers, teams=owners.teams)
    if made is not None:
        made.pull_request, made.doing = pull_request.url, None
    return pull_request


def check_writable(path: Path) -> None:
    """Refuse a file that cannot be written, before anything is done; leave nothing behind.

    `write_atomic` makes the missing folders and a temporary file beside the target, then
    renames it: the same steps are tried here, and undone.
    """
    made: list[Path] = []
    try:
        if path.is_dir():
            raise IsADirectoryError(errno.EISDIR, os.strerror(errno.EISDIR), str(path))
        missing = []
        folder = path.parent
        while not folder.is_dir():
            if folder.exists() or folder.is_symlink():
                raise NotADirectoryError(errno.ENOTDIR, os.strerror(errno.ENOTDIR), str(folder))
            missing.append(folder)
            folder = folder.parent
        for folder in reversed(missing):
            folder.mkdir()
            made.append(folder)
        handle, probe = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".probe",
                                         dir=path.parent)
        os.close(handle)
        os.unlink(probe)
    except OSError as exc:
        raise UsageError(cannot_write(path, exc)) from None
    finally:
        for folder in reversed(made):
            try:
                folder.rmdir()
            except OSError:
                pass


def cannot_write(path: Path, exc: OSError) -> str:
    """`cannot write PATH: REASON`, naming the folder on the way that is the problem."""
    reason = exc.strerror or str(exc)
    blocker = Path(exc.filename) if isinstance(exc.filename, str) else None
    if blocker is not None and blocker != path and blocker in path.parents:
        reason = f"{blocker}: {reason}"
    return f"cannot write {path}: {reason}"

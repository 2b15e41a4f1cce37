"""The review workflow around a batch branch: PR body, push, pull request, test results."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from migrate import gitrepo
from migrate.batch_branch import BranchOutcome, apply_on_branch
from migrate.batch_catalog import Batch
from migrate.codeowners import owners_for
from migrate.config import Config
from migrate.errors import EXIT_FINDINGS, EXIT_OK, UsageError
from migrate.fileio import write_atomic
from migrate.forge import TOKEN_ENV, PullRequest, open_pull_request, slug_from_remote
from migrate.pr_body import pr_body, subject


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


def apply_for_review(repo: Path, config: Config, batches: list[Batch], name: str,
                     options: ReviewOptions) -> ReviewReport:
    """Branch, commit, and (as asked) PR body, push and pull request for one batch."""
    if options.open_pr and not options.push:
        raise UsageError("--open-pr needs --push: GitHub can only open a PR for a pushed branch")
    slug = None
    if options.open_pr:  # environment errors first: before any branch is made or pushed
        if not os.environ.get(TOKEN_ENV):
            raise UsageError(f"--open-pr needs a token in ${TOKEN_ENV}")
        slug = config.github_repo or slug_from_remote(
            gitrepo.remote_url(repo, options.remote) or "")
        if slug is None:
            raise UsageError(f"cannot tell the GitHub repository from remote "
                             f"'{options.remote}': set github-repo in [tool.migrate]")
    outcome = apply_on_branch(repo, batches, name, base=options.base, replace=options.replace,
                              stack=options.stack, force_order=options.force_order,
                              test_cmd=options.test_cmd, compat=options.compat)
    report = ReviewReport(outcome)
    if outcome.branch is None or outcome.commit is None:
        return report
    body = pr_body(outcome.result, config.lifecycle_import, outcome.branch)
    if options.pr_body is not None:
        write_atomic(options.pr_body, body.encode("utf-8"))
        report.pr_body_written = options.pr_body
    if outcome.test is not None and outcome.test.returncode != 0:
        report.messages.append("tests failed on the batch branch: not pushed, no PR opened")
        return report
    if options.push:
        gitrepo.push_branch(repo, options.remote, outcome.branch, force=options.replace)
        report.pushed_to = options.remote
    if options.open_pr and slug is not None:
        owners = owners_for(repo, [c.path for c in outcome.result.changes])
        reviewers = tuple(dict.fromkeys((*owners.users, *config.reviewers, *options.reviewers)))
        report.pull_request = open_pull_request(
            api=config.github_api, slug=slug, head=outcome.branch, base=outcome.base,
            title=subject(outcome.result), body=body, reviewers=reviewers, teams=owners.teams)
        gitrepo.add_note(repo, outcome.commit, report.pull_request.url)
    return report

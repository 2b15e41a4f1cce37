"""Opening the batch's pull request on GitHub (or GitHub Enterprise) through PyGithub."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass

from redis_migrate.errors import MigrateError, UsageError

TOKEN_ENV = "GITHUB_TOKEN"
_SLUG = re.compile(r"(?:github[^/:]*[/:])?(?P<slug>[\w.-]+/[\w.-]+?)(?:\.git)?/?$")


class ForgeError(MigrateError):
    """The pull request could not be opened; the branch is there, nothing else was changed."""

    exit_code = 1


@dataclass(frozen=True, slots=True)
class PullRequest:
    """What GitHub answered."""

    number: int
    url: str
    reviewers: tuple[str, ...]
    teams: tuple[str, ...]


def slug_from_remote(url: str) -> str | None:
    """`owner/name` from a GitHub remote URL (https or ssh), if it is one."""
    match = _SLUG.search(url.strip())
    return match.group("slug") if match else None


def open_pull_request(*, api: str, slug: str, head: str, base: str, title: str, body: str,
                      reviewers: tuple[str, ...], teams: tuple[str, ...]) -> PullRequest:
    """Create the PR and request its reviewers; the token comes from $GITHUB_TOKEN only."""
    token = os.environ.get(TOKEN_ENV)
    if not token:
        raise UsageError(f"--open-pr needs a token in ${TOKEN_ENV}")
    from github import Auth, Github, GithubException

    client = Github(base_url=api.rstrip("/"), auth=Auth.Token(token), retry=None, timeout=30)
    try:
        repository = client.get_repo(slug)
        pull = repository.create_pull(title=title, body=body, head=head, base=base)
        if reviewers or teams:
            pull.create_review_request(reviewers=list(reviewers), team_reviewers=list(teams))
    except GithubException as exc:
        data = exc.data if isinstance(exc.data, dict) else {}
        details = [e.get("message") for e in data.get("errors", []) if isinstance(e, dict)]
        message = "; ".join(filter(None, [data.get("message"), *details]))
        raise ForgeError(f"GitHub refused the pull request ({exc.status}): "
                         f"{message or 'no message'}") from None
    except OSError as exc:
        raise ForgeError(f"cannot reach the GitHub API at {api}: {exc}") from None
    finally:
        client.close()
    return PullRequest(pull.number, pull.html_url, reviewers, teams)

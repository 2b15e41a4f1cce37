"""`apply --push --open-pr` against a local stand-in for the GitHub REST API.

The stand-in is a stdlib `http.server` on 127.0.0.1 (random port) that answers only the three
calls PyGithub makes to open a pull request, checks each one (path, token header, JSON fields)
and records it; anything else is answered 404 and recorded as a problem. The branch is pushed to a
real bare repository; the CLI is the real one, with `[tool.migrate] github-api` pointing at the
stand-in.
"""

from __future__ import annotations

import json
import subprocess
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from cli_helpers import BACKEND, function_local, git, git_repo, migrate

TOKEN = "secret-token-123"
OWNER, NAME = "acme", "shop"
BRANCH = "redis-migration/02-read-caches"
SUBJECT = "redis-migration: read-caches (4 sites in 2 files)"
PR_NUMBER = 42
HTML_URL = f"https://github.example.com/{OWNER}/{NAME}/pull/{PR_NUMBER}"
NOTES_REF = "refs/notes/redis-migration"





# The last matching rule wins: reads*.py belong to bob and the cache team (the e-mail owner
# cannot be requested); carol, dave and the platform team own nothing this batch touches.
CODEOWNERS = (
    "# who reviews what\n"
    "*                    @acme/platform\n"
    "/backend/            @carol\n"
    "backend/reads*.py    @bob dev-list@example.com @acme/cache-team\n"
    "backend/writes.py    @dave\n"
)
FILES = {
    **BACKEND,
    "backend/reads.py": function_local("lookup", "get"),
    "backend/reads2.py": function_local("present", "exists"),
    # stays manual, and carries a password that must never reach GitHub
    "backend/legacy.py": function_local("legacy", "get",
                                         "'redis://:hunter2@cache.internal:6379/3'"),
    ".github/CODEOWNERS": CODEOWNERS,
}


# --- the stand-in server ------------------------------------------------------------------------

@dataclass
class Seen:
    method: str
    path: str
    authorization: str
    body: Any


@dataclass
class StandInGitHub:
    """What the stand-in answers and what it saw."""

    port: int = 0
    pulls_status: int = 201  # set to 422 to make GitHub refuse the pull request
    requests: list[Seen] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    @property
    def api(self) -> str:
        return f"http://127.0.0.1:{self.port}/api/v3"

    def repo_json(self) -> dict[str, Any]:
        return {"id": 1, "name": NAME, "full_name": f"{OWNER}/{NAME}",
                "owner": {"login": OWNER, "type": "Organization"},
                "url": f"{self.api}/repos/{OWNER}/{NAME}",
                "html_url": f"https://github.example.com/{OWNER}/{NAME}"}

    def pull_json(self) -> dict[str, Any]:
        return {"id": 4200, "number": PR_NUMBER, "state": "open", "title": SUBJECT,
                "url": f"{self.api}/repos/{OWNER}/{NAME}/pulls/{PR_NUMBER}",
                "html_url": HTML_URL}


def _handler(state: StandInGitHub) -> type[BaseHTTPRequestHandler]:
    repo_path = f"/api/v3/repos/{OWNER}/{NAME}"

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:  # keep the test output quiet
            pass

        def _reply(self, status: int, payload: dict[str, Any]) -> None:
            data = json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json; charset=utf-8")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def _seen(self) -> Seen:
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b""
            body = json.loads(raw) if raw else None
            seen = Seen(self.command, self.path.split("?")[0],
                        self.headers.get("Authorization", ""), body)
            state.requests.append(seen)
            if seen.authorization not in (f"token {TOKEN}", f"Bearer {TOKEN}"):
                state.problems.append(f"{seen.method} {seen.path}: bad Authorization header")
            return seen

        def do_GET(self) -> None:
            seen = self._seen()
            if seen.path == repo_path:
                self._reply(200, state.repo_json())
            else:
                state.problems.append(f"unexpected GET {seen.path}")
                self._reply(404, {"message": "Not Found"})

        def do_POST(self) -> None:
            seen = self._seen()
            if seen.path == f"{repo_path}/pulls":
                if not isinstance(seen.body, dict) or not {"title", "body", "head",
                                                           "base"} <= set(seen.body):
                    state.problems.append(f"pull request without title/body/head/base: "
                                          f"{seen.body!r}")
                    self._reply(400, {"message": "Bad Request"})
                elif state.pulls_status == 422:
                    self._reply(422, {
                        "message": "Validation Failed",
                        "errors": [{"resource": "PullRequest", "code": "custom",
                                    "message": f"A pull request already exists for "
                                               f"{OWNER}:{BRANCH}."}],
                        "documentation_url": "https://docs.github.com/rest/pulls/pulls"})
                else:
                    self._reply(201, state.pull_json())
            elif seen.path == f"{repo_path}/pulls/{PR_NUMBER}/requested_reviewers":
                if not isinstance(seen.body, dict) or "reviewers" not in seen.body:
                    state.problems.append(f"review request without reviewers: {seen.body!r}")
                self._reply(201, state.pull_json())
            else:
                state.problems.append(f"unexpected POST {seen.path}")
                self._reply(404, {"message": "Not Found"})

    return Handler


@pytest.fixture
def stand_in() -> Iterator[StandInGitHub]:
    state = StandInGitHub()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(state))
    state.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


# --- helpers ------------------------------------------------------------------------------------

def target_repo(tmp_path: Path, api: str, github_repo: str | None = f"{OWNER}/{NAME}",
                remote_url: str | None = None) -> tuple[Path, Path]:
    """The target repository (config committed) and its bare remote `origin`."""
    config = f'[tool.migrate]\ngithub-api = "{api}"\n'
    if github_repo:
        config += f'github-repo = "{github_repo}"\n'
    repo = git_repo(tmp_path / "shop", {**FILES, "pyproject.toml": config})
    git(repo, "config", "user.name", "Migration Tester")
    git(repo, "config", "user.email", "tester@example.invalid")
    remote = tmp_path / "origin.git"
    git(tmp_path, "init", "-q", "--bare", str(remote))
    git(repo, "remote", "add", "origin", remote_url or str(remote))
    if remote_url:  # fetch URL names GitHub, pushes go to the local bare repository
        git(repo, "remote", "set-url", "--push", "origin", str(remote))
    return repo, remote


def env(token: str | None = TOKEN) -> dict[str, str | None]:
    return {"GITHUB_TOKEN": token, "GH_TOKEN": None, "NO_PROXY": "127.0.0.1,localhost",
            "no_proxy": "127.0.0.1,localhost", "HTTP_PROXY": None, "http_proxy": None,
            "HTTPS_PROXY": None, "https_proxy": None, "ALL_PROXY": None, "all_proxy": None}


def remote_tip(remote: Path, branch: str) -> str | None:
    proc = subprocess.run(["git", "--git-dir", str(remote), "rev-parse", "--verify", "--quiet",
                           f"refs/heads/{branch}"], capture_output=True, text=True)
    return proc.stdout.strip() if proc.returncode == 0 else None


def note(repo: Path, commit: str) -> str | None:
    proc = subprocess.run(["git", "notes", f"--ref={NOTES_REF}", "show", commit], cwd=repo,
                          capture_output=True, text=True)
    return proc.stdout.strip() if proc.returncode == 0 else None


def status_row(repo: Path, batch: str) -> dict[str, Any]:
    run = migrate("status", "--format", "json", "-C", repo)
    assert run.exit_code == 0, run.stdout + run.stderr
    return next(r for r in json.loads(run.stdout)["batches"] if r["batch"] == batch)


def no_secret_in(*texts: str) -> None:
    for text in texts:
        assert TOKEN not in text
        assert "hunter2" not in text


# --- tests --------------------------------------------------------------------------------------

def test_open_pr_against_local_stand_in_server(tmp_path: Path,
                                               stand_in: StandInGitHub) -> None:
    repo, remote = target_repo(tmp_path, stand_in.api)
    body_file = tmp_path / "pr.md"
    run = migrate("apply", "--batch", "read-caches", "-C", repo, "--push", "--open-pr",
                  "--reviewer", "alice", "--pr-body", body_file, env=env())
    assert run.exit_code == 0, run.stdout + run.stderr
    assert stand_in.problems == []
    tip = git(repo, "rev-parse", BRANCH).strip()
    assert remote_tip(remote, BRANCH) == tip
    assert [(r.method, r.path) for r in stand_in.requests] == [
        ("GET", f"/api/v3/repos/{OWNER}/{NAME}"),
        ("POST", f"/api/v3/repos/{OWNER}/{NAME}/pulls"),
        ("POST", f"/api/v3/repos/{OWNER}/{NAME}/pulls/{PR_NUMBER}/requested_reviewers"),
    ]
    _, create, review = stand_in.requests
    assert create.body["title"] == SUBJECT
    assert create.body["head"] == BRANCH
    assert create.body["base"] == "main"
    assert create.body["body"] == body_file.read_text(encoding="utf-8")
    assert "migrate rollback --batch read-caches" in create.body["body"]
    assert sorted(review.body["reviewers"]) == ["alice", "bob"]
    assert review.body.get("team_reviewers") == ["cache-team"]
    assert HTML_URL in run.stdout
    assert note(repo, tip) == HTML_URL
    row = status_row(repo, "read-caches")
    assert row["pr"] == HTML_URL and row["pushed"] is True and row["commit"] == tip
    table = migrate("status", "-C", repo)
    assert str(PR_NUMBER) in table.stdout
    no_secret_in(run.stdout, run.stderr, json.dumps([r.body for r in stand_in.requests]),
                 (repo / ".git" / "config").read_text(encoding="utf-8"), table.stdout)


def test_local_stand_in_server_slug_from_the_remote_url(tmp_path: Path,
                                                        stand_in: StandInGitHub) -> None:
    repo, remote = target_repo(tmp_path, stand_in.api, github_repo=None,
                               remote_url=f"git@github.com:{OWNER}/{NAME}.git")
    run = migrate("apply", "--batch", "read-caches", "-C", repo, "--push", "--open-pr",
                  env=env())
    assert run.exit_code == 0, run.stdout + run.stderr
    assert stand_in.problems == []
    assert stand_in.requests[0].path == f"/api/v3/repos/{OWNER}/{NAME}"
    assert remote_tip(remote, BRANCH) == git(repo, "rev-parse", BRANCH).strip()
    review = stand_in.requests[-1]
    assert review.path.endswith("/requested_reviewers")
    assert review.body["reviewers"] == ["bob"]  # CODEOWNERS only, no --reviewer
    no_secret_in(run.stdout, run.stderr)


def test_missing_token_is_a_usage_error_and_the_local_stand_in_is_not_called(
        tmp_path: Path, stand_in: StandInGitHub) -> None:
    repo, remote = target_repo(tmp_path, stand_in.api)
    run = migrate("apply", "--batch", "read-caches", "-C", repo, "--push", "--open-pr",
                  env=env(token=None))
    assert run.exit_code == 2, run.stdout + run.stderr
    lines = run.stderr.strip().splitlines()
    assert len(lines) == 1 and "GITHUB_TOKEN" in lines[0], run.stderr
    assert "Traceback" not in run.stderr
    assert stand_in.requests == []
    # An environment error is found before anything is done: no branch, nothing pushed, so
    # the same command works once the token is set (no --replace needed).
    assert git(repo, "branch", "--list", "redis-migration/*") == ""
    assert remote_tip(remote, BRANCH) is None
    again = migrate("apply", "--batch", "read-caches", "-C", repo, "--push", "--open-pr",
                    env=env())
    assert again.exit_code == 0, again.stdout + again.stderr
    assert HTML_URL in again.stdout


def test_unreachable_api_exits_1_and_keeps_the_pushed_branch(tmp_path: Path) -> None:
    closed = ThreadingHTTPServer(("127.0.0.1", 0), BaseHTTPRequestHandler)
    port = closed.server_address[1]
    closed.server_close()  # nothing listens there any more
    repo, remote = target_repo(tmp_path, f"http://127.0.0.1:{port}/api/v3")
    run = migrate("apply", "--batch", "read-caches", "-C", repo, "--push", "--open-pr",
                  env=env())
    assert run.exit_code == 1, run.stdout + run.stderr
    lines = run.stderr.strip().splitlines()
    assert len(lines) == 1 and f"127.0.0.1:{port}" in lines[0], run.stderr
    assert "Traceback" not in run.stderr
    assert remote_tip(remote, BRANCH) == git(repo, "rev-parse", BRANCH).strip()
    no_secret_in(run.stdout, run.stderr)


def test_open_pr_without_push_is_refused_before_anything_happens(
        tmp_path: Path, stand_in: StandInGitHub) -> None:
    repo, remote = target_repo(tmp_path, stand_in.api)
    run = migrate("apply", "--batch", "read-caches", "-C", repo, "--open-pr", env=env())
    assert run.exit_code == 2, run.stdout + run.stderr
    assert "--push" in run.stderr
    assert stand_in.requests == []
    assert remote_tip(remote, BRANCH) is None


def test_local_stand_in_server_answering_422_exits_1_and_keeps_the_pushed_branch(
        tmp_path: Path, stand_in: StandInGitHub) -> None:
    stand_in.pulls_status = 422
    repo, remote = target_repo(tmp_path, stand_in.api)
    run = migrate("apply", "--batch", "read-caches", "-C", repo, "--push", "--open-pr",
                  "--reviewer", "alice", env=env())
    assert run.exit_code == 1, run.stdout + run.stderr
    assert stand_in.problems == []
    lines = run.stderr.strip().splitlines()
    assert len(lines) == 1 and "Validation Failed" in lines[0], run.stderr
    assert "422" in lines[0]
    assert "Traceback" not in run.stderr
    tip = git(repo, "rev-parse", BRANCH).strip()
    assert remote_tip(remote, BRANCH) == tip  # the branch is pushed all the same
    assert [r.path.rsplit("/", 1)[-1] for r in stand_in.requests] == [NAME, "pulls"]
    assert note(repo, tip) is None
    row = status_row(repo, "read-caches")
    assert row["pushed"] is True and row["pr"] is None
    no_secret_in(run.stdout, run.stderr)

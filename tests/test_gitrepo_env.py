"""`gitrepo` runs git one way, in the repository it is given, whatever GIT_* variables the
caller inherited (a pre-commit hook exports GIT_INDEX_FILE; wrappers export GIT_DIR)."""

from __future__ import annotations

from pathlib import Path

import pytest
from cli_helpers import git_repo, migrate

from redis_migrate import gitrepo


@pytest.fixture
def two_repos(tmp_path: Path) -> tuple[Path, Path]:
    ours = git_repo(tmp_path / "ours", {"app/cache.py": "import redis\n\n"
                                        "client = redis.Redis.from_url('redis://localhost')\n"})
    other = git_repo(tmp_path / "other", {"elsewhere.py": "x = 1\n"})
    return ours, other


def test_inherited_repository_variables_do_not_redirect_git(
        two_repos: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch) -> None:
    ours, other = two_repos
    monkeypatch.setenv("GIT_DIR", str(other / ".git"))
    monkeypatch.setenv("GIT_WORK_TREE", str(other))
    monkeypatch.setenv("GIT_INDEX_FILE", str(other / ".git" / "index"))
    assert gitrepo.list_files(ours) == ["app/cache.py"]
    assert Path(gitrepo.run(ours, "rev-parse", "--show-toplevel")).resolve() == ours.resolve()
    assert gitrepo.head(ours) == gitrepo.run(ours, "rev-parse", "HEAD")
    # and through the real CLI: the site in our repository is found
    out = migrate("inventory", "-C", ours, "--format", "json").stdout
    assert '"app/cache.py"' in out


def test_identity_variables_are_kept(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GIT_AUTHOR_NAME", "Release Bot")
    monkeypatch.setenv("GIT_DIR", "/nowhere")
    env = gitrepo.git_env()
    assert env["GIT_AUTHOR_NAME"] == "Release Bot"
    assert "GIT_DIR" not in env


def test_a_failing_git_command_raises_with_gits_message(two_repos: tuple[Path, Path]) -> None:
    ours, _ = two_repos
    with pytest.raises(gitrepo.GitError, match="unknown revision|bad revision|ambiguous"):
        gitrepo.run(ours, "log", "no-such-branch")
    assert gitrepo.try_run(ours, "log", "no-such-branch") is None

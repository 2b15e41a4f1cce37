"""Usage errors are one line and exit 2; secrets never reach any output."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from cli_helpers import git_repo, migrate

from redis_migrate.redact import mask_secrets

SECRET_CODE = (
    "import redis.asyncio as aioredis\n"
    "client = aioredis.Redis.from_url('redis://:hunter2@cache.internal:6379/0')\n"
    "other = aioredis.Redis(host='db', password='s3cr3t-pw')\n"
    "queue = aioredis.from_url('rediss://svc:tok3n-xyz@q:6380/1?password=qpass')\n\n"
    "async def f():\n    await client.get('a')\n    await other.set('b', 1)\n"
    "    await queue.publish('c', 'd')\n"
)


def test_a_missing_path_is_exit_2_in_one_line(tmp_path: Path) -> None:
    for command in ("inventory", "plan", "check", "init"):
        run = migrate(command, "-C", tmp_path / "nope")
        assert run.exit_code == 2
        assert run.stderr.strip().count("\n") == 0
        assert "nope: no such directory" in run.stderr


def test_an_inventory_path_outside_or_missing(tmp_path: Path) -> None:
    repo = git_repo(tmp_path / "r", {"a.py": "x = 1\n"})
    run = migrate("inventory", "does/not/exist.py", "-C", repo)
    assert run.exit_code == 2
    assert "does/not/exist.py: no such file or directory" in run.stderr


def test_a_bad_flag_or_format_is_a_usage_error(tmp_path: Path) -> None:
    assert migrate("inventory", "--format", "yaml").exit_code == 2
    assert migrate("check", "--frobnicate").exit_code == 2


def test_an_empty_repository_is_an_error_not_a_clean_run(tmp_path: Path) -> None:
    repo = git_repo(tmp_path / "empty", {})
    run = migrate("inventory", "-C", repo, "--format", "json")
    assert run.exit_code == 2, run.stderr
    assert run.stdout == "" and "no Python file to analyse" in run.stderr


@pytest.mark.parametrize("secret", ["hunter2", "s3cr3t-pw", "tok3n-xyz", "qpass"])
def test_passwords_in_urls_never_print(tmp_path: Path, secret: str) -> None:
    repo = git_repo(tmp_path / "r", {"app/cache.py": SECRET_CODE})
    outputs = []
    for fmt in ("json", "table", "markdown", "csv"):
        run = migrate("inventory", "-C", repo, "--format", fmt, env={"COLUMNS": "300"})
        assert run.exit_code == 0
        outputs.append(run.stdout + run.stderr)
    for fmt in ("text", "json", "github", "sarif"):
        run = migrate("check", "-C", repo, "--format", fmt)
        outputs.append(run.stdout + run.stderr)
    sites = json.loads(migrate("inventory", "-C", repo, "--format", "json").stdout)["sites"]
    assert len([s for s in sites if s["kind"] == "instantiation"]) == 3
    assert any("***" in s["snippet"] for s in sites)
    for text in outputs:
        assert secret not in text


def test_mask_secrets_keeps_what_is_not_secret() -> None:
    assert mask_secrets("redis://localhost:6379/0") == "redis://localhost:6379/0"
    assert mask_secrets("Redis(password=settings.REDIS_PASSWORD)") == \
        "Redis(password=settings.REDIS_PASSWORD)"
    assert mask_secrets("redis://user:pw@h/0") == "redis://user:***@h/0"

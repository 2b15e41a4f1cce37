"""`[tool.migrate]` and the batch files: strict validation, one clear line, exit 2."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from cli_helpers import REPO_ROOT, git_repo, migrate

from redis_migrate.batch_catalog import BATCHES_DIR_ENV, load_batches
from redis_migrate.config import load_config

SITE = "import redis.asyncio as r\nclient = r.Redis.from_url('redis://localhost')\n\n" \
       "async def f():\n    return await client.get('k')\n"


def _repo_with_config(tmp_path: Path, toml: str, name: str = "pyproject.toml") -> Path:
    return git_repo(tmp_path / "target", {name: toml, "app/cache.py": SITE})


def test_packaged_batches_are_the_six_of_the_seed_in_order() -> None:
    batches = load_batches()
    assert [b.name for b in batches] == ["health", "read-caches", "write-caches", "pipelines",
                                         "pubsub-streams-queues", "locks-rate-limits"]
    assert [b.order for b in batches] == sorted(b.order for b in batches)
    for batch in batches:
        assert any("Deploy to staging" in line for line in batch.checklist), batch.name
        assert any("transport closed" in line for line in batch.checklist), batch.name
        assert batch.purposes


@pytest.mark.parametrize("mutation, message", [
    (lambda t: t + 'colour = "red"\n', "unknown key 'colour'"),
    (lambda t: t + 'codemods = ["replace_client_references"]\n',
     "'codemods' is no longer a batch key"),
    (lambda t: t.replace("order = 2", 'order = "two"'), "'order' must be int"),
    (lambda t: t.replace('title = "Read-only caches (simple GET)"\n', ""), "missing key 'title'"),
    (lambda t: t.replace('purposes = ["read-cache"]', 'purposes = ["reads"]'),
     "unknown purpose 'reads'"),
    (lambda t: t.replace("order = 2", "order = 1"), "'order' 1 used by both"),
    (lambda t: t + "[broken\n", "not valid TOML"),
])
def test_a_bad_batch_file_stops_every_command_naming_file_and_key(
        tmp_path: Path, mutation, message: str) -> None:
    folder = tmp_path / "batches"
    shutil.copytree(REPO_ROOT / "batches", folder, ignore=shutil.ignore_patterns("*.py",
                                                                                  "__pycache__"))
    target = folder / "02-read-caches.toml"
    target.write_text(mutation(target.read_text()))
    repo = git_repo(tmp_path / "target", {"app.py": SITE})
    for command in ("inventory", "plan", "check"):
        run = migrate(command, "-C", repo, env={BATCHES_DIR_ENV: str(folder)})
        assert run.exit_code == 2, (command, run.stdout, run.stderr)
        assert message in run.stderr, run.stderr
        if "used by both" not in message:
            assert "02-read-caches.toml" in run.stderr
        assert "Traceback" not in run.stderr
        assert len(run.stderr.strip().splitlines()) == 1


@pytest.mark.parametrize("table, message", [
    ('[tool.migrate]\ninclde = ["app/**"]\n', "unknown key 'inclde' (did you mean 'include'?)"),
    ('[tool.migrate]\ninclude = "app"\n', "'include' must be a list of strings"),
    ('[tool.migrate]\nsync-policy = "yolo"\n', "'sync-policy' must be one of manual"),
    ('[tool.migrate]\nlifecycle-module = "app/redis_client"\n', "must be a path to a .py file"),
    ('[tool.migrate]\noverrides = { "app/cache.py" = "pipelines" }\n', "must look like"),
    ('[tool.migrate]\noverrides = { "app/cache.py:2" = "fastlane" }\n',
     "unknown batch 'fastlane'"),
    ("[tool.migrate\n", "not valid TOML"),
])
def test_a_config_typo_is_exit_2_naming_the_key(tmp_path: Path, table: str, message: str) -> None:
    repo = _repo_with_config(tmp_path, table)
    run = migrate("inventory", "-C", repo)
    assert run.exit_code == 2, run.stdout
    assert "pyproject.toml" in run.stderr and message in run.stderr, run.stderr
    assert "Traceback" not in run.stderr


def test_migrate_toml_is_read_and_wins(tmp_path: Path) -> None:
    repo = git_repo(tmp_path / "target", {
        "pyproject.toml": '[tool.migrate]\nlifecycle-module = "a/b.py"\n',
        "migrate.toml": '[tool.migrate]\nlifecycle-module = "core/redis_client.py"\n'
                        'lifecycle-import = "core.redis_client"\n',
        "app.py": SITE})
    config = load_config(repo)
    assert config.lifecycle_module == "core/redis_client.py"
    assert config.source == "migrate.toml"


def test_include_and_exclude_globs(tmp_path: Path) -> None:
    repo = _repo_with_config(tmp_path, '[tool.migrate]\nexclude = ["legacy/**"]\n')
    (repo / "legacy").mkdir()
    (repo / "legacy" / "old.py").write_text(SITE)
    import json
    run = migrate("inventory", "-C", repo, "--format", "json")
    files = {s["file"] for s in json.loads(run.stdout)["sites"]}
    assert files == {"app/cache.py"}


def test_an_override_pins_an_unclassified_site(tmp_path: Path) -> None:
    import json
    code = ("import redis.asyncio as r\nfrom limiter import Limiter\n"
            "client = r.Redis.from_url('redis://x')\nLimiter.init(client)\n")
    repo = git_repo(tmp_path / "target", {"app/limits.py": code})
    before = json.loads(migrate("inventory", "-C", repo, "--format", "json").stdout)["sites"]
    assert before[0]["status"] == "manual" and before[0]["batch"] is None
    assert "Limiter.init()" in before[0]["reason"]
    (repo / "pyproject.toml").write_text(
        '[tool.migrate]\noverrides = { "app/limits.py:3" = "locks-rate-limits" }\n')
    after = json.loads(migrate("inventory", "-C", repo, "--format", "json").stdout)["sites"]
    assert after[0]["batch"] == "locks-rate-limits" and after[0]["status"] == "pending"
    assert any("pinned" in note for note in after[0]["notes"])

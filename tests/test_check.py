"""`migrate check`: the seed's §8 completion criteria as a CI gate, in four formats."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from cli_helpers import example_repo, git_repo, migrate

from redis_migrate.scan.lifecycle import template_text

EXPECTED = json.loads((Path(__file__).parent / "data" / "example_expected_sites.json")
                      .read_text(encoding="utf-8"))
LIFECYCLE = "backend/services/redis_client.py"


@pytest.fixture(scope="module")
def repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return example_repo(tmp_path_factory.mktemp("example"))


def test_one_line_per_remaining_site(repo: Path) -> None:
    run = migrate("check", "-C", repo)
    assert run.exit_code == 1
    lines = run.stdout.splitlines()
    assert len(lines) == len(EXPECTED)
    located = {tuple(re.match(r"([^:]+):(\d+):(\d+): ", line).groups()[:2]) for line in lines}
    assert located == {(s["file"], str(s["line"])) for s in EXPECTED}
    assert "phase 2 is not complete" in run.stderr
    text = run.stdout
    assert "backend/services/legacy_redis.py:17:16: Redis client created at import time" in text
    assert re.search(r"backend/services/cache.py:\d+:1: module-level RedisCache\(\) owns", text)
    assert re.search(r"job_runner.py:\d+:\d+: closes a Redis client outside close_redis", text)
    assert "[manual: sync client" in text


def test_json_github_and_sarif(repo: Path) -> None:
    as_json = json.loads(migrate("check", "-C", repo, "--format", "json").stdout)["findings"]
    assert len(as_json) == len(EXPECTED)
    assert {f["rule"] for f in as_json} == {"module-client", "instantiation", "close",
                                           "owner-singleton"}
    github = migrate("check", "-C", repo, "--format", "github")
    assert github.exit_code == 1
    annotations = github.stdout.splitlines()
    assert len(annotations) == len(EXPECTED)
    assert all(re.match(r"::error file=[^,]+,line=\d+,col=\d+,title=[^:]+::", a)
               for a in annotations)
    sarif = json.loads(migrate("check", "-C", repo, "--format", "sarif").stdout)
    assert sarif["version"] == "2.1.0"
    results = sarif["runs"][0]["results"]
    assert len(results) == len(EXPECTED)
    rule_ids = {r["id"] for r in sarif["runs"][0]["tool"]["driver"]["rules"]}
    assert {r["ruleId"] for r in results} <= rule_ids
    region = results[0]["locations"][0]["physicalLocation"]["region"]
    assert region["startLine"] >= 1 and region["startColumn"] >= 1


def test_a_migrated_repository_passes(tmp_path: Path) -> None:
    repo = git_repo(tmp_path / "done", {
        LIFECYCLE: template_text(),
        "backend/__init__.py": "", "backend/services/__init__.py": "",
        "backend/api.py": "from backend.services.redis_client import get_redis\n\n"
                          "async def view(key: str):\n    return await get_redis().get(key)\n",
    })
    run = migrate("check", "-C", repo)
    assert (run.exit_code, run.stdout) == (0, "")
    assert "no findings" in run.stderr


def test_the_lifecycle_module_itself_is_checked(tmp_path: Path) -> None:
    weak = ("from redis.asyncio import Redis\n_client = None\n\n"
            "async def init_redis(url):\n    global _client\n"
            "    _client = Redis.from_url(url, socket_timeout=5)\n\n"
            "def get_redis():\n    return _client\n")
    repo = git_repo(tmp_path / "weak", {LIFECYCLE: weak})
    run = migrate("check", "-C", repo)
    assert run.exit_code == 1
    out = run.stdout
    assert f"{LIFECYCLE}:1:1: lifecycle module does not define close_redis()" in out
    for setting in ("socket_connect_timeout", "health_check_interval", "retry_on_timeout"):
        assert f"does not set {setting} explicitly" in out
    assert "does not set socket_timeout" not in out
    assert "Redis.from_url" not in out  # the lifecycle module's own client is no site


def test_a_missing_lifecycle_module_points_to_init(tmp_path: Path) -> None:
    repo = git_repo(tmp_path / "none", {"app.py": "x = 1\n"})
    run = migrate("check", "-C", repo)
    assert run.exit_code == 1
    assert "lifecycle module is missing: run `migrate init`" in run.stdout


def test_an_unparseable_file_is_a_finding(tmp_path: Path) -> None:
    repo = git_repo(tmp_path / "bad", {LIFECYCLE: template_text(),
                                       "app/broken.py": "import redis\ndef f(:\n"})
    run = migrate("check", "-C", repo)
    assert run.exit_code == 1
    assert re.search(r"app/broken.py:2:1: could not be analysed: does not parse", run.stdout)


def test_allow_manual_ignores_only_sites_left_to_a_human(repo: Path) -> None:
    strict = migrate("check", "-C", repo).stdout.splitlines()
    lenient = migrate("check", "-C", repo, "--allow-manual")
    assert lenient.exit_code == 1  # pending sites remain in the unmigrated example
    kept = lenient.stdout.splitlines()
    assert kept == [line for line in strict if "[manual:" not in line]
    assert len(kept) == sum(s["status"] == "pending" for s in EXPECTED)

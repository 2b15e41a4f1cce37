"""`migrate inventory` on the example backend: exactly the planted sites, in every format."""

from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path

import pytest
from cli_helpers import example_repo, migrate

EXPECTED = json.loads((Path(__file__).parent / "data" / "example_expected_sites.json")
                      .read_text(encoding="utf-8"))
KEYS = ("file", "line", "kind", "library", "scope", "purpose", "batch", "status")


@pytest.fixture(scope="module")
def repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return example_repo(tmp_path_factory.mktemp("example"))


@pytest.fixture(scope="module")
def inventory(repo: Path) -> dict:
    run = migrate("inventory", "-C", repo, "--format", "json")
    assert run.exit_code == 0, run.stderr
    return json.loads(run.stdout)


def test_reports_every_planted_site_and_nothing_else(inventory: dict) -> None:
    got = sorted(tuple(site[k] for k in KEYS) for site in inventory["sites"])
    want = sorted(tuple(site[k] for k in KEYS) for site in EXPECTED)
    missing = sorted(set(want) - set(got))
    extra = sorted(set(got) - set(want))
    assert (missing, extra) == ([], []), f"missing {missing}\nextra {extra}"


def test_json_has_the_stable_schema(inventory: dict) -> None:
    required = {"file", "line", "col", "kind", "pattern", "library", "sync", "scope", "purpose",
                "batch", "status", "reason"}
    for site in inventory["sites"]:
        assert required <= set(site), site
        assert site["sync"] == (site["library"] == "redis-sync")
        assert (site["reason"] is None) == (site["status"] != "manual"), site
    summary = inventory["summary"]
    assert summary["sites"] == len(EXPECTED)
    assert summary["by_batch"]["pubsub-streams-queues"] == sum(
        s["batch"] == "pubsub-streams-queues" for s in EXPECTED)
    assert inventory["skipped"] == []


def test_columns_point_at_the_call(repo: Path, inventory: dict) -> None:
    for site in inventory["sites"]:
        line = (repo / site["file"]).read_text(encoding="utf-8").splitlines()[site["line"] - 1]
        tail = line[site["col"] - 1:]
        if site["kind"] == "instantiation":  # the callee, however it is aliased, then "("
            assert re.match(r"[A-Za-z_][\w.]*\(", tail), (site, line)
        elif site["kind"] == "close":
            assert tail.startswith(("await ", "async with")) or re.match(r"[\w.()]+\.", tail), \
                (site, line)
            assert site["pattern"].strip(".()").split(".")[-1] in line, (site, line)


def test_lifecycle_module_is_never_reported(inventory: dict) -> None:
    assert not [s for s in inventory["sites"]
                if s["file"] == "backend/services/redis_client.py"]


def test_seed_singleton_purpose_comes_from_importers(inventory: dict) -> None:
    """legacy_redis.redis_client is only written to through aliases in other modules."""
    site = next(s for s in inventory["sites"]
                if s["file"] == "backend/services/legacy_redis.py" and s["kind"] ==
                "instantiation")
    # via `import redis.asyncio as aioredis`
    assert site["pattern"] == "redis.asyncio.Redis.from_url"
    assert site["rewrite"] == "module-client"
    assert {"set", "setex", "delete"} & set(site["operations"])
    assert any(h.startswith("backend.services.legacy_redis.redis_client") for h in site["holders"])


def test_markdown_is_the_seed_checklist(repo: Path) -> None:
    run = migrate("inventory", "-C", repo, "--format", "markdown")
    assert run.exit_code == 0
    items = [line for line in run.stdout.splitlines() if line.startswith("- [ ] ")]
    assert len(items) == len(EXPECTED)
    headings = [line for line in run.stdout.splitlines() if line.startswith("## ")]
    assert [h.split("`")[1] for h in headings] == [
        "health", "read-caches", "write-caches", "pipelines", "pubsub-streams-queues",
        "locks-rate-limits"]
    assert "**manual**: sync client" in run.stdout
    assert all((" async;" in i) or (" sync;" in i) for i in items)


def test_csv_has_one_row_per_site(repo: Path) -> None:
    run = migrate("inventory", "-C", repo, "--format", "csv")
    rows = list(csv.DictReader(io.StringIO(run.stdout)))
    assert len(rows) == len(EXPECTED)
    assert {r["file"] + ":" + r["line"] for r in rows} == {
        f"{s['file']}:{s['line']}" for s in EXPECTED}
    assert {r["sync"] for r in rows} == {"sync", "async"}


def test_table_lists_each_site(repo: Path) -> None:
    run = migrate("inventory", "-C", repo, env={"COLUMNS": "250"})
    assert run.exit_code == 0
    for site in EXPECTED:
        assert re.search(rf"^{re.escape(site['file'])}:{site['line']}\s", run.stdout, re.M), site
    assert f"{len(EXPECTED)} sites in" in run.stdout
    assert "backend/workers/catalog_sync.py:29: manual: sync client" in run.stdout


def test_output_file_and_path_filter(repo: Path, tmp_path: Path) -> None:
    out = tmp_path / "inventory.json"
    run = migrate("inventory", "backend/workers", "-C", repo, "--format", "json",
                  "--output", out)
    assert run.exit_code == 0
    assert run.stdout == ""
    sites = json.loads(out.read_text())["sites"]
    assert sites and all(s["file"].startswith("backend/workers/") for s in sites)
    assert len(sites) == sum(s["file"].startswith("backend/workers/") for s in EXPECTED)


def test_plan_orders_batches_and_names_the_next(repo: Path) -> None:
    run = migrate("plan", "-C", repo, "--format", "json")
    assert run.exit_code == 0
    rows = json.loads(run.stdout)["batches"]
    assert [r["batch"] for r in rows] == ["health", "read-caches", "write-caches", "pipelines",
                                         "pubsub-streams-queues", "locks-rate-limits"]
    for row in rows:
        planted = [s for s in EXPECTED if s["batch"] == row["batch"]]
        assert row["pending"] == sum(s["status"] == "pending" for s in planted)
        assert row["manual"] == sum(s["status"] == "manual" for s in planted)
        assert row["files"] == len({s["file"] for s in planted})
    assert [r["state"] for r in rows].count("next") == 1
    assert rows[0]["state"] == "next"
    text = migrate("plan", "-C", repo)
    assert "next batch: health (Health checks and lifecycle)" in text.stdout

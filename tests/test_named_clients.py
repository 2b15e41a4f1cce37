"""[tool.migrate.clients]: a site whose URL and options match a named client is rewritten to it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from cli_helpers import git_repo, migrate

from redis_migrate.rewrite.client_table import client_name
from redis_migrate.scan.lifecycle import template_text

LIFECYCLE = "backend/services/redis_client.py"
FILES = {
    LIFECYCLE: template_text(),
    "backend/__init__.py": "", "backend/services/__init__.py": "",
    "backend/settings.py": 'REDIS_URL = "redis://localhost/0"\n'
                           'QUEUE_REDIS_URL = "redis://localhost/3"\n',
    "backend/main.py": "from backend import settings\n"
                       "from backend.services.redis_client import init_redis\n\n\n"
                       "async def startup():\n    await init_redis(settings.REDIS_URL, clients={\n"
                       "        \"queue\": {\"url\": settings.QUEUE_REDIS_URL, "
                       "\"decode_responses\": True}})\n",
    "backend/queue.py": "from redis.asyncio import Redis\n\nfrom backend import settings\n\n"
                        "queue = Redis.from_url(settings.QUEUE_REDIS_URL, "
                        "decode_responses=True)\n\n\n"
                        "async def take() -> str | None:\n"
                        "    item = await queue.brpop([\"jobs\"], timeout=1)\n"
                        "    return item[1] if item else None\n",
}
QUEUE_CLIENT = ('[tool.migrate.clients.queue]\nurl = "settings.QUEUE_REDIS_URL"\n'
                'decode_responses = true\n')


def _queue_site(repo: Path) -> dict:
    sites = json.loads(migrate("inventory", "-C", repo, "--format", "json").stdout)["sites"]
    return next(s for s in sites if s["file"] == "backend/queue.py")


def test_without_a_named_client_another_url_is_manual(tmp_path: Path) -> None:
    repo = git_repo(tmp_path / "r", FILES)
    site = _queue_site(repo)
    assert (site["status"], site["reason_code"]) == ("manual", "url-differs")
    assert "settings.QUEUE_REDIS_URL" in site["reason"]
    assert "backend.settings.REDIS_URL" in site["reason"]


def test_a_matching_named_client_is_rewritten_to_its_accessor(tmp_path: Path) -> None:
    repo = git_repo(tmp_path / "r", {**FILES, "migrate.toml": QUEUE_CLIENT})
    site = _queue_site(repo)
    assert (site["status"], site["client"]) == ("pending", "queue")
    run = migrate("apply", "-C", repo, "--batch", "pubsub-streams-queues", "--no-git",
                  "--force-order")
    assert run.exit_code == 0, run.stdout + run.stderr
    text = (repo / "backend/queue.py").read_text()
    # brpop(timeout=1) is under the template's socket_timeout of 5 s: no blocking client needed
    assert 'item = await get_redis("queue").brpop(["jobs"], timeout=1)' in text
    assert "Redis.from_url" not in text
    compile(text, "queue.py", "exec")


def test_options_that_differ_from_the_named_client_stay_manual(tmp_path: Path) -> None:
    config = QUEUE_CLIENT.replace("decode_responses = true", "decode_responses = false")
    repo = git_repo(tmp_path / "r", {**FILES, "migrate.toml": config})
    site = _queue_site(repo)
    assert site["status"] == "manual" and site["client"] is None


def test_a_named_client_without_url_is_a_config_error(tmp_path: Path) -> None:
    repo = git_repo(tmp_path / "r", {**FILES, "migrate.toml":
                                     "[tool.migrate.clients.queue]\ndb = 3\n"})
    run = migrate("inventory", "-C", repo)
    assert run.exit_code == 2
    assert "client 'queue' needs a 'url'" in run.stderr


def test_init_proposes_a_clients_table_for_other_urls(tmp_path: Path) -> None:
    repo = git_repo(tmp_path / "r", FILES)
    run = migrate("init", "-C", repo)
    assert run.exit_code == 0, run.stdout + run.stderr
    proposal = run.stdout.split("(and create them in init_redis(clients=...)):", 1)[1]
    import tomllib
    table = tomllib.loads(proposal)["tool"]["migrate"]["clients"]
    assert table == {"queue": {"url": "settings.QUEUE_REDIS_URL", "decode_responses": True}}
    config = (repo / "migrate.toml").read_text()
    assert "clients" not in config  # proposed, never written: init_redis() must create it too
    (repo / "migrate.toml").write_text(config + proposal)
    assert _queue_site(repo)["client"] == "queue"  # the proposal, once adopted, matches


@pytest.mark.parametrize("url, name", [
    ("settings.QUEUE_REDIS_URL", "queue"),
    ("str(settings.LIMITER_URL)", "limiter"),  # once "limiter-url)"
    ('os.environ["REDIS_URL"]', "redis"),  # once "environ--redis-url"
    ('os.getenv("REDIS_CACHE_URL", "redis://cache:6379/0")', "cache"),
    ("settings.redis_cache.REDIS_CACHE_URL", "cache"),
    ('"redis://:s3cret@cache:6380/1"', "cache-6380-1"),  # no password in a name
])
def test_a_named_client_is_named_for_what_its_url_spells(url: str, name: str) -> None:
    assert client_name(url) == name

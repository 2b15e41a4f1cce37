"""Encodings across libraries (issue 5, item 2): never silently switch bytes to decoded strings."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from cli_helpers import git_repo, migrate


def _site(tmp_path: Path, imports: str, call: str) -> dict:
    code = (f"{imports}\n\nclient = {call}\n\n\n"
            "async def read(key):\n    return await client.hgetall(key)\n")
    repo = git_repo(tmp_path / "r", {"app/cache.py": code})
    return json.loads(migrate("inventory", "-C", repo, "--format", "json").stdout)["sites"][0]


def test_encoding_without_decode_responses_is_reported_and_moves(tmp_path: Path) -> None:
    """aioredis 2.x / redis-py: encoding= alone never decoded, so bytes stay bytes."""
    site = _site(tmp_path, "import redis.asyncio as aioredis",
                 "aioredis.from_url('redis://localhost', encoding='utf-8')")
    assert site["status"] == "pending"
    assert any("without decode_responses=True has no effect" in n for n in site["notes"])


@pytest.mark.parametrize("imports, call", [
    ("import redis.asyncio as r", "r.from_url('redis://localhost', encoding='utf-8', "
                                  "decode_responses=True)"),
    ("import aioredis", "aioredis.create_redis_pool('redis://localhost', encoding='utf-8')"),
])
def test_a_decoding_client_is_not_moved_onto_the_bytes_client(
        tmp_path: Path, imports: str, call: str) -> None:
    site = _site(tmp_path, imports, call)
    assert (site["status"], site["reason_code"]) == ("manual", "options-differ")
    assert "decode_responses: False (central) -> True" in site["reason"]


def test_a_binary_client_moves_onto_the_bytes_client(tmp_path: Path) -> None:
    site = _site(tmp_path, "import redis.asyncio as r",
                 "r.from_url('redis://localhost', decode_responses=False)")
    assert site["status"] == "pending" and site["reason"] is None

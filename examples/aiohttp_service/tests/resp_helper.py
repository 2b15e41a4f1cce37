"""A few lines of RESP2 over a socket, for setting up and inspecting Redis in tests.

Each call opens its own connection and closes it before returning, so the helper never
shows up as a lingering client in ``CLIENT LIST``. Used by the subprocess scenarios too.
"""

import socket
from urllib.parse import unquote, urlparse


class Resp:
    def __init__(self, url: str) -> None:
        parts = urlparse(url)
        self.address = (parts.hostname or "127.0.0.1", parts.port or 6379)
        self.password = unquote(parts.password) if parts.password else None
        self.db = int(parts.path.lstrip("/") or 0)

    def __call__(self, *command):
        with socket.create_connection(self.address, timeout=5) as sock, sock.makefile("rwb") as stream:
            if self.password:
                self._roundtrip(stream, ("AUTH", self.password))
            if self.db:
                self._roundtrip(stream, ("SELECT", self.db))
            return self._roundtrip(stream, command)

    def _roundtrip(self, stream, command):
        encoded = [c if isinstance(c, bytes) else str(c).encode() for c in command]
        stream.write(b"*%d\r\n" % len(encoded))
        for item in encoded:
            stream.write(b"$%d\r\n%s\r\n" % (len(item), item))
        stream.flush()
        return self._reply(stream)

    def _reply(self, stream):
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

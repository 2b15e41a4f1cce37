"""The sync clients' URL `init` writes into a new lifecycle module reads back as the same
URL key the analysis gives those clients (scan/sync_url.py)."""

from __future__ import annotations

import pytest

from redis_migrate.analysis.extract import extract
from redis_migrate.scan.sync_url import read_tail, render_tail, spell, split_tail

SPELLINGS = {  # url key -> how the lifecycle module names it, and the imports it needs
    "app.settings.REDIS_URL": ("settings.REDIS_URL", (("app", "settings"),)),
    "app.settings.REDIS_HOST": ("settings.REDIS_HOST", (("app", "settings"),)),
    "app.settings.REDIS_PORT": ("settings.REDIS_PORT", (("app", "settings"),)),
    "env:REDIS_URL=redis://cache:6379": ('getenv("REDIS_URL", "redis://cache:6379")',
                                         (("os", "getenv"),)),
}


def _client_key(source: str) -> str | None:
    """The URL key the analysis gives the one client in `source` (module app.store)."""
    facts = extract("app/store.py", "app.store", False, source.encode(), ())
    assert len(facts.sites) == 1
    return facts.sites[0].url_key


@pytest.mark.parametrize("client", [
    "from app import settings\nclient = redis.Redis.from_url(settings.REDIS_URL)",
    "import os\nclient = redis.Redis.from_url(os.environ.get('REDIS_URL', 'redis://cache:6379'))",
    "from app import settings\n"
    "client = redis.Redis(host=settings.REDIS_HOST, port=settings.REDIS_PORT, db=3)",
    "client = redis.Redis(host='cache', port=6380, db=2)",
    "client = redis.Redis.from_url('redis://cache:6380/2')",
])
def test_a_clients_url_reads_back_as_its_key(client: str) -> None:
    source = "import redis\n" + client + "\n"
    key = _client_key(source)
    assert key is not None
    code = client.split("(", 1)[1].rstrip(")") if "host=" not in client else None
    url_code = repr("redis://cache:6380/2") if "'cache'" in client else (
        'f"redis://{settings.REDIS_HOST}:{settings.REDIS_PORT}/3"' if "host=" in client
        else code)
    literals = {key: (repr("redis://cache:6380/2"), ())} if "from_url('" in client else {}
    spelled = spell(key, url_code, lambda k: SPELLINGS.get(k) or literals.get(k))
    assert spelled is not None, key
    tail = render_tail(*spelled, ["app/store.py:2"])
    read = read_tail(tail, "app/redis_client.py", "app.redis_client", False)
    assert read is not None and key in read.keys


def test_two_spellings_of_one_server_are_one_url() -> None:
    """`Redis(host='cache', port=6380, db=2)` and `from_url('redis://cache:6380/2')` connect
    to the same server: a literal URL in the tail reads back as both keys."""
    host_key = _client_key("import redis\nc = redis.Redis(host='cache', port=6380, db=2)\n")
    url_key = _client_key("import redis\nc = redis.Redis.from_url('redis://cache:6380/2')\n")
    assert host_key == url_key  # one key (tests/test_literal_url_is_a_host.py)
    read = read_tail(render_tail("'redis://cache:6380/2'", [], ["x.py:1"]), "m.py", "m", False)
    assert read is not None and {host_key, url_key} <= read.keys


def test_what_cannot_be_named_is_not_spelled() -> None:
    # a literal host beside a configured port: only the host's hash is in the key
    key = _client_key("import redis\nfrom app import settings\n"
                      "c = redis.Redis(host='cache', port=settings.REDIS_PORT)\n")
    assert key is not None and spell(key, None, SPELLINGS.get) is None
    assert spell("app.other.URL", None, SPELLINGS.get) is None


@pytest.mark.parametrize("tail", [
    "def _app_sync_url() -> str:\n    return URL\n\n\nconfigure_sync_redis(other)\n",
    "def _app_sync_url() -> str:\n    x = 1\n    return 'redis://a:1/0'\n\n\n"
    "configure_sync_redis(_app_sync_url)\n",
    "def _app_sync_url() -> str:\n    return 'redis://a:1/0'\n\n\n"
    "configure_sync_redis(_app_sync_url)\nprint('and more')\n",
])
def test_other_shapes_are_not_read_as_the_tail(tail: str) -> None:
    assert read_tail(tail, "m.py", "m", False) is None


def test_split_tail_finds_only_the_marker_line() -> None:
    tail = render_tail("'redis://a:1/0'", [], ["x.py:1"])
    head, found = split_tail("import os\n" + tail)
    assert head == "import os\n\n\n" and found == tail[2:] and found.startswith("# ---")
    assert split_tail("import os\n")[1] is None

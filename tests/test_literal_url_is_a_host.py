"""A literal URL and redis-py's defaults connect where the same host, port and db do.

`Redis()`, `Redis(host="localhost")` and `Redis.from_url("redis://localhost:6379/0")` are one
server and database, but the analysis gave the first no URL key and the last a hash of its
text, so none of them matched another: moving one onto a shared client started on another
spelling was refused (`url-differs`), and with no URL passed anywhere nothing was compared at
all. A plain `redis://host[:port][/db]` literal now has the key of `Redis(host=, port=, db=)`,
and a client given no location has redis-py's defaults.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

from cli_helpers import git_repo, init_and_apply_every_batch

from redis_migrate.analysis.extract import extract
from redis_migrate.analysis.facts import HOST_PREFIX, LITERAL_PREFIX

SOURCE = '''
import redis.asyncio as redis

a = redis.Redis()
b = redis.Redis(host="localhost")
c = redis.Redis.from_url("redis://localhost:6379/0")
d = redis.from_url("redis://localhost")
e = redis.Redis(host="localhost", port=6379, db=0, decode_responses=True)
f = redis.Redis(db=1)
g = redis.from_url("redis://localhost/1")
h = redis.from_url("redis://localhost:6380")
i = redis.from_url("redis://:s3cret@localhost:6379/0")
j = redis.Redis(**OPTIONS)
k = redis.Redis(unix_socket_path="/tmp/redis.sock")
'''


def _keys() -> dict[str, str | None]:
    """Each client's URL key, by the name it is bound to (`a` is on line 4, `k` on 14)."""
    facts = extract("app/clients.py", "app.clients", False,
                    textwrap.dedent(SOURCE).encode(), ())
    by_line = {site.loc.line: site.url_key for site in facts.sites}
    assert sorted(by_line) == list(range(4, 15)), by_line
    return {name: by_line[line] for line, name in enumerate("abcdefghijk", start=4)}


def test_the_defaults_a_host_and_a_plain_literal_url_agree() -> None:
    keys = _keys()
    assert keys["a"] is not None and keys["a"].startswith(HOST_PREFIX), keys
    assert keys["a"] == keys["b"] == keys["c"] == keys["d"] == keys["e"], keys


def test_another_database_or_port_is_another_key() -> None:
    keys = _keys()
    assert keys["f"] == keys["g"] != keys["a"], keys
    assert keys["h"] not in (keys["a"], keys["g"]), keys


def test_a_url_with_a_password_stays_a_hash_and_shows_no_secret() -> None:
    keys = _keys()
    assert keys["i"] is not None and keys["i"].startswith(LITERAL_PREFIX), keys
    assert "s3cret" not in keys["i"]
    assert keys["i"] != keys["a"]


def test_options_from_a_dict_or_a_socket_are_not_the_defaults() -> None:
    keys = _keys()
    assert keys["j"] is None  # Redis(**OPTIONS): where it connects is in the dict
    assert keys["k"] is None  # a unix socket


def test_redis_py_defaults_are_spelled_as_the_url_they_connect_to() -> None:
    facts = extract("app/clients.py", "app.clients", False, textwrap.dedent('''
        import redis
        a = redis.Redis()
        b = redis.Redis(db=1, decode_responses=True)
        c = redis.Redis(password="s3cret")
    ''').encode(), ())
    codes = [site.url_code for site in facts.sites]
    # the last: a password the URL would have to carry, so no URL is spelled for it
    assert codes == ["'redis://localhost:6379/0'", "'redis://localhost:6379/1'", None], codes


def test_a_sync_app_on_the_defaults_is_configured_with_them_and_moves(tmp_path: Path) -> None:
    """mastbaum/redis-flask-example: a Flask app's one client is `Redis()`. Nothing named its
    URL, so get_sync_redis() would have read $REDIS_URL (`url-differs`); the module `init`
    writes now configures the URL it connected to, and the client moves."""
    repo = git_repo(tmp_path / "flask", {"app.py": textwrap.dedent('''
        from flask import Flask, jsonify
        from redis import Redis

        app = Flask(__name__)
        redis = Redis()


        @app.route("/set/<int:value>")
        def set_value(value):
            return jsonify(response=redis.set("testfield", value))
    ''').lstrip()})
    init_and_apply_every_batch(repo)
    module = (repo / "redis_client.py").read_text()
    assert "    return 'redis://localhost:6379/0'\n" in module, module[-600:]
    assert "configure_sync_redis(_app_sync_url)" in module
    app = (repo / "app.py").read_text()
    assert "Redis()" not in app and 'get_sync_redis().set("testfield", value)' in app, app

"""The team's lifecycle module is the target API (issue 8): its facts decide every rewrite.

Each test builds a small repository with a lifecycle module written as a team would, runs the
real CLI, and checks what the safety rules, the capabilities and `init` make of it.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from cli_helpers import REPO_ROOT, git, git_repo, migrate

EXAMPLE = REPO_ROOT / "examples" / "team_backend" / "storefront"
CONFIG = ('[tool.migrate]\nlifecycle-module = "app/infra/redis_pool.py"\n'
          'lifecycle-import = "app.infra.redis_pool"\n')
SETTINGS = ("import os\n\n\nclass Settings:\n"
            "    redis_url: str = os.environ.get('REDIS_URL', 'redis://localhost:6379/0')\n"
            "    redis_socket_timeout: float = 2.0\n\n\nsettings = Settings()\n")
# The storefront example's own module (a team's, docstrings and all), moved into `app` and its
# central client cut to the two options these tests vary: DECODE stands for decode_responses.
MODULE = re.sub(
    r"Redis\.from_url\(.*?\n\s*\)",
    "Redis.from_url(settings.redis_url, decode_responses=DECODE,\n"
    "                                 socket_timeout=settings.redis_socket_timeout)",
    (EXAMPLE / "infra" / "redis_pool.py").read_text().replace("storefront.config", "app.config"),
    count=1, flags=re.DOTALL)


def _repo(tmp_path: Path, files: dict[str, str], module: str | None = None,
          config: str = CONFIG) -> Path:
    base = {"migrate.toml": config, "app/__init__.py": "", "app/infra/__init__.py": "",
            "app/config.py": SETTINGS,
            "app/infra/redis_pool.py": module if module is not None
            else MODULE.replace("DECODE", "True")}
    return git_repo(tmp_path / "repo", {**base, **files})


def _sites(repo: Path) -> dict[tuple[str, int], dict]:
    run = migrate("inventory", "-C", repo, "--format", "json")
    assert run.exit_code == 0, run.stdout + run.stderr
    return {(s["file"], s["line"]): s for s in json.loads(run.stdout)["sites"]}


def _reader(body: str, options: str = "decode_responses=True") -> str:
    return ("import redis.asyncio as redis\nfrom app.config import settings\n\n\n"
            "async def handler(key):\n"
            f"    r = redis.from_url(settings.redis_url, {options})\n"
            f"    try:\n        return await r.{body}\n    finally:\n        await r.aclose()\n")


# --- the safety rules compare sites with the team's central client ------------------------------

def test_a_decoding_client_matches_a_decoding_central_client(tmp_path: Path) -> None:
    repo = _repo(tmp_path, {"app/views.py": _reader("get(key)")})
    site = _sites(repo)[("app/views.py", 6)]
    assert (site["status"], site["reason_code"]) == ("pending", None), site


def test_a_bytes_client_differs_from_a_decoding_central_client(tmp_path: Path) -> None:
    repo = _repo(tmp_path, {"app/views.py": _reader("get(key)", "socket_connect_timeout=1")})
    site = _sites(repo)[("app/views.py", 6)]
    assert (site["status"], site["reason_code"]) == ("manual", "options-differ"), site
    assert "decode_responses: True (central) -> False (this client)" in site["reason"]


def test_socket_timeouts_are_harmless_options(tmp_path: Path) -> None:
    """The regression of issue 8: socket_timeout had fallen into a comment of HARMLESS_OPTIONS."""
    repo = _repo(tmp_path, {"app/views.py": _reader(
        "get(key)", "decode_responses=True, socket_timeout=5, socket_connect_timeout=3")})
    site = _sites(repo)[("app/views.py", 6)]
    assert (site["status"], site["reason_code"]) == ("pending", None), site
    assert any(n.startswith("socket_timeout=5 dropped") for n in site["notes"]), site["notes"]


@pytest.mark.parametrize(("db", "expected"), [("0", ("pending", None)),
                                               ("1", ("manual", "options-differ"))])
def test_an_explicit_default_db_matches_a_central_client_that_leaves_db_unset(
        tmp_path: Path, db: str, expected: tuple[str, str | None]) -> None:
    """`db=0` is redis-py's default, which the central client (no db) uses too; `db=1` is not."""
    repo = _repo(tmp_path, {"app/views.py": _reader("get(key)", f"decode_responses=True, db={db}")})
    site = _sites(repo)[("app/views.py", 6)]
    assert (site["status"], site["reason_code"]) == expected, site


def test_an_unknown_central_option_is_said_and_can_be_stated(tmp_path: Path) -> None:
    module = MODULE.replace("DECODE", "settings.decode()")
    repo = _repo(tmp_path, {"app/views.py": _reader("get(key)")}, module)
    site = _sites(repo)[("app/views.py", 6)]
    assert (site["status"], site["reason_code"]) == ("manual", "central-unknown"), site
    assert "central = { decode-responses" in site["reason"]
    init = migrate("init", "-C", repo)
    assert "cannot be read statically: decode_responses: settings.decode()" in init.stdout

    (repo / "migrate.toml").write_text(CONFIG + "central = { decode-responses = true }\n")
    site = _sites(repo)[("app/views.py", 6)]
    assert (site["status"], site["reason_code"]) == ("pending", None), site


def test_an_unknown_central_key_is_a_config_error(tmp_path: Path) -> None:
    repo = _repo(tmp_path, {}, config=CONFIG + "central = { decode-response = true }\n")
    run = migrate("inventory", "-C", repo)
    assert run.exit_code == 2
    assert "central.decode-response" in run.stderr and "decode-responses" in run.stderr


# --- blocking only when it is needed; the module is extended when it lacks the client ----------

def test_a_short_block_stays_on_the_shared_client(tmp_path: Path) -> None:
    repo = _repo(tmp_path, {"app/views.py": _reader('blpop("q", timeout=1)')})
    site = _sites(repo)[("app/views.py", 6)]
    assert "needs-blocking-client" not in site["flags"], site
    assert any("blocks up to 1 s, under the central socket_timeout of 2 s" in n
               for n in site["notes"]), site["notes"]
    run = migrate("apply", "-C", repo, "--batch", site["batch"], "--no-git", "--force-order")
    assert run.exit_code == 0, run.stdout + run.stderr
    assert "r = get_redis()\n" in (repo / "app/views.py").read_text()
    assert git(repo, "status", "--porcelain", "app/infra") == ""  # the module is not extended


@pytest.mark.parametrize("call", ['blpop("q", timeout=0)', 'brpop("q", timeout=2)',
                                  'blpop("q")', 'blpop("q", timeout=key)',
                                  'xread({"s": "$"}, block=5000)'])
def test_a_long_block_gets_the_blocking_client_and_the_batch_adds_it(tmp_path: Path,
                                                                     call: str) -> None:
    repo = _repo(tmp_path, {"app/views.py": _reader(call)})
    site = _sites(repo)[("app/views.py", 6)]
    assert {"needs-blocking-client", "extends-lifecycle"} <= set(site["flags"]), site
    assert site["status"] == "pending", site
    run = migrate("apply", "-C", repo, "--batch", site["batch"], "--no-git", "--force-order")
    assert run.exit_code == 0, run.stdout + run.stderr
    assert "r = get_redis(blocking=True)" in (repo / "app/views.py").read_text()
    module = (repo / "app/infra/redis_pool.py").read_text()
    compile(module, "redis_pool.py", "exec")
    assert "def get_redis(*, blocking: bool = False) -> Redis:" in module
    # a second run finds the module able to answer, and changes nothing
    again = migrate("apply", "-C", repo, "--batch", site["batch"], "--no-git", "--force-order")
    assert "nothing to change" in again.stdout, again.stdout


def test_the_teams_own_blocking_accessor_is_used(tmp_path: Path) -> None:
    module = MODULE.replace("DECODE", "True") + (
        "\n\ndef get_blocking_redis() -> Redis:\n    return _client\n")
    repo = _repo(tmp_path, {"app/views.py": _reader('blpop("q", timeout=0)')}, module)
    site = _sites(repo)[("app/views.py", 6)]
    run = migrate("apply", "-C", repo, "--batch", site["batch"], "--no-git", "--force-order")
    assert run.exit_code == 0, run.stdout + run.stderr
    text = (repo / "app/views.py").read_text()
    assert "r = get_blocking_redis()" in text
    assert "from app.infra.redis_pool import get_blocking_redis" in text
    assert (repo / "app/infra/redis_pool.py").read_text() == module


UNUSUAL = '''from redis.asyncio import Redis

from app.config import settings


class _Holder:
    def __init__(self):
        self.client = None

    def get(self):
        return self.client


_holder = _Holder()


async def init_redis():
    _holder.client = Redis.from_url(settings.redis_url, decode_responses=True)


def get_redis():
    return _holder.get()


async def close_redis():
    await _holder.client.aclose()
'''


def test_a_module_too_unusual_to_extend_leaves_the_site_manual_with_the_snippet(
        tmp_path: Path) -> None:
    repo = _repo(tmp_path, {"app/views.py": _reader('blpop("q", timeout=0)')}, UNUSUAL)
    site = _sites(repo)[("app/views.py", 6)]
    assert (site["status"], site["reason_code"]) == ("manual",
                                                     "lifecycle-lacks-blocking-client"), site
    assert "delegates to a method" in site["reason"]
    assert "socket_timeout=None" in site["reason"]  # the snippet to add by hand
    run = migrate("apply", "-C", repo, "--batch", site["batch"], "--no-git", "--force-order")
    assert run.exit_code == 0
    assert git(repo, "status", "--porcelain") == ""


def test_a_named_client_needs_a_named_accessor(tmp_path: Path) -> None:
    config = CONFIG + ('[tool.migrate.clients.queue]\nurl = "settings.queue_url"\n'
                       'decode_responses = true\n')
    views = _reader("get(key)").replace("settings.redis_url", "settings.queue_url")
    repo = _repo(tmp_path, {"app/views.py": views}, config=config)
    site = _sites(repo)[("app/views.py", 6)]
    assert (site["status"], site["reason_code"]) == ("manual", "lifecycle-lacks-named-client")
    assert 'def get_redis(name: str = "default")' in site["reason"]


def test_the_pr_body_lists_the_lifecycle_change(tmp_path: Path) -> None:
    repo = _repo(tmp_path, {"app/views.py": _reader('blpop("q", timeout=0)')})
    batch = _sites(repo)[("app/views.py", 6)]["batch"]
    body = tmp_path / "body.md"
    run = migrate("apply", "-C", repo, "--batch", batch, "--force-order", "--pr-body", body)
    assert run.exit_code == 0, run.stdout + run.stderr
    text = body.read_text()
    assert "### Lifecycle module changes" in text
    assert "`app/infra/redis_pool.py`: a blocking client (_client_blocking)" in text
    branch = next(line for line in git(repo, "branch", "--list").split() if "redis-migration" in
                  line)
    changed = git(repo, "diff", "--name-only", f"main..{branch}").split()
    assert changed == ["app/infra/redis_pool.py", "app/views.py"]  # one commit, both files
    message = git(repo, "log", "-1", "--format=%B", branch)
    assert "Lifecycle module:" in message


# --- bad lifecycle modules: one line, exit 2 from init, apply refuses --------------------------

@pytest.mark.parametrize("module, fact, apply_fact", [
    ("def init_redis(:\n", "does not parse", "does not parse"),
    ("async def init_redis():\n    pass\n\n\nasync def close_redis():\n    pass\n",
     "defines no get_redis()", "does not define get_redis()"),
    (MODULE.replace("DECODE", "True").replace("def get_redis", "async def get_redis"),
     "get_redis() is a coroutine function", "get_redis() is a coroutine function"),
    ("async def init_redis():\n    pass\n\n\ndef get_redis():\n    return make()\n\n\n"
     "async def close_redis():\n    pass\n", "no Redis client or pool is created in it",
     "no Redis client or pool is created in it"),
])
def test_a_bad_lifecycle_module_stops_init_and_apply(tmp_path: Path, module: str,
                                                     fact: str, apply_fact: str) -> None:
    repo = _repo(tmp_path, {"app/views.py": _reader("get(key)")}, module)
    init = migrate("init", "-C", repo)
    assert init.exit_code == 2, init.stdout + init.stderr
    assert fact in init.stderr and "app/infra/redis_pool.py" in init.stderr, init.stderr
    assert "Traceback" not in init.stdout + init.stderr
    apply = migrate("apply", "-C", repo, "--batch", "read-caches", "--dry-run")
    assert apply.exit_code == 2, apply.stdout + apply.stderr
    assert apply_fact in apply.stderr and "app/infra/redis_pool.py" in apply.stderr
    assert git(repo, "status", "--porcelain") == ""


# --- init without a module: it fits the app -----------------------------------------------------

def test_init_creates_a_module_that_fits_the_app(tmp_path: Path) -> None:
    views = "\n".join([
        "import redis.asyncio as redis", "from shop.config import settings", "", "",
        "async def a():", "    r = redis.from_url(settings.REDIS_URL, decode_responses=True)",
        "    return await r.get('a')", "", "",
        "async def b():", "    r = redis.from_url(settings.REDIS_URL, decode_responses=True)",
        "    return await r.get('b')", "", "",
        "async def c():", "    r = redis.from_url(settings.CACHE_URL)",
        "    return await r.get('c')", ""])
    repo = git_repo(tmp_path / "repo", {
        "shop/__init__.py": "", "shop/config.py": "REDIS_URL = 'redis://localhost/0'\n"
                                                  "CACHE_URL = 'redis://localhost/1'\n",
        "shop/views.py": views,
        "shop/main.py": "from fastapi import FastAPI\n\napp = FastAPI()\n",
        "tests/__init__.py": "", "tests/test_views.py": "def test():\n    pass\n"})
    run = migrate("init", "-C", repo)
    assert run.exit_code in (0, 1), run.stdout + run.stderr
    assert (repo / "shop/redis_client.py").is_file()
    assert not (repo / "backend").exists()
    out = run.stdout
    assert "url: settings.REDIS_URL (used by 2 of 3 clients)" in out, out
    assert "decode_responses: True (2 of 3 clients)" in out, out
    # proposed, not written: only a function reads that URL (see test_wiring_named_clients)
    assert "other URL settings.CACHE_URL: a named client (below)" in out
    assert "[tool.migrate.clients.cache]" in out.split("add named clients to", 1)[1], out
    assert "await init_redis(settings.REDIS_URL)" in out
    assert "(the app is created in shop/main.py)" in out
    assert "await close_redis()" in out
    assert "decode_responses: True (the template's default" in out  # what it then reads back
    sites = _sites(repo)
    # the module fits (no options-differ), and `FastAPI()`, made with no hook, is given a
    # lifespan on the URL most clients use, the one init printed: their sites move, and the
    # client on the other URL stays, naming both (before, all three waited, `lifecycle-not-
    # wired`, because the clients did not all agree)
    for line in (6, 11):
        site = sites[("shop/views.py", line)]
        assert (site["status"], site["reason_code"]) == ("pending", None), site
    site = sites[("shop/views.py", 16)]
    assert (site["status"], site["reason_code"]) == ("manual", "url-differs"), site
    assert "settings.CACHE_URL" in site["reason"] and "REDIS_URL" in site["reason"], site


def test_version_works_on_its_own() -> None:
    run = migrate("--version")
    assert run.exit_code == 0
    assert run.stdout.startswith("redis-migrate ")


def test_a_lazy_getter_named_like_the_accessor_calls_it_under_an_alias(
        tmp_path: Path) -> None:
    """Found on a public app: its own `async def get_redis()` getter became `return get_redis()`,
    a call of itself. It keeps its name (its callers and tests use it) and returns the lifecycle
    module's accessor, imported under an alias (issue 9, item 4)."""
    getter = ("import redis.asyncio as aioredis\nfrom app.config import settings\n\n"
              "_redis = None\n\n\nasync def get_redis():\n    global _redis\n"
              "    if _redis is None:\n"
              "        _redis = aioredis.from_url(settings.redis_url, decode_responses=True)\n"
              "    return _redis\n\n\nasync def publish(m):\n"
              "    r = await get_redis()\n    await r.publish('c', m)\n")
    repo = _repo(tmp_path, {"app/bus.py": getter})
    site = _sites(repo)[("app/bus.py", 10)]
    assert (site["status"], site["reason_code"]) == ("pending", None), site
    run = migrate("apply", "--batch", "pubsub-streams-queues", "--no-git", "-C", repo)
    assert run.exit_code == 0, run.stdout + run.stderr
    source = (repo / "app/bus.py").read_text(encoding="utf-8")
    assert "from app.infra.redis_pool import get_redis as lifecycle_get_redis" in source
    assert "async def get_redis():\n    return lifecycle_get_redis()\n" in source, source
    assert "r = await get_redis()" in source  # its callers are unchanged
    compile(source, "app/bus.py", "exec")


def test_init_does_not_derive_the_url_from_a_parameter(tmp_path: Path) -> None:
    """Found on a public app: `def make(url): return from_url(url)` voted `url` as the URL."""
    views = ("import redis.asyncio as redis\nfrom shop.config import settings\n\n\n"
             "async def make(url):\n    r = redis.from_url(url)\n    return await r.get('a')\n"
             "\n\nasync def b():\n    r = redis.from_url(settings.REDIS_URL)\n"
             "    return await r.get('b')\n")
    repo = git_repo(tmp_path / "repo", {"shop/__init__.py": "",
                                        "shop/config.py": "REDIS_URL = 'redis://localhost/0'\n",
                                        "shop/views.py": views})
    run = migrate("init", "-C", repo)
    assert "url: settings.REDIS_URL (used by 1 of 2 clients)" in run.stdout, run.stdout
    assert "await init_redis(settings.REDIS_URL)" in run.stdout

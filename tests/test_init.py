"""`migrate init`: writes [tool.migrate], creates or validates the lifecycle module."""

from __future__ import annotations

import json
import tomllib
from pathlib import Path

from cli_helpers import git, git_repo, migrate

from redis_migrate.scan.lifecycle import template_text


def test_init_in_a_bare_repository_creates_config_and_module(tmp_path: Path) -> None:
    repo = git_repo(tmp_path / "t", {"app/main.py": "print('hi')\n"})
    run = migrate("init", "-C", repo)
    assert run.exit_code == 0, run.stderr
    assert "wrote [tool.migrate] to migrate.toml" in run.stdout
    table = tomllib.loads((repo / "migrate.toml").read_text())["tool"]["migrate"]
    # inside the repository's own top-level package: there is no backend/ here (SPEC §5)
    assert table["lifecycle-module"] == "app/redis_client.py"
    assert table["lifecycle-import"] == "app.redis_client"
    assert table["base-branch"] == "main"
    module = repo / "app" / "redis_client.py"
    assert module.read_text() == template_text()
    assert not (repo / "backend").exists()
    again = migrate("init", "-C", repo)
    assert again.exit_code == 0
    assert "already has [tool.migrate]; left as it is" in again.stdout
    assert "has init_redis, get_redis, close_redis and explicit timeouts" in again.stdout
    assert module.read_text() == template_text()


def test_init_uses_backend_services_where_a_backend_package_exists(tmp_path: Path) -> None:
    repo = git_repo(tmp_path / "t", {"backend/__init__.py": "", "backend/main.py": "x = 1\n",
                                     "tools/__init__.py": ""})
    run = migrate("init", "-C", repo)
    assert run.exit_code == 0, run.stderr
    assert (repo / "backend/services/redis_client.py").read_text() == template_text()
    assert (repo / "backend/services/__init__.py").exists()


def test_init_without_any_package_puts_the_module_at_the_top(tmp_path: Path) -> None:
    repo = git_repo(tmp_path / "t", {"main.py": "x = 1\n", "tests/test_x.py": "x = 1\n"})
    run = migrate("init", "-C", repo)
    assert run.exit_code == 0, run.stderr
    assert (repo / "redis_client.py").is_file()
    assert not (repo / "tests/redis_client.py").exists()


def test_init_puts_the_module_at_the_root_of_a_flat_app(tmp_path: Path) -> None:
    """`main.py` at the root imports `handlers` and `database`: the root is the app's package,
    not the largest folder beside it."""
    table = _init_table(tmp_path, {
        "main.py": "from database.db import client\nfrom handlers import router\n",
        "database/db.py": "client = None\n", "handlers/__init__.py": "router = None\n",
        "handlers/a.py": "x = 1\n", "handlers/b.py": "x = 1\n"})
    assert table["lifecycle-module"] == "redis_client.py"
    assert table["lifecycle-import"] == "redis_client"


def test_init_keeps_the_app_package_when_the_root_script_imports_only_it(tmp_path: Path) -> None:
    """Look-alike: `run.py` that imports one package (`from app.main import app`) is a launcher."""
    table = _init_table(tmp_path, {"run.py": "from app.main import app\n",
                                   "app/__init__.py": "", "app/main.py": "app = None\n",
                                   "tools/__init__.py": ""})
    assert table["lifecycle-module"] == "app/redis_client.py"


def test_init_keeps_pyproject_byte_for_byte_and_appends(tmp_path: Path) -> None:
    original = ('[project]\nname = "shop"  # the shop\nversion = "1.0"\n\n'
                '[tool.ruff]\nline-length = 100\n')
    repo = git_repo(tmp_path / "t", {"pyproject.toml": original})
    run = migrate("init", "-C", repo, "--lifecycle-module", "shop/core/redis.py")
    assert run.exit_code == 0, run.stderr
    text = (repo / "pyproject.toml").read_text()
    assert text.startswith(original)
    table = tomllib.loads(text)["tool"]["migrate"]
    assert table["lifecycle-module"] == "shop/core/redis.py"
    assert table["lifecycle-import"] == "shop.core.redis"
    assert tomllib.loads(text)["tool"]["ruff"] == {"line-length": 100}
    assert (repo / "shop" / "core" / "redis.py").exists()


def test_init_detects_an_existing_phase1_module_and_validates_it(tmp_path: Path) -> None:
    phase1 = ("from redis.asyncio import Redis\n_c = None\n\n"
              "async def init_redis(url):\n    global _c\n"
              "    _c = Redis.from_url(url, socket_timeout=5, socket_connect_timeout=5)\n\n"
              "def get_redis():\n    return _c\n\n"
              "async def close_redis():\n    await _c.aclose()\n")
    repo = git_repo(tmp_path / "t", {"core/cache/redis_lifecycle.py": phase1})
    run = migrate("init", "-C", repo)
    assert run.exit_code == 1
    assert "found the lifecycle module at core/cache/redis_lifecycle.py" in run.stdout
    assert "does not set health_check_interval explicitly" in run.stdout
    assert "does not set retry_on_timeout explicitly" in run.stdout
    table = tomllib.loads((repo / "migrate.toml").read_text())["tool"]["migrate"]
    assert table["lifecycle-import"] == "core.cache.redis_lifecycle"
    assert (repo / "core/cache/redis_lifecycle.py").read_text() == phase1  # never overwritten
    assert not (repo / "backend").exists()


def test_init_refuses_a_config_typo(tmp_path: Path) -> None:
    repo = git_repo(tmp_path / "t", {"pyproject.toml": "[tool.migrate]\nremote_name = 'x'\n"})
    run = migrate("init", "-C", repo)
    assert run.exit_code == 2
    assert "unknown key 'remote_name'" in run.stderr
    assert not (repo / "backend").exists()


def test_init_rejects_a_bad_config_target(tmp_path: Path) -> None:
    repo = git_repo(tmp_path / "t", {"a.py": "x = 1\n"})
    run = migrate("init", "-C", repo, "--config", "setup.cfg")
    assert run.exit_code == 2
    assert "--config setup.cfg" in run.stderr


def test_init_writes_into_split_tool_tables(tmp_path: Path) -> None:
    """Found on two public apps: `[tool.poetry]`, `[build-system]`, `[tool.ruff]` made tomlkit
    hand back an out-of-order proxy and `init` crashed with an AttributeError."""
    pyproject = ('[tool.poetry]\nname = "x"\n\n[build-system]\nrequires = ["poetry-core"]\n\n'
                 '[tool.ruff]\nline-length = 100\n')
    repo = git_repo(tmp_path / "repo", {
        "pyproject.toml": pyproject, "app/__init__.py": "",
        "app/cache.py": "import redis.asyncio as r\nc = r.from_url('redis://localhost/0')\n"})
    run = migrate("init", "-C", repo)
    assert run.exit_code == 0, run.stdout + run.stderr
    document = tomllib.loads((repo / "pyproject.toml").read_text(encoding="utf-8"))
    assert document["tool"]["migrate"]["lifecycle-module"] == "app/redis_client.py"
    assert document["tool"]["poetry"] == {"name": "x"}
    assert document["tool"]["ruff"] == {"line-length": 100}
    assert document["build-system"] == {"requires": ["poetry-core"]}


_CAPPED = ("import redis.asyncio as redis\nfrom app.settings import REDIS_URL\n\n\n"
           "class Manager:\n    async def connect(self):\n"
           "        self.client = redis.from_url(REDIS_URL, max_connections={a})\n\n"
           "    async def seen(self, key):\n        return await self.client.get(key)\n\n\n"
           "async def hits(key):\n    client = redis.from_url(REDIS_URL{b})\n"
           "    try:\n        return await client.incr(key)\n    finally:\n"
           "        await client.aclose()\n")


def _init_and_inventory(tmp_path: Path, code: str) -> tuple[str, str, dict[int, dict]]:
    repo = git_repo(tmp_path / "t", {"app/settings.py": "REDIS_URL = 'redis://localhost'\n",
                                     "app/cache.py": code})
    run = migrate("init", "-C", repo)
    assert run.exit_code == 0, run.stderr
    module = (repo / "app" / "redis_client.py").read_text()
    inventory = json.loads(migrate("inventory", "-C", repo, "--format", "json").stdout)
    return run.stdout, module, {s["line"]: s for s in inventory["sites"]
                                if s["kind"] == "instantiation"}


def test_init_caps_the_new_pool_as_the_apps_clients_do(tmp_path: Path) -> None:
    """Every client sets max_connections=10: the new module does too, so none is refused."""
    out, module, sites = _init_and_inventory(tmp_path, _CAPPED.format(
        a=10, b=", max_connections=10"))
    assert 'MAX_CONNECTIONS: int = _env_int("REDIS_MAX_CONNECTIONS", 10)' in module
    assert "max_connections: 10 (2 of 2 clients)" in out
    assert {s["status"] for s in sites.values()} == {"pending"}, sites
    # only that default changed: the module is still read as the template
    assert module.replace('"REDIS_MAX_CONNECTIONS", 10', '"REDIS_MAX_CONNECTIONS", 0') \
        == template_text()


def test_init_leaves_the_pool_uncapped_when_the_clients_disagree(tmp_path: Path) -> None:
    """One capped client, one not: a tie keeps redis-py's default and the capped one stays
    with a human, since capping the other would change what it does under load."""
    out, module, sites = _init_and_inventory(tmp_path, _CAPPED.format(a=10, b=""))
    assert 'MAX_CONNECTIONS: int = _env_int("REDIS_MAX_CONNECTIONS", 0)' in module
    assert "max_connections:" not in out
    capped, plain = sites[7], sites[14]
    assert (capped["status"], capped["reason_code"]) == ("manual", "options-differ")
    assert "max_connections=10" in capped["reason"]
    assert plain["status"] == "pending"


def _init_table(tmp_path: Path, files: dict[str, str]) -> dict[str, str]:
    """`migrate init` in a repository of `files`: the [tool.migrate] table it writes."""
    repo = git_repo(tmp_path / "t", files)
    assert migrate("init", "-C", repo).exit_code == 0
    return tomllib.loads((repo / "migrate.toml").read_text())["tool"]["migrate"]


def test_init_imports_a_src_layout_module_as_the_app_does(tmp_path: Path) -> None:
    """`src/page_tracker/` with no `src/__init__.py`: the package is `page_tracker`."""
    table = _init_table(tmp_path, {"src/page_tracker/__init__.py": "",
                                   "src/page_tracker/app.py": "from page_tracker import x\n"})
    assert table["lifecycle-module"] == "src/page_tracker/redis_client.py"
    assert table["lifecycle-import"] == "page_tracker.redis_client"


def test_init_keeps_src_in_the_import_when_the_app_imports_src(tmp_path: Path) -> None:
    """Look-alike: an app that imports `src.core…` runs from the repository root."""
    table = _init_table(tmp_path, {"src/core/__init__.py": "",
                                   "src/core/app.py": "from src.core import x\n"})
    assert table["lifecycle-import"] == "src.core.redis_client"


# restaurant-backend's shape: the app's client reads its settings and decodes; a script
# beside it spells "localhost" and does not
APP_AND_PROBE = {
    "app/__init__.py": "",
    "app/settings.py": "REDIS_HOST = 'cache'\nREDIS_PORT = 6380\n",
    "app/cache.py": ("import redis.asyncio as redis\nfrom app import settings\n\n"
                     "client = redis.Redis(host=settings.REDIS_HOST, "
                     "port=settings.REDIS_PORT, decode_responses=True)\n\n\n"
                     "async def read(key):\n    return await client.get(key)\n"),
    "app/probe.py": ("import redis.asyncio as redis\n\n"
                     "probe = redis.Redis(host='localhost', port=6379, db=0)\n\n\n"
                     "async def send():\n    await probe.publish('test', 'test')\n")}


def test_init_prefers_the_configured_url_and_its_decoding_in_a_tie(tmp_path: Path) -> None:
    """restaurant-backend's shape: the app's client reads its settings and decodes; a script
    beside it spells "localhost" and does not. One vote each: the central client is the
    app's, and a host/port client is given as the URL it connects to, not its host alone."""
    repo = git_repo(tmp_path / "t", APP_AND_PROBE)
    run = migrate("init", "-C", repo)
    assert run.exit_code == 0, run.stdout + run.stderr
    url = 'f"redis://{settings.REDIS_HOST}:{settings.REDIS_PORT}/0"'
    assert f"url: {url} (used by 1 of 2 clients)" in run.stdout, run.stdout
    assert "decode_responses: True (1 of 2 clients)" in run.stdout
    assert "other URL 'redis://localhost:6379/0': a named client (below)" in run.stdout
    assert f"await init_redis({url})" in run.stdout


def test_with_no_hook_a_client_on_another_url_than_inits_choice_stays_manual(
        tmp_path: Path) -> None:
    """The same two clients, and nothing that starts the module: whatever program imports
    this code passes init_redis() the URL init chose, the one most clients use. The probe on
    localhost would connect there instead; before, with no URL passed anywhere, every client
    moved onto get_redis() whatever its URL. Its named client is proposed, not written:
    no batch wires an init_redis() call here that could create it."""
    repo = git_repo(tmp_path / "t", APP_AND_PROBE)
    run = migrate("init", "-C", repo)
    assert run.exit_code == 0, run.stdout + run.stderr
    assert "[tool.migrate.clients.localhost]" in run.stdout.split("add named clients", 1)[1]
    assert "clients" not in (repo / "migrate.toml").read_text()
    report = json.loads(migrate("inventory", "-C", repo, "--format", "json").stdout)
    by_file = {s["file"]: s for s in report["sites"]}
    assert by_file["app/cache.py"]["status"] == "pending", by_file
    probe = by_file["app/probe.py"]
    assert (probe["status"], probe["reason_code"]) == ("manual", "url-differs"), probe
    assert "'localhost'" in probe["reason"] and "REDIS_HOST" in probe["reason"], probe


def test_init_takes_an_async_apps_central_client_from_its_async_clients(
        tmp_path: Path) -> None:
    """courtsight-backend's shape: the async clients share a pool on `settings.CACHE_URL`
    (`Redis.from_pool(pool)`) and do not decode; a sync client elsewhere spells host and
    port and decodes. The sync one stays as it is (sync-policy "manual") and has no vote:
    before, a tie gave the new module its URL and decoding, and every async client was
    refused for it. The client built on the pool votes with the pool's URL, not `pool`."""
    repo = git_repo(tmp_path / "t", {
        "app/__init__.py": "",
        "app/settings.py": "CACHE_URL = 'redis://cache:6379/0'\nCACHE_HOST = 'cache'\n",
        "app/cache.py": ("import redis.asyncio as redis\nfrom app import settings\n\n"
                         "pool = redis.ConnectionPool.from_url(settings.CACHE_URL)\n"
                         "client = redis.Redis.from_pool(pool)\n\n\n"
                         "async def read(key):\n    return await client.get(key)\n"),
        "app/docs.py": ("import redis\nfrom app import settings\n\n\n"
                        "def index(doc):\n"
                        "    r = redis.Redis(host=settings.CACHE_HOST, port=6379, "
                        "decode_responses=True)\n    r.set('doc', doc)\n")})
    run = migrate("init", "-C", repo)
    assert run.exit_code == 0, run.stdout + run.stderr
    assert "url: settings.CACHE_URL (used by 1 of 1 clients)" in run.stdout, run.stdout
    assert "decode_responses: False (1 of 1 clients)" in run.stdout
    assert "pool" not in run.stdout.split("url: ", 1)[1].split("\n", 1)[0]
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "init")
    sites = json.loads(migrate("inventory", "-C", repo, "--format", "json").stdout)["sites"]
    by_file = {(s["file"], s["line"]): s for s in sites if s["kind"] == "instantiation"}
    assert by_file[("app/cache.py", 5)]["status"] == "pending", by_file
    assert by_file[("app/docs.py", 6)]["reason_code"] == "sync-client"


def test_init_never_advises_a_host_alone_as_the_url(tmp_path: Path) -> None:
    """footy-sync's shape: a client given host, port, a password and TLS has no URL init can
    spell (the password and `rediss://` are not in its key). Before, init printed its host
    as the URL, `await init_redis(settings.REDIS_HOST)`, which raises at startup ("Redis URL
    must specify one of the following schemes"); now it has no vote, and the advice is
    `init_redis()` with $REDIS_URL. The client stays manual for its TLS option."""
    repo = git_repo(tmp_path / "t", {
        "app/__init__.py": "",
        "app/settings.py": "REDIS_HOST = 'cache'\nREDIS_PORT = 6380\nREDIS_PASSWORD = 'x'\n",
        "app/cache.py": ("from redis.asyncio import Redis\nfrom app import settings\n\n"
                         "client = Redis(host=settings.REDIS_HOST, port=settings.REDIS_PORT,\n"
                         "               password=settings.REDIS_PASSWORD, ssl=True)\n\n\n"
                         "async def read(key):\n    return await client.get(key)\n"),
        "app/main.py": "from fastapi import FastAPI\n\napp = FastAPI()\n"})
    run = migrate("init", "-C", repo)
    assert run.exit_code == 0, run.stdout + run.stderr
    assert "REDIS_HOST" not in run.stdout, run.stdout
    assert "url: $REDIS_URL" in run.stdout
    assert "await init_redis()" in run.stdout
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "init")
    sites = json.loads(migrate("inventory", "-C", repo, "--format", "json").stdout)["sites"]
    [site] = [s for s in sites if s["kind"] == "instantiation"]
    assert site["reason_code"] == "options-differ", site


def test_a_url_parameters_default_is_the_env_read_its_global_is_bound_to(
        tmp_path: Path) -> None:
    """The benchmark corpus's shape (and a common one): `REDIS_URL = os.environ.get(...)`, a
    module client on it, and a class whose `__init__(self, url=REDIS_URL)` nothing passes.
    The module client's URL is the environment read; the class's parameter resolved to the
    global's name, another key, so once a repository with no hook compared URLs at all, the
    class's client was `url-differs` from the URL it shares."""
    repo = git_repo(tmp_path / "t", {
        "app/__init__.py": "",
        "app/cache.py": (
            "import os\n\nfrom redis.asyncio import Redis\n\n"
            "REDIS_URL = os.environ.get('REDIS_URL', 'redis://localhost:6379/0')\n"
            "client = Redis.from_url(REDIS_URL)\n\n\n"
            "class Catalog:\n    def __init__(self, url: str = REDIS_URL) -> None:\n"
            "        self._redis = Redis.from_url(url)\n\n"
            "    async def get(self, key):\n        return await self._redis.get(key)\n\n\n"
            "catalog = Catalog()\n\n\n"
            "async def put(key, value):\n    await client.set(key, value)\n")})
    assert migrate("init", "-C", repo).exit_code == 0
    report = json.loads(migrate("inventory", "-C", repo, "--format", "json").stdout)
    statuses = {(s["line"], s["kind"]): s["status"] for s in report["sites"]}
    assert statuses == {(6, "instantiation"): "pending", (11, "instantiation"): "pending",
                        (17, "owner-singleton"): "pending"}, report["sites"]

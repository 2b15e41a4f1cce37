"""A module client that a test replaces by name keeps its global, given `lazy_redis()`.

Found on restaurant-backend: `mock.patch("utils.redis.redis_client")` in its API tests. The
module-client rewrite removes the global `utils.redis.redis_client` (its readers call
get_redis()), so that patch would raise AttributeError and every test using it would fail; the
site stayed `manual` (`patched-by-name`). The stand-in keeps the name, so the patch still finds
it. A sync client (no stand-in) and a team lifecycle module without `lazy_redis()` still leave
it `manual`. Each spelling of a patch by name is read from the source; look-alikes that replace
something else leave the site to the plain rewrite. The end-to-end proof runs the project's own
patching test before and after every batch.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from analysis_helpers import scan, write_repo
from cli_helpers import BATCHES, git_repo, migrate, run_python
from snippets import template_without_lazy_redis

from redis_migrate.scan.lifecycle import template_text

STORE = """
    import redis.asyncio as redis

    redis_client = redis.from_url("redis://localhost")


    class Holder:
        client = None


    async def read(key):
        return await redis_client.get(key)
"""


@pytest.mark.parametrize("test_code", [
    'from unittest import mock\n\n\ndef test_x():\n'
    '    with mock.patch("app.store.redis_client"):\n        pass\n',
    'from unittest.mock import patch\n\n\n@patch("app.store.redis_client")\n'
    'def test_x(fake):\n    pass\n',
    'def test_x(mocker):\n    mocker.patch("app.store.redis_client")\n',
    'def test_x(monkeypatch):\n    monkeypatch.setattr("app.store.redis_client", None)\n',
    'from unittest import mock\n\nfrom app import store\n\n\ndef test_x():\n'
    '    with mock.patch.object(store, "redis_client"):\n        pass\n',
    'from app import store\n\n\ndef test_x(monkeypatch):\n'
    '    monkeypatch.setattr(store, "redis_client", None)\n',
    'import app.store\n\n\ndef test_x(monkeypatch):\n'
    '    monkeypatch.setattr(app.store, "redis_client", None)\n',
])
def test_every_spelling_of_a_patch_by_name_keeps_the_global(
        tmp_path: Path, test_code: str) -> None:
    write_repo(tmp_path, {"app/__init__.py": "", "app/store.py": STORE,
                          "tests/test_store.py": test_code})
    site = next(s for s in scan(tmp_path).sites if s.file == "app/store.py")
    assert (site.status, site.reason_code) == ("pending", None), site
    assert "lazy-client" in site.flags, site
    [note] = [n for n in site.notes if "replaced by name" in n]
    assert "tests/test_store.py:" in note and "app.store.redis_client" in note, note


def test_a_patched_global_with_no_stand_in_stays_manual(tmp_path: Path) -> None:
    """A team lifecycle module without lazy_redis() has no stand-in to keep the global."""
    patch = ('from unittest import mock\n\n\ndef test_x():\n'
             '    with mock.patch("app.store.redis_client"):\n        pass\n')
    team = template_without_lazy_redis(template_text())
    write_repo(tmp_path / "team", {"app/__init__.py": "", "app/store.py": STORE,
                                   "tests/test_store.py": patch,
                                   "backend/services/redis_client.py": team})
    site = next(s for s in scan(tmp_path / "team").sites if s.file == "app/store.py")
    assert (site.status, site.reason_code) == ("manual", "patched-by-name"), site
    assert "has no lazy_redis() to keep it as a stand-in" in (site.reason or ""), site.reason


@pytest.mark.parametrize("test_code", [
    # another name of the module, and an attribute of a class defined there
    'from unittest import mock\n\n\ndef test_x():\n'
    '    with mock.patch("app.store.read"):\n        pass\n',
    'from unittest import mock\n\nfrom app.store import Holder\n\n\ndef test_x():\n'
    '    with mock.patch.object(Holder, "client"):\n        pass\n',
    # an HTTP PATCH, the builtin setattr on an instance, and a patch of a string only
    'import requests\n\n\ndef test_x():\n    requests.patch("http://app.store/redis_client")\n',
    'def test_x():\n    class C:\n        pass\n    setattr(C(), "redis_client", 1)\n',
    'NAME = "app.store.redis_client"\n',
])
def test_look_alikes_leave_the_client_to_move(tmp_path: Path, test_code: str) -> None:
    write_repo(tmp_path, {"app/__init__.py": "", "app/store.py": STORE,
                          "tests/test_store.py": test_code})
    site = next(s for s in scan(tmp_path).sites if s.file == "app/store.py")
    assert site.reason_code != "patched-by-name", site
    assert site.status == "pending" and "lazy-client" not in site.flags, site


def test_the_projects_patching_test_passes_before_and_after_every_batch(
        tmp_path: Path) -> None:
    """restaurant-backend's shape through the real CLI: its test replaces the global by name;
    after every batch the global is the stand-in, the reader is unchanged, the same test passes,
    and `check` finds no client made outside the lifecycle module."""
    test_code = ("import asyncio\nfrom unittest import mock\n\nfrom app.store import read\n\n\n"
                 "def test_read():\n"
                 "    with mock.patch(\"app.store.redis_client\") as fake:\n"
                 "        fake.get = mock.AsyncMock(return_value=b\"v\")\n"
                 "        assert asyncio.run(read(\"k\")) == b\"v\"\n")
    store = "import redis.asyncio as redis\n\nredis_client = redis.from_url(" \
            "\"redis://localhost\")\n\n\nasync def read(key):\n" \
            "    return await redis_client.get(key)\n"
    repo = git_repo(tmp_path / "app", {"app/__init__.py": "", "app/store.py": store,
                                       "tests/__init__.py": "",
                                       "tests/test_store.py": test_code})
    pytest_args = ("-m", "pytest", "-q", "-p", "no:cacheprovider", "tests")
    assert "1 passed" in run_python(repo, *pytest_args, env={})
    assert migrate("init", "-C", repo).exit_code == 0
    report = json.loads(migrate("inventory", "-C", repo, "--format", "json").stdout)
    (site,) = [s for s in report["sites"] if s["file"] == "app/store.py"]
    assert site["status"] == "pending" and "lazy-client" in site["flags"], site
    for batch in BATCHES:
        run = migrate("apply", "-C", repo, "--batch", batch, "--no-git", "--force-order")
        assert run.exit_code == 0, run.stdout + run.stderr
    after = (repo / "app/store.py").read_text()
    assert "redis_client = lazy_redis()\n" in after, after
    assert "    return await redis_client.get(key)\n" in after, after
    assert "1 passed" in run_python(repo, *pytest_args, env={})
    check = migrate("check", "-C", repo)
    assert "app/store.py:3" not in check.stdout, check.stdout


def test_a_test_that_never_names_redis_is_read_for_its_patches(tmp_path: Path) -> None:
    """The scan parses the files that name Redis, then those that name a client-holding module
    and its global (the importer search): `mock.patch("app.cache.client")` in a test that
    never says "redis" is found that way."""
    cache = STORE.replace("redis_client", "client").replace("import redis.asyncio as redis",
                                                            "import redis.asyncio as r") \
        .replace("redis.from_url", "r.from_url")
    write_repo(tmp_path, {"app/__init__.py": "", "app/cache.py": cache,
                          "tests/test_cache.py": 'from unittest import mock\n\n\ndef test_x():\n'
                                                 '    with mock.patch("app.cache.client"):\n'
                                                 '        pass\n'})
    assert "redis" not in (tmp_path / "tests/test_cache.py").read_text()
    site = next(s for s in scan(tmp_path).sites if s.file == "app/cache.py")
    assert any("replaced by name at tests/test_cache.py:5" in n for n in site.notes), site

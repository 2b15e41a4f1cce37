"""A module client that a test replaces by name stays `manual` (`patched-by-name`).

Found on restaurant-backend: `mock.patch("utils.redis.redis_client")` in its API tests. The
rewrite removes the module global `utils.redis.redis_client` (its readers call get_redis()),
so that patch raises AttributeError and every test using the fixture fails. Each spelling of a
patch by name is read from the source; look-alikes that replace something else leave the site
alone. The end-to-end proof, on a real git repository and the real CLI, is the last test.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from analysis_helpers import scan, write_repo
from cli_helpers import git_repo, migrate

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
    assert (site.status, site.reason_code) == ("manual", "patched-by-name"), site
    assert site.reason is not None
    assert "tests/test_store.py:" in site.reason and "app.store.redis_client" in site.reason


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
    assert site.status == "pending", site


def test_the_patched_global_stays_through_every_batch_and_check_names_it(
        tmp_path: Path) -> None:
    """restaurant-backend's shape through the real CLI: the inventory says why, every batch
    leaves the module as it was, and `check` still reports the site."""
    test_code = ('from unittest import mock\n\n\ndef test_x():\n'
                 '    with mock.patch("app.store.redis_client"):\n        pass\n')
    store = "import redis.asyncio as redis\n\nredis_client = redis.from_url(" \
            "\"redis://localhost\")\n\n\nasync def read(key):\n" \
            "    return await redis_client.get(key)\n"
    repo = git_repo(tmp_path / "app", {"app/__init__.py": "", "app/store.py": store,
                                       "tests/test_store.py": test_code})
    assert migrate("init", "-C", repo).exit_code == 0
    report = json.loads(migrate("inventory", "-C", repo, "--format", "json").stdout)
    (site,) = [s for s in report["sites"] if s["file"] == "app/store.py"]
    assert (site["status"], site["reason_code"]) == ("manual", "patched-by-name")
    for batch in ("read-caches", "write-caches"):
        migrate("apply", "-C", repo, "--batch", batch, "--no-git", "--force-order")
    assert (repo / "app/store.py").read_text() == store
    check = migrate("check", "-C", repo)
    assert check.exit_code == 1 and "app/store.py:3" in check.stdout, check.stdout


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
    assert site.reason_code == "patched-by-name", site

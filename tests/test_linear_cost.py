"""What keeps `inventory`'s cost linear (issue 10, item 9) without changing what it finds.

Speed itself is measured by `make bench` (bench/README.md); these tests pin down behaviour:
the searches that no longer grow with the number of needles find exactly the files the plain
searches found; the link keeps apart classes that share only a library base (or a base of the
target that never names the attribute), which is what made its closure grow with the square
of the classes; and a tree where nothing makes a client skips the framework-only files.
"""

from __future__ import annotations

import random
import re
import subprocess
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import pytest
from analysis_helpers import git_init, scan, site_at, write_repo

from redis_migrate import gitrepo
from redis_migrate.config import Config
from redis_migrate.scan import discovery
from redis_migrate.scan.discovery import (
    _needle_regex,
    _search_files,
    _start_git_word_grep,
    discover,
)


def _plain(needles: list[str], words: bool) -> re.Pattern[bytes]:
    """The search as it was: one alternation of the escaped needles."""
    body = b"|".join(re.escape(n.encode()) for n in sorted(needles, key=len, reverse=True))
    return re.compile(rb"\b(?:" + body + rb")\b" if words else body)


def test_trie_search_finds_what_the_alternation_found() -> None:
    rng = random.Random(3)
    alphabet = "ab_.(é1 \n"
    for _ in range(3000):
        needles = list({"".join(rng.choice("ab_.(é1") for _ in range(rng.randint(1, 4)))
                        for _ in range(rng.randint(1, 6))})
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 30))).encode()
        for words in (False, True):
            expected = _plain(needles, words).search(text) is not None
            assert (_needle_regex(needles, words).search(text) is not None) == expected, \
                (needles, text, words)


def test_file_search_in_workers_equals_one_process(tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    rng = random.Random(5)
    words = ["client", "cache_mod", "redis", "Depends(", ".state."]
    files = {}
    for i in range(60):
        body = " ".join(rng.choice(words + ["x", "clients", "my_cache_mod", "app"])
                        for _ in range(rng.randint(0, 6)))
        files[f"pkg/m{i}.py"] = f"# {body}\n"
    write_repo(tmp_path, files)
    fileset = discover(tmp_path, Config())
    assert not fileset.in_git
    groups = [["redis"], ["Depends(", ".state."]]
    alone = fileset.grep_each(groups)
    alone_words = fileset.grep(["client", "cache_mod"], words=True)
    for group, found in zip(groups, alone):
        assert found == {p for p in files if any(n in files[p] for n in group)}
    assert alone_words == {p for p in files
                           if re.search(r"\b(client|cache_mod)\b", files[p])}
    monkeypatch.setattr(discovery, "PARALLEL_SEARCH", 1)
    monkeypatch.setattr(discovery, "_SEARCH_CHUNK_MIN", 7)
    with ProcessPoolExecutor(max_workers=2) as pool:
        fileset.executor = pool
        assert fileset.grep_each(groups) == alone
        assert fileset.grep(["client", "cache_mod"], words=True) == alone_words
    assert _search_files(str(tmp_path), ["pkg/m1.py", "gone.py"], [["#"]], False) == \
        [["pkg/m1.py"]]


def test_git_word_search_equals_git_grep_w(tmp_path: Path) -> None:
    write_repo(tmp_path, {
        "a.py": "from app.cache_mod import client\n",
        "b.py": "import app.cache_modx as m\n",        # not the word
        "c.py": "x = my_cache_mod\n",                   # not the word
        "d.py": "cache_mod.client.get(k)\n",
        "e.py": "value = 'cache_mod'\n",
        "f.py": b"bytes \xff\xfe then store_mod\n",     # not UTF-8: still searched
        "g.py": "\u00e9store_mod = 1\n",                # preceded by a non-ASCII letter
    })
    git_init(tmp_path)
    words = ["cache_mod", "store_mod", "unused_name"]
    fixed = gitrepo.start_grep(tmp_path, words, words=True)()
    assert _start_git_word_grep(tmp_path, words)() == fixed
    assert fixed == {"a.py", "d.py", "e.py", "f.py", "g.py"}


SUBCLASSES_OF_A_LIBRARY_BASE = {
    "app/__init__.py": "",
    "app/cache.py": """
        import abc

        import redis


        class Cache(abc.ABC):
            def __init__(self):
                self.client = redis.Redis(host="localhost")

            def read(self, key):
                return self.client.get(key)
    """,
    "app/other.py": """
        import abc

        import redis


        class Store(abc.ABC):
            def __init__(self, backend):
                self.client = backend

            def save(self, key, value):
                self.client.set(key, value)
                self.client.publish("saved", key)
    """,
}


def test_classes_sharing_a_library_base_keep_their_own_attributes(tmp_path: Path) -> None:
    # `Store.client` is not `Cache.client`: abc.ABC is no object the two share. Before, both
    # were `abc.ABC.client`, and Store's publish made Cache's client a pub/sub one.
    inventory = scan(write_repo(tmp_path, SUBCLASSES_OF_A_LIBRARY_BASE))
    site = site_at(inventory, "app/cache.py", 8, "instantiation")
    assert {op.split(" ")[0] for op in site.operations} == {"get"}
    assert site.purpose == "read-cache"
    assert not any(h.startswith("abc.") for h in site.holders)


def test_a_base_that_names_the_attribute_shares_it(tmp_path: Path) -> None:
    # the base's own code reads `self.client`: what a subclass stores there is what it reads
    inventory = scan(write_repo(tmp_path, {
        "app/__init__.py": "",
        "app/base.py": """
            class Repository:
                def ping(self):
                    return self.client.ping()

                def fetch(self, key):
                    return self.client.get(key)
        """,
        "app/users.py": """
            import redis

            from app.base import Repository


            class Users(Repository):
                def __init__(self):
                    self.client = redis.Redis(host="localhost")
        """,
    }))
    site = site_at(inventory, "app/users.py", 8, "instantiation")
    assert {op.split(" ")[0] for op in site.operations} == {"ping", "get"}


def test_siblings_keep_an_attribute_their_base_never_names(tmp_path: Path) -> None:
    inventory = scan(write_repo(tmp_path, {
        "app/__init__.py": "",
        "app/base.py": """
            class Node:
                def name(self):
                    return type(self).__name__
        """,
        "app/a.py": """
            import redis

            from app.base import Node


            class CacheNode(Node):
                def __init__(self):
                    self.client = redis.Redis(host="localhost")

                def read(self, key):
                    return self.client.get(key)
        """,
        "app/b.py": """
            from app.base import Node


            class QueueNode(Node):
                def __init__(self, queue):
                    self.client = queue

                def push(self, item):
                    self.client.lpush("q", item)
                    self.client.blpop("q")
        """,
    }))
    site = site_at(inventory, "app/a.py", 8, "instantiation")
    assert {op.split(" ")[0] for op in site.operations} == {"get"}
    assert site.purpose == "read-cache"


def test_an_app_subclass_is_still_the_app(tmp_path: Path) -> None:
    # what calling the base makes flows down: an instance of a FastAPI subclass is the app,
    # so a client stored on its state is the one the handlers read from request.app.state
    inventory = scan(write_repo(tmp_path, {
        "app/__init__.py": "",
        "app/main.py": """
            import redis.asyncio as aioredis
            from fastapi import FastAPI


            class App(FastAPI):
                pass


            app = App()


            @app.on_event("startup")
            async def startup():
                app.state.redis = aioredis.Redis.from_url("redis://localhost")
        """,
        "app/views.py": """
            from fastapi import Request


            async def show(request: Request, key: str):
                return await request.app.state.redis.get(key)
        """,
    }))
    site = site_at(inventory, "app/main.py", 14, "instantiation")
    assert "get" in {op.split(" ")[0] for op in site.operations}


def test_nothing_to_follow_skips_the_framework_files(tmp_path: Path) -> None:
    write_repo(tmp_path, {
        "svc/__init__.py": "",
        "svc/notes.py": "# we might redistribute this one day\nX = 1\n",  # names 'redis'
        "svc/app.py": "from fastapi import FastAPI\n\napp = FastAPI()\nx = app.state.count\n",
        "svc/broken.py": "request.app.state.x = (\n",  # a framework needle, does not parse
    })
    inventory = scan(tmp_path)
    assert inventory.sites == []
    assert inventory.files_parsed == 1  # svc/notes.py: nothing there makes a client
    assert inventory.skipped == []


def test_a_shared_client_carried_into_framework_files_is_followed(tmp_path: Path) -> None:
    # the redis file makes no client but stores the lifecycle module's: the framework-only
    # file that closes it is still read, and its close is a site
    inventory = scan(write_repo(tmp_path, {
        "backend/__init__.py": "",
        "backend/main.py": """
            from fastapi import FastAPI

            from backend.services.redis_client import get_redis

            app = FastAPI()
            app.state.cache = get_redis()
        """,
        "backend/shutdown.py": """
            from backend.main import app


            @app.on_event("shutdown")
            async def stop():
                await app.state.cache.aclose()
        """,
    }))
    assert [(s.file, s.kind) for s in inventory.sites] == [("backend/shutdown.py", "close")]
    assert inventory.files_parsed == 2


def test_git_grep_without_pcre_falls_back(tmp_path: Path, monkeypatch: pytest.MonkeyPatch
                                          ) -> None:
    write_repo(tmp_path, {"a.py": "import cache_mod\n", "b.py": "cache_modx = 1\n"})
    git_init(tmp_path)
    real_popen = subprocess.Popen

    def no_pcre(args, *rest, **kwargs):  # type: ignore[no-untyped-def]
        if "-P" in args:  # a git built without PCRE refuses -P
            args = ["git", "grep", "--no-such-option"]
        return real_popen(args, *rest, **kwargs)

    monkeypatch.setattr(discovery, "_git_pcre", [])
    monkeypatch.setattr(gitrepo.subprocess, "Popen", no_pcre)
    assert _start_git_word_grep(tmp_path, ["cache_mod"])() == {"a.py"}
    assert discovery._git_pcre == [False]

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
import sys
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import pytest
from analysis_helpers import git_init, scan, site_at, write_repo

from redis_migrate import gitrepo
from redis_migrate.config import Config
from redis_migrate.scan import discovery, early_search
from redis_migrate.scan.discovery import (
    _needle_regex,
    _search_files,
    _start_git_word_grep,
    discover,
)
from redis_migrate.scan.report import Inventory


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
    alone = [fileset.grep(group) for group in groups]
    alone_words = fileset.grep(["client", "cache_mod"], words=True)
    for group, found in zip(groups, alone):
        assert found == {p for p in files if any(n in files[p] for n in group)}
    assert alone_words == {p for p in files
                           if re.search(r"\b(client|cache_mod)\b", files[p])}
    monkeypatch.setattr(discovery, "PARALLEL_SEARCH", 1)
    monkeypatch.setattr(discovery, "_SEARCH_CHUNK_MIN", 7)
    with ProcessPoolExecutor(max_workers=2) as pool:
        fileset.executor = pool
        assert [fileset.grep(group) for group in groups] == alone
        assert fileset.grep(["client", "cache_mod"], words=True) == alone_words
    assert _search_files(str(tmp_path), ["pkg/m1.py", "gone.py"], [["#"]], False) == \
        [["pkg/m1.py"]]


def test_git_search_of_a_walked_folder_reads_only_the_walked_files(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # outside git, a large tree is searched by `git grep --no-index`, several times faster than
    # Python; it must find what the walk lists (links included, which git does not follow)
    # and nothing the walk left out (ignored folders, environments, a venv of any name)
    write_repo(tmp_path, {
        "app/a.py": "import redis\n", "app/odd [1]*.py": "import redis\n",
        "app/plain.py": "x = 1\n", "app/words.py": "redistribute = 1\n",
        ".gitignore": "ignored/\n", "ignored/b.py": "import redis\n",
        "env/pyvenv.cfg": "home = /usr\n", "env/lib/c.py": "import redis\n",
        ".venv/d.py": "import redis\n", "pkg/node_modules/e.py": "import redis\n",
    })
    (tmp_path / "app" / "nul.py").write_bytes(b"\0import redis\n")
    (tmp_path / "app" / "link.py").symlink_to(tmp_path / "app" / "a.py")
    (tmp_path / "linked").symlink_to(tmp_path / "app", target_is_directory=True)
    expected = {"app/a.py", "app/odd [1]*.py", "app/nul.py", "app/link.py"}
    monkeypatch.setattr(discovery, "PARALLEL_SEARCH", 1)
    fileset = discover(tmp_path, Config())
    assert not fileset.in_git and fileset.outside is not None
    started: list[list[str]] = []
    real_start = gitrepo.start_grep

    def recorded(*args: object, **kwargs: object) -> object:
        started.append(list(args[1]))  # type: ignore[arg-type]
        return real_start(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(gitrepo, "start_grep", recorded)
    assert fileset.grep(["redis"]) == expected | {"app/words.py"}  # `redis` in `redistribute`
    assert started  # git answered
    assert fileset.grep(["redis"], words=True) == expected
    assert [fileset.grep(group) for group in [["import redis"], ["x = 1"]]] == \
        [expected, {"app/plain.py"}]

    def no_git(*_args: object, **_kwargs: object) -> object:
        raise FileNotFoundError("git")

    monkeypatch.setattr(gitrepo, "start_grep", no_git)
    monkeypatch.setattr(gitrepo, "start_pcre_grep", no_git)
    lent: list[bool] = []
    fileset.start_executor = lambda: lent.append(True)  # type: ignore[func-returns-value]
    assert fileset.grep(["import redis"]) == expected  # the search in Python, as before
    assert fileset.outside is None
    assert lent  # and it asked for the worker processes (here: none, so it ran alone)
    assert fileset.grep(["redis"], words=True) == expected


# what the walk leaves out -> (whether the early search starts, is kept, what redis finds)
_EARLY_CASES = {
    "nothing": ({}, True, True, {"app/a.py", "skip/b.py"}),
    # the root's .gitignore leaves skip/ out before any file is found: it never starts
    "an ignored folder": ({".gitignore": "skip/\n"}, False, False, {"app/a.py"}),
    # a venv of any name, found after app/: it would be read for nothing, so it is stopped
    "a venv": ({"skip/pyvenv.cfg": "home = /usr\n"}, True, False, {"app/a.py"}),
    # an environment folder below the top is not excluded by name: stopped too
    "a nested environment": ({"skip/node_modules/f.py": "import redis\n"}, True, False,
                             {"app/a.py", "skip/b.py"}),
}


@pytest.mark.parametrize("prefetched", [False, True])
@pytest.mark.parametrize("case", list(_EARLY_CASES))
def test_the_search_started_beside_the_walk_is_kept_only_if_the_walk_left_nothing_out(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, case: str, prefetched: bool) -> None:
    # git grep for redis starts before the walk (`prefetch`, as the CLI does) or while it
    # walks, once it has found enough files and left nothing out, over everything but the
    # environment folders at the top (`node_modules/`, read by no search); it is kept
    # only if the walk left nothing else out, else one over the walked files runs instead
    extra, starts, kept, expected = _EARLY_CASES[case]
    write_repo(tmp_path, {"app/a.py": "import redis\n", "app/plain.py": "x = 1\n",
                          "node_modules/e.py": "import redis\n", "skip/b.py": "import redis\n",
                          **extra})
    monkeypatch.setattr(discovery, "PARALLEL_SEARCH", 1)
    started: list[tuple[list[str], object]] = []
    real_start = gitrepo.start_grep

    def recorded(*args: object, **kwargs: object) -> object:
        running = real_start(*args, **kwargs)  # type: ignore[arg-type]
        started.append((list(args[1]), running))  # type: ignore[arg-type]
        return running

    monkeypatch.setattr(gitrepo, "start_grep", recorded)
    early = early_search.prefetch(tmp_path) if prefetched else None
    assert early is None or (not early.in_git and early.early is not None)
    fileset = discover(tmp_path, Config(), search_first=["redis"], prefetched=early)
    starts = starts or prefetched  # a prefetch starts before anything is known
    assert [needles for needles, _ in started] == [["redis"]] * starts
    assert (fileset.early is not None) is kept
    if starts and not kept:
        assert started[0][1].process.poll() is not None  # type: ignore[attr-defined]  # stopped
    assert fileset.grep(["redis"]) == expected
    assert len(started) == starts + (not kept)  # the early one answered, or one anew
    assert fileset.early is None  # taken once: the next search runs anew
    assert fileset.grep(["redis"]) == expected and len(started) == starts + (not kept) + 1


@pytest.mark.parametrize("command", ["inventory", "check"])
def test_the_cli_starts_the_search_before_the_walk_and_answers_from_it(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, command: str) -> None:
    # outside git, `inventory` and `check` start git grep for redis before they load the
    # analysis and walk the folder; the walk keeps it, and the sites are the ones found
    from analysis_helpers import run_cli

    write_repo(tmp_path, {"app/cache.py": "import redis\n\nclient = redis.Redis()\n",
                          "app/plain.py": "x = 1\n"})
    monkeypatch.setattr(discovery, "PARALLEL_SEARCH", 1)
    events: list[str] = []
    real_start, real_walk = gitrepo.start_grep, discovery._walk

    def start(*args: object, **kwargs: object) -> object:
        events.append("grep " + " ".join(args[1]))  # type: ignore[arg-type]
        return real_start(*args, **kwargs)  # type: ignore[arg-type]

    def walk(*args: object, **kwargs: object) -> object:
        events.append("walk")
        return real_walk(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(gitrepo, "start_grep", start)
    monkeypatch.setattr(discovery, "_walk", walk)
    result = run_cli(command, "-C", str(tmp_path), "--format", "json")
    assert "app/cache.py" in result.stdout, result.stdout + result.stderr
    assert events[:2] == ["grep redis", "walk"]
    assert events.count("grep redis") == 1  # the early one answered


def test_a_prefetch_in_a_git_work_tree_starts_nothing(tmp_path: Path) -> None:
    write_repo(tmp_path, {"a.py": "import redis\n"})
    git_init(tmp_path)
    early = early_search.prefetch(tmp_path)
    assert early.in_git and early.early is None
    fileset = discover(tmp_path, Config(), search_first=["redis"], prefetched=early)
    assert fileset.in_git and fileset.grep(["redis"]) == {"a.py"}


def test_an_early_search_for_other_needles_is_stopped_not_answered(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write_repo(tmp_path, {"a.py": "import redis\n", "b.py": "from fastapi import FastAPI\n"})
    monkeypatch.setattr(discovery, "PARALLEL_SEARCH", 1)
    fileset = discover(tmp_path, Config(), search_first=["redis"])
    early = fileset.early
    assert early is not None
    assert fileset.grep(["fastapi"]) == {"b.py"}
    assert early.process is not None and early.process.poll() is not None


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


def _scan_beside_base(root: Path, base: str, files: dict[str, str]) -> Inventory:
    """Scan a repository whose package `app` holds `base` as app/base.py, and `files`."""
    return scan(write_repo(root, {"app/__init__.py": "", "app/base.py": base, **files}))


def test_a_base_that_names_the_attribute_shares_it(tmp_path: Path) -> None:
    # the base's own code reads `self.client`: what a subclass stores there is what it reads
    inventory = _scan_beside_base(tmp_path, """
        class Repository:
            def ping(self):
                return self.client.ping()

            def fetch(self, key):
                return self.client.get(key)
    """, {
        "app/users.py": """
            import redis

            from app.base import Repository


            class Users(Repository):
                def __init__(self):
                    self.client = redis.Redis(host="localhost")
        """,
    })
    site = site_at(inventory, "app/users.py", 8, "instantiation")
    assert {op.split(" ")[0] for op in site.operations} == {"ping", "get"}


def test_an_override_keeps_its_own_locals(tmp_path: Path) -> None:
    # `Tracked.queue`'s local `pipe` is not `Store.queue`'s: two defs, two locals. Sharing them
    # made every mixin of a class hold the locals of every method (45,000 of the 76,000 keys
    # the closure made on a site-packages holding redis), and here made the base's client
    # a publisher through the override's local
    inventory = _scan_beside_base(tmp_path, """
        import redis


        class Store:
            def queue(self, key):
                pipe = redis.Redis(host="localhost")
                pipe.get(key)
                return pipe
    """, {
        "app/tracked.py": """
            from app.base import Store


            class Tracked(Store):
                def queue(self, key):
                    pipe = self.other
                    pipe.publish("events", key)
                    return pipe
        """,
    })
    site = site_at(inventory, "app/base.py", 6, "instantiation")
    assert {op.split(" ")[0] for op in site.operations} == {"get"}
    assert "app.tracked.Tracked.queue.<locals>.pipe" not in site.holders
    assert "app.base.Store.queue.<locals>.pipe" in site.holders


def test_siblings_keep_an_attribute_their_base_never_names(tmp_path: Path) -> None:
    inventory = _scan_beside_base(tmp_path, """
        class Node:
            def name(self):
                return type(self).__name__
    """, {
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
    })
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
        "svc/notes.py": "# a cache, not redis, for now\nX = 1\n",  # names 'redis'
        "svc/app.py": "from fastapi import FastAPI\n\napp = FastAPI()\nx = app.state.count\n",
        "svc/broken.py": "request.app.state.x = (\n",  # a framework needle, does not parse
    })
    inventory = scan(tmp_path)
    assert inventory.sites == []
    # svc/notes.py names redis in a comment and imports nothing of it: it cannot make, share
    # or subclass a client, so nothing is read at all
    assert inventory.files_parsed == 0
    assert inventory.skipped == []


@pytest.mark.parametrize("in_git", [False, True])
def test_nothing_to_follow_drops_the_framework_search(tmp_path: Path, in_git: bool,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    # the framework files are searched for only when the files naming redis make a client:
    # in Python the search never runs; in git the grep started beside the first one is
    # stopped. On a site-packages (11,563 files, no client) it was most of the searching.
    from redis_migrate.scan.prefilter import FRAMEWORK_NEEDLES

    write_repo(tmp_path, {
        "svc/notes.py": "# a cache, not redis, for now\n",
        "svc/app.py": "from fastapi import FastAPI\n\napp = FastAPI()\n",
    })
    if in_git:
        git_init(tmp_path)
    searched: list[list[str]] = []
    cancelled: list[list[str]] = []
    real_search, real_start = discovery.FileSet._search, gitrepo.start_grep

    def search(self: discovery.FileSet, groups: list[list[str]], *args: object) -> object:
        searched.extend(groups)
        return real_search(self, groups, *args)  # type: ignore[arg-type]

    def start(repo: Path, needles: list[str], **kwargs: object) -> gitrepo.RunningGrep:
        running = real_start(repo, needles, **kwargs)  # type: ignore[arg-type]
        real_cancel = running.cancel

        def cancel() -> None:
            cancelled.append(needles)
            real_cancel()
        running.cancel = cancel  # type: ignore[method-assign]
        return running

    monkeypatch.setattr(discovery.FileSet, "_search", search)
    monkeypatch.setattr(gitrepo, "start_grep", start)
    inventory = scan(tmp_path)
    assert inventory.sites == [] and inventory.files_parsed == 0
    assert list(FRAMEWORK_NEEDLES) not in searched
    assert cancelled == ([list(FRAMEWORK_NEEDLES)] if in_git else [])


@pytest.mark.parametrize(("text", "can_start"), [
    (b"import redis\n", True),
    (b"import os, redis\n", True),
    (b"    from redis.asyncio import (\n        Redis,\n    )\n", True),
    (b"import aioredis\n", True),
    (b"x = 1; from redis import Redis\n", True),
    ("\ufefffrom redis.asyncio import Redis\n".encode(), True),  # a byte-order mark
    (b"\x0cimport redis\n", True),  # a form feed, which Python takes for indentation
    (b"if TYPE_CHECKING: from redis import Redis\n", True),
    (b"from app.cache import redis_client\n", True),
    (b"from app import \\\n    redis_client\n", True),  # continued with a backslash
    (b"import os, \\\r\n    json, \\\r\n    redis\r\n", True),
    (b"from app.compat import (\n    json,\n    redis,\n)\n", True),  # inside parentheses
    # a continued import that does not spell redis (pygments' lexers), then redis named
    (b"from pygments.lexer import RegexLexer, \\\n    include\n\nX = ['redis://']\n", False),
    (b"from app import (\n    settings,\n)\n\nURL = settings.redis_url\n", False),
    (b"from app import lifecycle\n\nc = lifecycle.get_redis()\n", True),
    (b"await init_redis(url)\n", True),
    (b"close_redis\n", True),
    (b"r = get_sync_redis()\n", True),
    (b"# a cache, not redis, for now\n", False),
    (b"URL = 'redis://localhost'\n", False),
    (b"import os\n\nURL = os.environ['REDIS_URL']\n", False),
    (b"value = self.redis.get(key)\n", False),
    (b"from .clients import *\n\nr = Redis()  # redis\n", False),
    (b"KEYWORDS = ['import', 'redis']\n", False),
])
def test_which_files_naming_redis_can_start_something(text: bytes, can_start: bool) -> None:
    # of the files that name redis, only these are read before anything is known to make a
    # client: the others (pygments' lexers, moto's models on a site-packages) wait, and are
    # read only if it is
    from redis_migrate.scan.prefilter import CAN_START

    assert bool(CAN_START.search(text)) is can_start


def test_the_start_gate_answers_as_one_expression_would() -> None:
    # the gate looks at each `redis` from its line back, for speed; what it answers is
    # this expression's answer (kept here as its definition), over texts made of the tokens
    # that matter to it
    from redis_migrate.scan.prefilter import CAN_START

    start = rb"(?:^|[;:])(?:\xef\xbb\xbf)?[ \t\f]*(?:import|from)\b"
    definition = re.compile(start + rb"(?:[^\n]*\\\r?\n)*[^\n]*redis"
                            + rb"|" + start + rb"[^\n(]*\([^)]*redis"
                            + rb"|\b(?:get|init|close|get_sync|get_blocking)_redis\b",
                            re.MULTILINE)
    tokens = [b"import", b"from", b"redis", b"(", b")", b"\\", b"\n", b"\r\n", b" ", b"\t",
              b";", b":", b"x", b"get_redis", b"_", b"\xef\xbb\xbf", b"\f", b"redistribute"]
    rng = random.Random(11)
    for _ in range(40_000):
        text = b"".join(rng.choice(tokens) for _ in range(rng.randint(0, 14)))
        assert bool(CAN_START.search(text)) is bool(definition.search(text)), text


def test_files_naming_redis_are_read_once_something_makes_a_client(tmp_path: Path) -> None:
    # jobs.py reaches the client through an attribute that says redis, and its import says
    # nothing of it: it waits for pass 1, then is read with the rest, and its get counts
    inventory = scan(write_repo(tmp_path, {
        "svc/__init__.py": "",
        "svc/clients.py": "import redis\n\nredis_client = redis.Redis()\n",
        "svc/jobs.py": "from svc import clients\n\n\ndef run():\n"
                       "    return clients.redis_client.get('k')\n",
        "svc/notes.py": "# redis, for now\n",
    }))
    site = site_at(inventory, "svc/clients.py", 3, "instantiation")
    assert "get" in {op.split(" ")[0] for op in site.operations}
    assert inventory.files_parsed == 3


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


def test_words_that_spell_redis_are_no_mention(tmp_path: Path) -> None:
    # the GPL header of every file of some packages: each was parsed, and its classes linked
    licence = "# you can redistribute it and/or modify it; rediscover, redisplay\n"
    inventory = scan(write_repo(tmp_path, {
        "lib/__init__.py": "",
        **{f"lib/m{i}.py": licence + f"class C{i}:\n    pass\n" for i in range(3)},
        "app.py": "import redis\n\nclient = redis.Redis()\nclient.get('k')\n",
    }))
    assert [(s.file, s.kind) for s in inventory.sites] == [("app.py", "instantiation")]
    assert inventory.files_parsed == 1


def test_generic_app_spellings_count_only_beside_a_framework(tmp_path: Path) -> None:
    # `.state.`, `Application(`, `config_dict` outside any app were parsed and linked as
    # framework files; the same spellings in a file that imports the framework still are
    inventory = scan(write_repo(tmp_path, {
        "svc/__init__.py": "",
        "svc/cache.py": "import redis\n\nclient = redis.Redis()\n",
        "svc/parser.py": "class P:\n    def go(self):\n        self.state.append(1)\n"
                         "        return TypeApplication(self.config_dict)\n",
        "svc/views.py": """
            from fastapi import FastAPI, Request

            app = FastAPI()
            app.state.cache = __import__("svc.cache").cache.client


            async def show(request: Request):
                return request.app.state.cache.get("k")
        """,
    }))
    assert sorted(inventory.facts) == ["svc/cache.py", "svc/views.py"]


def test_an_importer_spells_the_package_of_what_it_imports(tmp_path: Path) -> None:
    # `pkg/typing.py` holds a client named `Any`: a file saying `from typing import Any`
    # elsewhere does not import it; one spelling `pkg`, or importing relatively, may
    inventory = scan(write_repo(tmp_path, {
        "pkg/__init__.py": "",
        "pkg/typing.py": "import redis\n\nAny = redis.Redis()\n",
        "pkg/near.py": "from .typing import Any\n\nAny.get('k')\n",
        "app/__init__.py": "",
        "app/far.py": "from pkg.typing import Any\n\nAny.set('k', 1)\n",
        "other/__init__.py": "",
        "other/hints.py": "from typing import Any\n\nx: Any = None\n",
    }))
    assert sorted(inventory.facts) == ["app/far.py", "pkg/near.py", "pkg/typing.py"]
    site = site_at(inventory, "pkg/typing.py", 3, "instantiation")
    assert {op.split(" ")[0] for op in site.operations} == {"get", "set"}


def test_every_spelling_of_an_import_is_an_importer(tmp_path: Path) -> None:
    # `pkg.sub.store` holds `Store`: each way of importing it is read, whatever else the file
    # says; the files that only share a word with it are not
    importers = {
        "app/dotted.py": "import pkg.sub.store\n\npkg.sub.store.Store.get('a')\n",
        "app/from_dotted.py": "from pkg.sub.store import Store\n\nStore.get('b')\n",
        "app/from_package.py": "from pkg.sub import (\n    other,\n    store,\n)\n\n"
                               "store.Store.get('c')\n",
        "app/backslash.py": "from pkg.sub \\\n    import store\n\nstore.Store.get('d')\n",
        "app/aliased.py": "import pkg.sub as ps\n\nps.store.Store.get('e')\n",
        "pkg/sub/near.py": "from .store import Store\n\nStore.get('f')\n",
        "pkg/up.py": "from .sub.store import Store\n\nStore.get('g')\n",
    }
    look_alikes = {
        # its own package's relative import of a `store` module that is not pkg's
        "other/__init__.py": "", "other/store.py": "Store = dict\n",
        "other/use.py": "from .store import Store\n\nStore.get('x')\n",
        # `sub` ends one line and `import` starts the next: no `from pkg.sub import`
        "lib/lines.py": "import sub\nimport store\n\nstore.Store.get('y')\n",
    }
    inventory = scan(write_repo(tmp_path, {
        "pkg/__init__.py": "", "pkg/sub/__init__.py": "", "app/__init__.py": "",
        "pkg/sub/store.py": "import redis\n\nStore = redis.Redis()\n",
        **importers, **look_alikes,
    }))
    assert sorted(inventory.facts) == sorted([*importers, "pkg/sub/store.py"])
    site = site_at(inventory, "pkg/sub/store.py", 3, "instantiation")
    assert {op.split(" ")[0] for op in site.operations} == {"get"}


def test_a_relative_import_reaches_across_packages_under_a_package_root(tmp_path: Path
                                                                        ) -> None:
    # run inside a package (its folder has an `__init__.py`): `from ..pkg.store import
    # Store` in `app/` imports the root package's `pkg/store.py`
    inventory = scan(write_repo(tmp_path, {
        "__init__.py": "", "pkg/__init__.py": "", "app/__init__.py": "",
        "pkg/store.py": "import redis\n\nStore = redis.Redis()\n",
        "app/views.py": "from ..pkg.store import Store\n\nStore.get('k')\n",
    }))
    assert "app/views.py" in inventory.facts


def test_importers_of_a_subclass_instance_are_followed(tmp_path: Path) -> None:
    # `cache.py` never spells redis: it is read for the subclass it instantiates, and then
    # (since the subclasses are found inside the passes) its importers are read too
    inventory = scan(write_repo(tmp_path, {
        "app/__init__.py": "",
        "app/clients.py": "import redis\n\n\nclass TracedRedis(redis.Redis):\n    pass\n",
        "app/cache.py": "from app.clients import TracedRedis\n\ncache = TracedRedis()\n",
        "app/views.py": "from app.cache import cache\n\n\ndef show(k):\n"
                        "    return cache.get(k)\n",
    }))
    site = site_at(inventory, "app/cache.py", 3, "instantiation")
    assert "get" in {op.split(" ")[0] for op in site.operations}
    assert "app/views.py" in inventory.facts


def test_an_inventory_loads_libcst_only_for_what_needs_it(tmp_path: Path) -> None:
    # importing LibCST and the codemods was a fifth of an inventory of 10,000 files: it is
    # needed only to lower newer syntax, or to flag aioredis calls by a rewrite in memory
    write_repo(tmp_path, {"app.py": "import redis\n\nclient = redis.Redis()\nclient.get('k')\n"})
    which = ("m for m in sys.modules if m.split('.')[0] == 'libcst'"
             " or m.startswith('redis_migrate.codemods.') and '._' not in m")
    out, loaded = _modules_after_inventory(tmp_path, which)
    assert '"sites"' in out
    assert loaded == "[]"
    (tmp_path / "new.py").write_text("type Alias = int\nimport redis\n")  # PEP 695 on 3.11
    out, loaded = _modules_after_inventory(tmp_path, which)
    assert sys.version_info >= (3, 12) or "'libcst'" in loaded


def _modules_after_inventory(root: Path, which: str) -> tuple[str, str]:
    """`migrate inventory --format json` on `root` in a new interpreter: what it printed,
    and `sorted(<which>)` over the modules it loaded by then (`which`: a generator's text)."""
    # read at exit: a command that writes nothing ends once its exit functions have run
    probe = ("import atexit, sys\nfrom redis_migrate.launch import main\n"
             "sys.argv = ['migrate', 'inventory', '-C', sys.argv[1], '--format', 'json']\n"
             f"atexit.register(lambda: print(sorted({which}), file=sys.stderr))\nmain()\n")
    run = subprocess.run([sys.executable, "-c", probe, str(root)], capture_output=True,
                         text=True, check=True)
    return run.stdout, run.stderr.strip().splitlines()[-1]


@pytest.mark.parametrize("in_git", [True, False])
def test_a_small_inventory_loads_no_worker_or_gitignore_module(
        tmp_path: Path, in_git: bool) -> None:
    # multiprocessing and pathspec were a tenth of a start (and `migrate check` starts on
    # every commit as a hook): they load where they are used
    write_repo(tmp_path, {"app.py": "import redis\n\nclient = redis.Redis()\n"})
    if in_git:
        git_init(tmp_path)
    which = ("m for m in ('multiprocessing', 'concurrent.futures.process', 'pathspec', "
             "'secrets') if m in sys.modules")
    out, loaded = _modules_after_inventory(tmp_path, which)
    assert '"sites"' in out and "app.py" in out
    assert loaded == "[]"
    (tmp_path / ".gitignore").write_text("build/\n")  # a walk now needs pathspec, and has it
    (tmp_path / "build").mkdir()
    (tmp_path / "build" / "gen.py").write_text("import redis\n\nr = redis.Redis()\n")
    out, loaded = _modules_after_inventory(tmp_path, which)
    assert "build/gen.py" not in out and "app.py" in out
    assert ("'pathspec'" in loaded) is not in_git


def test_a_few_large_files_are_parsed_by_the_workers_and_small_ones_here(
        tmp_path: Path) -> None:
    # the count alone kept 63 files of a venv (1.9 MB: rq, aiohttp) in one process
    from redis_migrate.scan.inventory import _PARALLEL_BYTES, _PARALLEL_THRESHOLD, _Parser

    big = "import redis\n\n" + "".join(f"def f{i}(x):\n    return x + {i}\n"
                                         for i in range(_PARALLEL_BYTES // 60))
    write_repo(tmp_path, {"small.py": "import redis\n", "big1.py": big, "big2.py": big})
    assert _PARALLEL_THRESHOLD > 2 and len(big) * 2 >= _PARALLEL_BYTES
    with _Parser(tmp_path, ("app.redis_client",), 2) as parser:
        assert [f.path for f in parser.parse(["small.py"])] == ["small.py"]
        assert parser.pool is None  # one small file: here
        facts = parser.parse(["big1.py", "big2.py"])
        assert parser.pool is not None  # two large ones: the workers
        assert [f.path for f in facts] == ["big1.py", "big2.py"]
        assert all(f.error is None and "big" in f.module for f in facts)


def test_the_module_lookup_finds_what_the_index_of_every_suffix_found() -> None:
    """`_ModulesOnDisk` keeps files by the last part of their module name (the index of
    every suffix it replaces held a set per suffix: 44 MiB on 50,000 files); every module
    spelling resolves to the same file, or to none when no file or several match."""
    from redis_migrate.scan.discovery import module_name
    from redis_migrate.scan.inventory import _ModulesOnDisk

    rng = random.Random(7)
    words = ["app", "api", "core", "redis", "cache", "models", "utils", "__init__", "db"]
    files = sorted({"/".join(rng.choice(words) for _ in range(rng.randint(1, 4))) + ".py"
                    for _ in range(400)} | {"__init__.py", "app/__init__.py", "app/cache.py"})
    every_suffix: dict[str, set[str]] = {}
    for path in files:
        parts = module_name(path)[0].split(".")
        for start in range(len(parts)):
            every_suffix.setdefault(".".join(parts[start:]), set()).add(path)
    lookup = _ModulesOnDisk(files)
    spellings = set(every_suffix) | {"nowhere", "app.nowhere", "cache.app.x"}
    unique = 0
    for module in sorted(spellings):
        found = every_suffix.get(module, set())
        expected = next(iter(found)) if len(found) == 1 else None
        assert lookup.path_of(module) == expected, module
        unique += expected is not None
    assert unique > 20  # the sample has unique and ambiguous spellings both
    assert unique < len(spellings) - 20


def test_a_lifecycle_name_bound_in_a_nested_scope_is_still_taken() -> None:
    # the walk of nested scopes runs only on a text that spells `_redis`, which every
    # lifecycle name does; a name bound in a hook's body still takes it
    from redis_migrate.analysis.extract import LIFECYCLE_NAMES, extract

    assert all("_redis" in name for name in LIFECYCLE_NAMES)
    source = (b"import redis.asyncio as redis\n\n\ndef setup(app):\n"
              b"    async def close_redis(app):\n        await app['r'].aclose()\n"
              b"    app.on_cleanup.append(close_redis)\n")
    facts = extract("app.py", "app", False, source, ("core.redis",))
    assert "close_redis" in facts.taken_names
    plain = extract("app.py", "app", False, source.replace(b"close_redis", b"shut"),
                    ("core.redis",))
    assert plain.taken_names == {}

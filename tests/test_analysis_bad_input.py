"""Analysis fixtures: bad input, encodings, positions, file discovery and the CLI's exit codes.

A file that cannot be read or parsed is reported (path, and the parser's line) and the rest of
the repository is still scanned; `migrate inventory` then exits 1 and prints one line per
skipped file on stderr, never a traceback (SPEC §2, §8).
"""

from __future__ import annotations

import os
from pathlib import Path

from analysis_helpers import (
    S,
    assert_sites,
    async_client,
    cli_json,
    git_init,
    run_cli,
    scan,
    site_at,
    write_repo,
)

from redis_migrate.scan.report import Inventory

ASYNC = "redis-asyncio"

GOOD = """
    from redis.asyncio import Redis

    client = Redis.from_url("redis://localhost")


    async def f(k):
        return await client.get(k)
"""
GOOD_SITE = S("app/good.py", 3, "instantiation", "redis.asyncio.Redis.from_url", "read-cache",
              "module", ASYNC)

BROKEN = """
    import redis.asyncio as aioredis

    def broken(:
        return aioredis.from_url("x")
"""


def test_syntax_error_is_skipped_with_line_and_rest_is_scanned(tmp_path: Path) -> None:
    write_repo(tmp_path, {"app/good.py": GOOD, "app/bad.py": BROKEN})
    inv = scan(tmp_path)
    assert_sites(inv, [GOOD_SITE])
    assert [(s.file, s.line) for s in inv.skipped] == [("app/bad.py", 3)]
    assert inv.skipped[0].reason


def test_a_python_2_file_is_said_to_be_python_2(tmp_path: Path) -> None:
    """yueyoum/sanguo-server (a public Python 2 game server in the corpus) gave only "invalid
    syntax" for its files: the reason now says which Python 2 statement it met. A plain
    syntax error, and a Python 3 `print(...)` beside one, are not called Python 2."""
    write_repo(tmp_path, {
        "app/good.py": GOOD,
        "app/py2.py": 'import redis\n\nr = redis.Redis()\nprint "connected", r\n',
        "app/py2_except.py": ("import redis\n\ntry:\n    redis.Redis().ping()\n"
                              "except redis.ConnectionError, e:\n    pass\n"),
        "app/bad.py": BROKEN,
    })
    reasons = {s.file: s.reason for s in scan(tmp_path).skipped}
    assert "Python 2: a print statement" in reasons["app/py2.py"], reasons
    assert "Python 2: `except E, e:`" in reasons["app/py2_except.py"], reasons
    assert "Python 2" not in reasons["app/bad.py"], reasons


def test_a_file_nested_too_deep_to_analyse_is_skipped_not_a_crash(tmp_path: Path) -> None:
    # `ast` parses a sum of 600 terms; the analysis, a frame per level, ran out of stack: the
    # whole inventory ended in "internal error: RecursionError" (found on a site-packages)
    write_repo(tmp_path, {
        "app/good.py": GOOD,
        "app/generated.py": "import redis\n\nx = " + " + ".join(["a"] * 600)
                            + "\nr = redis.Redis()\n",
    })
    code, data, stderr = cli_json(tmp_path)
    assert code == 1
    assert [s["file"] for s in data["sites"]] == ["app/good.py"]
    assert [s["file"] for s in data["skipped"]] == ["app/generated.py"]
    assert "nests deeper than the analysis can follow" in data["skipped"][0]["reason"]
    assert "Traceback" not in stderr and "internal error" not in stderr


def test_cli_syntax_error_exit_1_one_line_on_stderr_no_traceback(tmp_path: Path) -> None:
    write_repo(tmp_path, {"app/good.py": GOOD, "app/bad.py": BROKEN})
    code, data, stderr = cli_json(tmp_path)
    assert code == 1
    assert [(s["file"], s["line"], s["kind"], s["purpose"], s["batch"]) for s in data["sites"]] \
        == [("app/good.py", 3, "instantiation", "read-cache", "read-caches")]
    assert data["skipped"][0]["file"] == "app/bad.py"
    assert data["skipped"][0]["line"] == 3
    assert "Traceback" not in stderr
    lines = [line for line in stderr.splitlines() if line.strip()]
    assert len(lines) == 1, stderr
    assert "app/bad.py:3: " in lines[0]


def test_cli_syntax_error_in_git_repository(tmp_path: Path) -> None:
    write_repo(tmp_path, {"app/good.py": GOOD, "app/bad.py": BROKEN})
    git_init(tmp_path)
    code, data, stderr = cli_json(tmp_path)
    assert code == 1
    assert len(data["sites"]) == 1
    assert "app/bad.py:3: " in stderr
    assert "Traceback" not in stderr


def test_invalid_utf8_without_cookie_is_skipped(tmp_path: Path) -> None:
    write_repo(tmp_path, {
        "app/good.py": GOOD,
        "app/binary.py": b"import redis\nNAME = '\xff\xfe caf\xe9'\nc = redis.Redis()\n",
    })
    inv = scan(tmp_path)
    assert_sites(inv, [GOOD_SITE])
    assert [s.file for s in inv.skipped] == ["app/binary.py"]
    code, data, stderr = cli_json(tmp_path)
    assert code == 1
    assert "app/binary.py" in stderr and "Traceback" not in stderr
    assert len(data["sites"]) == 1


def _one_module_client(root: Path, path: str, source: bytes, line: int, pattern: str,
                       purpose: str) -> Inventory:
    """`source` written as `path` and scanned: its one site, a module-level client at `line`."""
    write_repo(root, {path: source})
    inv = scan(root)
    assert_sites(inv, [S(path, line, "instantiation", pattern, purpose, "module", ASYNC)])
    return inv


def test_latin1_file_with_coding_cookie_is_scanned(tmp_path: Path) -> None:
    source = ("# -*- coding: latin-1 -*-\n"
              "from redis.asyncio import Redis\n"
              "\n"
              "s = '\xe9t\xe9'; client = Redis.from_url('redis://localhost')\n"
              "\n"
              "\n"
              "async def f(k):\n"
              "    await client.set(k, s)\n").encode("latin-1")
    inv = _one_module_client(tmp_path, "app/latin.py", source, 4, "redis.asyncio.Redis.from_url",
                             "write-cache")
    assert inv.sites[0].col == 21  # characters, not bytes (UTF-8 or latin-1)
    assert not inv.skipped


def test_utf8_bom_file_line_and_col(tmp_path: Path) -> None:
    source = "\ufefffrom redis.asyncio import Redis\nclient = Redis.from_url('x')\n" \
             "\n\nasync def f():\n    await client.lock('x')\n"
    inv = _one_module_client(tmp_path, "app/bom.py", source.encode("utf-8"), 2,
                             "redis.asyncio.Redis.from_url", "lock-rate-limit")
    assert inv.sites[0].col == 10


def test_bom_on_the_line_of_the_site(tmp_path: Path) -> None:
    source = "\ufeffimport redis.asyncio as r; c = r.from_url('x')\nasync def f():\n" \
             "    await c.get('k')\n"
    inv = _one_module_client(tmp_path, "app/bom1.py", source.encode("utf-8"), 1,
                             "redis.asyncio.from_url", "read-cache")
    assert inv.sites[0].col == 32  # the BOM is not a column


def test_crlf_line_endings_line_and_col(tmp_path: Path) -> None:
    source = ("import redis.asyncio as aioredis\r\n"
              "\r\n"
              "\r\n"
              "async def f(key):\r\n"
              "    r = aioredis.from_url('redis://localhost')\r\n"
              "    await r.incr(key)\r\n"
              "    await r.aclose()\r\n")
    write_repo(tmp_path, {"app/crlf.py": source.encode()})
    inv = scan(tmp_path)
    assert_sites(inv, [
        S("app/crlf.py", 5, "instantiation", "redis.asyncio.from_url", "write-cache", "function",
          ASYNC),
        S("app/crlf.py", 7, "close", ".aclose()", "write-cache", "function", ASYNC),
    ])
    assert site_at(inv, "app/crlf.py", 5).col == 9
    assert site_at(inv, "app/crlf.py", 7).col == 11


def test_non_ascii_identifier_and_string_before_call_col_in_characters(tmp_path: Path) -> None:
    write_repo(tmp_path, {"app/uni.py": """
        from redis.asyncio import Redis

        ключ = Redis.from_url("redis://localhost/0")
        s = "ü€😀"; клиент = Redis.from_url("redis://localhost:6379/0")


        async def f():
            await ключ.get("a")
            await клиент.set("b", s)
    """})
    inv = scan(tmp_path)
    assert_sites(inv, [
        async_client("app/uni.py", 3, "redis.asyncio.Redis.from_url", "read-cache"),
        async_client("app/uni.py", 4, "redis.asyncio.Redis.from_url", "write-cache"),
    ])
    assert site_at(inv, "app/uni.py", 3).col == 8
    assert site_at(inv, "app/uni.py", 4).col == len('s = "ü€😀"; клиент = ') + 1 == 21


def test_symlink_loop_in_plain_directory_terminates(tmp_path: Path) -> None:
    write_repo(tmp_path, {"app/good.py": GOOD, "app/sub/x.py": "x = 1\n"})
    os.symlink("..", tmp_path / "app" / "sub" / "loop")
    os.symlink("../..", tmp_path / "app" / "sub" / "loop2")
    inv = scan(tmp_path)
    assert_sites(inv, [GOOD_SITE])
    assert inv.files_total == 2


def test_symlinked_file_is_not_scanned_twice(tmp_path: Path) -> None:
    write_repo(tmp_path, {"app/good.py": GOOD})
    os.symlink("good.py", tmp_path / "app" / "alias.py")
    inv = scan(tmp_path)
    assert_sites(inv, [GOOD_SITE])


VENDORED = {
    ".venv/lib/python3.11/site-packages/redis_user.py": GOOD,
    "node_modules/pkg/tool.py": GOOD,
    "lib/site-packages/thing.py": GOOD,
    "deep/.venv/x.py": GOOD,
}


def test_vendored_folders_are_never_scanned_plain(tmp_path: Path) -> None:
    write_repo(tmp_path, {"app/good.py": GOOD, **VENDORED})
    inv = scan(tmp_path)
    assert_sites(inv, [GOOD_SITE])
    assert inv.files_total == 1


def test_vendored_folders_are_never_scanned_git(tmp_path: Path) -> None:
    write_repo(tmp_path, {"app/good.py": GOOD, **VENDORED})
    git_init(tmp_path)  # tracked, not ignored: still never scanned
    inv = scan(tmp_path)
    assert_sites(inv, [GOOD_SITE])
    assert inv.files_total == 1


def _ignored_repo(root: Path) -> None:
    write_repo(root, {
        "app/good.py": GOOD,
        ".gitignore": "generated/\n*.gen.py\n",
        "generated/client.py": GOOD,
        "app/models.gen.py": GOOD,
        "app/nested/.gitignore": "scratch.py\n",
        "app/nested/scratch.py": GOOD,
    })


def test_gitignored_folder_skipped_plain_directory(tmp_path: Path) -> None:
    _ignored_repo(tmp_path)
    inv = scan(tmp_path)
    assert_sites(inv, [GOOD_SITE])
    assert inv.files_total == 1


def test_gitignored_folder_skipped_git_repository(tmp_path: Path) -> None:
    _ignored_repo(tmp_path)
    git_init(tmp_path)
    inv = scan(tmp_path)
    assert_sites(inv, [GOOD_SITE])
    assert inv.files_total == 1


def test_untracked_not_ignored_file_is_scanned_in_git(tmp_path: Path) -> None:
    write_repo(tmp_path, {"app/good.py": GOOD})
    git_init(tmp_path)
    write_repo(tmp_path, {"app/new.py": """
        import redis.asyncio as aioredis

        fresh = aioredis.from_url("redis://localhost")


        async def f():
            await fresh.xadd("s", {"a": 1})
    """})
    assert_sites(scan(tmp_path), [
        GOOD_SITE,
        S("app/new.py", 3, "instantiation", "redis.asyncio.from_url", "pubsub-stream-queue",
          "module", ASYNC),
    ])


def test_untracked_importer_without_redis_word_in_git(tmp_path: Path) -> None:
    write_repo(tmp_path, {"app/__init__.py": "", "app/good.py": GOOD})
    git_init(tmp_path)
    write_repo(tmp_path, {"app/use.py": "from app.good import client\n\n\n"
                                        "async def g():\n    await client.pubsub()\n"})
    assert_sites(scan(tmp_path), [GOOD_SITE._replace(purpose="pubsub-stream-queue")])


def test_empty_git_repository_exit_2_says_so(tmp_path: Path) -> None:
    """Issue 10: an empty run exited 0 with zero sites, so `check` called phase 2 done."""
    git_init(tmp_path, commit=False)
    result = run_cli("inventory", "-C", str(tmp_path), "--format", "json")
    assert result.exit_code == 2, result.stderr
    assert result.stdout == "" and "no Python file to analyse" in result.stderr
    assert "Traceback" not in result.stderr


def test_empty_plain_directory_exit_2_says_so(tmp_path: Path) -> None:
    result = run_cli("inventory", "-C", str(tmp_path), "--format", "json")
    assert result.exit_code == 2, result.stderr
    assert "no Python file to analyse" in result.stderr


def test_inventory_path_that_does_not_exist_exit_2(tmp_path: Path) -> None:
    write_repo(tmp_path, {"app/good.py": GOOD})
    result = run_cli("inventory", "-C", str(tmp_path), "no/such/dir")
    assert result.exit_code == 2
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    assert "no/such/dir" in lines[0]
    assert "Traceback" not in result.stderr
    assert result.stdout == ""


def test_repo_option_that_does_not_exist_exit_2(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere"
    result = run_cli("inventory", "-C", str(missing), "--format", "json")
    assert result.exit_code == 2
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and "nowhere" in lines[0], result.stderr


def test_cli_json_keys_and_exit_0_on_clean_repo(tmp_path: Path) -> None:
    write_repo(tmp_path, {"app/good.py": GOOD})
    code, data, stderr = cli_json(tmp_path)
    assert code == 0, stderr
    (site,) = data["sites"]
    for key in ("file", "line", "col", "kind", "pattern", "library", "sync", "scope", "purpose",
                "batch", "status", "reason", "reason_code", "rewrite", "operations", "holders",
                "notes", "flags"):
        assert key in site, key
    assert (site["file"], site["line"], site["col"], site["kind"], site["pattern"],
            site["library"], site["sync"], site["scope"], site["purpose"], site["batch"],
            site["status"], site["reason"]) == (
        "app/good.py", 3, 10, "instantiation", "redis.asyncio.Redis.from_url", "redis-asyncio",
        False, "module", "read-cache", "read-caches", "pending", None)


def test_cli_paths_filter_reports_only_selected_but_analyses_all(tmp_path: Path) -> None:
    write_repo(tmp_path, {
        "app/__init__.py": "",
        "app/good.py": GOOD,
        "app/other.py": "from app.good import client\n\n\nasync def w():\n"
                        "    await client.set('k', 1)\n",
        "svc/extra.py": GOOD,
    })
    code, data, _ = cli_json(tmp_path, "app/good.py")
    assert code == 0
    assert [(s["file"], s["purpose"]) for s in data["sites"]] == [("app/good.py", "write-cache")]


def test_secret_in_url_never_in_output(tmp_path: Path) -> None:
    write_repo(tmp_path, {"app/good.py": GOOD.replace("redis://localhost",
                                                      "redis://:hunter2@localhost")})
    result = run_cli("inventory", "-C", str(tmp_path), "--format", "json")
    assert result.exit_code == 0
    assert "hunter2" not in result.stdout
    assert '"app/good.py"' in result.stdout


def test_encodings_and_line_endings_in_a_git_repository(tmp_path: Path) -> None:
    write_repo(tmp_path, {
        "app/latin.py": ("# -*- coding: latin-1 -*-\nimport redis.asyncio as r\n"
                         "x = '\xe9'; c = r.from_url('x')\n").encode("latin-1"),
        "app/bom.py": "\ufeffimport redis.asyncio as r\nc = r.Redis()\n".encode("utf-8"),
        "app/crlf.py": b"import redis.asyncio as r\r\n\r\nc = r.Redis()\r\n",
    })
    git_init(tmp_path)
    inv = scan(tmp_path)
    got = sorted((s.file, s.line, s.col, s.kind, s.pattern) for s in inv.sites)
    assert got == [
        ("app/bom.py", 2, 5, "instantiation", "redis.asyncio.Redis"),
        ("app/crlf.py", 3, 5, "instantiation", "redis.asyncio.Redis"),
        ("app/latin.py", 3, 14, "instantiation", "redis.asyncio.from_url"),
    ]
    assert not inv.skipped


def test_environment_folder_recognised_by_pyvenv_cfg_plain(tmp_path: Path) -> None:
    write_repo(tmp_path, {"app/good.py": GOOD, "env/pyvenv.cfg": "home = /usr\n",
                          "env/lib/python3.11/x.py": GOOD})
    inv = scan(tmp_path)
    assert_sites(inv, [GOOD_SITE])

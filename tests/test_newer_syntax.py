"""Files written for a newer Python than the one running the tool are analysed and rewritten.

Found on forms-backend (python-discord): `f"{self.payload["username"]}"` (PEP 701) made the
file "does not parse: invalid syntax" under Python 3.11, and its sites were missed. PEP 695
(`type X = int`, `def f[T](x: T)`) does the same. LibCST reads both; the analysis lowers them to
same-sized older text, so every line number and column stays the real file's.
"""

from __future__ import annotations

import ast
import json
import sys
from pathlib import Path

import libcst as cst
import pytest
from cli_helpers import git, git_repo, migrate

from redis_migrate.analysis.newer_syntax import lower_newer_syntax, parse_source

NEWER = '''type Key = str
d = {"a": 1}


def first[T](items: list[T]) -> T:
    return items[0]


class Box[T: int = int]:
    type Inner[U] = list[U]

    def label[
        U,  # the label's type: é
        V,
    ](self, x: U) -> str:
        return f"{d["a"]} {x!r:>{10}} {"é"}"


joined = f"{"\\n".join(["a", "b"])}" + f"{'a' + "b"}"
after = 1
'''


@pytest.mark.skipif(sys.version_info >= (3, 12), reason="the running Python reads it itself")
def test_the_running_python_cannot_read_it_alone() -> None:
    with pytest.raises(SyntaxError):
        ast.parse(NEWER)


def test_lowering_keeps_every_line_and_every_byte_column() -> None:
    lowered = lower_newer_syntax(NEWER)
    assert lowered is not None
    before, after = NEWER.splitlines(), lowered.splitlines()
    assert len(before) == len(after)
    assert [len(line.encode()) for line in before] == [len(line.encode()) for line in after]
    tree = ast.parse(lowered)
    names = {n.name: n.lineno for n in ast.walk(tree)
             if isinstance(n, (ast.FunctionDef, ast.ClassDef))}
    assert names == {"first": 5, "Box": 9, "label": 12}
    assigned = {t.id: t.col_offset for n in ast.walk(tree) if isinstance(n, ast.Assign)
                for t in n.targets if isinstance(t, ast.Name)}
    # `type Key = str` reads as an assignment of Key; `after` is where it always was
    assert assigned["Key"] == 0 and assigned["Inner"] == 4 and assigned["after"] == 0
    # the commonest PEP 701 form keeps its meaning: the inner quotes are swapped
    assert "f\"{d['a']} " in lowered


def test_a_real_syntax_error_still_raises_the_interpreters_error() -> None:
    with pytest.raises(SyntaxError) as raised:
        parse_source("x = 1\ndef f(:\n    pass\n", "broken.py")
    assert raised.value.lineno == 2
    assert lower_newer_syntax("def f(:\n") is None


APP = {
    "app/__init__.py": "",
    "app/cache.py": 'import redis.asyncio as redis\n\nclient = redis.from_url('
                    '"redis://localhost:6379/0")\n',
    "app/users.py": '''from app import cache

type UserId = int


async def name_of[T](user: dict[str, T]) -> T:
    cached = await cache.client.get(f"user:{user["id"]}")
    return cached or user["name"]
''',
}


def test_inventory_and_apply_reach_sites_in_a_file_with_newer_syntax(tmp_path: Path) -> None:
    repo = git_repo(tmp_path / "app", APP)
    run = migrate("inventory", "-C", repo, "--format", "json")
    assert run.exit_code == 0, run.stdout + run.stderr
    report = json.loads(run.stdout)
    assert "does not parse" not in run.stdout + run.stderr
    used = [s for s in report["sites"] if s["kind"] == "instantiation"]
    assert [(s["file"], s["purpose"]) for s in used] == [("app/cache.py", "read-cache")], used
    assert migrate("init", "-C", repo).exit_code == 0
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "init")
    applied = migrate("apply", "-C", repo, "--batch", "read-caches", "--no-git")
    assert applied.exit_code == 0, applied.stdout + applied.stderr
    users = (repo / "app/users.py").read_text()
    # rewritten, and the newer syntax is still there as the team wrote it
    assert 'await get_redis().get(f"user:{user["id"]}")' in users, users
    assert "type UserId = int" in users and "def name_of[T]" in users
    cst.parse_module(users)
    assert "client = " not in (repo / "app/cache.py").read_text()


# QuickDraw (Hyun-hyo-min/QuickDraw, a public FastAPI app, run on python:3.12): a line break
# inside a replacement field of a one-quote f-string, a client call after it on its last line
BROKEN_FIELD = '''import logging

logger = logging.getLogger(__name__)


async def leave(client, user_id, session_id):
    logger.info(f"Client {user_id} left session {
                session_id}"); await client.srem("s", user_id)
    return await client.scard("s")
'''


def test_a_line_break_in_a_field_is_joined_and_what_follows_keeps_its_place() -> None:
    lowered = lower_newer_syntax(BROKEN_FIELD)
    assert lowered is not None
    assert len(lowered.splitlines()) == len(BROKEN_FIELD.splitlines())
    tree = ast.parse(lowered)
    calls = {n.func.attr: (n.lineno, n.col_offset) for n in ast.walk(tree)
             if isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute)}
    original = BROKEN_FIELD.splitlines()
    # the call after the string is on its own line and column, as in the file
    assert calls["srem"][0] == 8 and original[7][calls["srem"][1]:].startswith("client.srem")
    assert calls["scard"][0] == 9
    joined = next(n for n in ast.walk(tree) if isinstance(n, ast.JoinedStr))
    assert ast.unparse(joined) == "f'Client {user_id} left session {session_id}'"


def test_a_string_continued_by_a_backslash_is_left_as_it_is() -> None:
    """The look-alike: a one-quote f-string spread over lines by a backslash inside its text
    (valid in every Python) is not joined; the file's other newer syntax is still lowered."""
    source = 'type K = str\nx = 1\nmessage = f"a {x} \\\nb {x}"\nafter = 2\n'
    lowered = lower_newer_syntax(source)
    assert lowered is not None
    assert lowered.splitlines()[2:] == source.splitlines()[2:]
    assert ast.parse(lowered)

"""Before/after fixtures for `ConvertAioredisCalls`, run on the codemod directly.

Each case is `tests/fixtures/aioredis_rules/<RULE>[-<variant>]/` with `before.py`, a hand-written
`after.py` (byte for byte) and, when the codemod must flag sites, `case.toml`:

    flags = ["S1"]            # rule ids in `flagged`, in order (default: none)
    library = "aioredis1"     # default
    decode_responses = false  # the migrated client's decoding (default false)

Receivers are every local assigned `get_redis()` in a def (a tiny stand-in for the analysis).
`after.py` is a reviewed snapshot (tests/snapshots.py): `make fixtures` regenerates it.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import libcst as cst
import pytest
from libcst.codemod import CodemodContext
from snapshots import assert_file

from redis_migrate.codemods import _aioredis_rules as rules
from redis_migrate.codemods._common import FunctionPaths
from redis_migrate.codemods.convert_aioredis_calls import ConvertAioredisCalls

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "aioredis_rules"
DOCS = Path(__file__).resolve().parent.parent / "docs" / "aioredis-rules.md"
ACCESSORS = {"backend.services.redis_client.get_redis"}
CASES = sorted(p.parent for p in FIXTURES.glob("*/before.py"))


class _Receivers(cst.CSTVisitor):
    """{function path: {names assigned `get_redis()`}}: what the analysis hands the codemod."""

    def __init__(self) -> None:
        self.paths = FunctionPaths()
        self.found: dict[str | None, set[str]] = {}

    def visit_ClassDef(self, node: cst.ClassDef) -> None:
        self.paths.enter("class", node.name.value)

    def leave_ClassDef(self, node: cst.ClassDef) -> None:
        self.paths.leave()

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        self.paths.enter("function", node.name.value)
        self.found.setdefault(self.paths.current, set())

    def leave_FunctionDef(self, node: cst.FunctionDef) -> None:
        self.paths.leave()

    def visit_Assign(self, node: cst.Assign) -> None:
        value = node.value
        if isinstance(value, cst.Call) and isinstance(value.func, cst.Name) \
                and value.func.value == "get_redis":
            for target in node.targets:
                if isinstance(target.target, cst.Name):
                    self.found.setdefault(self.paths.current, set()).add(target.target.value)


def run(source: str, config: dict) -> tuple[str, list[tuple[int, str, str]]]:
    module = cst.parse_module(source)
    finder = _Receivers()
    module.visit(finder)
    context = CodemodContext(full_module_name="app.mod", full_package_name="app")
    command = ConvertAioredisCalls(context, finder.found, ACCESSORS,
                                   config.get("library", "aioredis1"),
                                   decode_responses=config.get("decode_responses", False))
    return command.transform_module(module).code, command.flagged


def _config(case: Path) -> dict:
    path = case / "case.toml"
    config = tomllib.loads(path.read_text("utf-8")) if path.exists() else {}
    unknown = set(config) - {"flags", "library", "decode_responses"}
    assert not unknown, f"{path}: unknown keys {sorted(unknown)}"
    return config


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_fixture(case: Path) -> None:
    config = _config(case)
    before = (case / "before.py").read_text("utf-8")
    expected = (case / "after.py").read_text("utf-8")
    output, flagged = run(before, config)
    assert_file(expected.encode(), output.encode(), case / "after.py", "ConvertAioredisCalls")
    compile(output, str(case / "after.py"), "exec")
    assert [rule for _, rule, _ in flagged] == config.get("flags", [])
    for line, _, _ in flagged:  # flagged lines are untouched, and carry the TODO marker
        assert "TODO(redis-migration)" in "\n".join(output.splitlines()[line - 1:line + 6])
    again, flagged_again = run(output, config)
    assert again == output, "a second run changed the output"
    assert [r for _, r, _ in flagged_again] == [r for _, r, _ in flagged]


def test_every_case_has_a_known_rule() -> None:
    for case in CASES:
        assert case.name.split("-")[0] in rules.BY_ID or case.name.startswith("ERR"), case.name


def test_every_rewriting_rule_has_fixtures() -> None:
    names = {c.name for c in CASES}
    for rule in rules.RULES:
        if rule.cls in "AB" and not rule.scope.startswith("not-here"):
            fixture = rule.fixture or rule.id
            assert any(n == fixture or n.startswith(f"{fixture}-") for n in names), rule.id
        if rule.cls == "B" and not rule.scope.startswith("not-here"):
            assert any(n.startswith(f"{rule.id}-guard") for n in names) or \
                rule.fixture, f"{rule.id}: no guard-failed case"


def test_docs_list_every_rule() -> None:
    text = DOCS.read_text("utf-8")
    rows = dict(re.findall(r"^\| (\S+) \| ([ABC]) \|", text, re.M))
    for rule in rules.RULES:
        assert rows.get(rule.id) == rule.cls, f"{rule.id} missing or wrong class in {DOCS.name}"
    assert set(rows) == set(rules.BY_ID)


def test_docs_are_current() -> None:
    assert DOCS.read_text("utf-8") == render_docs()


def regenerate(case: Path) -> bool:
    """Write `case/after.py` from what the codemod writes now (`make fixtures`, never a test);
    whether it changed. Compared as text, as the test reads it."""
    output, _ = run((case / "before.py").read_text("utf-8"), _config(case))
    after = case / "after.py"
    if after.is_file() and after.read_text("utf-8") == output:
        return False
    after.write_text(output, "utf-8")
    return True


def render_docs() -> str:
    """The Markdown table, derived from the rule table.

    Regenerate: python -m tests.test_aioredis_rules."""
    names = sorted(c.name for c in CASES)
    lines = [
        "# aioredis → redis.asyncio: codemod rules",
        "",
        "Generated from `codemods/_aioredis_rules.py` by `python -m tests.test_aioredis_rules`;",
        "a test keeps the two in step. Rule ids are those of `redis-migration-facts.md` §1, plus",
        "`U1`/`U2` (the un-awaited split of C13) and `ERR`/`ERR-C` (the §1.12 error table).",
        "Flagged sites stay byte-identical, get `# TODO(redis-migration): <id> <reason>` on their",
        "line and a `(line, id, reason)` entry in `ConvertAioredisCalls.flagged`.",
        "",
        "| rule | class | library | matches | what the codemod does | fixtures |",
        "|---|---|---|---|---|---|",
    ]
    for rule in rules.RULES:
        if rule.scope.startswith("not-here"):
            action = f"nothing here ({rule.scope.removeprefix('not-here: ')})"
        elif rule.cls == "C":
            action = f"flags: {rule.description}"
        elif rule.guard:
            action = f"rewrites under guard \"{rule.guard}\", else flags: {rule.description}"
        else:
            action = f"rewrites: {rule.description}"
        fixture = rule.fixture or rule.id
        cases = [n for n in names if n == fixture or n.startswith(f"{fixture}-")]
        matches = ", ".join(f"`{m}`" for m in rule.methods) or "—"
        shown = ", ".join(f"`{c}`" for c in cases) or "—"
        lines.append(f"| {rule.id} | {rule.cls} | {rule.library} | {matches} | "
                     f"{action.replace('|', '/')} | {shown} |")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    DOCS.parent.mkdir(exist_ok=True)
    DOCS.write_text(render_docs(), "utf-8")

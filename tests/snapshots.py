"""The codemod fixtures' `after` files as reviewed snapshots (the way ruff and LibCST keep theirs).

A fixture test compares what a codemod writes with the `after` files byte for byte. When they
differ it fails with one unified diff per file, headed by the fixture's path (expected) and
marked actual, so the change can be read like a review. When the change is intended, one
command regenerates every `after` file from what the codemods write now:

    make fixtures            # = python -m tests.update_fixtures

and `git diff tests/fixtures` shows what changed, for review. The tests never run it.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
UPDATE_COMMAND = "make fixtures"


def shown(path: Path) -> str:
    """`path` relative to the repository, as a reviewer would look it up."""
    try:
        return path.relative_to(ROOT).as_posix()
    except ValueError:
        return path.as_posix()


def _lines(data: bytes | None) -> list[str]:
    """Lines for a diff, with `\\r` made visible so CRLF mistakes show."""
    if data is None:
        return []
    return data.decode("utf-8", "replace").replace("\r", "\\r").splitlines(keepends=True)


def file_diff(expected: bytes | None, actual: bytes | None, fixture: Path) -> str:
    """A unified diff from the fixture file (None: missing) to the output (None: not written)."""
    before = f"{shown(fixture)} (expected)" if expected is not None else "/dev/null"
    after = f"{shown(fixture)} (actual)" if actual is not None else "/dev/null"
    lines = list(difflib.unified_diff(_lines(expected), _lines(actual), before, after))
    if expected is not None and actual is not None and not lines:  # same text, other bytes
        lines = [f"--- {before}\n", f"+++ {after}\n", "differ in bytes (line endings, encoding)\n"]
    return "".join(line if line.endswith("\n") else line + "\n\\ No newline at end of file\n"
                   for line in lines)


def tree_diff(expected: Mapping[str, bytes], actual: Mapping[str, bytes], root: Path) -> str:
    """The diffs of every file that differs between two trees (`root`: the fixture folder)."""
    return "".join(file_diff(expected.get(name), actual.get(name), root / name)
                   for name in sorted(set(expected) | set(actual))
                   if expected.get(name) != actual.get(name))


def fail_with(diff: str, what: str, context: str = "") -> None:
    """Fail the test with the diff, how to accept the change if it is intended, and `context`
    (what the command printed)."""
    if diff:
        pytest.fail(f"{what} differs from its snapshot:\n{diff}\nIf the change is intended, "
                    f"regenerate the fixtures with `{UPDATE_COMMAND}` and review "
                    f"`git diff tests/fixtures`." + (f"\n\n{context}" if context else ""),
                    pytrace=False)


def assert_tree(expected: Mapping[str, bytes], actual: Mapping[str, bytes], root: Path,
                what: str, context: str = "") -> None:
    fail_with(tree_diff(expected, actual, root), what, context)


def assert_file(expected: bytes | None, actual: bytes, fixture: Path, what: str) -> None:
    if expected != actual:
        fail_with(file_diff(expected, actual, fixture), what)

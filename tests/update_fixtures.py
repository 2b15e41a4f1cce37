"""Regenerate the codemod fixtures' `after` files from what the codemods write now.

    make fixtures                                  # every fixture
    python -m tests.update_fixtures [TEXT ...]     # only the cases whose path contains a TEXT

It rewrites, for each case, the snapshot its test compares with (tests/snapshots.py):

- `tests/fixtures/codemods/<codemod>/<case>/after/` (tests/test_codemod_fixtures.py),
- `tests/fixtures/aioredis_rules/<rule>/after.py` (tests/test_aioredis_rules.py),
- `tests/fixtures/lifecycle_modules/<shape>/after/` (tests/test_lifecycle_reader.py),

and lists those that changed. Review them with `git diff tests/fixtures` before committing: a
changed snapshot is a changed rewrite. The tests never run this (its name is not `test_*`).
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterable
from pathlib import Path

HERE = Path(__file__).resolve().parent
# the test modules import their helpers as top-level modules, as under pytest (conftest.py)
for folder in (HERE, HERE.parent):
    if str(folder) not in sys.path:
        sys.path.insert(0, str(folder))


def _run(cases: Iterable[Path], regenerate: Callable[[Path], bool],
         wanted: list[str]) -> tuple[list[Path], int]:
    changed, seen = [], 0
    for case in cases:
        if wanted and not any(text in case.as_posix() for text in wanted):
            continue
        seen += 1
        if regenerate(case):
            changed.append(case)
    return changed, seen


def main(argv: list[str]) -> int:
    import test_aioredis_rules
    import test_codemod_fixtures
    import test_lifecycle_reader

    lifecycle = test_lifecycle_reader.FIXTURES
    suites: list[tuple[Iterable[Path], Callable[[Path], bool]]] = [
        (test_codemod_fixtures.CASES, test_codemod_fixtures.regenerate),
        (test_aioredis_rules.CASES, test_aioredis_rules.regenerate),
        ([lifecycle / shape for shape in test_lifecycle_reader.SHAPES],
         lambda case: test_lifecycle_reader.regenerate(case.name)),
    ]
    changed: list[Path] = []
    seen = 0
    for cases, regenerate in suites:
        found, count = _run(cases, regenerate, argv)
        changed += found
        seen += count
    for case in changed:
        print(f"regenerated {case.relative_to(HERE.parent).as_posix()}")
    print(f"{len(changed)} of {seen} fixture case(s) changed"
          + ("; review them with `git diff tests/fixtures`" if changed else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

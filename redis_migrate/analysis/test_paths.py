"""Which files of a repository are test code (SPEC §3), by their path alone."""

from __future__ import annotations

TEST_DIRS = frozenset({"tests", "test"})


def is_test_path(path: str) -> bool:
    """Whether a repo-relative, `/`-separated path is test code (SPEC §3).

    Test code is what pytest collects by default and where it lives: a file under a `tests/` or
    `test/` folder (at any depth), `test_*.py`, `*_test.py` and `conftest.py`; and a Django
    app's `tests.py`, which `manage.py startapp` creates and Django's runner collects. Only whole
    names count: `contest.py`, `latest.py`, `attestation/x.py`, `testing/x.py`, `test.py` and
    `testing_utils.py` are application code (pytest collects none of them).
    """
    *folders, name = path.split("/")
    if TEST_DIRS.intersection(folders):
        return True
    return (name in ("conftest.py", "tests.py")
            or (name.startswith("test_") and name.endswith(".py"))
            or name.endswith("_test.py"))

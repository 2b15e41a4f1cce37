"""The folders never analysed, wherever they are in the target: environments and vendored
dependencies. The walk leaves them out, and so do git's searches of a folder outside git.

Imported before anything else by a run that searches such a folder (`early_search`): it
imports nothing.
"""

from __future__ import annotations

EXCLUDED_DIRS = frozenset({".venv", "site-packages", "node_modules", ".git", "__pycache__",
                           ".tox", ".nox", ".mypy_cache", ".pytest_cache"})


def environment_excludes() -> list[str]:
    """The exclude pathspecs of `EXCLUDED_DIRS`, wherever they are."""
    return [f":(exclude,glob)**/{name}/**" for name in sorted(EXCLUDED_DIRS)]

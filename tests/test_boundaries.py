"""Import boundaries kept on purpose (STYLE.md, convention 8), held by a test."""

from __future__ import annotations

import ast
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            found.add(node.module)
    return found


def _sources(folder: str) -> list[Path]:
    return sorted((REPO / folder).rglob("*.py"))


def test_only_the_git_module_talks_to_git() -> None:
    for path in _sources("redis_migrate"):
        if path.name == "gitrepo.py":
            continue
        imports = _imports(path)
        assert not {i for i in imports if i == "git" or i.startswith("git.")}, path
        if path.name != "team_tests.py":  # runs the team's test command, not git
            assert "subprocess" not in imports, path


# The one engine module the codemods read: the Redis API table, pure data that the analysis
# reads too, so that both recognise exactly the same names.
SHARED_WITH_CODEMODS = {"redis_migrate.redis_api"}


def test_codemods_never_import_the_engine() -> None:
    for path in _sources("codemods"):
        engine = {i for i in _imports(path) if i.startswith("redis_migrate")}
        assert not engine - SHARED_WITH_CODEMODS, path


def test_the_shared_redis_api_table_imports_nothing_of_the_engine() -> None:
    table = REPO / "redis_migrate" / "redis_api.py"
    assert not {i for i in _imports(table) if i.startswith("redis_migrate")}


def test_the_template_imports_only_redis_and_the_standard_library() -> None:
    import sys
    template = REPO / "redis_migrate" / "templates" / "redis_client.py"
    for name in _imports(template):
        top = name.split(".")[0]
        assert top == "redis" or top in sys.stdlib_module_names, name


def test_only_the_cli_prints() -> None:
    for path in _sources("redis_migrate"):
        if path.name in ("cli.py", "redis_client.py"):
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call):
                func = node.func
                assert not (isinstance(func, ast.Name) and func.id == "print"), path
                assert not (isinstance(func, ast.Attribute) and func.attr == "write"
                            and isinstance(func.value, ast.Attribute)
                            and func.value.attr in ("stdout", "stderr")), path

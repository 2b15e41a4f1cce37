"""The engine's layers (README "Architecture"): imports only point down.

foundations (the root modules) < analysis < scan < rewrite < workflow < the front
(__main__, cli, progress, render). A module imports from its own layer and the layers below
it, never from one above. Codemods and the template are held by test_boundaries.py.
Written by the relayout script (issue 11 item 5).
"""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "redis_migrate"
LAYERS = {"analysis": 1, "scan": 2, "rewrite": 3, "workflow": 4}
FRONT = {'__main__', 'cli', 'launch', 'progress', 'render'}
TOP = 5


def _module(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _layer(module: str) -> int:
    parts = module.split(".")[1:]
    if not parts:
        return 0
    if parts[0] in FRONT:
        return TOP
    return LAYERS.get(parts[0], 0)  # any other root module, templates, codemods, batches: 0


def _imports(path: Path) -> set[str]:
    module, found = _module(path), set()
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                up = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                base = ".".join(up + ([base] if base else []))
            for alias in node.names:  # `from pkg import module` imports the module
                child = PACKAGE.parent.joinpath(*f"{base}.{alias.name}".split("."))
                sub = child.with_suffix(".py").is_file() or (child / "__init__.py").is_file()
                found.add(f"{base}.{alias.name}" if sub else base)
    return {name for name in found if name.split(".")[0] == "redis_migrate"}


def test_imports_only_point_down() -> None:
    upward = []
    for path in sorted(PACKAGE.rglob("*.py")):
        if "templates" in path.relative_to(PACKAGE).parts:
            continue
        module = _module(path)
        for name in sorted(_imports(path)):
            if _layer(name) > _layer(module):
                upward.append(f"{module} imports {name}")
    assert not upward, "imports pointing up a layer:\n" + "\n".join(upward)


def test_the_readme_architecture_names_every_module_of_each_layer() -> None:
    """The package tree in README "Architecture" lists each module under its layer, so a
    module added without a word there fails here."""
    readme = (PACKAGE.parent / "README.md").read_text(encoding="utf-8")
    tree = readme.split("## Architecture", 1)[1].split("```")[1]
    for layer in [*LAYERS, "."]:
        folder = PACKAGE / layer
        for path in sorted(folder.glob("*.py")):
            if path.stem != "__init__":
                assert f" {path.stem} " in f" {' '.join(tree.split())} ", (layer, path.stem)

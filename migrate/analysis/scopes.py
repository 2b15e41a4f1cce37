"""Which names each scope binds, so that a name resolves to what Python would resolve it to.

A pre-pass over one module: for the module, every class and every function it records the names
bound there (assignments, parameters, imports, defs), the names declared `global`/`nonlocal`, and
what imported names stand for. The extractor then resolves a name the way Python does: the
function's own locals, enclosing functions, the module (class bodies are not visible from their
methods), builtins.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field

_SCOPE_NODES = (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef)
_COMPREHENSIONS = (ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp)


@dataclass(slots=True)
class ScopeInfo:
    """Names one scope binds."""

    bound: set[str] = field(default_factory=set)
    imports: dict[str, str] = field(default_factory=dict)  # local name -> qualified name
    globals: set[str] = field(default_factory=set)
    nonlocals: set[str] = field(default_factory=set)


def package_of(module: str, is_package: bool) -> str:
    """The package relative imports in `module` start from."""
    if is_package:
        return module
    return module.rpartition(".")[0]


def resolve_relative(package: str, level: int, name: str | None) -> str:
    """The absolute module named by `from .{level} name import …` inside `package`."""
    parts = package.split(".") if package else []
    if level > 1:
        parts = parts[: len(parts) - (level - 1)] if level - 1 <= len(parts) else []
    if name:
        parts.append(name)
    return ".".join(parts)


def collect_scope(body: list[ast.stmt] | list[ast.expr], package: str,
                  args: ast.arguments | None = None) -> ScopeInfo:
    """Record the names bound directly in one scope (not in the scopes nested inside it)."""
    info = ScopeInfo()
    if args is not None:
        for arg in (*args.posonlyargs, *args.args, *args.kwonlyargs):
            info.bound.add(arg.arg)
        for arg in (args.vararg, args.kwarg):
            if arg is not None:
                info.bound.add(arg.arg)
    stack: list[ast.AST] = list(body)
    while stack:
        node = stack.pop()
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            info.bound.add(node.name)
            # decorators, defaults and bases are evaluated in this scope
            stack.extend(node.decorator_list)
            if isinstance(node, ast.ClassDef):
                stack.extend(node.bases)
            else:
                stack.extend(d for d in (*node.args.defaults, *node.args.kw_defaults) if d)
            continue
        if isinstance(node, ast.Lambda):
            continue
        if isinstance(node, _COMPREHENSIONS):
            # only the first iterable belongs to this scope; walrus targets leak, ignored
            stack.append(node.generators[0].iter)
            continue
        if isinstance(node, ast.Name) and isinstance(node.ctx, (ast.Store, ast.Del)):
            info.bound.add(node.id)
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.asname:
                    info.imports[alias.asname] = alias.name
                else:
                    top = alias.name.split(".")[0]
                    info.imports[top] = top
        elif isinstance(node, ast.ImportFrom):
            base = (resolve_relative(package, node.level, node.module) if node.level
                    else node.module or "")
            for alias in node.names:
                if alias.name == "*":
                    continue
                info.imports[alias.asname or alias.name] = f"{base}.{alias.name}"
        elif isinstance(node, ast.Global):
            info.globals.update(node.names)
        elif isinstance(node, ast.Nonlocal):
            info.nonlocals.update(node.names)
        elif isinstance(node, ast.ExceptHandler) and node.name:
            info.bound.add(node.name)
        elif isinstance(node, (ast.MatchAs, ast.MatchStar)) and node.name:
            info.bound.add(node.name)
        stack.extend(ast.iter_child_nodes(node))
    info.bound.update(info.imports)
    info.bound -= info.globals | info.nonlocals
    return info

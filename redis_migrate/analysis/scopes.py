"""Which names each scope binds, so that a name resolves to what Python would resolve it to.

A pre-pass over one module: for the module, every class and every function it records the names
bound there (assignments, parameters, imports, defs), the names declared `global`/`nonlocal`, and
what imported names stand for. The extractor then resolves a name the way Python does: the
function's own locals, enclosing functions, the module (class bodies are not visible from their
methods), builtins.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass, field

# A dotted name as a string spells it (`"app.cache.client"`): a patch target, a module name.
DOTTED_NAME = re.compile(r"[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)+")


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


def collect_scope(body: list[ast.stmt], package: str,
                  args: ast.arguments | None = None) -> ScopeInfo:
    """Record the names bound directly in one scope (not in the scopes nested inside it).

    Only statements are walked (targets, imports, defs): expressions bind nothing but walrus
    targets, which are rare enough around Redis clients to be left out for speed.
    """
    info = ScopeInfo()
    if args is not None:
        info.bound.update(_parameter_names(args))
    stack: list[ast.stmt] = list(body)
    while stack:
        stack.extend(_bind_statement(stack.pop(), package, info))
    info.bound.update(info.imports)
    info.bound -= info.globals | info.nonlocals
    return info


def _parameter_names(args: ast.arguments) -> list[str]:
    names = [arg.arg for arg in (*args.posonlyargs, *args.args, *args.kwonlyargs)]
    return names + [arg.arg for arg in (args.vararg, args.kwarg) if arg is not None]


def _bind_statement(node: ast.stmt, package: str, info: ScopeInfo) -> list[ast.stmt]:
    """Record what `node` binds in `info`; return the statements nested in it, same scope."""
    if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        info.bound.add(node.name)
        return []  # their bodies are scopes of their own
    if isinstance(node, ast.Match):
        return _bind_match(node, info.bound)
    if isinstance(node, (ast.Import, ast.ImportFrom)):
        bind_import(node, package, info.imports)
    elif isinstance(node, ast.Global):
        info.globals.update(node.names)
    elif isinstance(node, ast.Nonlocal):
        info.nonlocals.update(node.names)
    else:
        for target in _assigned_targets(node):
            _target_names(target, info.bound)
    nested: list[ast.stmt] = []
    for handler in getattr(node, "handlers", ()):
        if handler.name:
            info.bound.add(handler.name)
        nested.extend(handler.body)
    for field_name in ("body", "orelse", "finalbody"):
        nested.extend(getattr(node, field_name, ()))
    return nested


def _assigned_targets(node: ast.stmt) -> list[ast.expr]:
    """The targets a statement assigns (or deletes): `x = …`, `for x in …`, `with … as x`."""
    if isinstance(node, (ast.Assign, ast.Delete)):
        return node.targets
    if isinstance(node, (ast.AnnAssign, ast.AugAssign, ast.For, ast.AsyncFor)):
        return [node.target]
    if isinstance(node, (ast.With, ast.AsyncWith)):
        return [item.optional_vars for item in node.items if item.optional_vars is not None]
    return []


def bind_import(node: ast.Import | ast.ImportFrom, package: str,
                imports: dict[str, str]) -> None:
    """Local name -> qualified name, for each name an import statement binds."""
    if isinstance(node, ast.Import):
        for alias in node.names:
            if alias.asname:
                imports[alias.asname] = alias.name
            else:
                top = alias.name.split(".")[0]
                imports[top] = top
        return
    base = (resolve_relative(package, node.level, node.module) if node.level
            else node.module or "")
    for alias in node.names:
        if alias.name != "*":
            imports[alias.asname or alias.name] = f"{base}.{alias.name}" if base else alias.name


def _bind_match(node: ast.Match, bound: set[str]) -> list[ast.stmt]:
    """The capture names of each case's pattern; the case bodies, to walk."""
    nested: list[ast.stmt] = []
    for case in node.cases:
        for pattern in ast.walk(case.pattern):
            name = getattr(pattern, "name", None) or getattr(pattern, "rest", None)
            if name:
                bound.add(name)
        nested.extend(case.body)
    return nested


def _target_names(target: ast.expr, out: set[str]) -> None:
    if isinstance(target, ast.Name):
        out.add(target.id)
    elif isinstance(target, (ast.Tuple, ast.List)):
        for element in target.elts:
            _target_names(element, out)
    elif isinstance(target, ast.Starred):
        _target_names(target.value, out)

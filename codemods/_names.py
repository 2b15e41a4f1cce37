"""The identifiers a module spells outside its import statements, and the words of its strings:
read from Python's own parser, in one pass, instead of LibCST matcher passes.

On a large file each `m.findall` over the tree costs as much as a whole codemod (LibCST visits
every node in Python); `ast` parses and walks in C-backed code. The sets are the ones the
matchers gave: every `Name` outside `import`/`from … import` (what a file reads, defines or
spells as an attribute or keyword), and the words of its plain string literals. Where `ast`
cannot parse the text (grammar newer than the running Python), the matcher passes are the
fallback, so the answer never depends on the interpreter.
"""

from __future__ import annotations

import ast
import re
from collections import Counter
from dataclasses import dataclass

import libcst as cst
import libcst.matchers as m

from ._ast_chain import ast_dotted
from ._cst_args import code
from ._tree_memo import code_of, remember

_WORD = re.compile(r"[A-Za-z_]\w*")

# the fields of `ast` nodes that hold an identifier (or a list of them) LibCST spells as a Name;
# by class name, so that PEP 695's nodes count on a Python that has them
_NAME_FIELDS: dict[str, tuple[str, ...]] = {
    "Name": ("id",), "Attribute": ("attr",), "FunctionDef": ("name",),
    "AsyncFunctionDef": ("name",), "ClassDef": ("name",), "arg": ("arg",),
    "keyword": ("arg",), "Global": ("names",), "Nonlocal": ("names",),
    "ExceptHandler": ("name",), "MatchAs": ("name",), "MatchStar": ("name",),
    "MatchMapping": ("rest",), "MatchClass": ("kwd_attrs",), "TypeVar": ("name",),
    "ParamSpec": ("name",), "TypeVarTuple": ("name",),
}


@dataclass(frozen=True, slots=True)
class Spelled:
    """What a module spells: identifiers outside imports, and words inside its strings."""

    names: frozenset[str]
    string_words: frozenset[str]
    # absolute imports: (module of a `from` import or None, imported name, `as` name or None)
    imports: tuple[tuple[str | None, str, str | None], ...]
    # relative `from` imports: (level, module after the dots or "", imported name, `as` name)
    relative: tuple[tuple[int, str, str, str | None], ...] = ()
    calls: frozenset[str] = frozenset()  # callees spelled as dotted names: `get_redis`, `rc.x`
    # names read (a `Name` loaded) that one import binds and nothing else in the module does:
    # every read of them is that import, so it stays without a scope analysis
    plainly_read: frozenset[str] = frozenset()
    # whether an import statement sits below the module's top (in a def, an `if`, a `try`):
    # a pass that only touches imports need not enter any compound statement otherwise
    nested_imports: bool = True


def spelled(module: cst.Module) -> Spelled:
    """The identifiers and string words of `module` (see the module docstring); worked out
    once per tree, which several passes ask about."""
    return remember(module, "spelled", _spelled)


def _spelled(module: cst.Module) -> Spelled:
    source = code_of(module)
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError):
        return _spelled_by_matchers(module)
    literal = _SourceSlicer(source)
    names: set[str] = set()
    words: set[str] = set()
    imports: list[tuple[str | None, str, str | None]] = []
    relative: list[tuple[int, str, str, str | None]] = []
    calls: set[str] = set()
    binders: Counter[str] = Counter()  # name -> how many places bind it (imports included)
    loads: set[str] = set()
    imported: set[str] = set()
    top = {id(statement) for statement in tree.body}
    nested_imports = False
    for node in ast.walk(tree):
        _count_binding(node, binders, loads, imported, id(node) in top)
        if isinstance(node, ast.Call):
            callee = ast_dotted(node.func)
            if callee is not None:
                calls.add(callee)
        if isinstance(node, (ast.Import, ast.ImportFrom)) and id(node) not in top:
            nested_imports = True
        if isinstance(node, ast.Import):
            imports.extend((None, a.name, a.asname) for a in node.names)
        elif isinstance(node, ast.ImportFrom) and not node.level and node.module:
            imports.extend((node.module, a.name, a.asname) for a in node.names if a.name != "*")
        elif isinstance(node, ast.ImportFrom) and node.level:
            relative.extend((node.level, node.module or "", a.name, a.asname)
                            for a in node.names if a.name != "*")
        # an import's names are `alias` nodes, which have no entry in _NAME_FIELDS
        elif isinstance(node, ast.Constant) and isinstance(node.value, (str, bytes)):
            # the literal as written, as the matchers read it (`'a' 'b'` is one node here)
            words.update(_WORD.findall(literal.text(node)))
        elif isinstance(node, ast.Constant) and (node.value is None
                                                 or isinstance(node.value, bool)):
            names.add(repr(node.value))  # LibCST spells `None`, `True`, `False` as Names
        else:
            for field in _NAME_FIELDS.get(type(node).__name__, ()):
                value = getattr(node, field, None)
                if isinstance(value, str):
                    names.add(value)
                elif isinstance(value, list):
                    names.update(value)
    # a star import may bind any name: then no import is plainly read
    plainly_read = frozenset() if binders[_ANYTHING] else frozenset(
        name for name in loads & imported if binders[name] == 1)
    return Spelled(frozenset(names), frozenset(words), tuple(imports), tuple(relative),
                   frozenset(calls), plainly_read, nested_imports)


def _count_binding(node: ast.AST, binders: Counter[str], loads: set[str],
                   imported: set[str], top_level: bool) -> None:
    """Count what `node` binds (anything a scope analysis would see as an assignment, `global`
    and `del` included) and the name it loads; a star import may bind anything. Only an import
    made at the module's top level can be plainly read: one inside a def or an `if` binds in a
    scope, or at a time, that a read elsewhere may not see."""
    if isinstance(node, ast.Name):
        if isinstance(node.ctx, ast.Load):
            loads.add(node.id)
        else:
            binders[node.id] += 1
    elif isinstance(node, (ast.Import, ast.ImportFrom)):
        for alias in node.names:
            if alias.name == "*":
                binders[_ANYTHING] += 1
                continue
            bound = alias.asname or alias.name
            if "." in bound or not top_level:
                # `import a.b` binds `a`, and LibCST's analysis reads `a.b`: never plainly read
                bound = bound.split(".")[0]
                binders[bound] += 1
            binders[bound] += 1
            imported.add(bound)
    elif not isinstance(node, ast.Attribute):  # an attribute's name binds nothing
        for field in _NAME_FIELDS.get(type(node).__name__, ()):
            if field == "arg" and isinstance(node, ast.keyword):
                continue  # `f(x=1)` names a parameter, binds nothing here
            value = getattr(node, field, None)
            for name in [value] if isinstance(value, str) else value or ():
                binders[name] += 1


_ANYTHING = "*"


class _SourceSlicer:
    """The source text of a node, from its UTF-8 byte offsets (one index of line starts)."""

    def __init__(self, source: str) -> None:
        self.data = source.encode("utf-8")
        self.starts = [0]
        self.starts.extend(match.end() for match in re.finditer(rb"\n", self.data))

    def text(self, node: ast.expr) -> str:
        if node.end_lineno is None or node.end_col_offset is None:
            return ""
        start = self.starts[node.lineno - 1] + node.col_offset
        end = self.starts[node.end_lineno - 1] + node.end_col_offset
        return self.data[start:end].decode("utf-8", "replace")


def _spelled_by_matchers(module: cst.Module) -> Spelled:
    statements = m.findall(module, m.Import() | m.ImportFrom())
    imported = {id(n) for statement in statements for n in m.findall(statement, m.Name())}
    imports: list[tuple[str | None, str, str | None]] = []
    relative: list[tuple[int, str, str, str | None]] = []
    for statement in statements:
        if isinstance(statement, cst.Import):
            imports.extend((None, code(a.name), bound_name(a)) for a in statement.names)
        elif not isinstance(statement, cst.ImportFrom) \
                or isinstance(statement.names, cst.ImportStar):
            continue
        elif statement.relative:
            source = code(statement.module) if statement.module is not None else ""
            relative.extend((len(statement.relative), source, code(a.name), bound_name(a))
                            for a in statement.names)
        elif statement.module is not None:
            imports.extend((code(statement.module), code(a.name), bound_name(a))
                           for a in statement.names)
    names = {n.value for n in m.findall(module, m.Name())
             if isinstance(n, cst.Name) and id(n) not in imported}
    words = {word for s in m.findall(module, m.SimpleString())
             if isinstance(s, cst.SimpleString) for word in _WORD.findall(s.value)}
    calls = {code(call.func) for call in m.findall(module, m.Call())
             if isinstance(call, cst.Call) and _is_chain(call.func)}
    return Spelled(frozenset(names), frozenset(words), tuple(imports), tuple(relative),
                   frozenset(calls))


def _is_chain(node: cst.BaseExpression) -> bool:
    while isinstance(node, cst.Attribute):
        node = node.value
    return isinstance(node, cst.Name)


def bound_name(alias: cst.ImportAlias) -> str | None:
    """The `as` name of an import alias, if it has one."""
    return (alias.asname.name.value if alias.asname is not None
            and isinstance(alias.asname.name, cst.Name) else None)

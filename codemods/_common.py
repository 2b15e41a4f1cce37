"""Helpers shared by the codemods: the accessor call, names, function paths, statement surgery."""

from __future__ import annotations

from collections.abc import Collection, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import replace
from typing import TypeVar, cast

import libcst as cst
from libcst.codemod import Codemod, CodemodContext, VisitorBasedCodemodCommand
from libcst.metadata import (
    MetadataWrapper,
    QualifiedName,
    QualifiedNameSource,
    Scope,
    ScopeProvider,
)

from redis_migrate.redis_api import CONSTRUCTORS

from ._plain_visitors import MATCHER_MARKS
from ._traversal import defines_attribute_hooks, distinct_nodes, own_hook
from ._tree_memo import remember

NodeT = TypeVar("NodeT", bound=cst.CSTNode)


def leading_lines(statement: cst.BaseStatement) -> Sequence[cst.EmptyLine]:
    """The comment and blank lines above a statement (every kind of statement has them)."""
    if isinstance(statement, (cst.SimpleStatementLine, cst.BaseCompoundStatement)):
        return statement.leading_lines
    return ()


def transformed(node: NodeT, visitor: cst.CSTVisitorT) -> NodeT:
    """`node.visit(visitor)` for a transformer that rewrites what is inside `node` and never
    removes or splits `node` itself."""
    result = node.visit(visitor)
    if isinstance(result, (cst.RemovalSentinel, cst.FlattenSentinel)):
        raise TypeError(f"{type(visitor).__name__} removed or split the node it rewrites")
    return result

LOCALS = "<locals>"
def compat_module(lifecycle: str) -> str:
    """`backend.services.redis_client` -> `backend.services.redis_compat`."""
    package = lifecycle.rpartition(".")[0]
    return f"{package}.redis_compat" if package else "redis_compat"


def resolve_relative(package: str, level: int, name: str) -> str:
    """The absolute name `from .{level}name` means inside `package`."""
    parts = package.split(".") if package else []
    if level > 1:
        parts = parts[: max(len(parts) - (level - 1), 0)]
    if name:
        parts.append(name)
    return ".".join(parts)


def absolute_names(names: Iterable[QualifiedName], module: str, package: str) -> set[str]:
    """LibCST qualified names made absolute: relative imports resolved, module locals prefixed."""
    result = set()
    for qualified in names:
        name = qualified.name
        if name.startswith("."):
            level = len(name) - len(name.lstrip("."))
            result.add(resolve_relative(package, level, name[level:]))
        elif qualified.source is QualifiedNameSource.LOCAL:
            result.add(f"{module}.{name}" if module else name)
        else:
            result.add(name)
    return result


def is_constructor(names: Iterable[QualifiedName]) -> bool:
    """Whether a callee resolves to a Redis client or pool constructor."""
    return any(q.name in CONSTRUCTORS for q in names)


def dotted(node: cst.BaseExpression) -> str | None:
    """`a.b.c` for a Name/Attribute chain, else None."""
    if isinstance(node, cst.Name):
        return node.value
    if isinstance(node, cst.Attribute):
        base = dotted(node.value)
        return f"{base}.{node.attr.value}" if base else None
    return None


def unwrap_await(node: cst.BaseExpression) -> cst.BaseExpression:
    """The expression under any number of `await`s."""
    while isinstance(node, cst.Await):
        node = node.expression
    return node


class FunctionPaths:
    """Tracks the path of the def being visited, in the analysis' spelling (`C.m`, `f.<locals>.g`).

    Mix into a visitor and call `enter`/`leave` from visit/leave of FunctionDef and ClassDef.
    """

    def __init__(self) -> None:
        self._stack: list[tuple[str, str]] = []  # (kind, name)

    def enter(self, kind: str, name: str) -> None:
        self._stack.append((kind, name))

    def leave(self) -> None:
        self._stack.pop()

    @property
    def current(self) -> str | None:
        """The path of the innermost def (None at module or class level)."""
        if not self._stack or self._stack[-1][0] != "function":
            return None
        return self.path()

    def path(self) -> str:
        parts: list[str] = []
        for index, (kind, name) in enumerate(self._stack):
            if index and self._stack[index - 1][0] == "function":
                parts.append(LOCALS)
            parts.append(name)
        return ".".join(parts)

    @property
    def depth(self) -> int:
        return len(self._stack)


class RewriteCommand(VisitorBasedCodemodCommand):
    """A LibCST codemod that visits as a plain `CSTTransformer` does.

    LibCST's codemods look for matcher decorators on every instance (a `dir()` of the object)
    and check each node and each attribute visit against them: a quarter of a rewrite's time,
    for decorators no codemod here uses. A subclass that uses one is refused when defined.
    """

    # False for a pass that neither declares metadata nor asks for scopes (`scope_of`): it
    # visits the module itself, with no metadata wrapper and no check that its nodes are
    # distinct (a walk of the whole tree, for nothing)
    reads_metadata = True
    # whether the class has a `visit_Name_value`-style hook: LibCST calls two methods per
    # attribute of every node, which look for one each time, only worth it when there is one
    attribute_hooks = False

    def __init_subclass__(cls, **kwargs: object) -> None:
        super().__init_subclass__(**kwargs)
        for name, value in vars(cls).items():
            if any(hasattr(value, mark) for mark in MATCHER_MARKS):
                raise TypeError(f"{cls.__name__}.{name}: matcher decorators are not "
                                f"honoured by a RewriteCommand")
        cls.attribute_hooks = defines_attribute_hooks(cls)

    def __init__(self, context: CodemodContext) -> None:
        Codemod.__init__(self, context)
        cst.CSTTransformer.__init__(self)
        # what MatcherDecoratableTransformer would have found: nothing
        self._extra_visit_funcs = {}
        self._extra_leave_funcs = {}
        # the names plainly imported in the module a wrapper holds (see qualified_names)
        self._imports_of: MetadataWrapper | None = None
        self._plain_imports: dict[str, str] = {}

    @contextmanager
    def _handle_metadata_reference(self, module: cst.Module) -> Iterator[cst.Module]:
        """The pass's metadata, on `module` itself when no node of it is in two places.

        LibCST copies the whole tree first, so that a node reused in two places gets metadata
        of its own; a parse never reuses one, nor does a pass that inserts nothing twice, and
        checking costs a quarter of the copy (which was a fifth of a rewrite). A LibCST that
        stops calling this hook copies as before."""
        if not self.reads_metadata and not self.get_inherited_dependencies():
            yield module
            return
        if (self.context.metadata_manager is not None
                or not remember(module, "distinct", distinct_nodes)):
            with super()._handle_metadata_reference(module) as copied:
                yield copied
            return
        previous = self.context.wrapper
        wrapper = MetadataWrapper(module, unsafe_skip_copy=True)
        with self.resolve(wrapper):
            self.context = replace(self.context, wrapper=wrapper)
            try:
                yield wrapper.module
            finally:
                self.context = replace(self.context, wrapper=previous)

    def scope_of(self, node: cst.CSTNode) -> Scope | None:
        """The scope `node` (a node of the tree this pass visits) is in.

        Resolved on the first question, not declared in METADATA_DEPENDENCIES: a scope
        analysis costs four parses of the file, and most files a codemod visits never ask
        (a close call on a plain name, a class with no client attribute). The analysis is the
        wrapper's, on the tree being visited, so an answer is the one a declared dependency
        gives."""
        if not self.reads_metadata:
            raise TypeError(f"{type(self).__name__} says it reads no metadata, and asks for "
                            f"a scope")
        scopes = self.metadata.get(ScopeProvider)
        if scopes is None:
            wrapper = self.context.wrapper
            if wrapper is None:
                return None
            scopes = wrapper.resolve(ScopeProvider)
        return cast(Scope | None, scopes.get(node))

    def qualified_names(self, node: cst.CSTNode) -> Collection[QualifiedName]:
        """What `QualifiedNameProvider` would give for `node`, from its scope: the provider's
        own pass over every node, to wrap each node's answer for later, is a third of a scope
        analysis on a large file.

        A dotted name whose first name only a top-level absolute import binds, and nothing
        else in the module (no parameter, assignment, `global` or star import), means that
        import wherever it is read: the answer is the scope analysis's, read from the module's
        imports without one (`_names.Spelled.plainly_read`)."""
        imported = self._plainly_imported(node)
        if imported is not None:
            return {QualifiedName(imported, QualifiedNameSource.IMPORT)}
        scope = self.scope_of(node)
        return scope.get_qualified_names_for(node) if scope else set()

    def _plainly_imported(self, node: cst.CSTNode) -> str | None:
        name = dotted(node) if isinstance(node, cst.BaseExpression) else None
        wrapper = self.context.wrapper
        if name is None or wrapper is None:
            return None
        if self._imports_of is not wrapper:
            from ._names import spelled

            found = spelled(wrapper.module)
            imports: dict[str, str] = {}
            for source, imported, asname in found.imports:
                bound = asname or imported
                if bound in found.plainly_read:  # `import a.b` (binds `a`) never is
                    imports[bound] = imported if source is None else f"{source}.{imported}"
            self._imports_of, self._plain_imports = wrapper, imports
        head, _, rest = name.partition(".")
        target = self._plain_imports.get(head)
        if target is None:
            return None
        return f"{target}.{rest}" if rest else target

    # LibCST's dispatch, as a CSTTransformer does it, with each class's hooks looked up once
    # (`own_hook`): LibCST formats the hook's name and looks it up at each node, then calls its
    # no-op default for almost every one, and does the same again per attribute of the node
    def on_visit(self, node: cst.CSTNode) -> bool:
        hook = own_hook(type(self), "visit_", type(node))
        return hook is None or hook(self, node) is not False

    def on_leave(self, original_node: NodeT, updated_node: NodeT  # type: ignore[override]
                 ) -> NodeT | cst.RemovalSentinel | cst.FlattenSentinel[NodeT]:
        hook = own_hook(type(self), "leave_", type(original_node))
        if hook is None:
            return updated_node
        return cast("NodeT | cst.RemovalSentinel | cst.FlattenSentinel[NodeT]",
                    hook(self, original_node, updated_node))

    def on_visit_attribute(self, node: cst.CSTNode, attribute: str) -> None:
        if self.attribute_hooks:
            cst.CSTTransformer.on_visit_attribute(self, node, attribute)

    def on_leave_attribute(self, original_node: cst.CSTNode, attribute: str) -> None:
        if self.attribute_hooks:
            cst.CSTTransformer.on_leave_attribute(self, original_node, attribute)


class PathAwareCommand(RewriteCommand):
    """A codemod that knows the path of the def or class it is in (`C.m`, `f.<locals>.g`).

    Subclasses hook `left_function` / `left_class`, which get the path of the node just left.
    """

    def __init__(self, context: CodemodContext) -> None:
        super().__init__(context)
        self.paths = FunctionPaths()
        self._acts_in: Collection[str] | None = None

    def acts_in(self) -> Collection[str] | None:
        """The paths of the defs and classes this codemod may change something in, what they
        hold included; asked when the module is entered (None: any of them). A def or class
        neither on the way to one of them nor inside one is left as it is, unvisited: most of
        a large file, which a visit copies node by node."""
        return None

    def on_visit(self, node: cst.CSTNode) -> bool:
        if isinstance(node, cst.Module):
            self._acts_in = self.acts_in()
        if not super().on_visit(node):
            return False
        if self._acts_in is not None and isinstance(node, (cst.FunctionDef, cst.ClassDef)):
            path = self.paths.path()  # entered by the visit above; left when it is left
            return any(p == path or p.startswith(path + ".") or path.startswith(p + ".")
                       for p in self._acts_in)
        return True

    def visit_ClassDef(self, node: cst.ClassDef) -> None:
        self.paths.enter("class", node.name.value)

    def leave_ClassDef(self, original: cst.ClassDef, updated: cst.ClassDef) -> cst.ClassDef:
        path = self.paths.path()
        self.paths.leave()
        return self.left_class(path, original, updated)

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        self.paths.enter("function", node.name.value)

    def leave_FunctionDef(self, original: cst.FunctionDef,
                          updated: cst.FunctionDef) -> cst.FunctionDef:
        path = self.paths.path()
        self.paths.leave()
        return self.left_function(path, original, updated)

    def left_class(self, path: str, original: cst.ClassDef,
                   updated: cst.ClassDef) -> cst.ClassDef:
        return updated

    def left_function(self, path: str, original: cst.FunctionDef,
                      updated: cst.FunctionDef) -> cst.FunctionDef:
        return updated


def ensure_body(statements: Sequence[cst.BaseStatement]) -> list[cst.BaseStatement]:
    """A block may not be empty: `pass` stands in for what was removed."""
    if statements:
        return list(statements)
    return [cst.SimpleStatementLine(body=[cst.Pass()])]


def is_docstring(statement: cst.BaseStatement) -> bool:
    """Whether a statement is a bare string expression (a docstring)."""
    return (isinstance(statement, cst.SimpleStatementLine) and len(statement.body) == 1
            and isinstance(statement.body[0], cst.Expr)
            and isinstance(statement.body[0].value, (cst.SimpleString,
                                                     cst.ConcatenatedString)))


def module_import(node: cst.ImportFrom, package: str, setup_modules: Mapping[str, str],
                  ) -> tuple[cst.ImportFrom | cst.Import, str] | None:
    """What an import of a moved client becomes when its module makes calls at import
    (`load_dotenv()`): `from app.db import client` -> `import app.db` (`from .db import client`
    -> `from . import db`), so the calls still run; with the module's name. None otherwise."""
    base = dotted(node.module) if node.module is not None else ""
    level = len(node.relative)
    source = resolve_relative(package, level, base or "") if level else (base or "")
    if not base or source not in setup_modules:
        return None
    if not level:
        name = cst.parse_expression(base)
        assert isinstance(name, (cst.Name, cst.Attribute))  # a dotted module name
        return cst.Import(names=[cst.ImportAlias(name=name)]), source
    parent, _, last = base.rpartition(".")
    return node.with_changes(module=cst.parse_expression(parent) if parent else None,
                             names=[cst.ImportAlias(name=cst.Name(last))]), source


# context.scratch key: module -> the call it runs at import, for the module imports kept in
# place of a moved client's import (`module_import`)
SETUP_IMPORTS = "redis_migrate.setup_imports"


def with_setup_comment(line: cst.SimpleStatementLine, package: str,
                       kept: Mapping[str, str]) -> cst.SimpleStatementLine:
    """A module import kept for its setup calls (`kept`: module -> call) says why it stays,
    and that linters should let it."""
    if len(line.body) != 1 or line.trailing_whitespace.comment is not None:
        return line
    statement = line.body[0]
    if isinstance(statement, cst.Import) and len(statement.names) == 1 \
            and statement.names[0].asname is None:
        module = dotted(statement.names[0].name)
    elif isinstance(statement, cst.ImportFrom) and statement.relative \
            and not isinstance(statement.names, cst.ImportStar) and len(statement.names) == 1:
        base = dotted(statement.module) if statement.module is not None else ""
        module = resolve_relative(package, len(statement.relative), base or "") + "." + (
            dotted(statement.names[0].name) or "")
    else:
        return line
    call = kept.get(module or "")
    if call is None:
        return line
    comment = cst.Comment(f"# noqa: F401  (kept: it runs {call} on import)")
    return line.with_changes(trailing_whitespace=line.trailing_whitespace.with_changes(
        whitespace=cst.SimpleWhitespace("  "), comment=comment))

"""`self._redis = Redis.from_url(url)` in a method → a `_redis` property returning `get_redis()`.

The class keeps its API, constructor arguments included (seed §4.4: a cache class that does
not own the Redis client); only the assignment goes, and the attribute becomes a property.

A manager whose `__init__` sets the attribute to `None` and whose `connect()`-style method
creates the client later keeps its attribute: that assignment becomes `self.client =
get_redis()` (the value is stored where it was created, as `app.state.redis` is), so code and
tests that read, set or `patch.object` the attribute keep working.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Self

import libcst as cst
from libcst.codemod import CodemodContext

from ._accessor import Accessor
from ._common import PathAwareCommand, ensure_body, is_constructor, transformed, unwrap_await
from ._contract import FileEdits, RunInputs, Serves


class ClientAttributeToProperty(PathAwareCommand):
    """Turns client attributes of the named classes into properties."""

    DESCRIPTION = "Client held on self -> property returning get_redis() (rewrite 2)."
    SERVES = Serves(kinds=("attributes",), order=20)

    def __init__(self, context: CodemodContext,
                 attributes: Mapping[tuple[str, str], Accessor],
                 moved: Collection[str] = ()) -> None:
        super().__init__(context)
        self.attributes = dict(attributes)  # (class path, attribute) -> accessor
        self.classes = frozenset(class_path for class_path, _attribute in self.attributes)
        # qualified names of the module clients that move: `self.client = client` in an
        # `__init__` becomes a property too (the object is built before init_redis())
        self.moved = frozenset(moved)
        self._self_names: list[str | None] = []
        # class path -> [(method name, attribute, accessor)] removed in that class
        self._removed: dict[str, list[tuple[str, str, Accessor]]] = {}
        self._placeholders: dict[str, set[str]] = {}  # class path -> `self.x = None` in __init__

    @classmethod
    def from_plan(cls, context: CodemodContext, plan: FileEdits, run: RunInputs) -> Self:
        """Built from one file's edit plan (the engine picks it by `SERVES`)."""
        return cls(context, plan.attributes, plan.references)

    def left_class(self, path: str, original: cst.ClassDef,
                   updated: cst.ClassDef) -> cst.ClassDef:
        removed = self._removed.pop(path, [])
        if not removed or not isinstance(updated.body, cst.IndentedBlock):
            return updated
        body = list(updated.body.body)
        existing = {s.name.value for s in body if isinstance(s, cst.FunctionDef)}
        for method, attribute, accessor in removed:
            if attribute in existing:
                self.warn(f"{path} already defines {attribute}; no property added")
                continue
            existing.add(attribute)
            index = next((i for i, s in enumerate(body)
                          if isinstance(s, cst.FunctionDef) and s.name.value == method),
                         len(body) - 1)
            body.insert(index + 1, _property(attribute, accessor))
        updated = updated.with_changes(body=updated.body.with_changes(body=body))
        # `self._redis = None` placeholders would now assign to a property without a setter
        return transformed(updated, _DropPlaceholders(existing & {a for _, a, _ in removed}))

    def acts_in(self) -> Collection[str]:
        """The classes whose attributes it turns into properties: only there (and in their
        methods) does it change anything."""
        return self.classes

    def visit_ClassDef(self, node: cst.ClassDef) -> None:
        super().visit_ClassDef(node)
        if self.paths.path() not in self.classes:
            return  # not one of its classes: no placeholder of it is read
        finder = _PlaceholderFinder()
        for statement in (node.body.body if isinstance(node.body, cst.IndentedBlock) else ()):
            if isinstance(statement, cst.FunctionDef) and statement.name.value == "__init__":
                statement.visit(finder)
        self._placeholders[self.paths.path()] = finder.found

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        in_class = self.paths.depth and self.paths.current is None
        params = node.params.params
        self._self_names.append(params[0].name.value if in_class and params else None)
        super().visit_FunctionDef(node)

    def left_function(self, path: str, original: cst.FunctionDef,
                      updated: cst.FunctionDef) -> cst.FunctionDef:
        self._self_names.pop()
        if isinstance(updated.body, cst.IndentedBlock) and not updated.body.body:
            return updated.with_changes(
                body=updated.body.with_changes(body=ensure_body([])))
        return updated

    def leave_SimpleStatementLine(
        self, original: cst.SimpleStatementLine, updated: cst.SimpleStatementLine
    ) -> cst.SimpleStatementLine | cst.RemovalSentinel:
        found = _lone_statement_in_method(self._self_names, original)
        if found is None:
            return updated
        self_name, statement = found
        if not isinstance(statement, (cst.Assign, cst.AnnAssign)):
            return updated
        targets = ([t.target for t in statement.targets] if isinstance(statement, cst.Assign)
                   else [statement.target])
        if len(targets) != 1 or not isinstance(targets[0], cst.Attribute):
            return updated
        target = targets[0]
        if not (isinstance(target.value, cst.Name) and target.value.value == self_name):
            return updated
        method_path = self.paths.path()
        class_path, _, method = method_path.rpartition(".")
        key = (class_path, target.attr.value)
        if key not in self.attributes or statement.value is None:
            return updated
        value = unwrap_await(statement.value)
        if isinstance(value, (cst.Name, cst.Attribute)):
            names = {q.name for q in self.qualified_names(value)}
            if method != "__init__" or not names & self.moved:
                return updated
        elif not (isinstance(value, cst.Call) and is_constructor(
                self.qualified_names(value.func))):
            return updated
        accessor = self.attributes[key]
        if method != "__init__" and target.attr.value in self._placeholders.get(class_path, ()):
            # created later than the object (a manager's connect()): store the shared client
            return updated.with_changes(body=[updated.body[0].with_changes(
                value=cst.parse_expression(accessor.source))])
        self._removed.setdefault(class_path, []).append((method, target.attr.value, accessor))
        return cst.RemovalSentinel.REMOVE


def _property(attribute: str, accessor: Accessor) -> cst.FunctionDef:
    call = accessor.source
    definition = cst.parse_statement(
        f"@property\ndef {attribute}(self):\n"
        f'    """The shared client from the lifecycle module (this class owns none)."""\n'
        f"    return {call}\n")
    assert isinstance(definition, cst.FunctionDef)
    return definition.with_changes(leading_lines=[cst.EmptyLine(indent=False)])


class _PlaceholderFinder(cst.CSTVisitor):
    """Attributes an `__init__` sets to `None`: `self.client = None` (annotated or not)."""

    def __init__(self) -> None:
        super().__init__()
        self.found: set[str] = set()

    def visit_SimpleStatementLine(self, node: cst.SimpleStatementLine) -> None:
        for statement in node.body:
            attribute = _none_placeholder(statement)
            if attribute is not None:
                self.found.add(attribute)


class _DropPlaceholders(cst.CSTTransformer):
    """Removes `self.<attribute> = None` (annotated or not) from the methods of one class."""

    def __init__(self, attributes: set[str]) -> None:
        super().__init__()
        self.attributes = attributes
        self.self_names: list[str | None] = []

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        params = node.params.params
        self.self_names.append(params[0].name.value if params else None)

    def leave_FunctionDef(self, original: cst.FunctionDef,
                          updated: cst.FunctionDef) -> cst.FunctionDef:
        self.self_names.pop()
        if isinstance(updated.body, cst.IndentedBlock) and not updated.body.body:
            return updated.with_changes(body=updated.body.with_changes(body=ensure_body([])))
        return updated

    def visit_ClassDef(self, node: cst.ClassDef) -> bool:
        return not self.self_names  # only the class being rewritten, not nested ones

    def leave_SimpleStatementLine(
        self, original: cst.SimpleStatementLine, updated: cst.SimpleStatementLine
    ) -> cst.SimpleStatementLine | cst.RemovalSentinel:
        found = _lone_statement_in_method(self.self_names, updated)
        if found is not None and _none_placeholder(found[1], found[0]) in self.attributes:
            return cst.RemovalSentinel.REMOVE
        return updated


def _lone_statement_in_method(self_names: list[str | None], line: cst.SimpleStatementLine,
                              ) -> tuple[str, cst.BaseSmallStatement] | None:
    """The name `self` has in the method being walked (top of `self_names`) and the one
    statement of `line`; None outside a method or when the line holds several statements."""
    self_name = self_names[-1] if self_names else None
    if self_name is None or len(line.body) != 1:
        return None
    return self_name, line.body[0]


def _none_placeholder(statement: cst.BaseSmallStatement,
                      self_name: str | None = None) -> str | None:
    """`x` for `<obj>.x = None` or `<obj>.x: T = None` (`obj` spelled `self_name` if given)."""
    value: cst.BaseExpression | None
    if isinstance(statement, cst.Assign) and len(statement.targets) == 1:
        target, value = statement.targets[0].target, statement.value
    elif isinstance(statement, cst.AnnAssign):
        target, value = statement.target, statement.value
    else:
        return None
    if not (isinstance(target, cst.Attribute) and isinstance(target.value, cst.Name)
            and isinstance(value, cst.Name) and value.value == "None"):
        return None
    if self_name is not None and target.value.value != self_name:
        return None
    return target.attr.value

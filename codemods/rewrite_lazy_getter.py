"""A getter that creates a client on its first call → `return get_redis()`.

    def get_client():                          def get_client():
        global _client                             return get_redis()
        if _client is None:           →
            _client = Redis.from_url(url)
        return _client

The module-level `_client = None` goes too when nothing else reads it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Self

import libcst as cst
import libcst.matchers as m
from libcst.codemod import CodemodContext
from libcst.metadata import PositionProvider

from ._accessor import Accessor
from ._common import PathAwareCommand, is_constructor, is_docstring, unwrap_await
from ._contract import FileEdits, RunInputs, Serves


class RewriteLazyGetter(PathAwareCommand):
    """Rewrites the named getters; each maps to the global it caches the client in."""

    DESCRIPTION = "Lazy global getter -> returns get_redis() (rewrite 4)."
    METADATA_DEPENDENCIES = (PositionProvider,)
    SERVES = Serves(kinds=("getters",), order=30)

    def __init__(self, context: CodemodContext,
                 getters: Mapping[str, tuple[str, Accessor]]) -> None:
        super().__init__(context)
        self.getters = dict(getters)  # function path -> (global name, accessor)
        self.rewritten: set[str] = set()
        self._drop_globals: set[str] = set()

    @classmethod
    def from_plan(cls, context: CodemodContext, plan: FileEdits, run: RunInputs) -> Self:
        """Built from one file's edit plan (the engine picks it by `SERVES`)."""
        return cls(context, plan.getters)

    def visit_Module(self, node: cst.Module) -> None:
        # The cache global may go only if every read of *that* global (resolved by scope, so
        # a local of the same name elsewhere does not count) is inside the getter.
        scope = self.scope_of(node)
        for statement in node.body:
            if not (isinstance(statement, cst.FunctionDef)
                    and statement.name.value in self.getters):
                continue
            global_name = self.getters[statement.name.value][0]
            if scope is None or not self._is_lazy_getter(statement, global_name):
                continue
            span = self.get_metadata(PositionProvider, statement)
            inside = range(span.start.line, span.end.line + 1)
            readers = [reference.node for assignment in scope.assignments[global_name]
                       for reference in assignment.references]
            if all(self.get_metadata(PositionProvider, reader).start.line in inside
                   for reader in readers):
                self._drop_globals.add(global_name)

    @staticmethod
    def _initialises(statement: cst.BaseSmallStatement, name: str) -> bool:
        if isinstance(statement, cst.AnnAssign):
            target, value = statement.target, statement.value
        elif isinstance(statement, cst.Assign) and len(statement.targets) == 1:
            target, value = statement.targets[0].target, statement.value
        else:
            return False
        return (isinstance(target, cst.Name) and target.value == name
                and value is not None and m.matches(value, m.Name("None")))

    def left_function(self, path: str, original: cst.FunctionDef,
                      updated: cst.FunctionDef) -> cst.FunctionDef:
        if path not in self.getters or not isinstance(updated.body, cst.IndentedBlock):
            return updated
        global_name, accessor = self.getters[path]
        if not self._is_lazy_getter(original, global_name):
            self.warn(f"{path} does not have the shape of a lazy getter; kept")
            return updated
        self.rewritten.add(path)
        kept = [s for s in updated.body.body[:1] if is_docstring(s)]
        returned = cst.SimpleStatementLine(body=[cst.Return(value=accessor.call())])
        return updated.with_changes(body=updated.body.with_changes(body=[*kept, returned]))

    def _is_lazy_getter(self, node: cst.FunctionDef, global_name: str) -> bool:
        declares = m.findall(node, m.Global(names=[m.ZeroOrMore(), m.NameItem(
            name=m.Name(global_name)), m.ZeroOrMore()]))
        creates = [a for a in m.findall(node, m.Assign(targets=[m.AssignTarget(
            target=m.Name(global_name))])) if isinstance(a, cst.Assign)]
        returns = m.findall(node, m.Return(value=m.Name(global_name)))
        return bool(declares and returns and creates) and all(
            self._constructs(a.value) for a in creates)

    def _constructs(self, value: cst.BaseExpression) -> bool:
        """`Redis(...)` or `await create_redis_pool(...)`: a client constructor's call."""
        call = unwrap_await(value)
        return isinstance(call, cst.Call) and is_constructor(self.qualified_names(call.func))

    def leave_SimpleStatementLine(
        self, original: cst.SimpleStatementLine, updated: cst.SimpleStatementLine
    ) -> cst.SimpleStatementLine | cst.RemovalSentinel:
        if self.paths.depth or len(original.body) != 1:
            return updated
        statement = original.body[0]
        for name in self._drop_globals:
            if self._initialises(statement, name):
                return cst.RemovalSentinel.REMOVE
        return updated

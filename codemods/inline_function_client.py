"""`r = Redis.from_url(url)` in a function → `r = get_redis()`; `async with Redis(...) as r:` keeps
its body as `r = get_redis()` followed by the body.

The client's close calls are removed by `remove_close_calls`. Sites are named by the position of
their call in the file as the analysis read it, so this codemod runs first, on the original tree.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Self

import libcst as cst
import libcst.matchers as m
from libcst.codemod import CodemodContext

from ._accessor import Accessor
from ._call_positions import CallStartProvider
from ._common import RewriteCommand, is_constructor, unwrap_await
from ._contract import FileEdits, RunInputs, Serves


class InlineFunctionClient(RewriteCommand):
    """Replaces the client-creating calls at the given positions with the shared client."""

    DESCRIPTION = "Client created in a function or handler -> get_redis() (rewrite 3)."
    # where each call starts, which is all it asks: a fifth of what PositionProvider costs
    METADATA_DEPENDENCIES = (CallStartProvider,)
    # first: it names the calls it rewrites by their position in the original file
    SERVES = Serves(kinds=("calls",), order=10)

    def __init__(self, context: CodemodContext,
                 calls: Mapping[tuple[int, int], Accessor]) -> None:
        super().__init__(context)
        self.calls = dict(calls)  # (line, 1-based column) of the call -> accessor
        self.done: set[tuple[int, int]] = set()
        # the accessor calls this codemod made, by id, and those of them that replaced a pool's
        # creation: the nodes are held here, for a node dropped later (a released pool's
        # `pool = get_redis()`) would free its id for a new node of the tree (an `await`ed
        # close would then lose its `await`)
        self._created: dict[int, cst.Call] = {}
        self._pools: dict[int, cst.Call] = {}
        self._kept: set[int] = set()  # calls in a multi-item `with`: unwrapping is not safe
        # the module's statements that hold none of them, by id (each checked to be the node
        # itself, as `_created` is)
        self._unvisited: dict[int, cst.BaseStatement] = {}

    @classmethod
    def from_plan(cls, context: CodemodContext, plan: FileEdits, run: RunInputs) -> Self:
        """Built from one file's edit plan (the engine picks it by `SERVES`)."""
        return cls(context, plan.calls)

    def visit_Module(self, node: cst.Module) -> None:
        # a statement of the module whose lines hold none of the calls is left as it is,
        # unvisited: most of a large file, which a visit would copy node by node
        lines = sorted({line for line, _column in self.calls})
        starts = [self.get_metadata(CallStartProvider, statement).line
                  for statement in node.body]
        ends = [*starts[1:], lines[-1] + 1 if lines else 0]
        self._unvisited = {id(statement): statement for statement, first, end
                           in zip(node.body, starts, ends, strict=True)
                           if not any(first <= line < end for line in lines)}

    def on_visit(self, node: cst.CSTNode) -> bool:
        return self._unvisited.get(id(node)) is not node and super().on_visit(node)

    def visit_With(self, node: cst.With) -> None:
        if len(node.items) > 1:
            self._kept.update(id(unwrap_await(item.item)) for item in node.items)

    def _target(self, call: cst.BaseExpression) -> Accessor | None:
        call = unwrap_await(call)
        if not isinstance(call, cst.Call) or id(call) in self._kept:
            return None
        start = self.get_metadata(CallStartProvider, call)
        where = (start.line, start.column + 1)
        accessor = self.calls.get(where)
        if accessor is None or not is_constructor(
                self.qualified_names(call.func)):
            return None
        return accessor

    def leave_Call(self, original: cst.Call, updated: cst.Call) -> cst.BaseExpression:
        accessor = self._target(original)
        if accessor is None:
            return updated
        start = self.get_metadata(CallStartProvider, original)
        self.done.add((start.line, start.column + 1))
        replacement = accessor.call()
        self._created[id(replacement)] = replacement
        if any("ConnectionPool" in q.name for q in self.qualified_names(original.func)):
            self._pools[id(replacement)] = replacement
        return replacement

    def leave_FunctionDef(self, original: cst.FunctionDef,
                          updated: cst.FunctionDef) -> cst.FunctionDef:
        """`pool = get_redis()` where the pool was created goes when nothing in the function
        reads `pool` any more: its clients were built on it and are the shared client now."""
        if not isinstance(updated.body, cst.IndentedBlock):
            return updated
        kept: list[cst.BaseStatement] = []
        for statement in updated.body.body:
            name = self._released_pool(statement)
            # the only statement stays: a def needs a body
            if name is not None and len(updated.body.body) > 1 \
                    and len(m.findall(updated.body, m.Name(name))) == 1:
                continue
            kept.append(statement)
        if len(kept) == len(updated.body.body) or not kept:
            return updated
        return updated.with_changes(body=updated.body.with_changes(body=kept))

    def _released_pool(self, statement: cst.BaseStatement) -> str | None:
        if not isinstance(statement, cst.SimpleStatementLine) or len(statement.body) != 1:
            return None
        assign = statement.body[0]
        if not isinstance(assign, cst.Assign) or len(assign.targets) != 1 \
                or not isinstance(assign.targets[0].target, cst.Name) \
                or self._pools.get(id(assign.value)) is not assign.value:
            return None
        return assign.targets[0].target.value

    def leave_Await(self, original: cst.Await, updated: cst.Await) -> cst.BaseExpression:
        if self._created.get(id(updated.expression)) is updated.expression:
            return updated.expression  # get_redis() is not awaitable
        return updated

    def leave_With(self, original: cst.With,
                   updated: cst.With) -> cst.With | cst.FlattenSentinel[cst.BaseStatement]:
        if len(original.items) != 1 or self._target(original.items[0].item) is None:
            return updated
        # `async with client:` would close the shared client on exit: keep only the body
        item = updated.items[0]
        body = list(updated.body.body) if isinstance(updated.body, cst.IndentedBlock) else []
        statements: list[cst.BaseStatement] = []
        if item.asname is not None:
            statements.append(cst.SimpleStatementLine(body=[cst.Assign(
                targets=[cst.AssignTarget(target=item.asname.name)], value=item.item)]))
        statements.extend(body)
        if statements:
            statements[0] = statements[0].with_changes(leading_lines=updated.leading_lines)
        return cst.FlattenSentinel(statements)

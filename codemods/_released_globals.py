"""What is left of a module global once the client it cached is reached through get_redis():
`global name`, `name = None`, and `if name is not None:` blocks that only close and reset it.
They go only when nothing else uses the global (`remove_close_calls`, after its closes)."""

from __future__ import annotations

from collections.abc import Sequence

import libcst as cst
import libcst.matchers as m
from libcst.metadata import Assignment, GlobalScope, MetadataWrapper, ScopeProvider

from ._common import ensure_body


def drop_released_global(module: cst.Module, name: str) -> cst.Module:
    """`module` without `global name`, `name = None` and `if name is not None: <only those>`,
    if those are all that is left of the module global `name`; else `module` unchanged."""
    wrapper = MetadataWrapper(module)
    scopes = wrapper.resolve(ScopeProvider)
    top = next((s for s in scopes.values() if isinstance(s, GlobalScope)), None)
    if top is None or not top.assignments[name]:
        return module
    assignments = top.assignments[name]  # the module's own and each `global name; name = …`
    # a module's own names are Assignments (builtins live in another scope)
    targets = {id(a.node) for a in assignments if isinstance(a, Assignment)}
    readers = {id(r.node) for a in assignments for r in a.references}
    found = _Leftovers(name)
    wrapper.module.visit(found)
    if not (targets <= found.assigned_none and readers <= found.tested):
        return module  # given something other than None, or read outside a leftover `if`
    return wrapper.module.visit(_RemoveLeftovers(name, targets, readers))


def _is_none(node: cst.BaseExpression | None) -> bool:
    return node is None or m.matches(node, m.Name("None"))


def _tests(test: cst.BaseExpression, name: str) -> bool:
    """`name`, `not name`, `name is None`, `name is not None`."""
    target = m.Name(name)
    return m.matches(test, target | m.UnaryOperation(m.Not(), target) | m.Comparison(
        target, [m.ComparisonTarget(m.Is() | m.IsNot(), m.Name("None"))]))


def _reset(statement: cst.CSTNode, name: str) -> cst.Name | None:
    """The target of `name = None` / `name: T = None` / `name: T`, else None."""
    if isinstance(statement, cst.Assign) and len(statement.targets) == 1:
        target: cst.BaseExpression = statement.targets[0].target
    elif isinstance(statement, cst.AnnAssign):
        target = statement.target
    else:
        return None
    if isinstance(target, cst.Name) and target.value == name and _is_none(statement.value):
        return target
    return None


def _dead_small(statement: cst.BaseSmallStatement, name: str) -> bool:
    if isinstance(statement, cst.Global):
        return any(item.name.value == name for item in statement.names)
    return isinstance(statement, cst.Pass) or _reset(statement, name) is not None


def _dead(statement: cst.BaseStatement | cst.BaseSuite, name: str) -> bool:
    """Only declares, resets or tests `name`: `if name is not None: name = None` and the like."""
    if isinstance(statement, (cst.SimpleStatementLine, cst.SimpleStatementSuite)):
        return all(_dead_small(s, name) for s in statement.body)
    if isinstance(statement, cst.IndentedBlock):
        return all(_dead(s, name) for s in statement.body)
    if isinstance(statement, cst.If):
        orelse = statement.orelse
        return (_tests(statement.test, name) and _dead(statement.body, name)
                and (orelse is None or _dead(orelse if isinstance(orelse, cst.If)
                                             else orelse.body, name)))
    return False


class _Leftovers(cst.CSTVisitor):
    """Which assignments of `name` are `= None` statements, which of its reads are the tests of
    leftover ifs (by node id)."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.assigned_none: set[int] = set()
        self.tested: set[int] = set()

    def _resets(self, statements: Sequence[cst.BaseSmallStatement]) -> None:
        for statement in statements:
            target = _reset(statement, self.name)
            if target is not None:
                self.assigned_none.add(id(target))

    def visit_SimpleStatementLine(self, node: cst.SimpleStatementLine) -> None:
        self._resets(node.body)

    def visit_If(self, node: cst.If) -> None:
        if _dead(node, self.name):  # `if _pool: _pool = None` on one line is removed whole too
            self.tested.update(id(n) for n in m.findall(node.test, m.Name(self.name)))
            for suite in m.findall(node, m.SimpleStatementSuite()):
                if isinstance(suite, cst.SimpleStatementSuite):  # what findall found
                    self._resets(suite.body)


class _RemoveLeftovers(cst.CSTTransformer):
    """Removes the global's leftovers; a block left empty gets `pass`."""

    def __init__(self, name: str, targets: set[int], readers: set[int]) -> None:
        super().__init__()
        self.name, self.targets, self.readers = name, targets, readers

    def leave_If(self, original: cst.If,
                 updated: cst.If) -> cst.BaseStatement | cst.RemovalSentinel:
        tested = {id(n) for n in m.findall(original.test, m.Name(self.name))}
        resets = {id(_reset(a, self.name))
                  for a in m.findall(original, m.Assign() | m.AnnAssign())}
        if tested and tested <= self.readers and resets <= self.targets \
                and _dead(original, self.name):  # it tests and resets the global, not a local
            return cst.RemovalSentinel.REMOVE
        return updated

    def leave_SimpleStatementLine(
        self, original: cst.SimpleStatementLine, updated: cst.SimpleStatementLine
    ) -> cst.SimpleStatementLine | cst.RemovalSentinel:
        kept: list[cst.BaseSmallStatement] = []
        changed = False
        for old, new in zip(original.body, updated.body):
            reset = _reset(old, self.name)
            if isinstance(new, cst.Global) and _dead_small(new, self.name):
                changed = True
                names = [n for n in new.names if n.name.value != self.name]
                if names:
                    names[-1] = names[-1].with_changes(comma=cst.MaybeSentinel.DEFAULT)
                    kept.append(new.with_changes(names=names))
            elif reset is not None and id(reset) in self.targets:
                changed = True
            else:
                kept.append(new)
        if not changed:
            return updated
        if not kept:
            return cst.RemovalSentinel.REMOVE
        kept[-1] = kept[-1].with_changes(semicolon=cst.MaybeSentinel.DEFAULT)
        return updated.with_changes(body=kept)

    def leave_IndentedBlock(self, original: cst.IndentedBlock,
                            updated: cst.IndentedBlock) -> cst.IndentedBlock:
        return updated.with_changes(body=ensure_body(updated.body))

"""`client = Redis.from_url(url)` at module level → (removed); pools built for it go too."""

from __future__ import annotations

from collections.abc import Collection
from typing import Self

import libcst as cst
from libcst.codemod import CodemodContext

from ._common import PathAwareCommand, is_constructor, unwrap_await
from ._contract import FileEdits, RunInputs, Serves


class RemoveModuleClient(PathAwareCommand):
    """Deletes the module-level assignments that create the named clients and pools.

    Only an assignment whose value resolves to a Redis constructor is removed; any other
    assignment to the same name is left alone and reported through `warn`.
    """

    DESCRIPTION = "Remove module-level Redis clients and pools (rewrites 1 and 5)."
    SERVES = Serves(kinds=("remove_names",), order=50, shares_pass=True)

    def __init__(self, context: CodemodContext, names: Collection[str]) -> None:
        super().__init__(context)
        self.names = frozenset(names)
        self.removed: set[str] = set()

    @classmethod
    def from_plan(cls, context: CodemodContext, plan: FileEdits, run: RunInputs) -> Self:
        """Built from one file's edit plan (the engine picks it by `SERVES`)."""
        return cls(context, plan.remove_names)

    def leave_SimpleStatementLine(
        self, original: cst.SimpleStatementLine, updated: cst.SimpleStatementLine
    ) -> cst.SimpleStatementLine | cst.RemovalSentinel:
        if self.paths.depth or len(original.body) != 1:  # module level only
            return updated
        statement = original.body[0]
        if not isinstance(statement, (cst.Assign, cst.AnnAssign)):
            return updated
        target = _single_name_target(statement)
        if target is None or target not in self.names:
            return updated
        value = unwrap_await(statement.value) if statement.value is not None else None
        callee = value.func if isinstance(value, cst.Call) else None
        if callee is None or not is_constructor(
                self.qualified_names(callee)):
            self.warn(f"{target} is assigned something other than a Redis client; kept")
            return updated
        self.removed.add(target)
        return cst.RemovalSentinel.REMOVE


def _single_name_target(statement: cst.BaseSmallStatement) -> str | None:
    if isinstance(statement, cst.Assign) and len(statement.targets) == 1:
        target = statement.targets[0].target
    elif isinstance(statement, cst.AnnAssign):
        target = statement.target
    else:
        return None
    return target.value if isinstance(target, cst.Name) else None

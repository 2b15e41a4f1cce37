"""`await client.aclose()` on the shared client, or on a client just rewritten to it → (removed).

Only `close_redis()` may close the shared client (seed §5). A `try/finally` whose `finally`
only closed the client collapses to its body; `async with get_redis():` keeps its body.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping

import libcst as cst
from libcst.codemod import CodemodContext
from libcst.metadata import QualifiedNameProvider

from ._common import (
    PathAwareCommand, absolute_names, compat_module, dotted, ensure_body, unwrap_await,
)

CLOSE_METHODS = frozenset({"close", "aclose", "wait_closed", "disconnect"})


class RemoveCloseCalls(PathAwareCommand):
    """Removes close calls in the named functions (None: module level) on the given receivers.

    A receiver is a dotted spelling (`r`, `self._redis`, `_pool`) or any call of the lifecycle
    module's `get_redis`.
    """

    DESCRIPTION = "Close calls on the shared client outside close_redis() -> removed (rewrite 6)."
    METADATA_DEPENDENCIES = (QualifiedNameProvider,)

    def __init__(self, context: CodemodContext, functions: Mapping[str | None, Collection[str]],
                 lifecycle: str, module: str, package: str) -> None:
        super().__init__(context)
        self.functions = {k: frozenset(v) for k, v in functions.items()}
        self.accessors = {f"{lifecycle}.get_redis", f"{lifecycle}.get_sync_redis",
                          f"{compat_module(lifecycle)}.get_compat_redis"}
        self.module_name, self.package = module, package
        self.removed = 0

    def left_function(self, path: str, original: cst.FunctionDef,
                      updated: cst.FunctionDef) -> cst.FunctionDef:
        return _fill(updated)

    def _is_shared(self, node: cst.BaseExpression) -> bool:
        node = unwrap_await(node)
        if not isinstance(node, cst.Call):
            return False
        names = absolute_names(self.get_metadata(QualifiedNameProvider, node.func, set()),
                               self.module_name, self.package)
        return bool(self.accessors & names)

    def _is_receiver(self, node: cst.BaseExpression) -> bool:
        receivers = self.functions.get(self.paths.current)
        if receivers is None:
            return False
        return self._is_shared(node) or dotted(node) in receivers

    def _is_close(self, expression: cst.BaseExpression) -> bool:
        call = unwrap_await(expression)
        if not (isinstance(call, cst.Call) and isinstance(call.func, cst.Attribute)):
            return False
        method = call.func.attr.value
        receiver = call.func.value
        if method == "disconnect" and isinstance(receiver, cst.Attribute) \
                and receiver.attr.value == "connection_pool":
            receiver = receiver.value
        return method in CLOSE_METHODS and self._is_receiver(receiver)

    def leave_SimpleStatementLine(
        self, original: cst.SimpleStatementLine, updated: cst.SimpleStatementLine
    ) -> cst.SimpleStatementLine | cst.RemovalSentinel:
        if len(original.body) == 1 and isinstance(original.body[0], cst.Expr) \
                and self._is_close(original.body[0].value):
            self.removed += 1
            return cst.RemovalSentinel.REMOVE
        return updated

    def leave_Try(self, original: cst.Try,
                  updated: cst.Try) -> cst.BaseStatement | cst.FlattenSentinel[cst.BaseStatement]:
        final = updated.finalbody
        if final is None or not isinstance(final.body, cst.IndentedBlock) or final.body.body:
            return _fill_try(updated)
        if updated.handlers or updated.orelse is not None:
            return _fill_try(updated.with_changes(finalbody=None))
        # nothing left to do in `finally`: the try body stands on its own
        body = list(updated.body.body) if isinstance(updated.body, cst.IndentedBlock) else []
        if not body:
            return cst.RemovalSentinel.REMOVE  # type: ignore[return-value]
        body[0] = body[0].with_changes(leading_lines=[*updated.leading_lines,
                                                      *body[0].leading_lines])
        return cst.FlattenSentinel(body)

    def leave_With(self, original: cst.With,
                   updated: cst.With) -> cst.BaseStatement | cst.FlattenSentinel[cst.BaseStatement]:
        if len(original.items) != 1 or original.items[0].asname is not None \
                or not self._is_receiver(original.items[0].item):
            return updated
        body = list(updated.body.body) if isinstance(updated.body, cst.IndentedBlock) else []
        if not body:
            return updated
        self.removed += 1
        body[0] = body[0].with_changes(leading_lines=[*updated.leading_lines,
                                                      *body[0].leading_lines])
        return cst.FlattenSentinel(body)

    def leave_If(self, original: cst.If, updated: cst.If) -> cst.If:
        return _fill(updated)

    def leave_For(self, original: cst.For, updated: cst.For) -> cst.For:
        return _fill(updated)

    def leave_While(self, original: cst.While, updated: cst.While) -> cst.While:
        return _fill(updated)

    def leave_Else(self, original: cst.Else, updated: cst.Else) -> cst.Else:
        return _fill(updated)

    def leave_ExceptHandler(self, original: cst.ExceptHandler,
                            updated: cst.ExceptHandler) -> cst.ExceptHandler:
        return _fill(updated)


def _fill(node):  # type: ignore[no-untyped-def]
    """`node` with `pass` in its block if removals emptied it."""
    body = getattr(node, "body", None)
    if isinstance(body, cst.IndentedBlock) and not body.body:
        return node.with_changes(body=body.with_changes(body=ensure_body([])))
    return node


def _fill_try(node: cst.Try) -> cst.Try:
    node = _fill(node)
    if node.finalbody is not None:
        node = node.with_changes(finalbody=_fill(node.finalbody))
    return node

"""`await client.aclose()` on the shared client, or on a client just rewritten to it → (removed).

Only `close_redis()` may close the shared client (seed §5). A `try/finally` whose `finally`
only closed the client collapses to its body; `async with get_redis():` keeps its body. The
aioredis 1.x pair `pool.close(); await pool.wait_closed()` goes whole, on one line or two.

What a moved lazy getter's shutdown leaves behind goes too, when nothing else uses its global:

    async def shutdown():                     async def shutdown():
        global _pool                              pass
        if _pool is not None:         →
            _pool.close()
            await _pool.wait_closed()
            _pool = None

with the module-level `_pool = None` (the getter already returns get_redis()).
"""

from __future__ import annotations

import ast
from collections.abc import Collection, Mapping
from typing import Self

import libcst as cst
from libcst.codemod import CodemodContext

from ._common import (
    NodeT,
    PathAwareCommand,
    absolute_names,
    compat_module,
    dotted,
    ensure_body,
    leading_lines,
    unwrap_await,
)
from ._contract import FileEdits, RunInputs, Serves, spelled
from ._released_globals import drop_released_global

CLOSE_METHODS = frozenset({"close", "aclose", "wait_closed", "disconnect"})


class RemoveCloseCalls(PathAwareCommand):
    """Removes close calls in the named functions (None: module level) on the given receivers.

    A receiver is a dotted spelling (`r`, `self._redis`, `_pool`) or any call of the lifecycle
    module's `get_redis`.
    """

    DESCRIPTION = "Close calls on the shared client outside close_redis() -> removed (rewrite 6)."
    # after the moves: a close on what is now get_redis() is one of the shared client's
    SERVES = Serves(kinds=("closes", "released_globals", "lambda_closes"), order=60)

    def __init__(self, context: CodemodContext, functions: Mapping[str | None, Collection[str]],
                 lifecycle: str, module: str, package: str,
                 released: Collection[str] = (),
                 replaced: Collection[str | None] = (),
                 lambdas: Mapping[str | None, Collection[str]] | None = None,
                 close_name: str = "close_redis",
                 inserted: Collection[str] = ("get_redis", "get_sync_redis")) -> None:
        """`replaced`: functions (shutdown hooks) whose awaited close becomes
        `await close_redis()`; `lambdas`: per enclosing function, the receivers closed in a
        lambda's body (`lambda app: app["redis"].aclose()` -> `lambda app: close_redis()`)."""
        super().__init__(context)
        self.functions = {k: frozenset(v) for k, v in functions.items()}
        self.replaced = frozenset(replaced)
        self.lambdas = {k: frozenset(v) for k, v in (lambdas or {}).items()}
        self.close_name = close_name
        # the accessors as the earlier codemods of this file spelled them: their import comes
        # last (UpdateRedisImports), so until then the name resolves to nothing
        self.inserted = frozenset(inserted)
        self._replaced_in: set[str | None] = set()
        # module globals that cached a client now reached through get_redis()
        self.released = frozenset(released)
        self.accessors = {f"{lifecycle}.get_redis", f"{lifecycle}.get_sync_redis",
                          f"{compat_module(lifecycle)}.get_compat_redis"}
        self.module_name, self.package = module, package
        self.removed = 0

    @classmethod
    def from_plan(cls, context: CodemodContext, plan: FileEdits, run: RunInputs) -> Self:
        """Built from one file's edit plan (the engine picks it by `SERVES`)."""
        return cls(context, plan.closes, run.lifecycle, plan.module, plan.package,
                   released=plan.released_globals, replaced=plan.replaced_closes,
                   lambdas=plan.lambda_closes, close_name=spelled("close_redis", plan),
                   inserted=[spelled(name, plan) for name in ("get_redis", "get_sync_redis")])

    def acts_in(self) -> Collection[str] | None:
        """The defs whose closes it removes: only there does it change anything (a block left
        empty is one it emptied). Closes at the module's level are read in class bodies too
        (no def around them): then every def and class is visited."""
        paths = {*self.functions, *self.lambdas, *self.replaced}
        return None if None in paths else {p for p in paths if p is not None}

    def left_function(self, path: str, original: cst.FunctionDef,
                      updated: cst.FunctionDef) -> cst.FunctionDef:
        return _fill(updated)

    def _is_shared(self, node: cst.BaseExpression) -> bool:
        node = unwrap_await(node)
        if not isinstance(node, cst.Call):
            return False
        found = self.qualified_names(node.func)
        if not found and isinstance(node.func, cst.Name) and node.func.value in self.inserted:
            return True  # `get_redis()` a rewrite put here, not imported yet: bound nowhere
        names = absolute_names(found, self.module_name, self.package)
        return bool(self.accessors & names)

    def _is_receiver(self, node: cst.BaseExpression,
                     receivers: frozenset[str] | None = None) -> bool:
        if receivers is None:
            receivers = self.functions.get(self.paths.current)
        if receivers is None:
            return False
        return self._is_shared(node) or dotted(node) in receivers or (
            not isinstance(node, (cst.Name, cst.Attribute)) and normalized(node) in receivers)

    def leave_Lambda(self, original: cst.Lambda, updated: cst.Lambda) -> cst.Lambda:
        receivers = self.lambdas.get(self.paths.current)
        if receivers is None or not self._is_close(original.body, receivers):
            return updated
        self.removed += 1
        return updated.with_changes(body=cst.Call(func=cst.Name(self.close_name)))

    def _is_close(self, expression: cst.BaseExpression,
                  receivers: frozenset[str] | None = None) -> bool:
        call = unwrap_await(expression)
        if not (isinstance(call, cst.Call) and isinstance(call.func, cst.Attribute)):
            return False
        method = call.func.attr.value
        receiver = call.func.value
        if method == "disconnect" and isinstance(receiver, cst.Attribute) \
                and receiver.attr.value == "connection_pool":
            receiver = receiver.value
        return method in CLOSE_METHODS and self._is_receiver(receiver, receivers)

    def leave_SimpleStatementLine(
        self, original: cst.SimpleStatementLine, updated: cst.SimpleStatementLine
    ) -> cst.SimpleStatementLine | cst.RemovalSentinel:
        function = self.paths.current
        kept: list[cst.BaseSmallStatement] = []
        closes = 0
        for old, new in zip(original.body, updated.body):
            if not (isinstance(old, cst.Expr) and self._is_close(old.value)):
                kept.append(new)
                continue
            closes += 1
            if (function in self.replaced and function not in self._replaced_in
                    and isinstance(old.value, cst.Await)):
                # a shutdown hook: the shared client's close takes the old client's place
                self._replaced_in.add(function)
                kept.append(new.with_changes(value=cst.Await(
                    expression=cst.Call(func=cst.Name(self.close_name)))))
        if not closes:
            return updated
        self.removed += closes
        if not kept:
            return cst.RemovalSentinel.REMOVE
        kept[-1] = kept[-1].with_changes(semicolon=cst.MaybeSentinel.DEFAULT)
        return updated.with_changes(body=kept)

    def leave_Module(self, original: cst.Module, updated: cst.Module) -> cst.Module:
        for name in sorted(self.released):
            updated = drop_released_global(updated, name)
        return updated

    def leave_Try(self, original: cst.Try, updated: cst.Try) -> (
            cst.BaseStatement | cst.FlattenSentinel[cst.BaseStatement] | cst.RemovalSentinel):
        final = updated.finalbody
        if final is None or not isinstance(final.body, cst.IndentedBlock) or final.body.body:
            return _fill_try(updated)
        if updated.handlers or updated.orelse is not None:
            return _fill_try(updated.with_changes(finalbody=None))
        # nothing left to do in `finally`: the try body stands on its own
        body = list(updated.body.body) if isinstance(updated.body, cst.IndentedBlock) else []
        if not body:
            return cst.RemovalSentinel.REMOVE
        body[0] = body[0].with_changes(leading_lines=[*updated.leading_lines,
                                                      *leading_lines(body[0])])
        return cst.FlattenSentinel(body)

    def leave_With(self, original: cst.With,
                   updated: cst.With) -> cst.BaseStatement | cst.FlattenSentinel[cst.BaseStatement]:
        if len(original.items) != 1 or not self._is_receiver(original.items[0].item):
            return updated
        body = list(updated.body.body) if isinstance(updated.body, cst.IndentedBlock) else []
        item = updated.items[0]
        if item.asname is not None:
            # `async with make_client() as client:` closed it on exit: keep the binding only
            if not isinstance(item.asname.name, cst.Name):
                return updated
            body.insert(0, cst.SimpleStatementLine(body=[cst.Assign(
                targets=[cst.AssignTarget(target=item.asname.name)], value=item.item)]))
        if not body:
            return updated
        self.removed += 1
        body[0] = body[0].with_changes(leading_lines=[*updated.leading_lines,
                                                      *leading_lines(body[0])])
        return cst.FlattenSentinel(body)

    def leave_If(self, original: cst.If,
                 updated: cst.If) -> cst.If | cst.RemovalSentinel:
        # `if self.client: await self.client.aclose()` guarded only the close: it goes whole,
        # when its test only reads names (nothing it could do is lost)
        if (isinstance(updated.body, cst.IndentedBlock) and not updated.body.body
                and isinstance(original.body, cst.IndentedBlock) and original.body.body
                and updated.orelse is None and _reads_only(updated.test)):
            return cst.RemovalSentinel.REMOVE
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


def normalized(node: cst.BaseExpression) -> str:
    """An expression's source as `ast.unparse` spells it (the analysis' spelling)."""
    code = cst.Module(body=[]).code_for_node(node)
    try:
        return ast.unparse(ast.parse(code.strip(), mode="eval"))
    except SyntaxError:
        return code


def _reads_only(test: cst.BaseExpression) -> bool:
    """A test made of names, attributes, `None`, `not`, `and`/`or` and comparisons only."""
    if isinstance(test, cst.Name):
        return True
    if isinstance(test, cst.Attribute):
        return _reads_only(test.value)
    if isinstance(test, cst.UnaryOperation):
        return isinstance(test.operator, cst.Not) and _reads_only(test.expression)
    if isinstance(test, cst.BooleanOperation):
        return _reads_only(test.left) and _reads_only(test.right)
    if isinstance(test, cst.Comparison):
        return _reads_only(test.left) and all(_reads_only(c.comparator)
                                               for c in test.comparisons)
    return False


def _fill(node: NodeT) -> NodeT:
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

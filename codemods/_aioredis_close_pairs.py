"""C6/N11/N13: closing the migrated client, `r.close()` + `await r.wait_closed()` (or
`await r.close()`), becomes `await r.aclose()` inside close_redis() and is flagged anywhere else.
"""

from __future__ import annotations

from collections.abc import Callable

import libcst as cst

from . import _aioredis_rules as rules
from ._aioredis_result_usage import Parent

ClientCall = Callable[[cst.BaseExpression], str | None]  # the method, on a migrated client
Flag = Callable[[cst.CSTNode, str, str], None]  # (node, rule, reason)


class ClosePairs:
    """Rewrites the close statements of one module, statement by statement, in walk order.

    A close is seen before the `wait_closed()` that goes with it (same line or next line), so
    it decides that statement's fate too: dropped once the close became `aclose()`, kept when
    the close was flagged. A lone `wait_closed()` goes: redis.asyncio has nothing like it.
    """

    def __init__(self, client_call: ClientCall, parent: Parent, flag: Flag, v1: bool) -> None:
        self._client_call = client_call
        self._parent = parent
        self._flag = flag
        self._v1 = v1
        self._drop: set[cst.CSTNode] = set()  # wait_closed() of a close made aclose()
        self._aclose: set[cst.CSTNode] = set()  # wait_closed() of a flagged close: kept

    def rewrite(self, line: cst.SimpleStatementLine, index: int,
                statement: cst.BaseSmallStatement,
                in_close_redis: bool) -> cst.BaseSmallStatement | None:
        """`statement` (body[index] of `line`, as updated so far) rewritten; None: remove it."""
        kind = self._close_kind(line.body[index])
        if kind is None:
            return statement
        what, receiver = kind
        rule = "C6" if self._v1 else "N11" if what == "await-close" else "N13"
        if what == "wait":
            if line.body[index] in self._drop or line in self._drop:
                return None
            if line.body[index] in self._aclose or line in self._aclose:
                return statement
            return None  # a lone wait_closed(): nothing like it exists in redis.asyncio
        pair = self._next_wait(line, index, receiver) if what == "close" else None
        if pair is not None:
            rule = "C6" if self._v1 else "N13"
        if not in_close_redis:
            self._flag(line.body[index], rule, "closes the shared client outside "
                                               "close_redis()")
            if pair is not None:
                self._aclose.add(pair)
            return statement
        if pair is not None:
            self._drop.add(pair)
        return cst.Expr(cst.parse_expression(f"await {receiver}.aclose()"),
                        semicolon=statement.semicolon)

    def _close_kind(self, statement: cst.BaseSmallStatement) -> tuple[str, str] | None:
        """("close" | "await-close" | "wait", receiver code) for close-ish statements."""
        if not isinstance(statement, cst.Expr):
            return None
        value = statement.value
        awaited = isinstance(value, cst.Await)
        call = value.expression if isinstance(value, cst.Await) else value
        if not (isinstance(call, cst.Call) and isinstance(call.func, cst.Attribute)):
            return None  # not a method call, so not a client's
        method = self._client_call(call)
        if method == "close":
            return ("await-close" if awaited else "close"), rules.code(call.func.value)
        if method == "wait_closed" and awaited:
            return "wait", rules.code(call.func.value)
        return None

    def _siblings(self, line: cst.SimpleStatementLine) -> list[cst.CSTNode]:
        parent = self._parent(line)
        body = getattr(parent, "body", None)
        return list(body) if isinstance(body, (list, tuple)) else []

    def _next_wait(self, line: cst.SimpleStatementLine, index: int,
                   receiver: str) -> cst.CSTNode | None:
        """The `await X.wait_closed()` right after the close at body[index] of `line`."""
        if index + 1 < len(line.body):
            kind = self._close_kind(line.body[index + 1])
            return line.body[index + 1] if kind == ("wait", receiver) else None
        siblings = self._siblings(line)
        position = next((i for i, s in enumerate(siblings) if s is line), None)
        if position is None or position + 1 >= len(siblings):
            return None
        following = siblings[position + 1]
        if isinstance(following, cst.SimpleStatementLine) and following.body \
                and self._close_kind(following.body[0]) == ("wait", receiver):
            return following
        return None

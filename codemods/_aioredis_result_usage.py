"""What the result of a command call is used for (`Site.usage` of the aioredis rule table).

A rule whose result shape changes in redis.asyncio (smembers: list → set) rewrites a call only
when nothing that differs between the shapes touches the result: discarded, tested for truth,
tested with `in`, passed to len() or iterated. Pure: it reads the tree through `parent`.
"""

from __future__ import annotations

from collections.abc import Callable

import libcst as cst

Parent = Callable[[cst.CSTNode], cst.CSTNode | None]  # the parent of a node in the module

# builtins that only iterate their argument
_ITERATING = frozenset({"sorted", "list", "set", "tuple", "any", "all", "frozenset"})


def result_usage(call: cst.Call, parent: Parent) -> str:
    """What the value of `call` (awaited or not) is used for: discarded | truth | in | len |
    iter | is | compare-eq | compare-false | used."""
    awaited = parent(call)
    return _usage(awaited if isinstance(awaited, cst.Await) else call, parent)


def _usage(node: cst.CSTNode, parent: Parent) -> str:
    above = parent(node)
    if isinstance(above, cst.Expr):
        return "discarded"
    if isinstance(above, cst.ComparisonTarget):
        comparison = parent(above)
        if isinstance(above.operator, (cst.In, cst.NotIn)):
            return "in"
        other = comparison.left if isinstance(comparison, cst.Comparison) else None
        return _compared(above.operator, other)
    if isinstance(above, cst.Comparison):
        target = above.comparisons[0]
        return _compared(target.operator, target.comparator)
    if isinstance(above, (cst.If, cst.While, cst.IfExp)) and above.test is node \
            or isinstance(above, cst.UnaryOperation) and isinstance(above.operator, cst.Not):
        return "truth"
    if isinstance(above, cst.BooleanOperation):
        # `a or b`, `a and b`: the value of either operand can become the expression's, so
        # it is used as the expression is; the left one is also tested for truth
        outer = _usage(above, parent)
        return "truth" if above.left is node and outer == "discarded" else outer
    if isinstance(above, (cst.For, cst.CompFor)) and above.iter is node:
        return "iter"
    if isinstance(above, cst.Arg):
        call = parent(above)
        if isinstance(call, cst.Call) and isinstance(call.func, cst.Name):
            if call.func.value == "len":
                return "len"
            if call.func.value in _ITERATING:
                return "iter"
    return "used"


def _compared(operator: cst.BaseCompOp, other: cst.BaseExpression | None) -> str:
    false = isinstance(other, cst.Name) and other.value == "False"
    if isinstance(operator, (cst.Is, cst.IsNot)):
        return "compare-false" if false else "is"
    if isinstance(operator, (cst.Equal, cst.NotEqual)):
        return "compare-false" if false else "compare-eq"
    return "used"

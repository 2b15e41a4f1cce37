"""Small LibCST builders and readers for call arguments, used by the aioredis rewrites: make
`name=value` and positional arguments, read a call's positional and keyword arguments, swap
a call's arguments with commas repaired, and build lists, dicts and strings."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

import libcst as cst
from libcst import MaybeSentinel

_EQ = cst.AssignEqual(whitespace_before=cst.SimpleWhitespace(""),
                      whitespace_after=cst.SimpleWhitespace(""))


def kwarg(name: str, value: cst.BaseExpression) -> cst.Arg:
    return cst.Arg(value=value, keyword=cst.Name(name), equal=_EQ)


def parg(value: cst.BaseExpression, star: Literal["", "*", "**"] = "") -> cst.Arg:
    return cst.Arg(value=value, star=star)


def positional(call: cst.Call) -> list[cst.Arg]:
    return [a for a in call.args if a.keyword is None]


def keywords(call: cst.Call) -> dict[str, cst.Arg]:
    return {a.keyword.value: a for a in call.args if a.keyword is not None}


def starred(call: cst.Call) -> bool:
    return any(a.star for a in call.args)


def with_args(call: cst.Call, args: Sequence[cst.Arg], method: str | None = None) -> cst.Call:
    """`call` with new arguments (commas repaired) and, optionally, a new method name."""
    last = call.args[-1].comma if call.args else MaybeSentinel.DEFAULT
    fixed = [a.with_changes(comma=MaybeSentinel.DEFAULT) if i == len(args) - 1
             or a.comma is MaybeSentinel.DEFAULT else a for i, a in enumerate(args)]
    if fixed:
        fixed[-1] = fixed[-1].with_changes(comma=last)
    func = call.func
    if method is not None and isinstance(func, cst.Attribute):
        func = func.with_changes(attr=cst.Name(method))
    return call.with_changes(func=func, args=fixed)


def renamed(call: cst.Call, names: dict[str, str]) -> list[cst.Arg]:
    return [a.with_changes(keyword=cst.Name(names[a.keyword.value]))
            if a.keyword is not None and a.keyword.value in names else a for a in call.args]


def literal_bool(node: cst.BaseExpression) -> bool | None:
    if isinstance(node, cst.Name) and node.value in ("True", "False"):
        return node.value == "True"
    return None


def is_none(node: cst.BaseExpression) -> bool:
    return isinstance(node, cst.Name) and node.value == "None"


def negated(node: cst.BaseExpression) -> cst.BaseExpression:
    value = literal_bool(node)
    if value is not None:
        return cst.Name(str(not value))
    return cst.UnaryOperation(operator=cst.Not(),
                              expression=node.with_changes(lpar=[cst.LeftParen()],
                                                           rpar=[cst.RightParen()]))


def int_like(node: cst.BaseExpression) -> bool:
    """Statically an int: an integer literal (signed), `int(…)` or `len(…)`."""
    if isinstance(node, cst.UnaryOperation) and isinstance(node.operator, cst.Minus):
        node = node.expression
    if isinstance(node, cst.Integer):
        return True
    return isinstance(node, cst.Call) and isinstance(node.func, cst.Name) \
        and node.func.value in ("int", "len")


def float_millis(node: cst.BaseExpression) -> cst.Integer | None:
    """A float literal in seconds as an integer literal in milliseconds (1.x `int(t*1000)`)."""
    if isinstance(node, cst.Float):
        return cst.Integer(str(int(float(node.value) * 1000)))
    return None


def code(node: cst.CSTNode) -> str:
    return cst.Module([]).code_for_node(node)


def list_of(items: Sequence[cst.BaseExpression | cst.StarredElement]) -> cst.List:
    return cst.List([i if isinstance(i, cst.StarredElement) else cst.Element(i) for i in items])


def element_of(arg: cst.Arg) -> cst.BaseExpression | cst.StarredElement:
    if arg.star == "*":
        return cst.StarredElement(arg.value)
    return arg.value


def dict_of(pairs: Sequence[tuple[cst.BaseExpression, cst.BaseExpression]]) -> cst.Dict:
    return cst.Dict([cst.DictElement(k, v) for k, v in pairs])


def string_of(text: str) -> cst.SimpleString:
    return cst.SimpleString(f'"{text}"')

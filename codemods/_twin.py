"""Copying a statement as its blocking twin: names renamed, `socket_timeout=None`, realigned.

Used by `add_blocking_client`: a copy of `_client = Redis.from_url(url, socket_timeout=5)` is
`_client_blocking = Redis.from_url(url, socket_timeout=None)`, with its aligned continuation
lines moved right by as much as the target grew.
"""

from __future__ import annotations

import libcst as cst

from ._common import NodeT, transformed

SUFFIX = "_blocking"
# calls that carry connection options (a `Redis(connection_pool=...)` does not)
OPTION_CALLS = frozenset({"from_url", "Redis", "StrictRedis", "ConnectionPool",
                          "BlockingConnectionPool", "create_redis_pool"})


class Renamer(cst.CSTTransformer):
    """Renames the central client's holders inside a copied statement."""

    def __init__(self, holders: tuple[str, ...], instances: dict[str, str]) -> None:
        self.names = {h for h in holders if "." not in h}
        self.attributes: dict[str, set[str]] = {}
        for holder in holders:
            if "." in holder:
                receiver, _, attribute = holder.rpartition(".")
                owners = {receiver, "self"}
                if receiver == "self":
                    owners |= set(instances)
                self.attributes.setdefault(attribute, set()).update(owners)
        self.changed = False

    def new_names(self) -> set[str]:
        return {n + SUFFIX for n in self.names}

    def copy(self, node: NodeT, blocking_options: bool = False) -> tuple[NodeT, bool]:
        self.changed = False
        copied = transformed(node, self)
        changed = self.changed
        if blocking_options:
            copied = transformed(copied, NoSocketTimeout())
        return copied, changed

    def mentions(self, node: cst.CSTNode) -> bool:
        return self.copy(node)[1]

    def leave_Name(self, original: cst.Name, updated: cst.Name) -> cst.Name:
        if original.value in self.names:
            self.changed = True
            return updated.with_changes(value=original.value + SUFFIX)
        return updated

    def leave_Attribute(self, original: cst.Attribute, updated: cst.Attribute) -> cst.Attribute:
        owners = self.attributes.get(original.attr.value)
        if owners and isinstance(original.value, cst.Name) and original.value.value in owners:
            self.changed = True
            return updated.with_changes(attr=cst.Name(original.attr.value + SUFFIX))
        return updated

    def leave_Arg(self, original: cst.Arg, updated: cst.Arg) -> cst.Arg:
        # a copy renames values, never the keyword names of a call (`client=...`)
        return updated.with_changes(keyword=original.keyword)


class NoSocketTimeout(cst.CSTTransformer):
    """`socket_timeout=None` on every call that carries connection options."""

    def leave_Call(self, original: cst.Call, updated: cst.Call) -> cst.Call:
        if callee_last(original.func) not in OPTION_CALLS:
            return updated
        if any(a.keyword and a.keyword.value == "connection_pool" for a in updated.args):
            return updated
        args = list(updated.args)
        for index, arg in enumerate(args):
            if arg.keyword and arg.keyword.value == "socket_timeout":
                args[index] = arg.with_changes(value=cst.Name("None"))
                return updated.with_changes(args=args)
        spreads = [i for i, a in enumerate(args) if a.star == "**"]
        if spreads:
            # `**options` may hold socket_timeout itself: override it inside the spread
            index = spreads[-1]
            merged = cst.parse_expression(
                f"{{**{cst.Module([]).code_for_node(args[index].value)}, "
                f"\"socket_timeout\": None}}")
            args[index] = args[index].with_changes(value=merged)
            return updated.with_changes(args=args)
        new = cst.Arg(keyword=cst.Name("socket_timeout"), value=cst.Name("None"),
                      equal=cst.AssignEqual(cst.SimpleWhitespace(""), cst.SimpleWhitespace("")))
        if args:
            last = args[-1]
            comma = last.comma
            if isinstance(comma, cst.Comma):  # a trailing comma (one argument a line): keep it
                separator = (args[-2].comma.whitespace_after if len(args) > 1
                             and isinstance(args[-2].comma, cst.Comma)
                             else updated.whitespace_before_args)
                if not isinstance(separator, cst.ParenthesizedWhitespace):
                    separator = cst.SimpleWhitespace(" ")
                args[-1] = last.with_changes(comma=comma.with_changes(whitespace_after=separator))
                new = new.with_changes(comma=comma)
            else:
                args[-1] = last.with_changes(comma=cst.Comma(
                    whitespace_after=cst.SimpleWhitespace(" ")))
        args.append(new)
        return updated.with_changes(args=args)


class Realign(cst.CSTTransformer):
    """Continuation lines aligned with an opening bracket move right with the renamed target."""

    def __init__(self, delta: int) -> None:
        self.delta = delta

    def leave_Call(self, original: cst.Call, updated: cst.Call) -> cst.Call:
        if self.delta <= 0 or isinstance(original.whitespace_before_args,
                                         cst.ParenthesizedWhitespace):
            return updated  # a hanging indent does not depend on the target's length
        return updated.with_changes(args=[arg.visit(Shift(self.delta)) for arg in updated.args])


class Shift(cst.CSTTransformer):
    def __init__(self, delta: int) -> None:
        self.delta = delta

    def leave_ParenthesizedWhitespace(self, original: cst.ParenthesizedWhitespace,
                                      updated: cst.ParenthesizedWhitespace
                                      ) -> cst.ParenthesizedWhitespace:
        return updated.with_changes(last_line=cst.SimpleWhitespace(
            updated.last_line.value + " " * self.delta))


def renamed_targets(renamer: Renamer, line: cst.SimpleStatementLine) -> int:
    statement = line.body[0] if line.body else None
    # `name: T = ...` is left as it is: the annotation sits between, alignment is rare
    if isinstance(statement, cst.Assign) and len(statement.targets) == 1:
        return 1 if renamer.mentions(statement.targets[0].target) else 0
    return 0


def callee_last(func: cst.BaseExpression) -> str | None:
    if isinstance(func, cst.Name):
        return func.value
    if isinstance(func, cst.Attribute):
        return func.attr.value
    return None


def has_option_call(node: cst.CSTNode) -> bool:
    found = False

    class _Find(cst.CSTVisitor):
        def visit_Call(self, call: cst.Call) -> None:
            nonlocal found
            if callee_last(call.func) in OPTION_CALLS or callee_last(call.func) == "from_pool":
                found = True

    node.visit(_Find())
    return found

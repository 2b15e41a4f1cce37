"""Where the lines around removed imports go: the comments above a dropped import stay (they
go to the next statement), a file does not start blank because its first import went, and a
group's first import leaves its blank line to the statement that now starts the group."""

from __future__ import annotations

import libcst as cst
from libcst.codemod import CodemodContext

from ._common import RewriteCommand

# the body of a placeholder line standing where a dropped import with comments above it was
KEPT_COMMENTS = "__redis_migrate_kept_comments__"


def hand_on_comments(body: list[cst.BaseStatement], footer: list[cst.EmptyLine],
                     ) -> tuple[list[cst.BaseStatement], list[cst.EmptyLine]]:
    """Remove the placeholders of dropped imports; the comment lines above each go to the
    statement after it (or to the block's end)."""
    held: list[cst.EmptyLine] = []
    kept: list[cst.BaseStatement] = []
    for statement in body:
        if isinstance(statement, cst.SimpleStatementLine) and len(statement.body) == 1 \
                and isinstance(statement.body[0], cst.Expr) \
                and isinstance(statement.body[0].value, cst.Name) \
                and statement.body[0].value.value == KEPT_COMMENTS:
            held += list(statement.leading_lines)
            continue
        if held and isinstance(statement, (cst.SimpleStatementLine, cst.BaseCompoundStatement)):
            statement = statement.with_changes(leading_lines=[*held, *statement.leading_lines])
            held = []
        kept.append(statement)
    return kept, [*held, *footer]


class TidyModuleStart(RewriteCommand):
    """A file never starts with blank lines just because its first import went, and a removed
    import that was the first of its group (after a blank line) leaves that blank line to the
    statement that now starts the group: `import os` / blank / `from aiohttp import web`."""

    DESCRIPTION = "Drop blank lines left at the top of a module by removed imports."

    def __init__(self, context: CodemodContext, started_blank: bool,
                 before: cst.Module | None = None) -> None:
        super().__init__(context)
        self.started_blank = started_blank
        self.before = before  # the module as the rewrite found it

    def leave_Module(self, original: cst.Module, updated: cst.Module) -> cst.Module:
        if self.before is not None:
            updated = _keep_group_breaks(self.before, updated)
        if self.started_blank or updated.header or not updated.body:
            return updated
        first = updated.body[0]
        lines = list(first.leading_lines)
        while lines and lines[0].comment is None:
            lines.pop(0)
        if len(lines) == len(first.leading_lines):
            return updated
        return updated.with_changes(body=[first.with_changes(leading_lines=lines),
                                          *updated.body[1:]])


def _keep_group_breaks(before: cst.Module, after: cst.Module) -> cst.Module:
    """Give a blank line back to a statement whose blank-led predecessor was removed."""
    def code(statement: cst.BaseStatement) -> str:
        return before.code_for_node(statement.with_changes(leading_lines=()))

    def blank_led(statement: cst.SimpleStatementLine | cst.BaseCompoundStatement) -> bool:
        return any(line.comment is None for line in statement.leading_lines)

    # only a group's first statement, followed by one that is not blank-led, hands a line on;
    # statements are compared as text only within a shape (generating every statement's text
    # twice cost as much as a pass over the file)
    after_by_shape: dict[tuple[object, ...], list[cst.BaseStatement]] = {}
    for statement in after.body:
        after_by_shape.setdefault(_shape(statement), []).append(statement)
    kept: dict[tuple[object, ...], set[str]] = {}

    def still_there(statement: cst.BaseStatement) -> bool:
        shape = _shape(statement)
        if shape not in kept:
            kept[shape] = {code(s) for s in after_by_shape.get(shape, ())}
        return code(statement) in kept[shape]

    original: dict[tuple[object, ...], set[str]] = {}  # the before-side texts, by shape

    def rewritten_in_place(previous: cst.BaseStatement, statement: cst.BaseStatement) -> bool:
        """`r = Redis()` became `r = lazy_redis()`: what now comes before `statement` is a
        statement of the same shape, blank-led as `previous` was, whose text is new."""
        text = code(statement)
        at = next((i for i, s in enumerate(after.body) if _shape(s) == _shape(statement)
                   and code(s) == text), None)
        if not at:
            return False
        now = after.body[at - 1]
        shape = _shape(now)
        if shape != _shape(previous) or not blank_led(now):
            return False
        if shape not in original:
            original[shape] = {code(s) for s in before.body if _shape(s) == shape}
        return code(now) not in original[shape]

    inherited: dict[tuple[object, ...], dict[str, list[cst.EmptyLine]]] = {}
    for previous, statement in zip(before.body, before.body[1:]):
        blank = [line for line in previous.leading_lines if line.comment is None]
        if blank and not blank_led(statement) and not still_there(previous) \
                and not rewritten_in_place(previous, statement):
            inherited.setdefault(_shape(statement), {})[code(statement)] = blank[-1:]
    if not inherited:
        return after
    body = list(after.body)
    for index, statement in enumerate(body[1:], start=1):
        candidates = inherited.get(_shape(statement))
        extra = candidates.get(code(statement)) if candidates else None
        if extra and not blank_led(statement):
            body[index] = statement.with_changes(
                leading_lines=[*extra, *statement.leading_lines])
    return after.with_changes(body=body)


def _shape(statement: cst.BaseStatement) -> tuple[object, ...]:
    """What two statements with the same text share: their kind, the kinds of a line's small
    statements, the name a def or class binds."""
    if isinstance(statement, cst.SimpleStatementLine):
        return (cst.SimpleStatementLine, *(type(small) for small in statement.body))
    if isinstance(statement, (cst.FunctionDef, cst.ClassDef)):
        return (type(statement), statement.name.value)
    return (type(statement),)

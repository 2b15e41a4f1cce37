"""`redis: Redis = get_redis_client()` in a dataclass → `redis: Redis = field(default_factory=
get_redis_client)`.

A dataclass field's default runs once, as the class body runs: at import. Once the client behind
it is the lifecycle module's, that call would reach `get_redis()` before `init_redis()` has run,
and fail at import. As a `default_factory` it runs at each construction, after startup, and
hands every instance the one shared client, as the import-time default did. A call with
arguments is wrapped in a `lambda`, so they are evaluated at construction too.

The fields come from the analysis by class path and name; a class that is built at import stays
with a human (`import-time-use`), so it never gets here.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Self

import libcst as cst
from libcst.codemod import CodemodContext, SkipFile
from libcst.codemod.visitors import AddImportsVisitor

from ._common import PathAwareCommand
from ._contract import FileEdits, RunInputs, Serves
from ._names import spelled


class FieldDefaultFactory(PathAwareCommand):
    """Makes the planned dataclass field defaults `field(default_factory=…)`."""

    DESCRIPTION = "Turn dataclass defaults made from a moved client into default factories."
    SERVES = Serves(kinds=("field_defaults",), order=55)

    def __init__(self, context: CodemodContext, fields: Collection[tuple[str, str]]) -> None:
        super().__init__(context)
        self.fields = frozenset(fields)
        self.changed = 0
        self._field = "field"  # how this file spells dataclasses.field
        self._imported = False  # whether it imports it already

    @classmethod
    def from_plan(cls, context: CodemodContext, plan: FileEdits, run: RunInputs) -> Self:
        """Built from one file's edit plan (the engine picks it by `SERVES`)."""
        return cls(context, plan.field_defaults)

    def visit_Module(self, node: cst.Module) -> None:
        found = spelled(node)
        own = [asname or name for source, name, asname in found.imports
               if source == "dataclasses" and name == "field"]
        taken = "field" in found.names or any(
            (asname or name.split(".")[0]) == "field" for source, name, asname in found.imports
            if not (source == "dataclasses" and name == "field"))
        self._imported = bool(own)
        # the file's own `field` (a pydantic import, a local) keeps its name: the module's
        self._field = own[0] if own else "dataclasses.field" if taken else "field"

    def leave_Module(self, original: cst.Module, updated: cst.Module) -> cst.Module:
        if self.changed != len(self.fields):
            # a planned field not found: the client behind it would be read at import
            raise SkipFile(f"{len(self.fields) - self.changed} planned dataclass field(s) not "
                           f"found: {sorted(self.fields)}")
        if not self._imported:
            if self._field == "field":
                AddImportsVisitor.add_needed_import(self.context, "dataclasses", "field")
            else:
                AddImportsVisitor.add_needed_import(self.context, "dataclasses")
        return updated

    def leave_AnnAssign(self, original: cst.AnnAssign,
                        updated: cst.AnnAssign) -> cst.AnnAssign:
        if not isinstance(updated.target, cst.Name) or not isinstance(updated.value, cst.Call):
            return updated
        if (self.paths.path(), updated.target.value) not in self.fields:
            return updated
        call = updated.value
        factory: cst.BaseExpression = call.func if not call.args else cst.Lambda(
            params=cst.Parameters(), body=call)
        self.changed += 1
        return updated.with_changes(value=cst.Call(
            func=cst.parse_expression(self._field),
            args=[cst.Arg(keyword=cst.Name("default_factory"), value=factory,
                          equal=cst.AssignEqual(whitespace_before=cst.SimpleWhitespace(""),
                                                whitespace_after=cst.SimpleWhitespace("")))]))

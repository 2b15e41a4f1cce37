"""`client.get(k)`, `alias.get(k)`, `module.client.get(k)` → `get_redis().get(k)`.

Matches by qualified name: a reference is replaced when what it resolves to (through this
file's imports, relative ones included) is one of the removed clients. Imports of those names
are dropped; a local variable that merely shares the name is not touched.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Self

import libcst as cst
from libcst.codemod import CodemodContext
from libcst.metadata import ExpressionContext, ExpressionContextProvider

from ._accessor import Accessor
from ._common import (
    SETUP_IMPORTS,
    RewriteCommand,
    absolute_names,
    dotted,
    leading_lines,
    module_import,
    resolve_relative,
)
from ._contract import FileEdits, RunInputs, Serves


class ReplaceClientReferences(RewriteCommand):
    """Replaces every load of a removed client with the lifecycle module's accessor."""

    DESCRIPTION = "Point references to removed clients at get_redis() (rewrites 1, 4, 5)."
    METADATA_DEPENDENCIES = (ExpressionContextProvider,)
    # before RemoveModuleClient (50): once the assignment is gone, a name no longer resolves to
    # the client. The two share a pass: both decide on the tree as it was before either ran.
    SERVES = Serves(kinds=("references",), order=40, shares_pass=True)

    def __init__(self, context: CodemodContext, targets: Mapping[str, Accessor], module: str,
                 package: str, setup_modules: Mapping[str, str] | None = None) -> None:
        """`setup_modules`: module -> a call it makes at import (`load_dotenv()`): an import
        of its client that goes becomes an import of the module (see `module_import`)."""
        super().__init__(context)
        self.targets = dict(targets)  # absolute qualified name -> accessor
        self.module_name = module
        self.package = package
        self.setup_modules = dict(setup_modules or {})
        self.replaced = 0
        self._dropped: set[int] = set()  # ids of the import statements removed whole

    @classmethod
    def from_plan(cls, context: CodemodContext, plan: FileEdits, run: RunInputs) -> Self:
        """Built from one file's edit plan (the engine picks it by `SERVES`)."""
        return cls(context, plan.references, plan.module, plan.package, plan.setup_modules)

    def visit_Import(self, node: cst.Import) -> bool:
        return False

    def visit_ImportFrom(self, node: cst.ImportFrom) -> bool:
        return False

    def leave_ImportFrom(
        self, original: cst.ImportFrom, updated: cst.ImportFrom
    ) -> cst.ImportFrom | cst.Import | cst.RemovalSentinel:
        if isinstance(updated.names, cst.ImportStar):
            return updated
        base = dotted(updated.module) if updated.module is not None else ""
        level = len(updated.relative)
        source = resolve_relative(self.package, level, base or "") if level else base
        kept = [alias for alias in updated.names
                if f"{source}.{dotted(alias.name)}" not in self.targets]
        if len(kept) == len(updated.names):
            return updated
        if not kept:
            module = module_import(updated, self.package, self.setup_modules)
            if module is None:
                self._dropped.add(id(original))
                return cst.RemovalSentinel.REMOVE
            # UpdateRedisImports, in a pass of its own, says on the line why it stays
            self.context.scratch.setdefault(SETUP_IMPORTS, {})[module[1]] = \
                self.setup_modules[module[1]]
            return module[0]
        kept[-1] = kept[-1].with_changes(comma=cst.MaybeSentinel.DEFAULT)
        return updated.with_changes(names=kept)

    def leave_IndentedBlock(self, original: cst.IndentedBlock,
                            updated: cst.IndentedBlock) -> cst.IndentedBlock:
        """A block that began with an import dropped whole (`from app.cache import client`
        at the top of a def) begins with the next statement, without the blank lines that
        set it apart from the import. (The import's own comment lines go with it, as at the
        top of a module: they were about the import.)"""
        first = original.body[0] if original.body else None
        if not (isinstance(first, cst.SimpleStatementLine) and len(first.body) == 1
                and id(first.body[0]) in self._dropped and updated.body):
            return updated
        head = updated.body[0]
        kept = [line for line in leading_lines(head) if line.comment is not None]
        return updated.with_changes(body=[head.with_changes(leading_lines=kept),
                                          *updated.body[1:]])

    def _accessor(self, node: cst.Name | cst.Attribute) -> Accessor | None:
        if self.get_metadata(ExpressionContextProvider, node, None) is not ExpressionContext.LOAD:
            return None
        names = absolute_names(self.qualified_names(node),
                               self.module_name, self.package)
        for name in names:
            if name in self.targets:
                return self.targets[name]
        return None

    def leave_Name(self, original: cst.Name, updated: cst.Name) -> cst.BaseExpression:
        accessor = self._accessor(original)
        if accessor is None:
            return updated
        self.replaced += 1
        return accessor.call()

    def leave_Attribute(self, original: cst.Attribute,
                        updated: cst.Attribute) -> cst.BaseExpression:
        accessor = self._accessor(original)
        if accessor is None:
            return updated
        self.replaced += 1
        return accessor.call()

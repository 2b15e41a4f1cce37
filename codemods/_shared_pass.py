"""Several rewrite codemods in one traversal of a module, with one resolution of their metadata.

On a large file each codemod costs a deep copy of the tree, a scope analysis and a visit of
every node, whatever it changes. Codemods that declare `Serves(shares_pass=True)` decide on the
tree as the pass found it (what they would see running first) and hook node types no other
sharing codemod hooks, so running them together gives what running them one after another
does: each member sees exactly the visits and leaves it would see alone, including the
pruning of a subtree when its own `visit_*` returns False.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import TypeVar

import libcst as cst
from libcst.codemod import CodemodContext, VisitorBasedCodemodCommand
from libcst.metadata import MetadataWrapper

from ._common import RewriteCommand
from ._traversal import hooks

NodeT = TypeVar("NodeT", bound=cst.CSTNode)


def overlapping(classes: Sequence[type[VisitorBasedCodemodCommand]]) -> set[str]:
    """The hooks two of `classes` both define (empty when they can share a pass)."""
    seen: set[str] = set()
    both: set[str] = set()
    for codemod in classes:
        mine = hooks(codemod)
        both |= seen & mine
        seen |= mine
    return both


class SharedPass(RewriteCommand):
    """Runs `members` in one traversal, in their order at each node."""

    DESCRIPTION = "Several codemods in one pass over the module."

    def __init__(self, context: CodemodContext,
                 members: Sequence[VisitorBasedCodemodCommand]) -> None:
        super().__init__(context)
        clash = overlapping([type(member) for member in members])
        if clash:
            raise TypeError(f"codemods that share a pass both hook {sorted(clash)}")
        self.members = list(members)
        self._dependencies = frozenset(dependency for member in members
                                       for dependency in member.get_inherited_dependencies())
        # per member, the node whose subtree it pruned (its visit returned False), if any
        self._pruned_at: list[cst.CSTNode | None] = [None] * len(members)
        # `visit_Name_value`-style hooks: a call per attribute of every node is only worth
        # making when a member has one
        self._attribute_hooks = any(getattr(member, "attribute_hooks", True)
                                    for member in members)

    @contextmanager
    def resolve(self, wrapper: MetadataWrapper) -> Iterator[None]:
        self.metadata = wrapper.resolve_many(self._dependencies)
        try:
            yield
        finally:
            self.metadata = {}

    def transform_module_impl(self, tree: cst.Module) -> cst.Module:
        contexts = [member.context for member in self.members]
        for member in self.members:
            # the wrapper and module of this pass; warnings go to the shared context's list
            member.context = self.context
            member.metadata = self.metadata
        try:
            return tree.visit(self)
        finally:
            for member, context in zip(self.members, contexts, strict=True):
                member.context = context
                member.metadata = {}

    def on_visit(self, node: cst.CSTNode) -> bool:
        for index, member in enumerate(self.members):
            if self._pruned_at[index] is None and not member.on_visit(node):
                self._pruned_at[index] = node
        return True

    def _active(self) -> list[VisitorBasedCodemodCommand]:
        """The members not inside a subtree they pruned."""
        return [member for member, pruned in zip(self.members, self._pruned_at, strict=True)
                if pruned is None]

    def on_visit_attribute(self, node: cst.CSTNode, attribute: str) -> None:
        for member in self._active() if self._attribute_hooks else ():
            member.on_visit_attribute(node, attribute)

    def on_leave_attribute(self, original_node: cst.CSTNode, attribute: str) -> None:
        for member in self._active() if self._attribute_hooks else ():
            member.on_leave_attribute(original_node, attribute)

    def on_leave(self, original_node: NodeT, updated_node: NodeT,
                 ) -> NodeT | cst.RemovalSentinel:
        result: cst.CSTNode | cst.RemovalSentinel | cst.FlattenSentinel[NodeT] = updated_node
        for index, member in enumerate(self.members):
            pruned = self._pruned_at[index]
            if pruned is not None and pruned is not original_node:
                continue  # inside the subtree this member pruned: it never sees it
            self._pruned_at[index] = None  # leaving the pruned node itself: LibCST calls it
            if not isinstance(result, cst.CSTNode):
                continue  # removed or flattened by an earlier member: nothing left to leave
            result = member.on_leave(original_node, result)
        return result  # type: ignore[return-value]  # members return what LibCST allows

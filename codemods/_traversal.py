"""How a rewrite codemod's traversal is made cheap, worked out once: the hooks a codemod class
defines (LibCST's no-op defaults aside), for the dispatch at each node and for the passes that
share a traversal; and whether a tree's nodes are all distinct objects, so that metadata keyed
by node can be resolved on the tree itself rather than on LibCST's copy of it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import fields
from operator import attrgetter
from typing import cast

import libcst as cst


def hooks(codemod: type) -> frozenset[str]:
    """The `visit_*`/`leave_*` methods a codemod class defines (not LibCST's no-op defaults)."""
    return frozenset(name for name in dir(codemod)
                     if name.startswith(("visit_", "leave_"))
                     and getattr(codemod, name) is not getattr(cst.CSTTransformer, name, None)
                     and name not in ("visit_Module", "leave_Module"))


# per (codemod class, "visit_" or "leave_", node class): the class's own hook, None for
# LibCST's no-op default
_OWN_HOOKS: dict[tuple[type, str, type], Callable[..., object] | None] = {}


def own_hook(codemod: type, prefix: str, node: type) -> Callable[..., object] | None:
    """The `visit_`/`leave_` (`prefix`) hook `codemod` defines for `node` (a node class),
    None where LibCST's no-op default is all there is; looked up once per class."""
    key = (codemod, prefix, node)
    try:
        return _OWN_HOOKS[key]
    except KeyError:
        name = prefix + node.__name__
        found = getattr(codemod, name, None)
        hook = None if found is getattr(cst.CSTTransformer, name, None) else found
        _OWN_HOOKS[key] = hook
        return hook


def defines_attribute_hooks(codemod: type) -> bool:
    """Whether the class defines a `visit_Name_value`-style hook (LibCST's defaults aside)."""
    return any(len(name.split("_", 2)) == 3 for name in hooks(codemod))


# per class of value met in a node's fields: 0 not a node, 1 a node, 2 a sequence that may hold
# nodes (an isinstance against the CSTNode ABC for every value costs more than the walk itself)
_KINDS: dict[type, int] = {}
# per node class: one call that reads all its fields (nodes are slotted dataclasses)
_FIELDS_OF: dict[type, Callable[[object], tuple[object, ...]]] = {}


def distinct_nodes(root: cst.CSTNode) -> bool:
    """Whether no node object appears twice in the tree under `root` (metadata is keyed by
    node identity, so a reused node would get one answer for two places)."""
    seen: set[int] = set()
    stack: list[object] = [root]
    kinds, fields_of = _KINDS, _FIELDS_OF
    while stack:
        node = stack.pop()
        if id(node) in seen:
            return False
        seen.add(id(node))
        read = fields_of.get(type(node))
        if read is None:
            read = fields_of[type(node)] = _field_reader(type(node))
        for value in read(node):
            kind = kinds.get(type(value))
            if kind is None:
                kind = kinds[type(value)] = (1 if isinstance(value, cst.CSTNode)
                                             else 2 if isinstance(value, (list, tuple)) else 0)
            if kind == 1:
                stack.append(value)
            elif kind == 2:
                for item in cast("list[object]", value):
                    item_kind = kinds.get(type(item))
                    if item_kind is None:
                        item_kind = kinds[type(item)] = 1 if isinstance(item, cst.CSTNode) else 0
                    if item_kind == 1:
                        stack.append(item)
    return True


def _field_reader(node_type: type) -> Callable[[object], tuple[object, ...]]:
    """One call that gives a node's field values, in a tuple."""
    names = [f.name for f in fields(node_type)]
    if len(names) > 1:
        return attrgetter(*names)
    # attrgetter of one name gives the value itself, of none is an error
    return lambda node: tuple(getattr(node, name) for name in names)

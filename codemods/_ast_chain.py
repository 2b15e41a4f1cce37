"""Dotted names read from Python's own `ast`, with no LibCST import: the analysis side
(`scan.lifecycle_reader`) uses it too, and an inventory should not pay for loading LibCST."""

from __future__ import annotations

import ast


def ast_dotted(node: ast.expr) -> str | None:
    """`a.b.c` for a Name/Attribute chain, else None."""
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if not isinstance(node, ast.Name):
        return None
    return ".".join([node.id, *reversed(parts)])

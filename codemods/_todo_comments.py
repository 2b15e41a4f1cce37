"""The `# TODO(redis-migration): …` comment a codemod leaves on a line it could not rewrite."""

from __future__ import annotations

import libcst as cst

TODO = "TODO(redis-migration)"


def commented(node: cst.CSTNode, texts: list[str]) -> cst.CSTNode:
    """`node` with a `# TODO(redis-migration): …` trailing comment (never a second one): on a
    simple statement's line, or on the header line of a compound statement or handler."""
    text = f"# {TODO}: " + "; ".join(texts)
    if isinstance(node, cst.SimpleStatementLine):
        return node.with_changes(trailing_whitespace=_append(node.trailing_whitespace, text))
    body = getattr(node, "body", None)
    if isinstance(body, cst.IndentedBlock):
        return node.with_changes(body=body.with_changes(header=_append(body.header, text)))
    if isinstance(body, cst.SimpleStatementSuite):
        return node.with_changes(body=body.with_changes(
            trailing_whitespace=_append(body.trailing_whitespace, text)))
    return node


def _append(whitespace: cst.TrailingWhitespace, text: str) -> cst.TrailingWhitespace:
    comment = whitespace.comment
    if comment is not None and TODO in comment.value:
        return whitespace
    if comment is not None:
        return whitespace.with_changes(comment=cst.Comment(f"{comment.value}  {text}"))
    return whitespace.with_changes(whitespace=cst.SimpleWhitespace("  "),
                                   comment=cst.Comment(text))

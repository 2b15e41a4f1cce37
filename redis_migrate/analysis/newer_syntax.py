"""Reading source written for a newer Python than the one running the tool.

The analysis reads files with the standard `ast` module, which parses only the grammar of the
running interpreter; LibCST's parser reads newer grammar too (PEP 695 type parameters and
`type` aliases, PEP 701 f-strings). `parse_source` first asks `ast`; when that fails and LibCST
reads the file, it lowers the few newer constructs to text the running Python parses and parses
that. Every line keeps its number and every byte its column, so positions, source segments and
diagnostics stay those of the real file. Nothing lowered is ever written back: the codemods
work on LibCST trees of the original text.
"""

from __future__ import annotations

import ast


def parse_source(source: str | bytes, filename: str = "<unknown>") -> ast.Module:
    """`ast.parse`, which also reads grammar newer than the running Python's (see module doc).

    Raises the interpreter's own SyntaxError when the file does not parse either way.
    """
    try:
        return ast.parse(source, filename=filename)
    except SyntaxError as error:
        lowered = lower_newer_syntax(source)
        if lowered is None:
            raise
        try:
            return ast.parse(lowered, filename=filename)
        except SyntaxError:
            raise error from None


def compilable_text(source: str | bytes) -> str | bytes:
    """`source` itself when the running Python parses it, else its lowered form (for a
    `compile()` check of a rewrite); `source` when it cannot be lowered, so compile reports."""
    try:
        ast.parse(source)
    except SyntaxError:
        return lower_newer_syntax(source) or source
    except ValueError:
        pass
    return source


def lower_newer_syntax(source: str | bytes) -> str | None:
    """The same module with newer constructs replaced by same-sized older ones, or None when
    LibCST does not read it either (a real syntax error) or a construct cannot be lowered."""
    if isinstance(source, bytes):
        from redis_migrate.analysis.source_text import decode_source

        try:
            source = decode_source(source)
        except (SyntaxError, UnicodeDecodeError, LookupError):
            return None
    # LibCST is imported only for a file the running Python cannot parse: an inventory that
    # never meets one does not pay for importing it
    from redis_migrate.analysis.newer_syntax_lowering import lowered_by_libcst

    lowered = lowered_by_libcst(source)
    if lowered is None:
        return None
    try:
        ast.parse(lowered)
    except (SyntaxError, ValueError):
        return None
    return lowered


# an edit: ((start line, start column), (end line, end column), replacement or None for
# "blank it": spaces of the same UTF-8 size, line breaks kept and joined by backslashes)

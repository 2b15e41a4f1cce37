"""The LibCST half of `newer_syntax`: the newer constructs of a module, lowered to text the
running Python parses, with every line and column kept (see `newer_syntax`)."""

from __future__ import annotations

import re
from collections.abc import Mapping

import libcst as cst
from libcst.metadata import CodeRange, MetadataWrapper, PositionProvider

_LINE_BREAK = re.compile(r"\r\n|\r|\n")
_QUOTES = ('"', "'")



def lowered_by_libcst(source: str) -> str | None:
    """`source` with its newer constructs lowered; None when LibCST does not read it either or
    a construct cannot be lowered (the caller checks that `ast` reads the result)."""
    try:
        wrapper = MetadataWrapper(cst.parse_module(source), unsafe_skip_copy=True)
    except (cst.ParserSyntaxError, RecursionError, ValueError):
        return None
    collector = _Collector(wrapper.resolve(PositionProvider))
    wrapper.visit(collector)
    if collector.failed:
        return None
    return _apply(source, collector.edits)


_Edit = tuple[tuple[int, int], tuple[int, int], str | None]


class _Collector(cst.CSTVisitor):
    def __init__(self, positions: Mapping[cst.CSTNode, CodeRange]) -> None:
        super().__init__()
        self.positions = positions
        self.edits: list[_Edit] = []
        self.failed = False

    def _range(self, node: cst.CSTNode) -> CodeRange:
        return self.positions[node]

    def _blank(self, node: cst.CSTNode) -> None:
        where = self._range(node)
        self.edits.append(((where.start.line, where.start.column),
                           (where.end.line, where.end.column), None))

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        if node.type_parameters is not None:
            self._blank(node.type_parameters)

    def visit_ClassDef(self, node: cst.ClassDef) -> None:
        if node.type_parameters is not None:
            self._blank(node.type_parameters)

    def visit_TypeAlias(self, node: cst.TypeAlias) -> None:
        # `type X[T] = v` -> `X         = v`: an assignment, the name where a reader expects it
        start = self._range(node).start
        last = node.type_parameters if node.type_parameters is not None else node.name
        end = self._range(last).end
        if start.line != end.line:
            self.failed = True
            return
        self.edits.append(((start.line, start.column), (end.line, end.column),
                           node.name.value))
        # the parameters' own names stay unbound, which only a reader of annotations notices

    def visit_FormattedString(self, node: cst.FormattedString) -> bool:
        quote = node.start[-1]
        triple = node.start.endswith(quote * 3)
        where = self._range(node)
        if not triple and where.start.line != where.end.line and any(
                _breaks(part) for part in node.parts
                if isinstance(part, cst.FormattedStringExpression)):
            self._join_lines(node, quote, where)
            return False
        for part in node.parts:
            if isinstance(part, cst.FormattedStringExpression):
                self._lower_field(part, quote, triple)
        return False  # nested f-strings are inside the fields handled here

    def _join_lines(self, node: cst.FormattedString, quote: str, where: CodeRange) -> None:
        """`f"... {<line break>    self.session_id}")`: a line break in a field of a one-quote
        f-string (Python 3.12). The string is written on its first line without it, each line it
        spanned ends in a backslash (an explicit line join, valid anywhere), and what followed
        the string keeps its line and column."""
        flat = node.with_changes(parts=[
            part.with_changes(whitespace_before_expression=cst.SimpleWhitespace(""),
                              whitespace_after_expression=cst.SimpleWhitespace(""))
            if isinstance(part, cst.FormattedStringExpression) else part
            for part in node.parts])
        code = cst.Module([]).code_for_node(flat)
        fields = [cst.Module([]).code_for_node(part.expression) for part in node.parts
                  if isinstance(part, cst.FormattedStringExpression)]
        if "\n" in code or "\r" in code or not all(
                _field_is_old_syntax(field, quote, False) for field in fields):
            self.failed = True  # a field's expression itself spans lines, or is newer
            return
        joins = " \\\n" + "\\\n" * (where.end.line - where.start.line - 1)
        self.edits.append(((where.start.line, where.start.column),
                           (where.end.line, where.end.column),
                           code + joins))  # `_apply` indents the last line

    def _lower_field(self, field: cst.FormattedStringExpression, quote: str,
                     triple: bool) -> None:
        where = self._range(field.expression)
        code = cst.Module([]).code_for_node(field.expression)
        start, end = (where.start.line, where.start.column), (where.end.line, where.end.column)
        if _field_is_old_syntax(code, quote, triple):
            return
        other = _QUOTES[1 - _QUOTES.index(quote)]
        if not triple and other not in code and "\\" not in code and "#" not in code \
                and "\n" not in code and "\r" not in code:
            # PEP 701's commonest use: the outer quote reused inside, f"{d["k"]}" -> f"{d['k']}"
            self.edits.append((start, end, code.replace(quote, other)))
        elif start[0] == end[0]:
            # what the field says cannot be said in the old grammar: a name of the same size
            self.edits.append((start, end, "_" + " " * (len(code.encode("utf-8")) - 1)))
        else:
            self.failed = True


def _breaks(field: cst.FormattedStringExpression) -> bool:
    """Whether a line break sits in a field's whitespace (`{<line break> x}`)."""
    spaces = "".join(cst.Module([]).code_for_node(space)
                     for space in (field.whitespace_before_expression,
                                   field.whitespace_after_expression))
    return "\n" in spaces or "\r" in spaces


def _field_is_old_syntax(code: str, quote: str, triple: bool) -> bool:
    """Whether a replacement field's expression is already valid before Python 3.12."""
    if "\\" in code or "#" in code:
        return False
    if triple:
        return quote * 3 not in code
    return quote not in code and "\n" not in code and "\r" not in code


def _apply(text: str, edits: list[_Edit]) -> str | None:
    """`text` with each edit made; positions are LibCST's (1-based lines, character columns)."""
    starts = [0]
    for match in _LINE_BREAK.finditer(text):
        starts.append(match.end())
    pieces: list[str] = []
    done = 0
    for (start_line, start_col), (end_line, end_col), replacement in sorted(edits):
        begin = starts[start_line - 1] + start_col
        stop = starts[end_line - 1] + end_col
        if begin < done:
            return None  # overlapping edits: something this module did not expect
        pieces.append(text[done:begin])
        old = text[begin:stop]
        if replacement is None:
            pieces.append(_blanked(old))
        elif replacement.endswith("\n"):
            # lines joined (`_join_lines`): what followed on the last line keeps its byte column
            last = text[starts[end_line - 1]:stop]
            pieces.append(replacement + " " * len(last.encode("utf-8")))
        else:
            padding = len(old.encode("utf-8")) - len(replacement.encode("utf-8"))
            if padding < 0:
                return None
            pieces.append(replacement + " " * padding)
        done = stop
    pieces.append(text[done:])
    return "".join(pieces)


def _blanked(old: str) -> str:
    """Spaces as wide in UTF-8 as `old`, its line breaks kept, each line before a break ending
    in a backslash so the statement goes on (brackets that held the breaks are gone)."""
    lines = _LINE_BREAK.split(old)
    breaks = _LINE_BREAK.findall(old)
    out: list[str] = []
    for index, line in enumerate(lines):
        blank = " " * len(line.encode("utf-8"))
        if index < len(breaks):
            blank = blank[:-1] + "\\" if blank else "\\"
            out.append(blank + breaks[index])
        else:
            out.append(blank)
    return "".join(out)

"""Where each call of a module starts, as LibCST's `PositionProvider` gives it, for a fraction
of its cost.

`PositionProvider` generates the module's code while it splits every token on newlines and
records a range for every node: on a file of a few thousand lines that is a third of the
file's whole rewrite. A codemod that names calls by the line and column the analysis read
needs only where each call starts. `CallStartProvider` generates the code as `Module.code`
does, notes the token at which each call begins, and counts lines and columns once, over the
text between one call and the next. The answer is `PositionProvider`'s `.start` for every
call, by the same rules: the start inside the call's parentheses, columns counted in
characters from 0, lines ended by `\\r\\n`, `\\r` or `\\n` within each token.

It gives the line each statement of the module's body starts on too, its leading blank and
comment lines included: the statements partition the file's lines, so a codemod that knows the
lines of its calls can leave the statements that hold none unvisited.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

import libcst as cst
from libcst._nodes.internal import CodegenState
from libcst.metadata import BaseMetadataProvider, CodePosition

# LibCST's own rule (libcst.metadata.position_provider.NEWLINE_RE), applied token by token
_NEWLINE = re.compile(r"\r\n?|\n")


@dataclass
class _CallStartsState(CodegenState):
    """LibCST's plain code generation, noting the token count where each call starts, and
    where each of the `statements` (the module's body) does."""

    statements: set[int] = field(default_factory=set)  # ids
    starts: list[tuple[int, cst.CSTNode]] = field(default_factory=list)

    def before_codegen(self, node: cst.CSTNode) -> None:
        if id(node) in self.statements:
            self.starts.append((len(self.tokens), node))

    @contextmanager
    def record_syntactic_position(self, node: cst.CSTNode, *,
                                  start_node: cst.CSTNode | None = None,
                                  end_node: cst.CSTNode | None = None) -> Iterator[None]:
        # a call's syntactic start is where this is entered: after its own parentheses
        if type(node) is cst.Call:
            self.starts.append((len(self.tokens), node))
        yield


class CallStartProvider(BaseMetadataProvider[CodePosition]):
    """The start of every `Call` node: `PositionProvider`'s `.start` (line from 1, column
    from 0); and of every statement of the module's body, where its leading lines start."""

    def _gen_impl(self, module: cst.Module) -> None:
        state = _CallStartsState(default_indent=module.default_indent,
                                 default_newline=module.default_newline,
                                 statements={id(statement) for statement in module.body})
        module._codegen(state)
        for node, start in zip((node for _, node in state.starts),
                               _positions(state.tokens, [at for at, _ in state.starts]),
                               strict=True):
            self.set_metadata(node, start)


def _positions(tokens: list[str], indexes: list[int]) -> Iterator[CodePosition]:
    """The line and column after `tokens[:index]`, for each index (in increasing order)."""
    line, column, done = 1, 0, 0
    for index in indexes:
        text = "".join(tokens[done:index])
        if "\r" in text:
            # a `\r` ending one token and a `\n` starting the next are two line ends to
            # LibCST, which splits each token alone: so count token by token
            for token in tokens[done:index]:
                line, column = _after(token, line, column)
        else:
            line, column = _after(text, line, column)
        done = index
        yield CodePosition(line, column)


def _after(text: str, line: int, column: int) -> tuple[int, int]:
    ends = text.count("\n") if "\r" not in text else len(_NEWLINE.findall(text))
    if not ends:
        return line, column + len(text)
    last = _NEWLINE.split(text)[-1] if "\r" in text else text[text.rfind("\n") + 1:]
    return line + ends, len(last)

"""What several passes ask of one tree, worked out once per tree object.

A file's rewrite hands one tree from pass to pass; some passes ask the same question of the tree
they receive (its source text, what it spells, whether a node object sits in two places), and
the first tree is the parse of a text already in hand. Answers are kept by the tree's identity,
for the few most recent trees only: a rewrite replaces its tree at every pass, so older answers
are never asked for again, and the tree is held so that its id cannot be reused meanwhile.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

import libcst as cst

T = TypeVar("T")

# the trees of the current file's last few passes; each with its answers by question
_RECENT = 8
_memo: dict[int, tuple[cst.Module, dict[str, object]]] = {}


def _answers(module: cst.Module) -> dict[str, object]:
    held = _memo.get(id(module))
    if held is not None and held[0] is module:
        return held[1]
    if len(_memo) >= _RECENT:
        del _memo[next(iter(_memo))]  # the oldest: dicts keep insertion order
    answers: dict[str, object] = {}
    _memo[id(module)] = (module, answers)
    return answers


def remember(module: cst.Module, question: str, work_out: Callable[[cst.Module], T]) -> T:
    """`work_out(module)`, computed once for this tree object and `question`."""
    answers = _answers(module)
    if question not in answers:
        answers[question] = work_out(module)
    return answers[question]  # type: ignore[return-value]  # stored by this function


def note_parsed(module: cst.Module, source: str) -> None:
    """`module` is the parse of `source`: its code is that text (LibCST round-trips it byte
    for byte), and a parse never puts one node object in two places."""
    answers = _answers(module)
    answers["code"] = source
    answers["distinct"] = True


def code_of(module: cst.Module) -> str:
    """The module's source text, generated once per tree."""
    return remember(module, "code", lambda tree: tree.code)

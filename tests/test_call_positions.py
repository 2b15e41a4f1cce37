"""Where calls start, for a fifth of LibCST's position cost (`codemods/_call_positions.py`),
and LibCST's metadata resolution without its visit of the whole tree for no provider
(`codemods/_empty_batch.py`): the answers are LibCST's own, on the codemod fixtures and on
the spellings that move a position (line ends of every kind, parentheses, tabs, wide
characters, f-strings, continuations)."""

from __future__ import annotations

from pathlib import Path

import libcst as cst
import libcst.metadata.wrapper as metadata_wrapper
import pytest
from libcst.metadata import (
    ExpressionContextProvider,
    MetadataWrapper,
    PositionProvider,
    ScopeProvider,
    WhitespaceInclusivePositionProvider,
)

from redis_migrate.codemods._call_positions import CallStartProvider
from redis_migrate.codemods._empty_batch import skip_empty_batched_visits

FIXTURES = Path(__file__).parent / "fixtures"

TRICKY = {
    "nested and parenthesised": "x = ((f))(g(1), (h)(2))\ny = (\n    (a.b)(c(\n  d()))\n)\n",
    "decorators and defaults": (
        "@dec(1)\n@other.dec()\ndef f(a=g(), *, b=lambda: h()):\n    return k(a)(b)\n"),
    "tabs and wide characters": "if x:\n\tv = 'é€😀'; w = f('日本')\n\tz = g(v)\n",
    "strings over lines": 's = """a\nb\nc""" + f(1)\nt = g("""\n""")\n',
    "f-strings": "x = f'{g(1)} and {h(k(2))!r:>{w()}}'\n",
    "continuations": "x = f(1) + \\\n    g(2)\ny = [\n    h(3),  # c(4)\n]\n",
    "comments and blank lines": "\n# a(1)\n\n\nx = f()  # g()\n\n\n# end\ny = h()\n",
    "calls in classes and awaits": (
        "class C(Base(1)):\n    x = f()\n\n    async def m(self):\n"
        "        await self.g(h())\n        async with i() as j:\n            k(j)\n"),
    "a lone carriage return": "x = f(1)\ry = g(2)\r\rz = h(3)\r",
    "carriage returns and line feeds mixed": "x = f(1)\r\ny = g(2)\n\rz = h(3)\r\n",
}


def _cases() -> list[tuple[str, str]]:
    found = [(name, text) for name, text in TRICKY.items()]
    found += [(f"{name} (CRLF)", text.replace("\n", "\r\n")) for name, text in TRICKY.items()
              if "\r" not in text]
    for path in sorted(FIXTURES.rglob("*.py")):
        found.append((str(path.relative_to(FIXTURES)), path.read_text(encoding="utf-8")))
    return found


def _libcst_starts(module: cst.Module) -> dict[cst.Call, tuple[int, int]]:
    positions = MetadataWrapper(module, unsafe_skip_copy=True).resolve(PositionProvider)
    return {node: (where.start.line, where.start.column) for node, where in positions.items()
            if type(node) is cst.Call}


@pytest.mark.parametrize(("name", "text"), _cases(), ids=[n for n, _ in _cases()])
def test_every_call_starts_where_libcst_says(name: str, text: str) -> None:
    module = cst.parse_module(text)  # every case parses: a fixture that does not is input
    starts = MetadataWrapper(module, unsafe_skip_copy=True).resolve(CallStartProvider)
    expected = _libcst_starts(module)
    assert {node: (p.line, p.column) for node, p in starts.items()
            if type(node) is cst.Call} == expected
    # the module's statements, where their leading lines start
    inclusive = MetadataWrapper(module, unsafe_skip_copy=True).resolve(
        WhitespaceInclusivePositionProvider)
    assert [starts[s] for s in module.body] == [inclusive[s].start for s in module.body]
    assert set(starts) == {*expected, *module.body}


def test_the_cases_hold_calls_on_later_lines_and_columns() -> None:
    # the comparison above means something only where calls sit past the first line/column
    module = cst.parse_module(TRICKY["a lone carriage return"])
    starts = sorted((p.line, p.column) for n, p in MetadataWrapper(
        module, unsafe_skip_copy=True).resolve(CallStartProvider).items()
        if type(n) is cst.Call)
    assert starts == [(1, 4), (2, 4), (4, 4)]
    module = cst.parse_module(TRICKY["tabs and wide characters"])
    starts = sorted((p.line, p.column) for n, p in MetadataWrapper(
        module, unsafe_skip_copy=True).resolve(CallStartProvider).items()
        if type(n) is cst.Call)
    assert starts == [(2, 16), (3, 5)]  # columns in characters, a tab counting one


def _libcst_own(monkeypatch: pytest.MonkeyPatch) -> None:
    """LibCST's resolution as it comes, for this test (the rewrite may have set the skip
    already, in this process); the skip set later is undone after it."""
    current = metadata_wrapper._gen_batchable
    monkeypatch.setattr(metadata_wrapper, "_gen_batchable",
                        getattr(current, "__wrapped__", current))


def test_a_round_with_no_batchable_provider_visits_nothing(monkeypatch: pytest.MonkeyPatch,
                                                          ) -> None:
    visits: list[int] = []
    real_visit = MetadataWrapper.visit_batched

    def counting(self: MetadataWrapper, visitors: object, *args: object) -> object:
        visits.append(len(list(visitors)))  # type: ignore[call-overload]
        return real_visit(self, visitors, *args)  # type: ignore[arg-type]

    monkeypatch.setattr(MetadataWrapper, "visit_batched", counting)
    _libcst_own(monkeypatch)
    module = cst.parse_module("x = f(1)\n")
    MetadataWrapper(module, unsafe_skip_copy=True).resolve(PositionProvider)
    assert visits == [0]  # LibCST's own: a visit of the whole tree for no provider
    visits.clear()
    skip_empty_batched_visits()
    skip_empty_batched_visits()  # a second call wraps nothing twice
    MetadataWrapper(module, unsafe_skip_copy=True).resolve(PositionProvider)
    assert visits == []
    MetadataWrapper(module, unsafe_skip_copy=True).resolve(ScopeProvider)
    # its rounds (the expression contexts, then the scopes) each have one to batch: visited
    assert visits == [1, 1]


def test_batched_providers_answer_as_before(monkeypatch: pytest.MonkeyPatch) -> None:
    _libcst_own(monkeypatch)
    text = "import os\n\ndef f(a):\n    b = os.getenv(a)\n    return g(b)\n"

    def answers() -> list[tuple[str, str]]:
        wrapper = MetadataWrapper(cst.parse_module(text))
        resolved = wrapper.resolve_many([PositionProvider, ExpressionContextProvider])
        found = [(type(node).__name__, str(context))
                 for node, context in resolved[ExpressionContextProvider].items()]
        found += [(type(node).__name__, str(where))
                  for node, where in resolved[PositionProvider].items()
                  if isinstance(node, cst.Name)]
        return sorted(found)

    before = answers()
    skip_empty_batched_visits()
    assert answers() == before
    assert len(before) > 10


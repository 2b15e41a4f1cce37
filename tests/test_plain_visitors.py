"""LibCST's matcher-aware visitors skip the search for matcher decorators only where a class
has none (`codemods/_plain_visitors.py`): its import visitors give the same results, and a
class that does use a decorator is still served by it."""

from __future__ import annotations

import libcst as cst
import libcst.matchers as m
import libcst.matchers._visitors as matcher_visitors
import pytest
from libcst.codemod import CodemodContext
from libcst.codemod.visitors import AddImportsVisitor, GatherImportsVisitor, ImportItem

from redis_migrate.codemods._plain_visitors import (
    has_matcher_decorators,
    search_matchers_once_per_class,
)


class _Decorated(m.MatcherDecoratableTransformer):
    """Renames every `old` name, through a matcher decorator only."""

    @m.leave(m.Name("old"))
    def _rename(self, original: cst.Name, updated: cst.Name) -> cst.Name:
        return updated.with_changes(value="new")


def test_classes_are_told_apart_by_their_decorators() -> None:
    assert has_matcher_decorators(_Decorated)
    assert not has_matcher_decorators(AddImportsVisitor)
    assert not has_matcher_decorators(GatherImportsVisitor)


def test_only_classes_with_decorators_are_searched(monkeypatch: pytest.MonkeyPatch) -> None:
    searched: list[type] = []
    real = matcher_visitors._gather_constructed_leave_funcs

    def counting(obj: object) -> object:
        searched.append(type(obj))
        return real(obj)

    monkeypatch.setattr(matcher_visitors, "_gather_constructed_leave_funcs", counting)
    search_matchers_once_per_class()  # wraps what is there now: the counting search
    context = CodemodContext()
    AddImportsVisitor(context, [ImportItem("redis_migrate", "x")])
    GatherImportsVisitor(context)
    _Decorated()
    assert searched == [_Decorated]


def test_a_decorated_leave_still_runs_and_imports_are_added_as_before() -> None:
    search_matchers_once_per_class()
    module = cst.parse_module("import os\n\nold = os.sep\n")
    assert module.visit(_Decorated()).code == "import os\n\nnew = os.sep\n"
    context = CodemodContext()
    added = AddImportsVisitor(context, [ImportItem("app.redis_client", "get_redis")]
                              ).transform_module(module)
    assert added.code == "import os\nfrom app.redis_client import get_redis\n\nold = os.sep\n"

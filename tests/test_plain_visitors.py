"""LibCST's matcher-aware visitors skip the search for matcher decorators, and the matcher
machinery at each node, only where a class has none (`codemods/_plain_visitors.py`): its import
visitors give the same results, and a class that does use a decorator is still served by it."""

from __future__ import annotations

import libcst as cst
import libcst.matchers as m
import libcst.matchers._visitors as matcher_visitors
import pytest
from libcst.codemod import CodemodContext
from libcst.codemod.visitors import AddImportsVisitor, GatherImportsVisitor, ImportItem

from redis_migrate.codemods._plain_visitors import (
    dispatch_plainly_without_matchers,
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


def test_only_classes_with_decorators_go_through_the_matchers_at_each_node(
        monkeypatch: pytest.MonkeyPatch) -> None:
    evaluated: list[type] = []
    real = matcher_visitors._visit_matchers

    def counting(matchers: object, node: object, visitor: object) -> object:
        evaluated.append(type(visitor))
        return real(matchers, node, visitor)  # type: ignore[arg-type]

    monkeypatch.setattr(matcher_visitors, "_visit_matchers", counting)
    for matcher_class in (m.MatcherDecoratableTransformer, m.MatcherDecoratableVisitor):
        for name in ("on_visit", "on_leave", "on_visit_attribute", "on_leave_attribute"):
            hook = getattr(matcher_class, name)
            # LibCST's own, for this test (the rewrite may have set the plain ones already)
            monkeypatch.setattr(matcher_class, name, getattr(hook, "__wrapped__", hook))
    module = cst.parse_module("import os\n\nold = os.sep\n")
    wanted = [ImportItem("app.redis_client", "get_redis")]
    before = AddImportsVisitor(CodemodContext(), wanted).transform_module(module).code
    assert set(evaluated) >= {AddImportsVisitor}  # LibCST's own: the machinery at each node
    dispatch_plainly_without_matchers()
    dispatch_plainly_without_matchers()  # a second call wraps nothing twice
    evaluated.clear()
    after = AddImportsVisitor(CodemodContext(), wanted).transform_module(module).code
    gatherer = GatherImportsVisitor(CodemodContext())
    module.visit(gatherer)
    assert evaluated == []
    assert after == before
    assert gatherer.module_imports == {"os"}
    assert module.visit(_Decorated()).code == "import os\n\nnew = os.sep\n"
    assert set(evaluated) == {_Decorated}

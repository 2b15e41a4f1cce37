"""LibCST's matcher-aware visitors made without the search for matcher decorators, for the
classes that have none.

Every `MatcherDecoratableTransformer` or `MatcherDecoratableVisitor` searches, when it is made,
every attribute of the new object (a `dir()`, then a `getattr` and a property check per name)
for methods that `@m.visit`, `@m.leave` or `@m.call_if_inside` decorate. LibCST's own import
visitors (`AddImportsVisitor`, the `GatherImportsVisitor` it makes for each module, and
`RemoveImportsVisitor`) use none, and a rewrite makes several for each file: their searches
were a sixth to a quarter of a batch's rewrite. The decorators mark functions as a class is
defined, so whether a class has any is known once per class; a class that has one gets
LibCST's search, unchanged. (The rewrite codemods themselves skip the search altogether:
`_common.RewriteCommand`.)

The same visitors then ask, at every node and every attribute of it, which of their (no)
matchers apply, before calling the plain `CSTTransformer`/`CSTVisitor` hook: with none, that is
the plain hook alone (`dispatch_plainly_without_matchers`), and the asking cost about half of
LibCST's import visitor's run on a module's imports.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import libcst as cst
import libcst.matchers._visitors as _visitors
from libcst.matchers._decorators import (
    CONSTRUCTED_LEAVE_MATCHER_ATTR,
    CONSTRUCTED_VISIT_MATCHER_ATTR,
    VISIT_NEGATIVE_MATCHER_ATTR,
    VISIT_POSITIVE_MATCHER_ATTR,
)

# what LibCST's matcher decorators (`@m.visit`, `@m.call_if_inside`, ...) set on a method
MATCHER_MARKS = (VISIT_POSITIVE_MATCHER_ATTR, VISIT_NEGATIVE_MATCHER_ATTR,
                 CONSTRUCTED_VISIT_MATCHER_ATTR, CONSTRUCTED_LEAVE_MATCHER_ATTR)
# what LibCST calls when it makes a matcher-aware visitor: each returns a new dict
_SEARCHES = ("_gather_matchers", "_gather_constructed_visit_funcs",
             "_gather_constructed_leave_funcs")
_ONCE_PER_CLASS = "_searched_once_per_class"

_decorated: dict[type, bool] = {}


def has_matcher_decorators(cls: type) -> bool:
    """Whether any attribute of `cls` (its bases' included) carries a matcher decorator."""
    if cls not in _decorated:
        _decorated[cls] = any(hasattr(getattr(cls, name, None), mark)
                              for name in dir(cls) for mark in MATCHER_MARKS)
    return _decorated[cls]


def search_matchers_once_per_class() -> None:
    """Make LibCST skip the search on objects of classes without matcher decorators (what it
    would find there: nothing). Safe to call again; a LibCST without these functions is left
    as it is."""
    for name in _SEARCHES:
        search = getattr(_visitors, name, None)
        if search is None or getattr(search, _ONCE_PER_CLASS, False):
            continue
        setattr(_visitors, name, _skipping(search))


def _skipping(search: Callable[[object], dict[Any, Any]]) -> Callable[[object], dict[Any, Any]]:
    def gather(obj: object) -> dict[Any, Any]:
        return search(obj) if has_matcher_decorators(type(obj)) else {}

    setattr(gather, _ONCE_PER_CLASS, True)
    gather.__wrapped__ = search  # type: ignore[attr-defined]
    return gather


_PLAIN = "_dispatches_plainly_without_matchers"
_HOOKS = ("on_visit", "on_leave", "on_visit_attribute", "on_leave_attribute")


def dispatch_plainly_without_matchers() -> None:
    """Make LibCST's matcher-aware visitors and transformers of classes without matcher
    decorators call the plain hooks directly (what the matcher machinery does for them, with
    no matcher to evaluate). Safe to call again."""
    for matcher_class, plain_class in ((_visitors.MatcherDecoratableTransformer,
                                        cst.CSTTransformer),
                                       (_visitors.MatcherDecoratableVisitor, cst.CSTVisitor)):
        for name in _HOOKS:
            current = getattr(matcher_class, name)
            if getattr(current, _PLAIN, False):
                continue
            setattr(matcher_class, name, _plain_unless_decorated(current,
                                                                 getattr(plain_class, name)))


def _plain_unless_decorated(matcher_hook: Callable[..., Any],
                            plain_hook: Callable[..., Any]) -> Callable[..., Any]:
    def hook(self: object, *args: Any) -> Any:
        if has_matcher_decorators(type(self)):
            return matcher_hook(self, *args)
        return plain_hook(self, *args)

    setattr(hook, _PLAIN, True)
    hook.__wrapped__ = matcher_hook  # type: ignore[attr-defined]
    return hook

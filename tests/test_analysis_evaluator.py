"""`Evaluator` (the expression half of the extractor) is consistent on its own: every method it
calls on `self` is declared on it, and what the statement walk must supply is abstract, so a
subclass that forgets one fails when it is built, not in the middle of a file."""

from __future__ import annotations

import ast
import inspect

import pytest

from redis_migrate.analysis import evaluate
from redis_migrate.analysis.evaluate import Evaluator
from redis_migrate.analysis.extract import _Extractor, extract


def _called_on_self(source: str) -> set[str]:
    """The names of the methods `source` calls as `self.<name>(…)`."""
    return {node.func.attr for node in ast.walk(ast.parse(source))
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
            and isinstance(node.func.value, ast.Name) and node.func.value.id == "self"}


def test_every_method_the_evaluator_calls_is_declared_on_it() -> None:
    called = _called_on_self(inspect.getsource(evaluate))
    missing = sorted(name for name in called if not hasattr(Evaluator, name))
    assert not missing, f"Evaluator calls methods only a subclass defines: {missing}"


def test_a_subclass_without_the_hooks_cannot_be_built() -> None:
    class Bare(Evaluator):
        pass

    with pytest.raises(TypeError, match="abstract"):
        Bare()  # type: ignore[abstract]


def test_the_extractor_supplies_every_hook() -> None:
    assert Evaluator.__abstractmethods__  # the hooks are declared, not assumed
    assert not _Extractor.__abstractmethods__
    facts = extract("app/x.py", "app.x", False,
                    b"import redis\nr = redis.Redis.from_url('redis://h:6379/0')\n", ())
    assert facts.error is None and len(facts.sites) == 1
    assert (facts.sites[0].loc.line, facts.sites[0].holder) == (2, "global")

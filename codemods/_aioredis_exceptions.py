"""Where a reference to an aioredis exception goes in redis-py (facts §1.12 and N3, N9, N15).

Pure: it maps qualified names; the codemod finds the references and schedules the imports.
"""

from __future__ import annotations

from dataclasses import dataclass

import libcst as cst

from . import _aioredis_rules as rules

# what `except asyncio.TimeoutError` catches: redis.asyncio raises its own TimeoutError (N4)
TIMEOUTS = frozenset({"asyncio.TimeoutError", "asyncio.exceptions.TimeoutError"})
_PARSERS = frozenset({"HiredisParser", "PythonParser", "BaseParser"})


@dataclass(frozen=True, slots=True)
class ExceptionMove:
    """`module.name` becomes `target` under `rule`; `target` None: no equivalent (`reason`)."""

    rule: str
    module: str
    name: str
    target: str | None
    reason: str = ""


def exception_move(qualified: str, v1: bool) -> ExceptionMove | None:
    """Where the aioredis name `qualified` goes (aioredis 1.x when `v1`, else 2.x); None when
    it is not an exception this table knows."""
    module, _, last = qualified.rpartition(".")
    if not v1 and (qualified.startswith("aioredis.compat")
                   or module == "aioredis.connection" and last in _PARSERS):
        rule = "N15" if qualified.startswith("aioredis.compat") else "N9"
        return ExceptionMove(rule, module, last, None,
                             f"{qualified} has no public redis-py equivalent")
    if module not in (("aioredis", "aioredis.errors") if v1
                      else ("aioredis", "aioredis.exceptions")):
        return None
    if v1:
        if last not in rules.ERRORS_1:
            return None
        target = rules.ERRORS_1[last]
        rule = rules.ERROR_RULE.get(last, "ERR" if target else "ERR-C")
    else:
        if last not in rules.ERRORS_2:
            return None
        target, rule = f"redis.exceptions.{last}", "N3"
    reason = "" if target else f"{last} has no redis-py equivalent"
    return ExceptionMove(rule, module, last, target, reason)


def handler_types(node: cst.BaseExpression) -> list[cst.BaseExpression]:
    """The exception types an `except` clause names: `(A, B)` or `A`."""
    if isinstance(node, cst.Tuple):
        return [e.value for e in node.elements]
    return [node]

"""Bugs of `ConvertAioredisCalls` that the per-rule fixtures (tests/fixtures/aioredis_rules)
cannot show with today's rule table (issue 11 item 9)."""

from __future__ import annotations

import libcst as cst
import libcst.matchers as m
import pytest
from libcst.metadata import MetadataWrapper, ParentNodeProvider
from test_aioredis_rules import run

from redis_migrate.codemods import _aioredis_rules as rules
from redis_migrate.codemods._aioredis_result_usage import result_usage

SCALAR_READ = """\
from backend.services.redis_client import get_redis


async def handler(k):
    r = get_redis()
    value = await r.get(k, encoding="utf-8")
    return value
"""


def test_a_flagged_scalar_read_gets_no_decode(monkeypatch: pytest.MonkeyPatch) -> None:
    # No rule of the table flags a scalar read today; one that did would leave the call as
    # written (encoding= kept), so the `.decode()` line scheduled for it must not be added.
    monkeypatch.setitem(rules.METHOD_RULES, "get",
                        ("S7", rules.always_flag("S7", "left for a human")))
    output, flagged = run(SCALAR_READ, {})
    assert [(line, rule) for line, rule, _ in flagged] == [(6, "S7")]
    assert output == SCALAR_READ.replace(
        'encoding="utf-8")\n', 'encoding="utf-8")  # TODO(redis-migration): S7 left for a '
        'human\n')


def test_an_unflagged_scalar_read_still_gets_its_decode() -> None:
    output, flagged = run(SCALAR_READ, {})
    assert flagged == []
    assert output == SCALAR_READ.replace(
        'value = await r.get(k, encoding="utf-8")\n',
        'value = await r.get(k)\n'
        '    value = value.decode("utf-8") if value is not None else None\n')


@pytest.mark.parametrize(("statement", "usage"), [
    ("found = cached or await r.x()", "used"),  # its value flows on to `found`
    ("found = await r.x() or []", "used"),  # tested, and flows on when truthy
    ("cached or await r.x()", "discarded"),
    ("await r.x() or log()", "truth"),
    ("if cached and await r.x(): pass", "truth"),
    ("if cached and (await r.x() or other): pass", "truth"),
    ("ok = not await r.x()", "truth"),
    ("n = -await r.x()", "used"),  # arithmetic, not a truth test
    ("n = ~r.x()", "used"),
    ("found = d in (cached or await r.x())", "in"),
])
def test_only_the_operand_tested_for_truth_is_a_truth_test(statement: str, usage: str) -> None:
    wrapper = MetadataWrapper(cst.parse_module(f"async def f():\n    {statement}\n"))
    parents = wrapper.resolve(ParentNodeProvider)
    call = next(iter(m.findall(wrapper.module, m.Call(func=m.Attribute(attr=m.Name("x"))))))
    assert isinstance(call, cst.Call)
    assert result_usage(call, parents.get) == usage

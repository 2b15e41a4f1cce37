"""Bugs of `ConvertAioredisCalls` that the per-rule fixtures (tests/fixtures/aioredis_rules)
cannot show with today's rule table (issue 11 item 9)."""

from __future__ import annotations

import pytest

from codemods import _aioredis_rules as rules
from test_aioredis_rules import run

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

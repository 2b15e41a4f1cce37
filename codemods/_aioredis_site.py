"""What an aioredis rewrite function is given and returns, and a row of the rule table.

A rewrite gets a `Site` (the call, what its result is used for, a constant resolver) and returns
a new call, `None` (nothing to change) or a `Flag` (leave the call alone and report why).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import NamedTuple

import libcst as cst

AIOREDIS1, AIOREDIS2 = "aioredis1", "aioredis2"


class Flag(NamedTuple):
    """A site the codemod leaves unchanged: `rule` and a one-line reason."""

    rule: str
    reason: str


@dataclass(slots=True)
class Site:
    """One command call on a migrated client, as a rewrite function sees it."""

    call: cst.Call
    method: str
    usage: str  # discarded | truth | compare-false | compare-eq | is | in | len | iter | used
    constant: Callable[[cst.BaseExpression], str | None]  # SET_IF_NOT_EXIST, … or None
    imports: list[tuple[str, str | None]] = field(default_factory=list)  # (module, obj)


Outcome = cst.Call | Flag | None
Rewrite = Callable[[Site], Outcome]


@dataclass(frozen=True, slots=True)
class Rule:
    """A row of the facts file. `scope` says where the codemod applies it."""

    id: str
    cls: str  # A | B | C
    library: str
    methods: tuple[str, ...]
    description: str
    scope: str = "call"  # call | statement | error | attribute | with | not-here: <why>
    rewrite: Rewrite | None = None
    guard: str | None = None
    fixture: str | None = None  # fixture case proving it (default: the rule id)


RETURN_USED = "the result is used and its type changes in redis.asyncio"

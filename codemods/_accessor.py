"""How a rewritten site reaches the shared client, as data: the plan (`redis_migrate.rewrite.
edit_plan`) holds these without importing LibCST, which only the codemods that build the call
node need."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import libcst as cst

ALIAS_PREFIX = "lifecycle_"  # `get_redis` taken in a file: `lifecycle_get_redis`


@dataclass(frozen=True, slots=True)
class Accessor:
    """How a rewritten site reaches the shared client: `get_redis()` or its blocking twin."""

    module: str  # the lifecycle module's import name
    blocking: bool = False
    name: str | None = None  # a named client of the lifecycle module ("queue")
    sync: bool = False  # sync code: the lifecycle module's get_sync_redis()
    compat: bool = False  # aioredis-shaped calls kept: get_compat_redis() (apply --compat)
    # how the team's module hands out its blocking client: `get_redis(blocking=True)`, or a
    # function of its own that takes no argument (`get_blocking_redis()`)
    blocking_function: str | None = None

    # the name the file calls it by, when the file binds the accessor's name itself (its own
    # `get_redis` dependency): `from <lifecycle> import get_redis as lifecycle_get_redis`
    aliases: tuple[tuple[str, str], ...] = ()
    # a module global held at import by an object that keeps it: `lazy_redis()`, a stand-in
    # that looks up get_redis() each time it is used
    lazy: bool = False

    @property
    def imported(self) -> str:
        """The lifecycle module's function this accessor calls."""
        if self.lazy:
            return "lazy_redis"
        if self.compat:
            return "get_compat_redis"
        if self.blocking and self.blocking_function and not self.sync:
            return self.blocking_function
        return "get_sync_redis" if self.sync else "get_redis"

    @property
    def function(self) -> str:
        """The name the call is spelled with in the file."""
        return dict(self.aliases).get(self.imported, self.imported)

    @property
    def source(self) -> str:
        """`get_redis()`, `get_redis(blocking=True)`, `get_redis("queue")`, `get_sync_redis()`…"""
        arguments = [json.dumps(self.name)] if self.name else []
        if self.blocking and self.imported in ("get_redis", "get_sync_redis",
                                               "get_compat_redis", "lazy_redis"):
            arguments.append("blocking=True")
        return f"{self.function}({', '.join(arguments)})"

    def call(self) -> cst.Call:
        """A fresh accessor call node."""
        import libcst as cst

        expression = cst.parse_expression(self.source)
        assert isinstance(expression, cst.Call)
        return expression

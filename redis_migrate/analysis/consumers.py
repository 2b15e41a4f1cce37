"""The libraries known to keep a Redis client: loaded from `consumers.toml` (data)."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from functools import cache
from importlib import resources

from redis_migrate.errors import ConfigError
from redis_migrate.redis_api import BLOCKING_OPS, TRACKED_METHODS


@dataclass(frozen=True, slots=True)
class Consumer:
    """A library callable that takes a client and sends `operations` on it."""

    callable: str
    argument: int | None
    keyword: str | None
    operations: tuple[str, ...]
    purpose_note: str
    # the library sends its commands from sync code (rq): they are no use in async code, and
    # a sync client handed to it is not a sync client used in an `async def`
    sync: bool = False
    # how long its blocking reads (`operations` in BLOCKING_OPS) wait, in seconds: rq's worker
    # waits up to its dequeue timeout on BRPOP, longer than a shared client's socket_timeout
    block_seconds: int | None = None
    # its constructor only keeps the client, read from its source (no isinstance check, no call
    # on it): it may be given lazy_redis(), a stand-in, where it is built at import
    keeps: bool = False

    def slots(self) -> tuple[str, ...]:
        """The argument slots (`0`, `redis`) the client may be passed in."""
        found = [str(self.argument)] if self.argument is not None else []
        return (*found, *([self.keyword] if self.keyword else []))


@cache
def known_consumers() -> dict[str, Consumer]:
    """Callable qualified name -> Consumer; a ConfigError naming the entry if one is wrong."""
    text = resources.files("redis_migrate.analysis").joinpath("consumers.toml").read_text("utf-8")
    table: dict[str, Consumer] = {}
    for number, entry in enumerate(tomllib.loads(text).get("consumer", []), start=1):
        where = f"redis_migrate/analysis/consumers.toml: consumer #{number}"
        try:
            consumer = Consumer(str(entry["callable"]), entry.get("argument"),
                                entry.get("keyword"), tuple(entry["operations"]),
                                str(entry.get("purpose_note", "")), entry.get("sync") is True,
                                entry.get("block_seconds"), entry.get("keeps") is True)
        except KeyError as exc:
            raise ConfigError(f"{where}: missing key {exc}") from None
        unknown = set(consumer.operations) - TRACKED_METHODS
        if unknown or not consumer.slots():
            raise ConfigError(f"{where}: unknown operations {sorted(unknown)} or no argument")
        if consumer.block_seconds is not None and not (
                isinstance(consumer.block_seconds, int) and consumer.block_seconds >= 0
                and BLOCKING_OPS & set(consumer.operations)):
            raise ConfigError(f"{where}: block_seconds needs a whole number of seconds and a "
                              f"blocking read among its operations")
        table[consumer.callable] = consumer
    return table


def consumer_of(argument_key: str) -> Consumer | None:
    """The known consumer an argument key (`fastapi_limiter.FastAPILimiter.init.<args>.0`)
    passes the client to, if any."""
    callable_, separator, slot = argument_key.rpartition(".<args>.")
    if not separator:
        return None
    consumer = known_consumers().get(callable_)
    return consumer if consumer is not None and slot in consumer.slots() else None

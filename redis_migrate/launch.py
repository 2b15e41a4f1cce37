"""The `migrate` executable: the CLI, given a head start on `inventory` and `check`.

Most of an inventory of a large folder outside git is `git grep --no-index` for the files that
name redis, and the search needs nothing of the CLI. Started here, before Typer and the
analysis load (about 40 ms of a start), git searches on another core meanwhile; the CLI's
inventory takes the running search over (`scan.early_search.prefetch`).

The command line is read here only to guess the folder, never to decide anything: a guess
that misses (an unusual spelling of the options) costs the search started for nothing, which
the CLI stops before it starts the one it needs.
"""

from __future__ import annotations

import sys
from pathlib import Path

# the commands that begin with an inventory of the target
_INVENTORY_COMMANDS = frozenset({"inventory", "check"})
_GLOBAL_FLAGS = frozenset({"--debug"})
_ASKS_FOR_HELP = frozenset({"-h", "--help", "--version", "--install-completion",
                            "--show-completion"})


def main() -> None:
    """Entry point of the `migrate` executable."""
    target = inventory_target(sys.argv[1:])
    if target is not None:
        from redis_migrate.scan.early_search import start_ahead

        start_ahead(target)
    from redis_migrate.cli import main as cli_main

    cli_main()


def inventory_target(args: list[str]) -> Path | None:
    """The folder an `inventory` or `check` command line names (`-C`/`--repo`, else the
    current one); None for any other command, or a line that asks for help."""
    rest = list(args)
    while rest and rest[0] in _GLOBAL_FLAGS:
        del rest[0]
    if not rest or rest[0] not in _INVENTORY_COMMANDS:
        return None
    repo = "."
    options = iter(rest[1:])
    for option in options:
        if option in _ASKS_FOR_HELP:
            return None
        if option == "--":
            break
        if option in ("-C", "--repo"):
            value = next(options, None)
            if value is None:
                return None  # the CLI says what is missing
            repo = value
        elif option.startswith("--repo="):
            repo = option.removeprefix("--repo=")
        elif option.startswith("-C"):
            repo = option.removeprefix("-C")
    return Path(repo)

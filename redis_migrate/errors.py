"""Errors the user can act on. The CLI prints them as one line and exits with their code."""

from __future__ import annotations

EXIT_OK = 0
EXIT_FINDINGS = 1
EXIT_USAGE = 2


class MigrateError(Exception):
    """An expected failure with a message for the user (never shown as a traceback)."""

    exit_code = EXIT_USAGE


class UsageError(MigrateError):
    """Bad flags, a path that does not exist, a target that is not what the command needs."""


class ConfigError(MigrateError):
    """A configuration or batch file with an unknown key or a bad value."""


class ApplyError(MigrateError):
    """A batch that could not be applied as a whole (nothing was written)."""

    exit_code = EXIT_FINDINGS

"""Which files each pass of the inventory reads, decided from their bytes before any parse:
those that name redis, those of them that can start something (an import that spells redis,
a lifecycle name), and the framework files that carry a client without naming it.

The searches themselves (git grep, or Python over a walked folder) are `discovery`'s; these
are the finer looks at what they found. Each answers `search(data)` as a compiled
expression does (`discovery.ByteSearch`).
"""

from __future__ import annotations

import re

# The files the search for `early_search.PREFILTER_NEEDLE` found that really name redis, not
# an English word that spells it: the GPL's "redistribute it and/or modify it" heads every
# file of some packages (176 of PyGithub's), each then parsed for nothing.
REDIS_MENTION = re.compile(rb"redis(?!tribut|play|cover)")
# Files that reach a client through the app without naming Redis (`request.app.state.cache`,
# `request.app["cache"]`, `current_app.cache`, a `Depends(...)` provider): parsed too.
# Files that register the app's hooks (`FastAPI(lifespan=lifespan)` in a main.py that never
# names Redis) are parsed too: the wiring needs them, and so does an app made with no hook.
_HOOK_NEEDLES = ("lifespan", "on_startup", "on_event(", "cleanup_ctx", "on_cleanup",
                 "on_shutdown", "asyncio.run(",
                 # the app object itself: an app with no hook is not wired by assumption
                 "FastAPI(", "Starlette(", "Litestar(", "Celery(")
# Spellings common outside any app (`self.state.append`, `TypeApplication(`, pydantic's
# `config_dict`): they count only in a file that names a framework's package, as every file
# that reaches the app through them does (to annotate `Request`, import `Depends`, `web`).
_APP_NEEDLES = (".state.", "app[", "current_app", "config_dict", "Depends(", "Application(")
FRAMEWORK_NEEDLES = (*_APP_NEEDLES, *_HOOK_NEEDLES)
# Of the files that mention redis, those that can make a client, share the lifecycle module's
# or subclass a client class (what `inventory._anything_to_follow` asks): a client class is
# reached only through an import that spells redis (`import redis`, `from redis.asyncio import (`,
# `import aioredis`, on the import's line, its lines continued with a backslash or inside its
# parentheses; a byte-order mark may open the first line), the shared client only through a
# lifecycle name; a star import binds nothing the analysis resolves. The rest (redis named in
# a string, a comment, an attribute) are read only once these are known to start something:
# on a site-packages, where the files that say redis are pygments' lexers (whose imports are
# continued with backslashes) and moto's models, they were most of the parsing.
_IMPORT = re.compile(rb"(?:^|[;:])(?:\xef\xbb\xbf)?[ \t\f]*(?:import|from)\b", re.MULTILINE)
_LIFECYCLE_NAME = re.compile(rb"\b(?:get|init|close|get_sync|get_blocking)_redis\b")
_CONTINUED = re.compile(rb"\\\r?\n\Z")


class _CanStart:
    """Whether a file's bytes hold an import that spells redis (on the import's line, the
    lines it continues with a backslash, or inside its parentheses) or a lifecycle name
    (`search`, as a compiled expression answers).

    Each `redis` is looked at where it stands, from its own line back: one expression
    that tried an import at every line start and colon of the file took 60 ms a megabyte.
    """

    def search(self, data: bytes) -> bool:
        if b"_redis" in data and _LIFECYCLE_NAME.search(data):
            return True
        at = data.find(b"redis")
        while at != -1:
            if _continued_import(data, at) or _parenthesised_import(data, at):
                return True
            at = data.find(b"redis", at + 1)
        return False


def _continued_import(data: bytes, at: int) -> bool:
    """Whether the `redis` at `at` ends an import's line or a line it continues."""
    start = data.rfind(b"\n", 0, at) + 1
    while start > 1:  # the lines before that end with a backslash continue into this one
        before = data.rfind(b"\n", 0, start - 1) + 1
        if not _CONTINUED.search(data, before, start):
            break
        start = before
    return _IMPORT.search(data, start, at + 1) is not None


def _parenthesised_import(data: bytes, at: int) -> bool:
    """Whether the `redis` at `at` is inside the parentheses an import's line opens."""
    closed = data.rfind(b")", 0, at)
    opened = data.find(b"(", closed + 1, at)
    while opened != -1:  # each `(` with no `)` after it, up to the `redis`
        line = data.rfind(b"\n", 0, opened) + 1
        for found in _IMPORT.finditer(data, line, opened):
            if data.find(b"(", found.end(), opened) == -1:  # the first `(` after the import
                return True
        opened = data.find(b"(", opened + 1, at)
    return False


CAN_START = _CanStart()
_FRAMEWORK_PACKAGES = ("fastapi", "starlette", "litestar", "aiohttp", "flask", "quart")


class _FrameworkFile:
    """Of the files the framework needles found, those that register an app's hooks or name
    a framework's package as a word (`search`, as a compiled expression answers).

    Each needle is looked for with `in`, at memory speed: `re` tries an alternation of
    seventeen spellings at every byte, 0.3 s over the 491 such files of a venv.
    """

    _hooks = tuple(n.encode() for n in _HOOK_NEEDLES)
    _packages = tuple(n.encode() for n in _FRAMEWORK_PACKAGES)
    _package_word = re.compile(rb"\b(?:" + b"|".join(_packages) + rb")\b")

    def search(self, data: bytes) -> bool:
        return (any(needle in data for needle in self._hooks)
                or any(package in data for package in self._packages)
                and self._package_word.search(data) is not None)


FRAMEWORK_FILE = _FrameworkFile()

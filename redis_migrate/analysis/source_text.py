"""Reading Python source as the interpreter does, and words in names."""

from __future__ import annotations

import io
import re
import tokenize

from redis_migrate.redis_api import RATE_LIMIT_HINTS

# identifier words: split at non-alphanumerics and at lower→upper case changes (RateLimiter)
_WORD_BREAK = re.compile(r"[^A-Za-z0-9]+|(?<=[a-z0-9])(?=[A-Z])")


def decode_source(data: bytes) -> str:
    """Decode Python source the way the interpreter does (PEP 263 cookie, BOM)."""
    encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
    return data.decode(encoding)


def has_rate_limit_hint(text: str) -> bool:
    """Whether a name or key, split into words, contains a rate-limiting word."""
    return any(word.lower() in RATE_LIMIT_HINTS for word in _WORD_BREAK.split(text) if word)


# Python 2 statements, as the line a SyntaxError points at spells them
_PYTHON2_LINES: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"^\s*print\s+[^\s(=.,)]"), "a print statement"),
    (re.compile(r"^\s*except\s+[\w.]+\s*,\s*\w+\s*:"), "`except E, e:`"),
    (re.compile(r"^\s*exec\s+[\"']"), "an exec statement"),
    (re.compile(r"^\s*raise\s+[\w.]+\s*,"), "`raise E, message`"),
)


def python2_hint(text: str, line: int | None) -> str | None:
    """What Python 2 statement the line that does not parse is, if it is one: such a file is
    reported as Python 2 rather than as a plain syntax error."""
    lines = text.splitlines()
    if line is None or not 1 <= line <= len(lines):
        return None
    return next((what for pattern, what in _PYTHON2_LINES if pattern.match(lines[line - 1])),
                None)

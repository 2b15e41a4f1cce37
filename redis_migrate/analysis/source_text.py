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

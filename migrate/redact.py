"""Masking of secrets (Redis URL passwords, tokens) before anything is shown or written."""

from __future__ import annotations

import re

MASK = "***"

# scheme://user:password@host  and  scheme://:password@host
_URL_PASSWORD = re.compile(r"(?P<head>\b[a-z][a-z0-9+.-]*://[^\s:@/'\"]*:)(?P<secret>[^\s@/'\"]+)(?=@)",
                           re.IGNORECASE)
# password="..." / token: '...' as quoted literals in code and config
_KEYWORD_SECRET = re.compile(
    r"(?P<head>\b(?:password|passwd|pwd|token|secret|api_key)\s*[=:]\s*)"
    r"(?P<quote>['\"])(?P<secret>[^'\"]+)(?P=quote)",
    re.IGNORECASE,
)
# ?password=... in URL query strings
_QUERY_SECRET = re.compile(r"(?P<head>[?&](?:password|token)=)(?P<secret>[^&\s'\"]+)", re.IGNORECASE)


def mask_secrets(text: str) -> str:
    """Return `text` with URL passwords and `password=`/`token=` literals replaced by ***."""
    text = _URL_PASSWORD.sub(lambda m: m.group("head") + MASK, text)
    text = _QUERY_SECRET.sub(lambda m: m.group("head") + MASK, text)
    return _KEYWORD_SECRET.sub(
        lambda m: m.group("head") + m.group("quote") + MASK + m.group("quote"), text
    )

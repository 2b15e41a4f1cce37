"""Masking of secrets (Redis URL passwords, password literals, their env defaults) before anything
is shown or written.

Three small scanners, each a parser of one form rather than one regex for all:

- URLs (`redis://`, `rediss://`, `unix://`, any `scheme://`): the password of the userinfo, which
  runs from the userinfo's first `:` to the LAST `@` of the URL, as urllib (and so redis-py)
  reads it, so `redis://:p@ssw0rd@host` is masked whole; and `?password=` / `&password=` values;
- secret-named keys given a string literal: `password="x"`, `'password': 'x'`, `REDIS_PASSWORD =
  "x"`, `password: str = "x"`;
- defaults of environment look-ups: `password=os.getenv("REDIS_PASSWORD", "x")`,
  `os.environ.get("REDIS_PASSWORD", "x")`: the default literal is masked, the name is kept.

Masking runs on code, on prose and on already-encoded output (JSON escapes a quote as `\\"`,
CSV doubles it), so a literal's quotes may take any of those spellings. It is idempotent, and it
never changes text without a secret (`redis://localhost:6379/0`, `redis://user@host`,
`password=settings.REDIS_PASSWORD`).
"""

from __future__ import annotations

import re

MASK = "***"

# A name that holds a secret: password, redis_password, REDIS_PASSWD, auth_token, api_key...
_SECRET_WORDS = ("password", "passwd", "pwd", "secret", "token", "apikey", "api_key")
_SECRET_WORD = "(?:" + "|".join(_SECRET_WORDS) + ")"
# Environment variable names whose default is a secret (REDIS_PASSWORD, REDIS_AUTH, ...).
_SECRET_VARIABLE = re.compile(_SECRET_WORD + r"|auth|pass|(?:^|_)pw(?:_|$)", re.IGNORECASE)

_SCHEME_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789+.-")
# Where a URL ends when it is not quoted: whitespace, quotes, backticks, angle brackets.
_URL_STOP = re.compile(r"[\s'\"`<>]")
# `?password=x` up to the next parameter; and, in a URL that is not quoted (a bare CSV field),
# up to a comma too, which would be the end of the field
_QUERY_SECRET = {quoted: re.compile(r"(?P<head>[?&]\w*" + _SECRET_WORD + r"\w*=)(?P<secret>"
                                    + (r"[^&]*)" if quoted else r"[^&,]*)"), re.IGNORECASE)
                 for quoted in (True, False)}

# `password=`, `"password": `, `REDIS_PASSWORD = `, `password: str = `, JSON's `\"password\": `
# (matched where a secret word starts: the name may go on before it, as in REDIS_PASSWORD)
_KEY = re.compile(_SECRET_WORD + r"\w*(?:\"\"|\\?[\"'])?\s*(?P<sep>=(?!=)|:)\s*", re.IGNORECASE)
_ANNOTATION = re.compile(r"[A-Za-z_][\w.\[\], |]*?\s*=(?!=)\s*")
_ENV_CALL = re.compile(r"(?:getenv|environ\s*\.\s*(?:get|setdefault))\s*\(\s*")
_CALL_HEAD = re.compile(r"(?P<callee>[A-Za-z_][\w.]*)\s*\(\s*")
# Callees whose first argument names a secret rather than holding one.
_LOOKUPS = frozenset({"getenv", "get", "setdefault", "pop", "env", "config"})
# `host:6379/0?x=a`: what precedes an `@` that is in a URL's path or query, not its userinfo
_HOST_PORT_PATH = re.compile(r"[^:/?#@]+:\d+[/?#].*", re.DOTALL)
_OR_LITERAL = re.compile(r"\s+or\s*")
_KEYWORD_ARG = re.compile(r"(?P<name>[A-Za-z_]\w*)\s*=(?!=)\s*")
_STRING_PREFIX = re.compile(r"[rRbBuUfF]{0,2}(?=\\?[\"'])")
# A literal's opening quote: Python's, JSON's escaped one, CSV's doubled one (longest first).
_QUOTES = ('"""', "'''", '\\"', "\\'", '""', '"', "'")
# The content and closing quote of a one-quote literal, on one line, with backslash escapes.
_PLAIN_CONTENT = {q: re.compile(rf"(?:[^{q}\\\n]|\\.)*{q}") for q in ('"', "'")}
# Where a literal cut short (a truncated snippet) is taken to end.
_CUT = re.compile(r"[\s\"]|\\\"")


def mask_secrets(text: str) -> str:
    """Return `text` with every password it holds (URL, literal, env default) replaced by ***."""
    text = _mask_urls(text)
    return _replace(text, _key_secrets(text) + _env_defaults(text))


def _occurrences(text: str, words: tuple[str, ...], fold: bool = False) -> list[int]:
    """Where each of `words` starts in `text` (ignoring case when `fold`), in order.

    Plain `str.find` rather than one case-insensitive regex: the output of a large tree is
    megabytes long and a regex alternation tried at every position is ten times slower.
    """
    if fold:  # U+0130 is the one character whose lower case is longer: keep offsets aligned
        text = text.replace("\u0130", "i").lower()
    found: list[int] = []
    for word in words:
        at = text.find(word)
        while at != -1:
            found.append(at)
            at = text.find(word, at + 1)
    return sorted(found)


# --- URLs -------------------------------------------------------------------------------------

def _mask_urls(text: str) -> str:
    """Mask the userinfo password and the query-string passwords of every `scheme://` URL."""
    out: list[str] = []
    done = 0
    # from where the last URL ended: a URL held in another's query string is part of that one
    while (separator := text.find("://", done)) != -1:
        body = separator + 3
        end, quoted = _url_end(text, _scheme_start(text, separator, done), body)
        out += [text[done:body], _mask_url_body(text[body:end], quoted)]
        done = max(end, body)
    return "".join(out) + text[done:]


def _scheme_start(text: str, separator: int, floor: int) -> int:
    """Where the scheme (`redis`, `rediss`, `unix`...) before the `://` at `separator` starts."""
    start = separator
    while start > floor and text[start - 1] in _SCHEME_CHARS:
        start -= 1
    return start


def _url_end(text: str, start: int, body: int) -> tuple[int, bool]:
    """Where the URL whose `scheme://` ends at `body` ends, and whether it is quoted."""
    opener = text[start - 1] if start else ""
    if opener in ("'", '"'):
        # a quoted URL runs to its closing quote, so a password may hold spaces or other quotes
        newline = text.find("\n", body)
        close = text.find(opener, body, len(text) if newline == -1 else newline)
        if close != -1:
            # JSON's \" closes it too
            return (close - 1 if text[close - 1] == "\\" else close), True
    stop = _URL_STOP.search(text, body)
    end = stop.start() if stop else len(text)
    escaped = end > body and text[end - 1] == "\\" and text[end:end + 1] == '"'
    return (end - 1 if escaped else end), False


def _mask_url_body(rest: str, quoted: bool) -> str:
    """`rest` (a URL after `scheme://`) with its query passwords and userinfo password masked."""
    rest = _QUERY_SECRET[quoted].sub(
        lambda m: m.group("head") + (MASK if m.group("secret") else ""), rest)
    at = _userinfo_end(rest)
    if at is None:
        return rest
    user = rest[:at].partition(":")[0]
    return f"{user}:{MASK}{rest[at:]}"


def _userinfo_end(rest: str) -> int | None:
    """The index of the `@` that ends a userinfo holding a password, or None.

    The password runs to the last `@` (a password may hold `@`, and even a raw `/`, `?` or `#`
    that urllib would stop at: both are masked). An `@` is not the end of a userinfo when what
    precedes it (back to the `@` before) reads as `host:port/path...`, or as a user with no `:`
    (no password). A user name may hold `@` (`me@corp:pw@host`). A password of digits with a raw
    `/`, after a user name, reads as a port and a path: redis-py cannot parse that URL either.
    """
    at = rest.rfind("@")
    while at != -1:
        before = rest[:at]
        user, colon, _ = before.partition(":")
        in_path = _HOST_PORT_PATH.fullmatch(before.rpartition("@")[2])
        if colon and not any(c in user for c in "/?#[") and not in_path:
            return at
        at = rest.rfind("@", 0, at)
    return None


# --- secret-named keys ------------------------------------------------------------------------

def _key_secrets(text: str) -> list[tuple[int, int]]:
    """The literal given to each secret-named key (keyword, dict key, assignment)."""
    spans: list[tuple[int, int]] = []
    for at in _occurrences(text, _SECRET_WORDS, fold=True):
        match = _KEY.match(text, at)
        if match is None:
            continue
        start = match.end()
        if match.group("sep") == ":":
            annotation = _ANNOTATION.match(text, start)  # password: str = "x"
            if annotation and _literal_at(text, start) is None:
                start = annotation.end()
        spans += _value_secrets(text, start)
    return spans


def _value_secrets(text: str, i: int) -> list[tuple[int, int]]:
    """The spans to mask in the value that starts at `i`: a literal, or a call's default.

    `os.getenv("NAME", "default")`, `environ.get(...)`, `config("NAME", default="x")`: the
    literals after the first (the name) are defaults; `... or "x"` is one too. Any other call
    (`SecretStr("x")`) holds the secret in any of its literal arguments.
    """
    literal = _literal_at(text, i)
    if literal is not None:
        return [literal[:2]]
    head = _CALL_HEAD.match(text, i)
    if head is None:
        return []
    lookup = head.group("callee").rpartition(".")[2] in _LOOKUPS
    spans, end = _call_literals(text, head.end(), skip_name=lookup)
    fallback = _OR_LITERAL.match(text, end)
    if fallback:
        literal = _literal_at(text, fallback.end())
        if literal is not None:
            spans.append(literal[:2])
    return spans


def _call_literals(text: str, i: int, skip_name: bool) -> tuple[list[tuple[int, int]], int]:
    """The literal arguments of the call whose arguments start at `i`, and where it ends.

    With `skip_name` (a look-up), the first positional argument (the name) and keyword
    arguments other than `default` are left out.
    """
    spans: list[tuple[int, int]] = []
    index = 0
    while i < len(text):
        keyword = _KEYWORD_ARG.match(text, i)
        start = keyword.end() if keyword else i
        literal = _literal_at(text, start)
        named = keyword.group("name") if keyword else None
        shown = skip_name and (named not in (None, "default") or (named is None and not index))
        if literal is not None and not shown:
            spans.append(literal[:2])
        i = _argument_end(text, literal[2] if literal else start)
        if i >= len(text) or text[i] in ")\n":
            return spans, i + 1
        i = _skip_space(text, i + 1)  # past the comma
        index += 1
    return spans, i


def _argument_end(text: str, i: int) -> int:
    """The index of the `,` or `)` (or newline) that ends the argument going on at `i`."""
    depth = 0
    while i < len(text):
        literal = _literal_at(text, i)
        if literal is not None:
            i = literal[2]
            continue
        char = text[i]
        if char == "\n" or (depth == 0 and char in ",)"):
            return i
        depth += char in "([{"
        depth -= char in ")]}"
        i += 1
    return i


# --- environment defaults ---------------------------------------------------------------------

def _env_defaults(text: str) -> list[tuple[int, int]]:
    """The defaults of `getenv`/`environ.get` look-ups of a secret-named variable."""
    spans: list[tuple[int, int]] = []
    for at in _occurrences(text, ("getenv", "environ")):
        match = _ENV_CALL.match(text, at)
        if match is None:
            continue
        name = _literal_at(text, match.end())
        if name is not None and _SECRET_VARIABLE.search(text[name[0]:name[1]]):
            spans += _call_literals(text, match.end(), skip_name=True)[0]
    return spans


# --- literals ---------------------------------------------------------------------------------

def _literal_at(text: str, i: int) -> tuple[int, int, int] | None:
    """If a string literal starts at `i`: (content start, content end, literal end), else None.

    The quote may be Python's (with an r/b/f/u prefix), JSON's `\\"`, or CSV's doubled `""`.
    A literal cut short (a truncated snippet) runs to the next blank or double quote: the part
    shown is still masked, and encoded output keeps its own quotes.
    """
    prefix = _STRING_PREFIX.match(text, i)
    if prefix is None:
        return None
    start = prefix.end()
    quote = next((q for q in _QUOTES if text.startswith(q, start)), None)
    if quote is None:
        return None
    body = start + len(quote)
    if quote == '""' and (body >= len(text) or text[body] in ",)]}; \n\""):
        return (body, body, body)  # Python's empty string, not CSV's doubled quote
    close = _closing_quote(text, body, quote)
    if close is None:
        cut = _CUT.search(text, body)
        close = cut.start() if cut else len(text)
        return (body, close, close)
    return (body, close, close + len(quote))


def _closing_quote(text: str, i: int, quote: str) -> int | None:
    """The index of the quote that closes a literal whose content starts at `i`."""
    pattern = _PLAIN_CONTENT.get(quote)
    if pattern is not None:  # a backslash escapes the next character
        match = pattern.match(text, i)
        return match.end() - 1 if match else None
    newline = text.find("\n", i) if quote not in ('"""', "'''") else -1
    close = text.find(quote, i, len(text) if newline == -1 else newline)
    return None if close == -1 else close


def _skip_space(text: str, i: int) -> int:
    while i < len(text) and text[i] in " \t":
        i += 1
    return i


def _replace(text: str, spans: list[tuple[int, int]]) -> str:
    """`text` with each non-empty span replaced by the mask (spans may repeat)."""
    out: list[str] = []
    done = 0
    for start, end in sorted(set(spans)):
        if start < done or start == end:
            continue
        out += [text[done:start], MASK]
        done = end
    return "".join(out) + text[done:]

"""The sync clients' URL that `migrate init` writes into a new lifecycle module, and reads back.

A sync app (Django, Flask, a sync worker) has no startup where a batch could call
`configure_sync_redis(url)`, so its clients, once moved to `get_sync_redis()`, would connect to
`$REDIS_URL` instead of what they used (`settings.REDIS_HOST`, `app.config[...]`). `init`
knows that URL from the clients themselves, so it ends the template with a function that
returns it, spelled from the same names, and passes the function to `configure_sync_redis()`:
it runs when the first sync client is made, as late as the clients read their settings.

The reader does not trust the comment: it reads the function back and asks the analysis which
URL key a client built from that expression would have, so a sync site moves only when its
own key is one of those.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from redis_migrate.analysis.extract import extract
from redis_migrate.analysis.facts import HOST_PREFIX
from redis_migrate.scan.wiring import Spelled, literal_code, spell_host

MARKER = "# --- written by `migrate init`: the URL of the app's sync clients "
FUNCTION = "_app_sync_url"

# Spells one URL key in the lifecycle module: (code, the `from m import n` it needs) or None.
Speller = Callable[[str], "Spelled | None"]


@dataclass(frozen=True, slots=True)
class SyncUrl:
    """What the module's `configure_sync_redis(_app_sync_url)` connects the sync clients to."""

    code: str  # the expression `_app_sync_url()` returns, as written
    keys: frozenset[str]  # the URL keys a client built from it would have (analysis/facts)


def spell(url_key: str, url_code: str | None, speller: Speller,
          ) -> tuple[str, list[tuple[str, str]]] | None:
    """The expression the lifecycle module returns for a client whose URL is `url_key`, and
    the imports it needs; None when a part of it cannot be named from the module."""
    if url_key.startswith(HOST_PREFIX):
        literal = literal_code(url_code)
        if literal is not None:
            return literal, []  # redis://localhost:6379/0: every part a literal
        spelled = spell_host(url_key, speller)
    else:
        spelled = speller(url_key)
    return (spelled[0], list(spelled[1])) if spelled is not None else None


def render_tail(code: str, imports: Iterable[tuple[str, str]], origins: list[str]) -> str:
    """The lines appended to the template: the function, and the call that configures it."""
    where = origins[0] + (f" and {len(origins) - 1} more" if len(origins) > 1 else "")
    lines = ["", "", MARKER.rstrip() + " " + "-" * max(0, 99 - len(MARKER)),
             f"# What they connected to before the migration ({where}), read when",
             "# get_sync_redis() first makes a client: as late as they read it.", "", "",
             f"def {FUNCTION}() -> str:"]
    lines += [f"    from {module} import {name}" for module, name in imports]
    if imports:
        lines.append("")
    lines += [f"    return {code}", "", "", f"configure_sync_redis({FUNCTION})", ""]
    return "\n".join(lines)


def split_tail(text: str) -> tuple[str, str | None]:
    """The module without the tail `init` wrote, and the tail (None: there is none)."""
    at = text.find("\n" + MARKER)
    if at < 0:
        return text, None
    return text[:at + 1], text[at + 1:]


def read_tail(tail: str, path: str, module: str, is_package: bool) -> SyncUrl | None:
    """The URL the tail configures, or None when it is not the shape `init` writes (then the
    module is not the template, and the general reader reads it)."""
    try:
        tree = ast.parse(tail)
    except SyntaxError:
        return None
    body = [n for n in tree.body if not isinstance(n, ast.Expr)
            or not isinstance(n.value, ast.Constant)]
    if len(body) != 2 or not isinstance(body[0], ast.FunctionDef) \
            or body[0].name != FUNCTION or body[0].args.args or not _configures(body[1]):
        return None
    *imports, returned = body[0].body
    if not isinstance(returned, ast.Return) or returned.value is None or not all(
            isinstance(i, (ast.Import, ast.ImportFrom)) for i in imports):
        return None
    expression = returned.value
    calls = [f"_redis_for_key.Redis.from_url({ast.unparse(expression)})"]
    host = _host_parts(expression)
    if host is not None:
        calls.append("_redis_for_key.Redis(host={}, port={}, db={})".format(*host))
    source = "\n".join([*(ast.unparse(i) for i in imports), "import redis as _redis_for_key",
                        *(f"_client_{n} = {call}" for n, call in enumerate(calls))]) + "\n"
    facts = extract(path, module, is_package, source.encode("utf-8"), ())
    keys = frozenset(s.url_key for s in facts.sites if s.url_key)
    return SyncUrl(ast.unparse(expression), keys) if keys else None


def _configures(node: ast.stmt) -> bool:
    """`configure_sync_redis(_app_sync_url)` at module level."""
    return (isinstance(node, ast.Expr) and isinstance(node.value, ast.Call)
            and isinstance(node.value.func, ast.Name)
            and node.value.func.id == "configure_sync_redis" and not node.value.keywords
            and len(node.value.args) == 1 and isinstance(node.value.args[0], ast.Name)
            and node.value.args[0].id == FUNCTION)


_HOST_URL = re.compile(r"redis://(\x00\d+\x00|[^:/@\x00]+):(\x00\d+\x00|\d+)/(\x00\d+\x00|\d+)")


def _host_parts(expression: ast.expr) -> tuple[str, str, str] | None:
    """`f"redis://{h}:{p}/{n}"` (or the literal `"redis://h:p/n"`) as the code of the host,
    port and db a `Redis(host=, port=, db=)` client would be given for the same server."""
    pieces: list[str] = []
    values: list[str] = []
    parts = expression.values if isinstance(expression, ast.JoinedStr) else [expression]
    for part in parts:
        if isinstance(part, ast.Constant) and isinstance(part.value, str):
            pieces.append(part.value)
        elif isinstance(part, ast.FormattedValue) and part.conversion == -1 \
                and part.format_spec is None:
            pieces.append(f"\x00{len(values)}\x00")
            values.append(ast.unparse(part.value))
        else:
            return None
    match = _HOST_URL.fullmatch("".join(pieces))
    if match is None:
        return None
    host, port, db = match.groups()

    def code(piece: str, number: bool) -> str:
        if piece.startswith("\x00"):
            return values[int(piece.strip("\x00"))]
        return piece if number else repr(piece)
    return code(host, False), code(port, True), code(db, True)

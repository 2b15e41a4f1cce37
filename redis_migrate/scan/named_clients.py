"""The named clients of `[tool.migrate.clients]` that the app's `init_redis()` creates.

A site moved onto a named client calls `get_redis("queue")`, which raises unless an
`init_redis(clients={"queue": {...}})` call created that client. So a site may only move onto
a name that is created: by a call the app already makes (its `clients=` names it), or by the
call a batch wires into the app's startup hook, which passes every named client the sites
use, with its URL spelled in the hook's file as the app spells it and its options:

    await init_redis(settings.REDIS_URL, clients={"limiter": {"url": str(settings.LIMITER_URL)}})

Only the template's `init_redis()` is known to take `clients=`; a team's own module is read
for what it does, and its named clients are its own business (`lifecycle-lacks-named-client`
when it has no `get_redis(name)` at all).
"""

from __future__ import annotations

import ast
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from redis_migrate.analysis.facts import FileFacts
from redis_migrate.analysis.link import LinkedSite, ModuleIndex
from redis_migrate.scan.discovery import is_test_path
from redis_migrate.scan.wiring import (
    Imports,
    WiringFacts,
    as_clients_spell,
    literal_codes,
    spell_url,
)

ANY_NAME = "*"  # a `clients=` the analysis cannot read: it may create any name


@dataclass(slots=True)
class NamedClients:
    """Which named clients exist once the app starts, and how the wired call creates them."""

    created: frozenset[str] = frozenset()  # by the app's own init_redis() calls
    # by hook (an anchor's function key, or the path of an app given a lifespan): the
    # `"name": {...}` entries its wired init_redis() passes, and the imports they need
    entries: dict[str, list[tuple[str, str]]] = field(default_factory=dict)
    imports: dict[str, Imports] = field(default_factory=dict)
    # a name the wiring cannot create, and why (its URL cannot be spelled in a hook's file)
    problems: dict[str, str] = field(default_factory=dict)

    def wired(self) -> set[str]:
        """The names every wired call creates."""
        per_hook = [{name for name, _ in entries} for entries in self.entries.values()]
        return set.intersection(*per_hook) if per_hook else set()

    def missing(self, name: str, wiring: WiringFacts | None) -> str | None:
        """Why `get_redis(name)` would raise once the app runs (None: it is created)."""
        if ANY_NAME in self.created or name in self.created:
            return None
        if wiring is not None and wiring.refusal() is not None:
            return None  # nothing starts the module at all: that is the reason to give
        if name in self.wired():  # entries exist only for the hooks a batch wires
            return None
        if name in self.problems:
            return self.problems[name]
        if wiring is not None and wiring.wired:
            return (f"no init_redis() call of the app creates the named client '{name}': add "
                    f"it to the call's clients={{\"{name}\": {{\"url\": ...}}}}, then run the "
                    f"batch again")
        return (f"nothing creates the named client '{name}': the app's init_redis() call "
                f"must pass clients={{\"{name}\": {{\"url\": ...}}}}")


def named_clients(wiring: WiringFacts, files: list[FileFacts], linked: list[LinkedSite],
                  imports_of: Callable[[str], dict[str, str]],
                  clients: Mapping[str, Mapping[str, Any]]) -> NamedClients:
    """The names the app's own calls create, and for each hook a batch wires, the entries
    of the configured named clients that some site uses, spelled in the hook's file."""
    found = NamedClients(created=frozenset(
        name for f in files for name in f.central_clients if name != "default"))
    hooks = _hooks(wiring)
    if not clients or not hooks:
        return found
    by_path = {f.path: f for f in files}
    index = ModuleIndex.of(files)
    for name, spec in sorted(clients.items()):
        url = spec.get("url")
        users = [s for s in linked if s.kind == "instantiation" and s.url_key
                 and url in (s.url, s.url_key) and not is_test_path(s.path)]
        if not users or not isinstance(url, str):
            continue
        literals = literal_codes(users)
        for hook, path in hooks.items():
            hook_file = by_path.get(path)
            spelled = spell_url(users[0].url_key or "", hook_file, files, index, imports_of,
                                literals) if hook_file is not None else None
            options = _options_code(spec, users)
            if spelled is None or options is None:
                what = "its URL" if spelled is None else "one of its options"
                found.problems[name] = (
                    f"the named client '{name}' cannot be created where the app starts "
                    f"({path}): {what} cannot be spelled there; add it to init_redis("
                    f"clients=...) by hand")
                break
            code, needed = as_clients_spell(spelled, users[0].url_key or "", users)
            found.entries.setdefault(hook, []).append((name, client_entry(code, options)))
            found.imports[hook] = tuple(dict.fromkeys((*found.imports.get(hook, ()), *needed)))
    for hook in list(found.entries):
        # a name one hook could not spell is created by none: the sites on it stay manual
        found.entries[hook] = [(n, e) for n, e in found.entries[hook] if n not in found.problems]
    return found


def _hooks(wiring: WiringFacts) -> dict[str, str]:
    """The hooks a batch wires: function key (or app path) -> the file it is in."""
    if wiring.app_lifespan is not None:
        return {wiring.app_lifespan.path: wiring.app_lifespan.path}
    if not wiring.needs_wiring:
        return {}
    return {anchor.function or "": anchor.path for anchor in wiring.anchors}


def client_entry(url_code: str, options: Mapping[str, object]) -> str:
    """A named client's entry in `init_redis(clients=...)`: `{"url": <code>, "db": 1}`."""
    return "{" + ", ".join([f'"url": {url_code}',
                            *(f'"{name}": {value!r}' for name, value in options.items())]) + "}"


def _options_code(spec: Mapping[str, Any], users: list[LinkedSite]) -> dict[str, object] | None:
    """The named client's options, each a literal value; None when one is source text
    (`db = "settings.DB"`) rather than a literal value."""
    written = {name: source for s in users for name, source in s.options}
    options: dict[str, object] = {}
    for name, value in sorted(spec.items()):
        if name == "url":
            continue
        if isinstance(value, str) and not _is_literal(written.get(name), value):
            return None
        if not isinstance(value, (str, bool, int, float)):
            return None
        options[name] = value
    return options


def _is_literal(source: str | None, value: str) -> bool:
    """Whether the sites wrote the option as the string literal `value` (`"utf-8"`)."""
    if source is None:
        return False
    try:
        return bool(ast.literal_eval(source) == value)
    except (ValueError, SyntaxError):
        return False

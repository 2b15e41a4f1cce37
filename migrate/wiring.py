"""Where the app starts and stops, and how a batch wires `init_redis()`/`close_redis()` there.

The rewrites hand out `get_redis()`, which only works once `init_redis()` has run. When the app
already calls it (phase 1 done), nothing is wired. When it calls it nowhere, a batch puts it in
the app's own startup hook: the first hook (lifespan, startup hook, worker `main()`, by file and
line) that creates a client from a URL, right before the statement that creates it, with that
client's URL, so that the shared client connects where that client did. The stop side is
`await close_redis()`: in place of the old client's close in a shutdown hook or lifespan, else
after the lifespan's `yield` (or at the end of a startup hook's paired shutdown hook).

An app whose hooks the analysis sees but none of which creates a client from a URL cannot be
wired safely: its sites are `manual` with reason code `lifecycle-not-wired`. A repository with
no recognisable hook at all keeps the earlier contract (phase 1 wired the module; SPEC §2).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from migrate.analysis.facts import LOCALS, FileFacts
from migrate.analysis.link import LinkedSite, ModuleIndex, app_hooks

STARTING = ("lifespan", "startup", "main")


@dataclass(slots=True)
class WiringFacts:
    """What the repository does about the lifecycle module's start and stop today."""

    wired: bool  # init_redis() is called somewhere
    closed: bool  # close_redis() is called somewhere
    hooks: dict[str, str] = field(default_factory=dict)  # function key -> hook kind
    # per program, the client whose hook and URL the wiring uses: the app's first, then each
    # worker `main()` (a process of its own, started by `asyncio.run`)
    anchors: list[LinkedSite] = field(default_factory=list)

    @property
    def anchor(self) -> LinkedSite | None:
        """The app's anchor (the one every other site's URL is compared with)."""
        return self.anchors[0] if self.anchors else None

    @property
    def needs_wiring(self) -> bool:
        return not self.wired and bool(self.hooks)

    def refusal(self) -> str | None:
        """Why sites cannot move until the app is wired by hand, if they cannot."""
        if not self.needs_wiring or self.anchor is not None:
            return None
        return ("init_redis() is called nowhere, and none of the app's hooks ("
                + ", ".join(f"{_short(k)}()" for k in sorted(self.hooks)[:3])
                + ") creates a client from a URL to wire it with: call `await init_redis(<url>)`"
                  " at startup and `await close_redis()` at shutdown (migrate init printed how)")


def wiring_facts(files: list[FileFacts], linked: list[LinkedSite]) -> WiringFacts:
    """Read once per inventory: whether and where the app starts the lifecycle module."""
    index = ModuleIndex(f.module for f in files)
    facts = WiringFacts(wired=any(f.central_urls for f in files),
                        closed=any(f.central_closes for f in files),
                        hooks=app_hooks(files, index))
    candidates = sorted((s for s in linked if s.kind == "instantiation" and s.hook in STARTING
                         and s.url_code and s.family == "client" and s.holder != "return"),
                        key=lambda s: (STARTING.index(s.hook or "main"), s.path, s.loc.line))
    app = next((s for s in candidates if s.hook != "main"), None)
    programs: dict[str | None, LinkedSite] = {}
    for site in candidates:
        if site.hook == "main" or site is app:
            programs.setdefault(site.function, site)  # one anchor per hook
    facts.anchors = sorted(programs.values(), key=lambda s: s is not app)
    return facts


def _short(key: str) -> str:
    return key.rpartition(".")[2]


def relative(key: str, module: str) -> str:
    """`pkg.mod.f.<locals>.g` -> `f.<locals>.g` for a key inside `module`."""
    return key[len(module) + 1:] if key.startswith(module + ".") else key


def enclosing_def(function: str) -> str | None:
    """The def a lambda sits in (`f.<locals>.<lambda:3:4>` -> `f`; at module level None)."""
    head, separator, _ = function.rpartition(f".{LOCALS}.")
    if separator:
        return head
    return None

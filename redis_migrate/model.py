"""The results the engine returns: sites, skipped files, the inventory. Rendering is elsewhere."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Literal

SiteKind = Literal["instantiation", "close", "owner-singleton", "factory-call"]
Library = Literal["aioredis1", "aioredis2", "redis-asyncio", "redis-sync"]
Scope = Literal["module", "class", "function", "test"]  # test: any site in test code
Status = Literal["pending", "migrated", "manual"]
# Why a site is left to a human: the README's table of reason codes.
ReasonCode = Literal[
    "sync-client", "sync-in-async", "url-differs", "options-differ", "central-unknown",
    "escapes", "passed-to", "import-time-use", "unsupported-shape", "unclassified",
    "cluster-client", "sentinel-client", "custom-client", "lifecycle-not-wired",
    "patched-by-name", "unreadable-importer",
    "lifecycle-lacks-shared-client", "lifecycle-lacks-blocking-client",
    "lifecycle-lacks-named-client", "lifecycle-lacks-sync-client",
]


@dataclass(slots=True)
class Site:
    """One line of the seed's §4.1 checklist. Field names are the stable JSON schema (SPEC §2)."""

    file: str
    line: int
    col: int
    kind: SiteKind
    pattern: str
    library: Library
    sync: bool
    scope: Scope
    purpose: str
    batch: str | None
    status: Status
    reason: str | None
    reason_code: ReasonCode | None = None
    rewrite: str = ""
    operations: list[str] = field(default_factory=list)
    holders: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    flags: list[str] = field(default_factory=list)
    snippet: str = ""
    client: str | None = None  # the named client of [tool.migrate.clients] it maps to

    @property
    def location(self) -> str:
        """`file:line:col`, the form editors and CI annotations understand."""
        return f"{self.file}:{self.line}:{self.col}"

    def to_dict(self) -> dict[str, Any]:
        """The JSON object for this site."""
        return asdict(self)


@dataclass(frozen=True, slots=True)
class Skipped:
    """A file that was not analysed, and why (never skipped silently)."""

    file: str
    line: int | None
    reason: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        return f"{where}: {self.reason}"

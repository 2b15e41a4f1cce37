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


@dataclass(slots=True)
class Inventory:
    """Every site of a repository, plus what could not be read."""

    sites: list[Site]
    skipped: list[Skipped]
    files_total: int
    files_parsed: int
    lifecycle_module: str
    include_tests: bool = False  # [tool.migrate] include-tests: test code is in the batches
    lifecycle: Any = field(default=None, repr=False)  # LifecycleFacts of the team's module
    # What the rewrites need beyond the report: the linked sites (by file, line, col, kind) and
    # each parsed file's facts. Not part of any output.
    details: dict[tuple[str, int, int, str], Any] = field(default_factory=dict, repr=False)
    facts: dict[str, Any] = field(default_factory=dict, repr=False)
    # aioredis calls a batch will leave to a human, with a TODO comment: (path, line, rule,
    # reason, batch). Filled by `apply.inventory_report` (it needs a rewrite in memory).
    conversions: list[tuple[str, int, str, str, str]] = field(default_factory=list)
    wiring: Any = field(default=None, repr=False)  # WiringFacts: where the app starts and stops
    # .py files the run did not list, by why (environments, include/exclude, the module itself)
    left_out: dict[str, int] = field(default_factory=dict)

    def summary(self) -> dict[str, Any]:
        """Counts by batch, status, kind and library."""
        def count(attr: str) -> dict[str, int]:
            out: dict[str, int] = {}
            for site in self.sites:
                value = getattr(site, attr)
                key = "unassigned" if value is None else str(value)
                out[key] = out.get(key, 0) + 1
            return dict(sorted(out.items()))

        return {
            "sites": len(self.sites),
            "files_with_sites": len({s.file for s in self.sites}),
            "by_batch": count("batch"),
            "by_status": count("status"),
            "by_kind": count("kind"),
            "by_library": count("library"),
            "by_scope": count("scope"),
            "files_total": self.files_total,
            "files_parsed": self.files_parsed,
            "skipped": len(self.skipped),
            "left_out": dict(sorted(self.left_out.items())),
            "lifecycle_module": self.lifecycle_module,
        }

"""The inventory: every site of a repository with the analysis behind it, as the engine
returns it to `inventory`, `check`, `plan`, `apply` and `init` (rendering is elsewhere).

It lives in the scan layer, not beside `Site` in `model`, because it carries the analysis
records the rewrites need (`details`, `facts`, `lifecycle`, `wiring`) typed as what they are.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from redis_migrate.analysis.facts import FileFacts
from redis_migrate.analysis.link import LinkedSite
from redis_migrate.model import Site, Skipped
from redis_migrate.scan.lifecycle_reader import LifecycleFacts
from redis_migrate.scan.wiring import WiringFacts

SiteKey = tuple[str, int, int, str]
"""A site as the report names it: (file, line, col, kind); `details` maps it to its record."""


@dataclass(slots=True)
class Inventory:
    """Every site of a repository, plus what could not be read."""

    sites: list[Site]
    skipped: list[Skipped]
    files_total: int
    files_parsed: int
    lifecycle_module: str
    include_tests: bool = False  # [tool.migrate] include-tests: test code is in the batches
    lifecycle: LifecycleFacts | None = field(default=None, repr=False)  # the team's module
    # What the rewrites need beyond the report: the linked sites (by file, line, col, kind) and
    # each parsed file's facts. Not part of any output.
    details: dict[SiteKey, LinkedSite] = field(default_factory=dict, repr=False)
    facts: dict[str, FileFacts] = field(default_factory=dict, repr=False)
    # aioredis calls a batch will leave to a human, with a TODO comment: (path, line, rule,
    # reason, batch). Filled by `rewrite.conversions.inventory_report` (a rewrite in memory).
    conversions: list[tuple[str, int, str, str, str]] = field(default_factory=list)
    wiring: WiringFacts | None = field(default=None, repr=False)  # where the app starts, stops
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

"""The batches in order, with what each still has to do, which are done and which is next."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from redis_migrate.batch_catalog import Batch
from redis_migrate.scan.report import Inventory


@dataclass(frozen=True, slots=True)
class PlanRow:
    """One batch of the plan."""

    order: int
    batch: str
    title: str
    pending: int
    manual: int
    files: int
    state: str  # done | next | waiting | manual-only

    def to_dict(self) -> dict[str, Any]:
        """The JSON object for this row."""
        return asdict(self)


def make_plan(inventory: Inventory, batches: list[Batch]) -> list[PlanRow]:
    """A row per batch in order; a last row for sites no batch takes, if there are any."""
    rows: list[PlanRow] = []
    next_found = False
    for batch in batches:
        sites = [s for s in inventory.sites if s.batch == batch.name]
        pending = sum(s.status == "pending" for s in sites)
        manual = sum(s.status == "manual" for s in sites)
        if pending and not next_found:
            state, next_found = "next", True
        elif pending:
            state = "waiting"
        elif manual:
            state = "manual-only"
        else:
            state = "done"
        rows.append(PlanRow(batch.order, batch.name, batch.title, pending, manual,
                            len({s.file for s in sites}), state))
    unassigned = [s for s in inventory.sites if s.batch is None
                  and (s.scope != "test" or inventory.include_tests)]
    if unassigned:
        rows.append(PlanRow(0, "unassigned", "Sites no batch takes (pin them in "
                            "[tool.migrate] overrides)", 0, len(unassigned),
                            len({s.file for s in unassigned}), "manual-only"))
    return rows


def plan_test_code(inventory: Inventory) -> dict[str, Any] | None:
    """The sites in test code (SPEC §3): how many, in how many files, and whether the batches
    take them (`include-tests`); None when there are none."""
    sites = [s for s in inventory.sites if s.scope == "test"]
    if not sites:
        return None
    return {"sites": len(sites), "files": len({s.file for s in sites}),
            "included": inventory.include_tests}


def describe_test_code(summary: dict[str, Any]) -> str:
    """`test code: 3 sites in 2 files, not migrated (...)`, the line under the plan."""
    where = (f"{summary['sites']} site{'s' * (summary['sites'] != 1)} in {summary['files']} "
             f"file{'s' * (summary['files'] != 1)}")
    if summary["included"]:
        return f"test code: {where}, in the batches above (include-tests = true)"
    return (f"test code: {where}, not migrated and not checked (set include-tests = true to "
            f"include it)")

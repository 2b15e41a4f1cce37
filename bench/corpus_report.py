"""What `bench/corpus.py run` records for each app (`AppResult`), and the table and JSON it
makes of them: the figures the README's corpus section shows."""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path


@dataclass
class AppResult:
    """Everything recorded for one app."""

    name: str
    framework: str
    repo: str
    commit: str
    error: str | None = None
    sites_before_init: int = 0
    sites: list[dict] = field(default_factory=list)
    final_sites: list[dict] = field(default_factory=list)
    applied: list[dict] = field(default_factory=list)
    files_changed: list[str] = field(default_factory=list)  # by the batches (vs. after init)
    init_files_changed: list[str] = field(default_factory=list)  # by init (vs. the app)
    not_compiling: list[str] = field(default_factory=list)
    not_compiling_before: list[str] = field(default_factory=list)  # as the app wrote them
    second_pass_changes: list[str] = field(default_factory=list)
    crashes: list[dict] = field(default_factory=list)
    commands: int = 0
    init_output: str = ""
    lifecycle: str | None = None
    apply_outputs: dict[str, str] = field(default_factory=dict)
    manual: list[dict] = field(default_factory=list)
    site_outcomes: list[dict] = field(default_factory=list)  # each post-init site: rewritten?
    appeared: list[dict] = field(default_factory=list)  # final sites absent after init
    unreported: list[dict] = field(default_factory=list)
    tests_before: dict | None = None
    tests_after: dict | None = None


INSTANTIATION_KINDS = {"instantiation", "owner-singleton"}


def summarize(result: AppResult) -> dict:
    """The table's numbers for one app.

    The headline counts non-test sites (inventory scope != "test") that are instantiations
    or owner singletons, found after init; "rewritten" means the site is gone from the final
    inventory or is `migrated` there, after all batches.
    """
    outcomes = result.site_outcomes
    headline = [o for o in outcomes if o["scope"] != "test" and o["kind"] in INSTANTIATION_KINDS]
    found = Counter(s["kind"] for s in result.sites)
    manual_codes = Counter(m["reason_code"] or f"left {m['status']}" for m in result.manual)
    return {
        "found_inst": found["instantiation"] + found["owner-singleton"],
        "found_close": found["close"],
        "found_total": len(result.sites),
        "found_test": sum(1 for s in result.sites if s["scope"] == "test"),
        "headline_found": len(headline),
        "headline_rewritten": sum(1 for o in headline if o["rewritten"]),
        "all_rewritten": sum(1 for o in outcomes if o["rewritten"]),
        "apply_rewritten": sum(1 for r in result.applied if r["status"] == "rewritten"),
        "manual": ", ".join(f"{code} {n}" for code, n in manual_codes.most_common()) or "-",
        "init_files_changed": len(result.init_files_changed),
        "files_changed": len(result.files_changed),
        "compiles": "no" if result.not_compiling else "yes" if not result.not_compiling_before
        else f"yes ({len(result.not_compiling_before)} newer-syntax, as before)",
        "idempotent": "no" if result.second_pass_changes else "yes",
        "crashes": f"{len(result.crashes)}/{result.commands}",
        "tests": tests_cell(result),
    }


def tests_cell(result: AppResult) -> str:
    if result.tests_before is None:
        return "-"
    before, after = result.tests_before, result.tests_after or {"passed": []}
    lost = set(before["passed"]) - set(after["passed"])
    cell = (f"{len(before['passed'])}/{len(before['passed']) + len(before['failed'])} → "
            f"{len(after['passed'])}/{len(after['passed']) + len(after.get('failed', []))}")
    return cell + (f" (lost {len(lost)})" if lost else "")


def pct(part: int, whole: int) -> str:
    return f"{100.0 * part / whole:.1f}%" if whole else "n/a"


def table(results: list[AppResult]) -> str:
    """The Markdown table, with a total line and the headline figures."""
    head = ("| app | framework | sites before init | sites after init (inst + close; test) "
            "| non-test inst rewritten | all sites rewritten | manual by reason "
            "| files changed: init / batches | compiles | 2nd run no-op | crashes "
            "| tests before → after |")
    lines = [head, "|" + "---|" * 12]
    tot = Counter()
    for result in results:
        if result.error:
            lines.append(f"| {result.name} | {result.framework} | error: {result.error} |"
                         + " |" * 9)
            continue
        s = summarize(result)
        for key in ("headline_found", "headline_rewritten", "found_total", "all_rewritten",
                    "found_inst", "found_close", "found_test", "init_files_changed",
                    "files_changed"):
            tot[key] += s[key]
        tot["before"] += result.sites_before_init
        lines.append(
            f"| {result.name} | {result.framework} | {result.sites_before_init} "
            f"| {s['found_total']} ({s['found_inst']} + {s['found_close']}; {s['found_test']}) "
            f"| {s['headline_rewritten']}/{s['headline_found']} "
            f"| {s['all_rewritten']}/{s['found_total']} | {s['manual']} "
            f"| {s['init_files_changed']} / {s['files_changed']} | {s['compiles']} "
            f"| {s['idempotent']} | {s['crashes']} | {s['tests']} |")
    lines.append(
        f"| **total** | | {tot['before']} | {tot['found_total']} ({tot['found_inst']} + "
        f"{tot['found_close']}; {tot['found_test']}) "
        f"| {tot['headline_rewritten']}/{tot['headline_found']} "
        f"| {tot['all_rewritten']}/{tot['found_total']} | "
        f"| {tot['init_files_changed']} / {tot['files_changed']} | | | | |")
    lines.append("")
    lines.append(f"**Non-test instantiation + owner-singleton sites rewritten (gone or migrated "
                 f"after all batches): {tot['headline_rewritten']}/{tot['headline_found']} = "
                 f"{pct(tot['headline_rewritten'], tot['headline_found'])}**")
    lines.append(f"All sites (any kind, test code included): {tot['all_rewritten']}/"
                 f"{tot['found_total']} = {pct(tot['all_rewritten'], tot['found_total'])}")
    return "\n".join(lines)


def write_json(results: list[AppResult], path: Path) -> None:
    data = []
    for result in results:
        entry = dict(result.__dict__)
        entry["summary"] = None if result.error else summarize(result)
        data.append(entry)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=2, default=str))

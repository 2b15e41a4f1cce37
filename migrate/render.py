"""Turning engine results into text: table, JSON, Markdown, CSV, and CI annotation formats.

Every function returns a string; only the CLI writes it anywhere. Everything that leaves here
has passed through `mask_secrets`.
"""

from __future__ import annotations

import csv
import io
import json
from typing import Any

from migrate.batch_catalog import Batch
from migrate.check import RULES, Finding
from migrate.model import Inventory, Site
from migrate.plan import PlanRow
from migrate.redact import mask_secrets

CSV_FIELDS = ("file", "line", "col", "kind", "pattern", "library", "sync", "scope", "purpose",
              "batch", "status", "reason", "rewrite", "operations")


def _masked(text: str) -> str:
    return mask_secrets(text)


def inventory_json(inventory: Inventory) -> str:
    """`{"sites": [...], "summary": {...}, "skipped": [...]}` (SPEC §2)."""
    document = {
        "sites": [site.to_dict() for site in inventory.sites],
        "summary": inventory.summary(),
        "skipped": [{"file": s.file, "line": s.line, "reason": s.reason}
                    for s in inventory.skipped],
        "conversions": [{"file": f, "line": l, "rule": r, "reason": why, "batch": b,
                         "status": "manual"} for f, l, r, why, b in inventory.conversions],
    }
    return _masked(json.dumps(document, indent=2, ensure_ascii=False)) + "\n"


def inventory_csv(inventory: Inventory) -> str:
    """One row per site, the core fields only."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=CSV_FIELDS, lineterminator="\n")
    writer.writeheader()
    for site in inventory.sites:
        row = {k: v for k, v in site.to_dict().items() if k in CSV_FIELDS}
        row["operations"] = " ".join(site.operations)
        row["sync"] = "sync" if site.sync else "async"
        writer.writerow(row)
    return _masked(buffer.getvalue())


def inventory_markdown(inventory: Inventory, batches: list[Batch]) -> str:
    """The seed's §4.1 checklist: path, purpose, sync/async, grouped by batch, lowest risk first."""
    summary = inventory.summary()
    lines = [f"# Redis inventory: {summary['sites']} sites in {summary['files_with_sites']} "
             f"files", "",
             f"Lifecycle module: `{inventory.lifecycle_module}` (its own sites are not listed).",
             ""]
    groups: list[tuple[str, list[Site]]] = [
        (f"{b.order}. `{b.name}`: {b.title}", [s for s in inventory.sites if s.batch == b.name])
        for b in batches]

    def apart(site: Site) -> bool:  # test code, outside the batches
        return site.scope == "test" and not inventory.include_tests

    groups.append(("Unassigned (no batch takes them)",
                   [s for s in inventory.sites if s.batch is None and not apart(s)]))
    groups.append(("Test code: outside the batches and the gate; include-tests = true "
                   "includes it", [s for s in inventory.sites if apart(s)]))
    for heading, sites in groups:
        if not sites:
            continue
        lines += [f"## {heading} ({len(sites)} sites)", ""]
        for site in sites:
            mode = "sync" if site.sync else "async"
            line = (f"- [ ] `{site.file}:{site.line}`: {site.kind} `{site.pattern}`; "
                    f"purpose **{site.purpose}**; {mode}; {site.library}; {site.scope} scope; "
                    f"rewrite `{site.rewrite}`")
            if site.status == "manual":
                line += f"; **manual**: {site.reason}"
            lines.append(line)
        lines.append("")
    if inventory.conversions:
        lines += ["## aioredis calls left for a human (flagged during conversion)", ""]
        lines += [f"- [ ] `{f}:{l}`: **{r}** {why} (batch `{b}`)"
                  for f, l, r, why, b in inventory.conversions]
        lines.append("")
    if inventory.skipped:
        lines += ["## Files not analysed", ""]
        lines += [f"- `{s}`" for s in inventory.skipped]
        lines.append("")
    return _masked("\n".join(lines))


def inventory_table(inventory: Inventory, width: int | None = None) -> str:
    """A rich table for the terminal (plain text when not on one); manual reasons below it."""
    from rich.table import Table

    table = Table(show_lines=False, header_style="bold", box=None, pad_edge=False)
    for column in ("site", "kind", "pattern", "library", "scope", "purpose", "batch", "status"):
        table.add_column(column, overflow="fold")
    for site in inventory.sites:
        table.add_row(f"{site.file}:{site.line}", site.kind, site.pattern,
                      site.library, site.scope, site.purpose, site.batch or "-", site.status)
    summary = inventory.summary()
    lines = [f"{s.file}:{s.line}: manual: {s.reason}" for s in inventory.sites
             if s.status == "manual"]
    lines += [f"{f}:{l}: manual [{r}]: {why} (batch {b})"
              for f, l, r, why, b in inventory.conversions]
    footer = (f"{summary['sites']} sites in {summary['files_with_sites']} files; "
              f"{summary['by_status'].get('manual', 0)} manual; "
              f"{summary['files_parsed']} of {summary['files_total']} Python files parsed")
    tests = summary["by_scope"].get("test", 0)
    if tests:
        footer += (f"; {tests} in test code" if inventory.include_tests else
                   f"; {tests} in test code, not migrated (include-tests = false)")
    return _masked(_capture(table, width) + "".join(f"{line}\n" for line in lines)
                   + footer + "\n")


def _capture(renderable: Any, width: int | None) -> str:
    from rich.console import Console

    console = Console(width=width or 200, record=False, file=io.StringIO(),
                      force_terminal=False, color_system=None)
    with console.capture() as capture:
        console.print(renderable)
    return capture.get()


def plan_table(rows: list[PlanRow], width: int | None = None) -> str:
    """The batches in order with their counts and state."""
    from rich.table import Table

    table = Table(header_style="bold", box=None, pad_edge=False)
    for column in ("#", "batch", "title", "pending", "manual", "files", "state"):
        table.add_column(column)
    for row in rows:
        table.add_row(str(row.order) if row.order else "-", row.batch, row.title,
                      str(row.pending), str(row.manual), str(row.files), row.state)
    return _capture(table, width)


def plan_json(rows: list[PlanRow], test_code: dict[str, Any] | None = None) -> str:
    """The plan as a JSON list of rows, and the test-code sites (null when there are none)."""
    return json.dumps({"batches": [r.to_dict() for r in rows], "test_code": test_code},
                      indent=2) + "\n"


def findings_text(findings: list[Finding]) -> str:
    """One `path:line:col: message` per finding."""
    return _masked("".join(f"{f}\n" for f in findings))


def findings_json(findings: list[Finding]) -> str:
    """The findings as a JSON list."""
    return _masked(json.dumps({"findings": [
        {"file": f.file, "line": f.line, "col": f.col, "rule": f.rule, "message": f.message}
        for f in findings]}, indent=2)) + "\n"


def findings_github(findings: list[Finding]) -> str:
    """GitHub Actions workflow commands (annotations on the pull request's diff)."""
    def escape(value: str) -> str:
        return value.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")

    return _masked("".join(
        f"::error file={escape(f.file)},line={f.line},col={f.col},"
        f"title={escape(RULES[f.rule])}::{escape(f.message)}\n" for f in findings))


def findings_sarif(findings: list[Finding], version: str) -> str:
    """SARIF 2.1.0, for code-scanning dashboards."""
    rules = [{"id": rule, "shortDescription": {"text": text}} for rule, text in RULES.items()]
    results = [{
        "ruleId": f.rule, "level": "error", "message": {"text": f.message},
        "locations": [{"physicalLocation": {
            "artifactLocation": {"uri": f.file},
            "region": {"startLine": f.line, "startColumn": f.col}}}],
    } for f in findings]
    document = {
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{"tool": {"driver": {"name": "redis-migrate", "version": version,
                                      "rules": rules}},
                  "results": results}],
    }
    return _masked(json.dumps(document, indent=2)) + "\n"


def diff(changes: list, color: bool = False) -> str:
    """A unified diff of every change, coloured for a terminal."""
    import difflib

    from migrate.analysis.source_text import decode_source

    out: list[str] = []
    for change in changes:
        before = decode_source(change.before).splitlines(keepends=True)
        after = decode_source(change.after).splitlines(keepends=True)
        for line in difflib.unified_diff(before, after, f"a/{change.path}", f"b/{change.path}"):
            if not line.endswith("\n"):
                line += "\n\\ No newline at end of file\n"
            if color:
                code = {"+": "32", "-": "31", "@": "36"}.get(line[:1])
                if line.startswith(("+++", "---")):
                    code = "1"
                if code:
                    line = f"\x1b[{code}m{line.rstrip(chr(10))}\x1b[0m\n"
            out.append(line)
    return _masked("".join(out))


def apply_summary(result, written: bool) -> str:
    """What the batch rewrote, what it left to a human and why."""
    batch = result.batch
    files = len(result.changes)
    verb = "rewrote" if written else "would rewrite"
    if not result.ok:
        verb = "could not rewrite"
    lines = [f"batch {batch.name} ({batch.title}): {verb} {len(result.rewritten)} site(s) in "
             f"{files} file(s); {len(result.manual)} left manual"]
    for site in result.rewritten:
        lines.append(f"  rewritten  {site.file}:{site.line}  {site.kind} {site.pattern}"
                     f" ({site.rewrite})")
    for change in result.lifecycle_changes:
        lines.append(f"  lifecycle  {change.replace('`', '')}")
    for site in result.manual:
        lines.append(f"  manual     {site.file}:{site.line}  [{site.reason_code}] {site.reason}")
    for path, line, rule, why in result.flagged:
        lines.append(f"  manual     {path}:{line}  [{rule}] {why} (TODO comment added)")
    notes = sorted({f"{s.file}:{s.line}: {n}" for s in result.rewritten for n in s.notes
                    if s.kind == "instantiation"})
    lines += [f"  note       {n}" for n in notes]
    lines += [f"  warning    {w}" for w in result.warnings]
    lines += [f"  skipped    {s}" for s in result.skipped]
    if not result.changes and result.ok:
        lines.append("  nothing to change")
    return _masked("\n".join(lines) + "\n")


def review_report(report) -> str:
    """What `apply` did in git, after the batch summary."""
    outcome = report.outcome
    result = outcome.result
    lines = [apply_summary(result, written=bool(outcome.commit)).rstrip("\n")]
    if outcome.branch:
        lines.append(f"branch {outcome.branch} at {outcome.commit[:12]} (from {outcome.base}); "
                     f"your work tree and branch are unchanged")
    elif result.ok and not result.changes:
        lines.append("nothing to change: no branch created")
    elif not result.ok:
        lines.append("nothing committed: the batch could not be fully applied")
    if outcome.test is not None:
        verdict = "passed" if outcome.test.returncode == 0 else (
            f"FAILED (exit {outcome.test.returncode}); the branch is kept for inspection")
        lines.append(f"tests `{outcome.test.command}` {verdict}")
        if outcome.test.returncode != 0 and outcome.test.tail:
            lines += ["  | " + line for line in outcome.test.tail.splitlines()]
    if report.pr_body_written:
        lines.append(f"pull request body written to {report.pr_body_written}")
    if report.pushed_to:
        lines.append(f"pushed {outcome.branch} to {report.pushed_to}")
    if report.pull_request:
        pr = report.pull_request
        asked = ", ".join([*pr.reviewers, *(f"team {t}" for t in pr.teams)]) or "nobody"
        lines.append(f"opened pull request #{pr.number}: {pr.url} (reviewers: {asked})")
    lines += report.messages
    return _masked("\n".join(lines) + "\n")


def status_table(rows, width: int | None = None) -> str:
    """One line per batch: sites left and where its branch stands."""
    from rich.table import Table

    table = Table(header_style="bold", box=None, pad_edge=False)
    for column in ("#", "batch", "pending", "manual", "branch", "commit", "pushed", "PR",
                   "merged", "notes"):
        table.add_column(column, overflow="fold")
    for row in rows:
        notes = list(row.flags)
        if row.stacked_on:
            notes.append(f"stacked on {row.stacked_on}")
        if row.rolled_back:
            notes.append("rolled back")
        elif row.revert_branch:
            notes.append(f"revert branch {row.revert_branch}")
        merged = f"yes ({row.merged_as})" if row.merged else "no"
        table.add_row(str(row.order), row.batch, str(row.pending), str(row.manual),
                      row.branch or "-", (row.commit or "-")[:12],
                      "yes" if row.pushed else "no", row.pr or "-", merged, "; ".join(notes))
    return _masked(_capture(table, width))


def status_json(rows) -> str:
    """The status rows as JSON."""
    return _masked(json.dumps({"batches": [r.to_dict() for r in rows]}, indent=2)) + "\n"

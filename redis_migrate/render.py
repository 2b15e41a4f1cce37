"""Turning engine results into text: table, JSON, Markdown, CSV, and CI annotation formats.

Every function returns a string; only the CLI writes it anywhere. Everything that leaves here
has passed through `mask_secrets`, except the lines of a diff: they are the user's own source as
it stands, and a masked line would make the patch fail to apply.
"""

from __future__ import annotations

import csv
import io
import json
import os
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from rich.cells import cell_len

from redis_migrate.batch_catalog import Batch
from redis_migrate.model import Site
from redis_migrate.redact import mask_secrets
from redis_migrate.scan.check import RULES, Finding
from redis_migrate.scan.plan import PlanRow
from redis_migrate.scan.report import Inventory

if TYPE_CHECKING:  # annotations only: importing apply (LibCST) would slow every command
    from redis_migrate.rewrite.apply import ApplyResult
    from redis_migrate.rewrite.file_task import FileChange
    from redis_migrate.workflow.review import ReviewReport
    from redis_migrate.workflow.status import BatchStatus

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
        "conversions": [{"file": f, "line": lineno, "rule": r, "reason": why, "batch": b,
                         "status": "manual"} for f, lineno, r, why, b in inventory.conversions],
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
        lines += [f"- [ ] `{f}:{lineno}`: **{r}** {why} (batch `{b}`)"
                  for f, lineno, r, why, b in inventory.conversions]
        lines.append("")
    if inventory.skipped:
        lines += ["## Files not analysed", ""]
        lines += [f"- `{s}`" for s in inventory.skipped]
        lines.append("")
    return _masked("\n".join(lines))


def inventory_table(inventory: Inventory, width: int | None = None, color: bool = False) -> str:
    """The sites as a table `width` cells wide (None: no limit), manual reasons below it."""
    columns = [_Column("site", breaks="/"), _Column("kind"), _Column("pattern", breaks="./"),
               _Column("library"), _Column("scope"), _Column("purpose"), _Column("batch"),
               _Column("status", styled=True)]
    rows = [[f"{site.file}:{site.line}", site.kind, site.pattern, site.library, site.scope,
             site.purpose, site.batch or "-", site.status] for site in inventory.sites]
    summary = inventory.summary()
    lines = [f"{s.file}:{s.line}: manual: {s.reason}" for s in inventory.sites
             if s.status == "manual"]
    lines += [f"{f}:{lineno}: manual [{r}]: {why} (batch {b})"
              for f, lineno, r, why, b in inventory.conversions]
    footer = (f"{summary['sites']} sites in {summary['files_with_sites']} files; "
              f"{summary['by_status'].get('manual', 0)} manual; "
              + (f"{len(inventory.conversions)} aioredis calls left for a human; "
                 if inventory.conversions else "") +
              f"{summary['files_parsed']} of {summary['files_total']} Python files parsed")
    tests = summary["by_scope"].get("test", 0)
    if tests:
        footer += (f"; {tests} in test code" if inventory.include_tests else
                   f"; {tests} in test code, not migrated (include-tests = false)")
    return _masked(_table(columns, rows, width, color) + _fit_lines([*lines, footer], width))


def plan_table(rows: list[PlanRow], width: int | None = None, color: bool = False) -> str:
    """The batches in order with their counts and state."""
    columns = [_Column("#"), _Column("batch", breaks="-"), _Column("title", breaks=" /"),
               _Column("pending"), _Column("manual"), _Column("files"),
               _Column("state", styled=True)]
    cells = [[str(row.order) if row.order else "-", row.batch, row.title, str(row.pending),
              str(row.manual), str(row.files), row.state] for row in rows]
    return _table(columns, cells, width, color)


# Terminal tables. A column either wraps, breaking its values only just after the characters it
# names (paths after "/", dotted names after ".", prose at spaces), so that a file name is never
# cut in two, or keeps each value on one line and ends it with "…" when the terminal is too
# narrow. Piped output with no width asked for is laid out at its natural width: whole lines
# for scripts. The layout is computed here, not by rich, whose own column fitting folds words
# anywhere and costs far more per row than the table's content.
_GAP = "  "  # between two columns
_BOLD = "1"
_STATE_STYLES = {"manual": "33", "manual-only": "33", "next": "32", "done": "2"}  # ANSI SGR


@dataclass(frozen=True)
class _Column:
    """A table column: its header, and the characters its values may wrap after (None: they
    stay on one line and are truncated instead)."""

    header: str
    breaks: str | None = None
    styled: bool = False  # its values are states, coloured from _STATE_STYLES


def _table(columns: list[_Column], rows: list[list[str]], width: int | None,
           color: bool) -> str:
    """`rows` under `columns`, every line at most `width` cells (None: no limit)."""
    # masked before wrapping: a secret cut over two lines would escape the mask
    cells = [[_printable(_masked(value)) for value in row] for row in rows]
    naturals = [max([_cells(column.header), *(_cells(row[i]) for row in cells)])
                for i, column in enumerate(columns)]
    floors = [None if column.breaks is None else
              min(naturals[i], max([1, *(_longest_piece(row[i], column.breaks) for row in cells)]))
              for i, column in enumerate(columns)]
    budget = None if width is None else width - len(_GAP) * (len(columns) - 1)
    widths = _fit(naturals, floors, budget)
    header = _row([[_truncate(c.header, w)] for c, w in zip(columns, widths)], widths,
                  [_BOLD if color else None] * len(columns))
    body = [_row([_wrap(value, w, c.breaks) if c.breaks is not None else [_truncate(value, w)]
                  for value, c, w in zip(row, columns, widths)], widths,
                 [_STATE_STYLES.get(value) if color and c.styled else None
                  for value, c in zip(row, columns)])
            for row in cells]
    return header + "".join(body)


def _row(blocks: list[list[str]], widths: list[int], styles: list[str | None]) -> str:
    """One table row: each cell's lines side by side, padded to its column's width."""
    lines = []
    for i in range(max(len(block) for block in blocks)):
        parts = []
        for block, width, style in zip(blocks, widths, styles):
            text = block[i] if i < len(block) else ""
            padding = " " * (width - _cells(text))
            parts.append((f"\x1b[{style}m{text}\x1b[0m" if style and text else text) + padding)
        lines.append(_GAP.join(parts).rstrip(" ") + "\n")
    return "".join(lines)


def _fit(naturals: list[int], floors: list[int | None], budget: int | None) -> list[int]:
    """Column widths adding up to at most `budget` cells. Wrapping loses nothing and truncating
    does, so the wrapping columns (those with a floor: their longest unbreakable piece) narrow
    first, then the others down to one cell; only if even that is too wide does a wrapping
    column go below its floor."""
    if budget is None or sum(naturals) <= budget:
        return naturals
    attempts = ([natural if floor is None else floor for natural, floor in zip(naturals, floors)],
                [1 if floor is None else floor for floor in floors])
    lows = next((lows for lows in attempts if sum(lows) <= budget), [1] * len(naturals))
    return _narrow(naturals, lows, budget)


def _narrow(naturals: list[int], lows: list[int], budget: int) -> list[int]:
    """`naturals` capped at one width, widest first and none below its low, to fit `budget`;
    the cells left over go one each to the columns cut, leftmost first."""
    def capped(cap: int) -> list[int]:
        return [max(low, min(natural, cap)) for natural, low in zip(naturals, lows)]

    cap = max(naturals)
    while cap > 1 and sum(capped(cap)) > budget:
        cap -= 1
    widths = capped(cap)
    spare = budget - sum(widths)
    for i, natural in enumerate(naturals):
        if spare > 0 and widths[i] < natural:
            widths[i] += 1
            spare -= 1
    return widths


def _pieces(text: str, breaks: str) -> list[str]:
    """`text` cut just after each of the `breaks` characters."""
    pieces, start = [], 0
    for i, char in enumerate(text):
        if char in breaks:
            pieces.append(text[start:i + 1])
            start = i + 1
    if start < len(text):
        pieces.append(text[start:])
    return pieces


def _wrap(text: str, width: int, breaks: str) -> list[str]:
    """`text` in lines of at most `width` cells, broken only after `breaks` (a space that ends a
    line is dropped); a piece wider than `width` on its own is the one thing cut."""
    lines: list[str] = []
    line = ""
    for piece in _pieces(text, breaks):
        if line and _cells(_trim(line + piece, breaks)) > width:
            lines.append(_trim(line, breaks))
            line = ""
        if line or not piece.isspace():
            line += piece
        while _cells(_trim(line, breaks)) > width:  # no break in reach: cut (last resort)
            head = _prefix(line, width)
            lines.append(head)
            line = line[len(head):]
    lines.append(_trim(line, breaks))
    return lines


def _truncate(text: str, width: int) -> str:
    """`text` if it fits in `width` cells, else its start and "…"."""
    if _cells(text) <= width:
        return text
    return (_prefix(text, width - 1) if width > 1 else "") + "…"


def _fit_lines(lines: list[str], width: int | None) -> str:
    """Lines of text under a table, each wrapped at spaces and after "/" to `width` (None: as
    they are), its continuation lines indented."""
    out: list[str] = []
    for line in map(_printable, lines):
        wrapped = [line] if width is None else _wrap(line, max(width - 2, 1), " /")
        out += [wrapped[0], *(f"  {more}" for more in wrapped[1:])]
    return "".join(f"{line}\n" for line in out)


def _printable(text: str) -> str:
    """`text` with control characters shown as `\\xNN`: a file name holding a newline or an
    escape sequence must not break a row or drive the terminal."""
    if text.isprintable():
        return text
    return "".join(c if c.isprintable() else ascii(c)[1:-1] for c in text)


def _trim(line: str, breaks: str) -> str:
    return line.rstrip(" ") if " " in breaks else line


def _longest_piece(text: str, breaks: str) -> int:
    return max([0, *(_cells(_trim(piece, breaks)) for piece in _pieces(text, breaks))])


def _prefix(text: str, width: int) -> str:
    """The longest start of `text` at most `width` cells wide (one character at least)."""
    used = 0
    for end, char in enumerate(text):
        used += _cells(char)
        if used > width:
            return text[:max(end, 1)]
    return text


def _cells(text: str) -> int:
    """How many terminal cells `text` takes (wide characters count two)."""
    return cell_len(text)


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
    return "".join(
        f"::error file={_github_property(f.file)},line={f.line},col={f.col},"
        f"title={_github_property(RULES[f.rule])}::{_github_data(f.message)}\n"
        for f in findings)


def _github_data(value: str) -> str:
    """A workflow command's message, escaped as the Actions runner unescapes it."""
    # masked first: once escaped, a URL's "://" no longer looks like one to the mask
    return _masked(value).replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _github_property(value: str) -> str:
    """A workflow command's property value: also `:` and `,`, which end a property."""
    return _github_data(value).replace(":", "%3A").replace(",", "%2C")


def findings_sarif(findings: list[Finding], version: str) -> str:
    """SARIF 2.1.0, for code-scanning dashboards."""
    rules = [{"id": rule, "shortDescription": {"text": text}} for rule, text in RULES.items()]
    results = [{
        "ruleId": f.rule, "level": "error", "message": {"text": f.message},
        "locations": [{"physicalLocation": {
            "artifactLocation": {"uri": _uri(f.file)},
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


def _uri(path: str) -> str:
    """A relative path as a URI reference: forward slashes, everything but letters, digits,
    `/` and `-._~` percent-encoded as UTF-8 (spaces, `#`, `%`, `:`, `[`, non-ASCII...)."""
    from urllib.parse import quote

    return quote(_masked(path).replace(os.sep, "/"), safe="/")


def diff(changes: list[FileChange], color: bool = False) -> str:
    """A unified diff of every change, coloured for a terminal, that `git apply` accepts.

    Its lines are the user's own source, shown as the files hold them: not masked, since a
    masked context line (a URL with its password) would no longer match the file and the patch
    would not apply. Only what the tool itself says passes through `mask_secrets`.
    """
    import difflib

    from redis_migrate.analysis.source_text import decode_source

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
    return "".join(out)


def apply_summary(result: ApplyResult, written: bool) -> str:
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


def review_report(report: ReviewReport) -> str:
    """What `apply` did in git, after the batch summary."""
    outcome = report.outcome
    result = outcome.result
    lines = [apply_summary(result, written=bool(outcome.commit)).rstrip("\n")]
    if outcome.branch and outcome.commit:  # made together: a branch holds the batch's commit
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


def status_table(rows: list[BatchStatus], width: int | None = None,
                 color: bool = False) -> str:
    """One line per batch: sites left and where its branch stands."""
    columns = [_Column("#"), _Column("batch", breaks="-"), _Column("pending"),
               _Column("manual"), _Column("branch", breaks="/-"), _Column("commit"),
               _Column("pushed"), _Column("PR", breaks="/"), _Column("merged", breaks=" "),
               _Column("notes", breaks=" /")]
    cells = []
    for row in rows:
        notes = list(row.flags)
        if row.stacked_on:
            notes.append(f"stacked on {row.stacked_on}")
        if row.rolled_back:
            notes.append("rolled back")
        elif row.revert_branch:
            notes.append(f"revert branch {row.revert_branch}")
        merged = f"yes ({row.merged_as})" if row.merged else "no"
        cells.append([str(row.order), row.batch, str(row.pending), str(row.manual),
                      row.branch or "-", (row.commit or "-")[:12],
                      "yes" if row.pushed else "no", row.pr or "-", merged, "; ".join(notes)])
    return _masked(_table(columns, cells, width, color))


def status_json(rows: list[BatchStatus]) -> str:
    """The status rows as JSON."""
    return _masked(json.dumps({"batches": [r.to_dict() for r in rows]}, indent=2)) + "\n"

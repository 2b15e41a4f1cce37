"""The commit message and the pull-request body of a batch: what a reviewer reads.

Identical rewrites are grouped, so each pattern is read once; manual sites come with their
reasons; the batch's rollout checklist and the exact rollback command close it.
"""

from __future__ import annotations

from collections import defaultdict

from redis_migrate.redact import mask_secrets
from redis_migrate.rewrite.apply import ApplyResult

TRAILER_BATCH = "Migrate-Batch"
TRAILER_SITES = "Migrate-Sites"
TRAILER_REVERT = "Migrate-Revert"


def subject(result: ApplyResult) -> str:
    """`redis-migration: read-caches (7 sites in 4 files)`."""
    sites = len(result.rewritten)
    files = len(result.changes)
    return (f"redis-migration: {result.batch.name} ({sites} site{'s' * (sites != 1)} in "
            f"{files} file{'s' * (files != 1)})")


def commit_message(result: ApplyResult, lifecycle_import: str) -> str:
    """Subject, a body listing the sites, and the trailers `status` and `rollback` read."""
    batch = result.batch
    lines = [subject(result), "",
             f"Moves the {batch.name} batch ({batch.title}) onto get_redis() from",
             f"{lifecycle_import}.", "", "Sites:"]
    lines += [f"- {s.file}:{s.line} {s.kind} {s.pattern} ({s.rewrite})"
              for s in result.rewritten]
    if result.lifecycle_changes:
        lines += ["", "Lifecycle module:"]
        lines += [f"- {change.replace('`', '')}" for change in result.lifecycle_changes]
    if result.manual:
        lines += ["", "Left for a human:"]
        lines += [f"- {s.file}:{s.line} [{s.reason_code}] {s.reason}" for s in result.manual]
    lines += ["", f"{TRAILER_BATCH}: {batch.name}", f"{TRAILER_SITES}: {len(result.rewritten)}"]
    return mask_secrets("\n".join(lines) + "\n")


def pr_body(result: ApplyResult, lifecycle_import: str, branch: str) -> str:
    """The Markdown body of the batch's pull request."""
    batch = result.batch
    files = sorted({c.path for c in result.changes})
    out = [f"## Redis migration, batch {batch.order}: `{batch.name}` ({batch.title})", "",
           f"Moves **{len(result.rewritten)} sites** in **{len(files)} files** onto "
           f"`get_redis()` from `{lifecycle_import}`, so that no module creates or closes a "
           f"Redis client of its own (step {batch.order} of the migration, whose batches go "
           f"lowest risk first).",
           "", "### What changes", "",
           "| rewrite | pattern | sites | purpose |", "|---|---|---|---|"]
    groups: dict[tuple[str, str, str], list[str]] = defaultdict(list)
    for site in result.rewritten:
        groups[(site.rewrite, site.pattern, site.purpose)].append(f"`{site.file}:{site.line}`")
    for (rewrite, pattern, purpose), where in sorted(groups.items()):
        out.append(f"| {rewrite} | `{pattern}` | {', '.join(where)} | {purpose} |")
    if result.lifecycle_changes:
        out += ["", "### Lifecycle module changes", "",
                "The rewrites below need more than the lifecycle module offered; this PR adds "
                "it, in the module's own style:", ""]
        out += [f"- {change}" for change in result.lifecycle_changes]
    notes = sorted({f"`{s.file}:{s.line}`: {n}" for s in result.rewritten for n in s.notes
                    if s.kind == "instantiation"})
    if notes:
        out += ["", "Notes:", ""] + [f"- {n}" for n in notes]
    out += ["", "### Left for a human", ""]
    if result.manual or result.flagged:
        out += [f"- `{s.file}:{s.line}` ({s.reason_code}): {s.reason}" for s in result.manual]
        out += [f"- `{path}:{line}` ({rule}): {why}; marked `# TODO(redis-migration)`"
                for path, line, rule, why in result.flagged]
    else:
        out.append("Nothing: every site of this batch was rewritten.")
    out += ["", "### Rollout checklist", ""]
    out += [f"- [ ] {line}" for line in batch.checklist]
    out += ["", "### Rollback", "",
            "Once merged, this batch is undone with:", "", "```sh",
            f"migrate rollback --batch {batch.name}", "```", "",
            f"which reverts the commit(s) carrying the trailer `{TRAILER_BATCH}: {batch.name}` "
            f"on a new branch. To drop the batch before it is merged, delete the branch "
            f"`{branch}`.", ""]
    return mask_secrets("\n".join(out))

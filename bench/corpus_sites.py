"""What the corpus run reads of the tool's output and of an app's files, to count sites: the
`rewritten`/`manual` lines of an apply, the lifecycle module `init` names, lines that look
like a client but are no site, and each site's outcome across the batches."""

from __future__ import annotations

import re
from pathlib import Path

# Standard-API constructions, for the "not reported by inventory" cross-check.
CANDIDATE_RE = re.compile(
    r"\b(?:from_url|StrictRedis\(|Redis\(|ConnectionPool\(|BlockingConnectionPool\(|"
    r"create_redis_pool\(|create_redis\(|create_pool\()")
APPLY_LINE_RE = re.compile(r"^\s+(rewritten|manual)\s+(\S+):(\d+)\s+(.*)$")


def parse_apply(out: str) -> list[dict]:
    """The ``rewritten`` / ``manual`` lines of an apply summary."""
    rows = []
    for line in out.splitlines():
        match = APPLY_LINE_RE.match(line)
        if match:
            rows.append({"status": match[1], "file": match[2], "line": int(match[3]),
                         "detail": match[4].strip()})
    return rows


def lifecycle_path(init_output: str) -> str | None:
    """The lifecycle module `migrate init` found or created, from its output."""
    match = re.search(r"(?:found the lifecycle module at|created) (\S+\.py)", init_output)
    return match[1] if match else None


def unreported_candidates(root: Path, sites: list[dict], lifecycle: str | None) -> list[dict]:
    """Lines that look like a Redis client construction but are no inventory site.

    A crude text scan (tests and the lifecycle module excluded), for a reviewer to judge
    what the tool may have missed.
    """
    known = {(s["file"], s["line"]) for s in sites}
    found = []
    for path in sorted(root.rglob("*.py")):
        rel = path.relative_to(root).as_posix()
        if rel == lifecycle or re.search(
                r"(^|/)(tests?|\.venv|venv|node_modules|migrations)/|(^|/)test_|conftest", rel):
            continue
        try:
            lines = path.read_text(errors="replace").splitlines()
        except OSError:
            continue
        text = "\n".join(lines)
        if "redis" not in text.lower():
            continue
        for number, line in enumerate(lines, 1):
            code = line.split("#", 1)[0]
            if CANDIDATE_RE.search(code) and "redis" in text.lower() and (rel, number) not in known:
                found.append({"file": rel, "line": number, "source": line.strip()})
    return found


def source_lines(root: Path, file: str, line: int, before: int = 1, after: int = 2) -> str:
    """A few lines of source around ``file:line`` (1-based)."""
    try:
        lines = (root / file).read_text(errors="replace").splitlines()
    except OSError:
        return ""
    lo, hi = max(0, line - 1 - before), min(len(lines), line + after)
    return "\n".join(lines[lo:hi])


def site_key(site: dict) -> tuple[str, str, str]:
    """What identifies a site across batches (lines move when other sites are rewritten)."""
    return (site["file"], site["kind"], site["pattern"])


def site_outcomes(sites: list[dict], final_sites: list[dict]) -> dict:
    """Per site found after init: is it rewritten (gone, or `migrated`) after all batches?

    A post-init site is still open when the final inventory holds a not-migrated site with
    the same file, kind and pattern (each final site answers for one post-init site, in
    order). Final sites that answer for none are returned as ``appeared``.
    """
    open_final: dict[tuple, list[dict]] = {}
    for site in final_sites:
        if site["status"] != "migrated":
            open_final.setdefault(site_key(site), []).append(site)
    outcomes = []
    for site in sites:
        left = open_final.get(site_key(site))
        still = left.pop(0) if left else None
        outcomes.append({"file": site["file"], "line": site["line"], "kind": site["kind"],
                         "pattern": site["pattern"], "scope": site["scope"],
                         "rewritten": still is None,
                         "final": None if still is None else
                         {"line": still["line"], "status": still["status"],
                          "reason_code": still.get("reason_code")}})
    appeared = [{"file": s["file"], "line": s["line"], "kind": s["kind"],
                 "pattern": s["pattern"], "status": s["status"]}
                for rest in open_final.values() for s in rest]
    return {"outcomes": outcomes, "appeared": appeared}

"""The completion criteria of seed §8 as findings: what still stands between here and done."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from redis_migrate.config import Config
from redis_migrate.model import Site
from redis_migrate.scan import lifecycle
from redis_migrate.scan.report import Inventory


@dataclass(frozen=True, slots=True)
class Finding:
    """One `path:line:col: message` line."""

    file: str
    line: int
    col: int
    rule: str
    message: str
    manual: bool = False  # a site left to a human, with its reason

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.col}: {self.message}"


RULES = {
    "module-client": "Redis client created at import time",
    "instantiation": "Redis client created outside the lifecycle module",
    "close": "Redis client closed outside close_redis()",
    "owner-singleton": "module-level object owning its own Redis client",
    "factory-call": "Redis client built at import time by the app's own factory",
    "lifecycle": "lifecycle module incomplete",
    "unparsed": "file could not be analysed",
}


def run_check(repo: Path, config: Config, inventory: Inventory) -> list[Finding]:
    """Every remaining site, every lifecycle gap and every unreadable file, as findings.

    Sites in test code (scope `test`) are outside the gate unless `include-tests` is set.
    """
    findings = [_site_finding(site, config) for site in inventory.sites
                if site.scope != "test" or config.include_tests]
    for problem in lifecycle.validate(repo, config.lifecycle_module):
        findings.append(Finding(problem.file, problem.line, 1, "lifecycle", problem.message))
    for skipped in inventory.skipped:
        findings.append(Finding(skipped.file, skipped.line or 1, 1, "unparsed",
                                f"could not be analysed: {skipped.reason}"))
    return sorted(findings, key=lambda f: (f.file, f.line, f.col, f.rule))


def _site_finding(site: Site, config: Config) -> Finding:
    accessor = f"get_redis() from {config.lifecycle_import}"
    if site.kind == "instantiation":
        if site.rewrite == "module-client":  # at module level (scope "test" in test code)
            rule, message = "module-client", (f"Redis client created at import time "
                                              f"({site.pattern}); use {accessor}")
        else:
            rule, message = "instantiation", (f"Redis client created outside the lifecycle "
                                              f"module ({site.pattern}); use {accessor}")
    elif site.kind == "close":
        rule = "close"
        message = (f"closes a Redis client outside close_redis() ({site.pattern}); only "
                   f"close_redis() may close it")
    elif site.kind == "factory-call":
        rule = "factory-call"
        message = (f"{site.pattern.rsplit('.', 1)[-1]}() builds a Redis client at import "
                   f"time; use {accessor} where the client is used")
    else:
        rule = "owner-singleton"
        message = (f"module-level {site.pattern.rsplit('.', 1)[-1]}() owns its own Redis "
                   f"client; make the class use {accessor} instead of creating one")
    if site.batch:
        message += f" [batch {site.batch}]"
    if site.status == "manual":
        message += f" [manual: {site.reason}]"
    return Finding(site.file, site.line, site.col, rule, message, site.status == "manual")

"""`migrate apply --batch NAME`: plan the batch, run the codemods, check, and (maybe) write.

Returns data; the CLI renders the diff and the summary. Nothing is written unless every file of
the batch was rewritten and checked: the cross-module rewrites stand or fall together.
"""

from __future__ import annotations

import difflib
import hashlib
from dataclasses import dataclass, field
from pathlib import Path

from redis_migrate.analysis.newer_syntax import parse_source
from redis_migrate.batch_catalog import Batch
from redis_migrate.config import Config
from redis_migrate.errors import ApplyError, UsageError
from redis_migrate.model import Site
from redis_migrate.rewrite.edit_plan import FilePlan, plan_batch, plan_wiring
from redis_migrate.rewrite.file_task import FileChange, FileOutcome, FileTask
from redis_migrate.rewrite.fileio import Replacement, replace_all
from redis_migrate.scan.inventory import build_inventory
from redis_migrate.scan.lifecycle import validate
from redis_migrate.scan.report import Inventory
from redis_migrate.workers import WarmProcess, cpu_count, warm_process


@dataclass(slots=True)
class ApplyResult:
    """What a batch does (or would do): changes, sites rewritten, sites left to a human."""

    batch: Batch
    changes: list[FileChange] = field(default_factory=list)
    rewritten: list[Site] = field(default_factory=list)
    manual: list[Site] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)  # "path: reason"; nothing is written
    flagged: list[tuple[str, int, str, str]] = field(default_factory=list)  # path, line, rule, why
    skipped: list[str] = field(default_factory=list)  # files the inventory could not read
    warnings: list[str] = field(default_factory=list)
    lifecycle_changes: list[str] = field(default_factory=list)  # what the batch adds to it

    @property
    def ok(self) -> bool:
        return not self.problems


def run_batch(repo: Path, config: Config, batches: list[Batch], batch: Batch,
              force_order: bool = False, dry_run: bool = False,
              inventory: Inventory | None = None, compat: bool = False,
              jobs: int | None = None) -> ApplyResult:
    """Plan and rewrite `batch` in memory; raises UsageError for what the user must fix.

    Out of order, a dry run still shows its diff (with a warning); a real run is refused.
    The files are rewritten in `jobs` worker processes (default: one per CPU). With more
    than one, a process forked first loads the rewrite's code (LibCST and the codemods) while
    the inventory runs here, and forks the workers: this process never imports it.
    """
    _require_lifecycle_module(repo, config)
    jobs = jobs or cpu_count()
    rewriter = warm_process("redis_migrate.rewrite.file_rewrite") if jobs > 1 else None
    try:
        result = _run_batch(repo, config, batches, batch, force_order, dry_run, inventory,
                            compat, _Rewriter(rewriter, jobs))
    except BaseException:
        if rewriter is not None:
            rewriter.close(timeout=0)  # interrupted or refused: what it works on is not wanted
        raise
    if rewriter is not None:
        rewriter.close()
    return result


def _run_batch(repo: Path, config: Config, batches: list[Batch], batch: Batch,
               force_order: bool, dry_run: bool, inventory: Inventory | None, compat: bool,
               rewriter: _Rewriter) -> ApplyResult:
    if inventory is None:
        inventory = build_inventory(repo, config, batches)
    warnings = _check_batch(repo, config, inventory, batches, batch, force_order, dry_run)
    result = ApplyResult(batch=batch, skipped=[str(s) for s in inventory.skipped],
                         warnings=warnings)
    in_batch = [s for s in inventory.sites if s.batch == batch.name]
    result.manual = [s for s in in_batch if s.status == "manual"]
    plans = plan_batch(inventory, batch.name, config.lifecycle_import, compat)
    lifecycle = inventory.lifecycle
    takes_url = lifecycle is None or lifecycle.template or lifecycle.url_parameter
    wiring_lines = plan_wiring(inventory, batch.name, plans, takes_url)
    _rewrite_batch(repo, config, inventory, plans, compat, result, rewriter)
    if result.ok and wiring_lines:
        result.lifecycle_changes.extend(wiring_lines)
    if result.ok:
        result.rewritten = [s for s in in_batch if s.status == "pending"]
    return result


def _require_lifecycle_module(repo: Path, config: Config) -> None:
    """The lifecycle module exists and defines get_redis(); else the user runs `init` first."""
    if not (repo / config.lifecycle_module).is_file():
        raise UsageError(f"{config.lifecycle_module}: lifecycle module missing; run "
                         f"`migrate init` first")
    gaps = [p for p in validate(repo, config.lifecycle_module) if "get_redis" in p.message]
    if gaps:
        raise UsageError(f"{gaps[0].file}: {gaps[0].message}")


def _check_batch(repo: Path, config: Config, inventory: Inventory, batches: list[Batch],
                 batch: Batch, force_order: bool, dry_run: bool) -> list[str]:
    """Refuse a batch the lifecycle module cannot serve, or (in a real run) one out of order;
    the warnings a dry run out of order gets."""
    lifecycle = inventory.lifecycle
    if lifecycle is not None and lifecycle.problems:
        # refuse rather than guess: every rewrite is checked against what the module offers
        raise UsageError(lifecycle.problems[0])
    warnings = []
    out_of_order = _out_of_order(inventory, batches, batch)
    if out_of_order and not force_order:
        message = (f"batch '{batch.name}' comes after {out_of_order}: later batches assume "
                   f"the earlier rewrites; apply those first or pass --force-order")
        if not dry_run:
            raise UsageError(message)
        warnings.append(message)
    if any(s.batch == batch.name and s.sync and s.status == "pending"
           for s in inventory.sites) and not _defines(repo / config.lifecycle_module,
                                                      "get_sync_redis"):
        raise UsageError(f"{config.lifecycle_module}: sync-policy is 'sync-accessor' but the "
                         f"lifecycle module has no get_sync_redis(); add it (the template "
                         f"in redis_migrate/templates has one) or set sync-policy = \"manual\"")
    return warnings


def _rewrite_batch(repo: Path, config: Config, inventory: Inventory,
                   plans: dict[str, FilePlan], compat: bool, result: ApplyResult,
                   rewriter: _Rewriter) -> None:
    """Every planned file rewritten in memory, then what the batch adds beside them: the
    lifecycle module's blocking client, the compat wrapper."""
    for outcome in _rewrite_files(repo, config.lifecycle_import, inventory, plans, rewriter):
        result.problems += outcome.problems
        result.warnings += outcome.warnings
        result.flagged += outcome.flagged
        change = outcome.change
        if change is not None and change.after != change.before:
            result.changes.append(change)
    _extend_lifecycle(inventory, result.batch.name, result)
    if compat and result.ok and any("get_compat_redis(" in c.after.decode("utf-8", "replace")
                                    for c in result.changes):
        _add_compat_module(repo, config, result)


def _extend_lifecycle(inventory: Inventory, batch: str, result: ApplyResult) -> None:
    """The blocking client a rewrite of this batch needs joins the batch's diff (SPEC §6)."""
    lifecycle = inventory.lifecycle
    needs = [s for s in inventory.sites if s.batch == batch and s.status == "pending"
             and "extends-lifecycle" in s.flags]
    if not needs or lifecycle is None or lifecycle.blocking_extension is None or not result.ok:
        return
    extension = lifecycle.blocking_extension
    current = next((c for c in result.changes if c.path == extension.path), None)
    if current is not None:  # pragma: no cover - the lifecycle module holds no sites
        result.problems.append(f"{extension.path}: rewritten and extended in one batch; "
                               f"this is a bug")
        return
    result.changes.append(FileChange(extension.path, extension.before, extension.after))
    result.changes.sort(key=lambda c: c.path)
    result.lifecycle_changes.append(extension.summary)


def _add_compat_module(repo: Path, config: Config, result: ApplyResult) -> None:
    """The compat wrapper goes beside the lifecycle module, in the same batch, if missing."""
    from redis_migrate.scan.lifecycle import compat_template_text

    path = str(Path(config.lifecycle_module).with_name("redis_compat.py").as_posix())
    if not (repo / path).exists():
        # the wrapper imports the lifecycle module beside it, by the team's module name
        text = compat_template_text().replace(
            "from .redis_client import", f"from .{Path(config.lifecycle_module).stem} import")
        result.changes.append(FileChange(path, b"", text.encode("utf-8")))


def _defines(module: Path, function: str) -> bool:
    import ast

    try:
        tree = parse_source(module.read_bytes())
    except (OSError, SyntaxError, ValueError):
        return False
    return any(isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef)) and n.name == function
               for n in tree.body)


def conversion_flags(repo: Path, config: Config, batches: list[Batch],
                     inventory: Inventory) -> list[tuple[str, int, str, str, str]]:
    """The aioredis calls each batch will leave to a human: (path, line, rule, why, batch),
    the line in the file as it is now (the rewrite reports lines of the file it writes).

    The batches with aioredis sites are rewritten in memory, as a dry run would; nothing is
    written. Empty when there are no aioredis sites or no lifecycle module yet.
    """
    found = []
    for batch in batches:
        if not any(s.batch == batch.name and s.status == "pending"
                   and s.library in ("aioredis1", "aioredis2") for s in inventory.sites):
            continue
        try:
            result = run_batch(repo, config, batches, batch, force_order=True,
                               dry_run=True, inventory=inventory)
        except UsageError:
            return []
        # one diff per changed file, however many calls it flags
        originals = {change.path: _OriginalLines(change.before, change.after)
                     for change in result.changes}
        for path, line, rule, why in result.flagged:
            lines = originals.get(path)
            found.append((path, lines.of(line) if lines else line, rule, why, batch.name))
    return found


class _OriginalLines:
    """Maps lines of a rewritten file back to the file it was rewritten from, by one diff."""

    def __init__(self, before: bytes, after: bytes) -> None:
        self.old, self.new = before.splitlines(), after.splitlines()
        self.opcodes = difflib.SequenceMatcher(None, self.old, self.new,
                                               autojunk=False).get_opcodes()

    def of(self, line: int) -> int:
        """The old line (1-based) that new line `line` comes from: the same line where the
        two agree; in a span the rewrite replaced, the old line most like it (a flagged call
        keeps its text and gains a TODO comment); the span's start when it has none."""
        old, new = self.old, self.new
        for tag, i1, i2, j1, j2 in self.opcodes:
            if not j1 <= line - 1 < j2:
                continue
            if tag == "equal":
                return i1 + (line - 1 - j1) + 1
            if i1 == i2:  # inserted lines: they stand before the old line i1
                return min(i1, len(old) - 1) + 1 if old else 1
            # the TODO comment the conversion adds is not part of the line it came from
            from redis_migrate.codemods._todo_comments import TODO

            text = new[line - 1].split(b"# " + TODO.encode())[0].strip()
            best = max(range(i1, i2), key=lambda i: (
                difflib.SequenceMatcher(None, old[i].strip(), text, autojunk=False).ratio(), -i))
            return best + 1
        return line


def _out_of_order(inventory: Inventory, batches: list[Batch], batch: Batch) -> str:
    """The earlier batches that still have pending sites, as text ("" when there are none)."""
    waiting = [(b.name, sum(s.batch == b.name and s.status == "pending"
                            for s in inventory.sites))
               for b in batches if b.order < batch.order]
    return ", ".join(f"{name} ({count} pending)" for name, count in waiting if count)


@dataclass(frozen=True, slots=True)
class _Rewriter:
    """Where the files are rewritten: the process that loaded the code, and how many workers
    it forks (no process: here, one file after another)."""

    process: WarmProcess | None
    jobs: int


def _rewrite_files(repo: Path, lifecycle: str, inventory: Inventory, plans: dict[str, FilePlan],
                   rewriter: _Rewriter) -> list[FileOutcome]:
    """Each planned file's outcome, in path order (what the diff shows), whichever worker
    rewrote it: the files of a batch are rewritten independently, from the analysis."""
    paths = sorted(plans)
    # the largest files first (see rewrite_files)
    by_size = sorted(paths, key=lambda p: (-_size(repo / p), p))
    tasks = [FileTask.of(repo, lifecycle, plans[path], inventory.facts.get(path))
             for path in by_size]
    outcomes = (_rewrite(tasks, rewriter.jobs) if rewriter.process is None
                else rewriter.process.call(_rewrite, tasks, rewriter.jobs))
    done = dict(zip(by_size, outcomes))
    return [done[path] for path in paths]


def _rewrite(tasks: list[FileTask], jobs: int) -> list[FileOutcome]:
    # imported here: in the WarmProcess it is loaded already, and this process loads it only
    # when it rewrites the files itself
    from redis_migrate.rewrite.file_rewrite import rewrite_files

    return rewrite_files(tasks, jobs)


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0  # the rewrite reports it


def digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def write_changes(repo: Path, result: ApplyResult) -> None:
    """Write every change or none, after checking no file changed on disk since it was read.

    The write is one transaction (`replace_all`): an interrupt waits for its end, and what a
    crash leaves is rolled back when the next command that writes starts.
    """
    replacements = []
    for change in result.changes:
        target = repo / change.path
        current = target.read_bytes() if target.exists() else None
        if digest(current or b"") != digest(change.before):
            raise ApplyError(f"{change.path}: changed on disk during the run; nothing was "
                             f"written (run apply again)")
        replacements.append(Replacement(target, current, change.after))
    replace_all(repo, replacements)

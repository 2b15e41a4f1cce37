"""`migrate apply --batch NAME`: plan the batch, run the codemods, check, and (maybe) write.

Returns data; the CLI renders the diff and the summary. Nothing is written unless every file of
the batch was rewritten and checked: the cross-module rewrites stand or fall together.
"""

from __future__ import annotations

import dataclasses
import difflib
import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path

import libcst as cst
from libcst.codemod import Codemod, CodemodContext, SkipFile

from redis_migrate.analysis.extract import extract
from redis_migrate.analysis.facts import FileFacts
from redis_migrate.analysis.newer_syntax import compilable_text, parse_source
from redis_migrate.batch_catalog import Batch
from redis_migrate.codemods._common import ALIAS_PREFIX, Accessor
from redis_migrate.codemods._contract import spelled_call
from redis_migrate.codemods._todo_comments import TODO
from redis_migrate.codemods._tree_memo import note_parsed
from redis_migrate.codemods.convert_aioredis_calls import ConvertAioredisCalls
from redis_migrate.codemods.update_imports import DropOrphanedStdlibImports, TidyModuleStart
from redis_migrate.codemods.wire_lifecycle import WireInit, shifted_position
from redis_migrate.config import Config
from redis_migrate.errors import ApplyError, UsageError
from redis_migrate.model import Site
from redis_migrate.rewrite.edit_plan import FilePlan, plan_batch, plan_wiring
from redis_migrate.rewrite.fileio import Replacement, replace_all
from redis_migrate.rewrite.pipeline import codemods_for, passes
from redis_migrate.scan.inventory import build_inventory
from redis_migrate.scan.lifecycle import validate
from redis_migrate.scan.report import Inventory
from redis_migrate.workers import cpu_count, process_pool


@dataclass(slots=True)
class FileChange:
    """One file's content before and after the batch."""

    path: str
    before: bytes
    after: bytes


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
    The files are rewritten in `jobs` worker processes (default: one per CPU) when there
    are enough of them to pay for starting the workers.
    """
    _require_lifecycle_module(repo, config)
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
    refused = _unreadable_importer(repo, inventory, plans)
    if refused:
        result.problems.append(refused)
        return result
    _rewrite_batch(repo, config, inventory, plans, compat, result, jobs)
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


def _unreadable_importer(repo: Path, inventory: Inventory,
                         plans: dict[str, FilePlan]) -> str | None:
    """Why the batch is refused as a whole when a file that could not be analysed may import
    a module-level client it removes; None when none can."""
    unreadable = [s for s in inventory.skipped if not s.reason.startswith("symbolic link")]
    removes = sorted(name for plan in plans.values() for name in plan.remove_names)
    if not unreadable or not removes:
        return None
    packages = {facts.module.split(".")[0] for facts in inventory.facts.values()}
    for skipped in unreadable:
        if _may_import(repo / skipped.file, removes, packages):
            return (f"{skipped.file}: could not be analysed, and this batch removes "
                    f"module-level clients ({', '.join(removes)}) it may import; fix the "
                    f"file first")
    return None


_STAR_IMPORT = re.compile(rb"^[ \t]*from[ \t]+(\.*)([\w.]*)[ \t]+import[ \t]*\*", re.MULTILINE)


def _may_import(path: Path, names: list[str], packages: set[str]) -> bool:
    """Whether a file the parser could not read may bind one of `names` from the app: it
    spells one of them (`from app.cache import client`, `cache.client`), or star-imports
    one of the app's own modules. A file that cannot be read at all may."""
    try:
        text = path.read_bytes()
    except OSError:
        return True
    if any(re.search(rb"\b" + re.escape(name.encode()) + rb"\b", text) for name in names):
        return True
    return any(dots or module.split(b".")[0].decode("ascii", "replace") in packages
               for dots, module in _STAR_IMPORT.findall(text))


def _rewrite_batch(repo: Path, config: Config, inventory: Inventory,
                   plans: dict[str, FilePlan], compat: bool, result: ApplyResult,
                   jobs: int | None = None) -> None:
    """Every planned file rewritten in memory, then what the batch adds beside them: the
    lifecycle module's blocking client, the compat wrapper."""
    work = _Work(repo, config.lifecycle_import, inventory, plans)
    for outcome in _rewrite_files(work, jobs or cpu_count()):
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


def _codemods(context: CodemodContext, plan: FilePlan, lifecycle: str) -> list[Codemod]:
    # found in the codemods package by the plan fields each declares it serves, in its order;
    # neighbours that declare it share one pass over the tree
    return passes(context, codemods_for(context, plan, lifecycle))


def _alias_taken_names(plan: FilePlan, analysed: FileFacts, lifecycle: str) -> None:
    """A file that binds `get_redis` (or `init_redis`, `close_redis`) itself, not from the
    lifecycle module, calls the lifecycle module's under an alias: its own name keeps working
    (`app.dependency_overrides[get_redis]`, test fixtures)."""
    taken = {name for name, source in analysed.taken_names.items()
             if source != f"{lifecycle}.{name}"}
    plan.aliases = tuple(sorted((name, ALIAS_PREFIX + name) for name in taken))
    if not plan.aliases:
        return
    aliased = dataclasses.replace

    def fix(accessor: Accessor) -> Accessor:
        return aliased(accessor, aliases=plan.aliases)

    plan.calls = {k: fix(a) for k, a in plan.calls.items()}
    plan.attributes = {k: fix(a) for k, a in plan.attributes.items()}
    plan.getters = {k: (g, fix(a)) for k, (g, a) in plan.getters.items()}
    plan.references = {k: fix(a) for k, a in plan.references.items()}


def _syntax_error_line(source: bytes, fallback: int) -> int:
    """The line Python reports for a syntax error (LibCST's can be one further on)."""
    import ast

    try:
        ast.parse(source)
    except SyntaxError as exc:
        return exc.lineno or fallback
    except ValueError:
        pass
    return fallback


def _started_blank(tree: cst.Module) -> bool:
    return bool(tree.header) or bool(tree.body and tree.body[0].leading_lines)


# below this many files, forking the workers costs more than it saves (each file's rewrite
# takes tens of milliseconds, starting two workers about as long)
_PARALLEL_FILES = 4


@dataclass(frozen=True, slots=True)
class _Work:
    """What every file's rewrite reads: the same for all files of the batch."""

    repo: Path
    lifecycle: str
    inventory: Inventory
    plans: dict[str, FilePlan]


@dataclass(slots=True)
class _Outcome:
    """One file's rewrite: its change (None when it has none), and what it reports."""

    change: FileChange | None = None
    problems: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    flagged: list[tuple[str, int, str, str]] = field(default_factory=list)


def _rewrite_files(work: _Work, jobs: int) -> list[_Outcome]:
    """Each planned file's outcome, in path order (what the diff shows), whichever worker
    rewrote it: the files of a batch are rewritten independently, from the analysis."""
    paths = sorted(work.plans)
    if jobs <= 1 or len(paths) < _PARALLEL_FILES:
        return [_rewrite_file(work, path) for path in paths]
    # the largest files first, one at a time: the workers finish together
    by_size = sorted(paths, key=lambda p: (-_size(work.repo / p), p))
    with process_pool(min(jobs, len(paths)), _adopt_work, work) as pool:
        done = dict(zip(by_size, pool.map(_rewrite_in_worker, by_size)))
    return [done[path] for path in paths]


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0  # the rewrite reports it


_WORKER_WORK: _Work | None = None


def _adopt_work(work: _Work) -> None:
    global _WORKER_WORK
    _WORKER_WORK = work


def _rewrite_in_worker(path: str) -> _Outcome:
    assert _WORKER_WORK is not None, "the pool's initializer sets the work"
    return _rewrite_file(_WORKER_WORK, path)


def _rewrite_file(work: _Work, path: str) -> _Outcome:
    outcome = _Outcome()
    outcome.change = _rewrite(work.repo, work.plans[path], work.lifecycle, work.inventory,
                              outcome)
    return outcome


def _rewrite(repo: Path, plan: FilePlan, lifecycle: str, inventory: Inventory,
             result: _Outcome) -> FileChange | None:
    path = repo / plan.path
    try:
        before = path.read_bytes()
    except OSError as exc:
        result.problems.append(f"{plan.path}: cannot read: {exc.strerror or exc}")
        return None
    analysed = inventory.facts.get(plan.path)
    if analysed is None:
        result.problems.append(f"{plan.path}: was not analysed; nothing in the batch is written")
        return None
    try:
        tree = cst.parse_module(before)
    except cst.ParserSyntaxError as exc:
        result.problems.append(f"{plan.path}:{_syntax_error_line(before, exc.raw_line)}: "
                               f"does not parse: {exc.message}")
        return None
    _source_of(tree, before)
    _alias_taken_names(plan, analysed, lifecycle)
    rewritten = _run_codemods(plan, tree, lifecycle, result)
    if rewritten is None:
        return None
    after = rewritten.bytes
    problem = _verify(plan, analysed, after, inventory)
    if problem:
        result.problems.append(problem)
        return None
    return FileChange(plan.path, before, after)


def _source_of(tree: cst.Module, before: bytes) -> None:
    """Tell the codemods the parsed tree's text, which they would otherwise generate again."""
    try:
        source = before.decode(tree.encoding)
    except (LookupError, UnicodeDecodeError):
        return
    # LibCST keeps a byte-order mark out of the tree's code
    note_parsed(tree, source.removeprefix("\ufeff"))


def _run_codemods(plan: FilePlan, tree: cst.Module, lifecycle: str,
                  result: _Outcome) -> cst.Module | None:
    """The file's tree after every codemod its plan calls for, in order (None, with the
    problem in `result`, when one of them skips the file)."""
    context = CodemodContext(filename=plan.path, full_module_name=plan.module,
                             full_package_name=plan.package)
    tidy = TidyModuleStart(context, _started_blank(tree), tree)
    if plan.wire_init:
        # first, on the tree the analysis read; the positions after it move down a line each
        wire = WireInit(context, {f: (line, spelled_call(call, plan)) for f, (line, call)
                                  in plan.wire_init.items()}, plan.wire_imports)
        try:
            tree = wire.transform_module(tree)
        except SkipFile as exc:
            result.problems.append(f"{plan.path}: WireInit skipped it: {exc}")
            return None
        plan.calls = {shifted_position(p, wire.inserted_at): a for p, a in plan.calls.items()}
    orphans = DropOrphanedStdlibImports(context, tree)
    for codemod in [*_codemods(context, plan, lifecycle), orphans, tidy]:
        # the last two look at a few nodes: a whole pass each (a deep copy, every node visited)
        # costs more than the rest of the work on a large file
        if codemod is orphans and not orphans.has_work(tree):
            continue
        if codemod is tidy:
            tree = tidy.leave_Module(tree, tree)
            continue
        try:
            tree = codemod.transform_module(tree)
        except SkipFile as exc:
            result.problems.append(f"{plan.path}: {type(codemod).__name__} skipped it: {exc}")
            return None
        if isinstance(codemod, ConvertAioredisCalls):
            result.flagged.extend((plan.path, line, rule, why)
                                  for line, rule, why in codemod.flagged)
    result.warnings.extend(f"{plan.path}: {w}" for w in context.warnings)
    return tree


def _verify(plan: FilePlan, analysed: FileFacts, after: bytes, inventory: Inventory) -> str | None:
    """The rewritten file compiles, and the planned instantiations are gone from it."""
    try:
        compile(compilable_text(after), plan.path, "exec", dont_inherit=True)
    except (SyntaxError, ValueError) as exc:
        return f"{plan.path}: the rewrite does not compile ({exc}); this is a bug"
    dangling = _dangling(after, plan, analysed)
    if dangling:
        return (f"{plan.path}: the rewrite would leave {', '.join(sorted(dangling))} undefined; "
                f"nothing in the batch is written")
    module, is_package = plan.module, plan.path.endswith("__init__.py")
    new = extract(plan.path, module, is_package, after, ())
    planned = sum(s.kind == "instantiation" for s in plan.sites)
    left = len(analysed.sites) - len(new.sites)
    if left != planned:
        lines = ", ".join(str(s.line) for s in plan.sites if s.kind == "instantiation")
        return (f"{plan.path}: {planned - left} of the planned site(s) at line(s) {lines} could "
                f"not be rewritten; nothing in the batch is written")
    return None


def _dangling(after: bytes, plan: FilePlan, analysed: FileFacts) -> set[str]:
    """Names of removed clients (or their import aliases) still read but no longer bound."""
    import ast

    gone = set(plan.remove_names)
    gone |= {local for _scope, local, target in analysed.imports if target in plan.references}
    if not gone:
        return set()
    tree = parse_source(after)
    bound: set[str] = set()
    loaded: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Name):
            (loaded if isinstance(node.ctx, ast.Load) else bound).add(node.id)
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            bound.add(node.name)
        elif isinstance(node, ast.alias):
            bound.add((node.asname or node.name).split(".")[0])
        elif isinstance(node, ast.arg):
            bound.add(node.arg)
    return (gone & loaded) - bound


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

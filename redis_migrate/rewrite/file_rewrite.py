"""One file of a batch rewritten: parsed by LibCST, run through the codemods its plan calls
for, and checked (it compiles, the planned clients are gone, no removed name is left unbound).

This is the part of `apply` that needs LibCST; the worker processes import it, so the process
that plans the batch does not (`redis_migrate.rewrite.apply`).
"""

from __future__ import annotations

import ast
import dataclasses
from pathlib import Path

import libcst as cst
from libcst.codemod import Codemod, CodemodContext, SkipFile

from redis_migrate.analysis.extract import extract
from redis_migrate.analysis.facts import FileFacts
from redis_migrate.analysis.newer_syntax import compilable_text, parse_source
from redis_migrate.codemods._accessor import ALIAS_PREFIX, Accessor
from redis_migrate.codemods._contract import spelled_call
from redis_migrate.codemods._empty_batch import skip_empty_batched_visits
from redis_migrate.codemods._import_layout import TidyModuleStart
from redis_migrate.codemods._plain_visitors import (
    dispatch_plainly_without_matchers,
    search_matchers_once_per_class,
)
from redis_migrate.codemods._tree_memo import code_of, note_parsed
from redis_migrate.codemods.convert_aioredis_calls import ConvertAioredisCalls
from redis_migrate.codemods.update_imports import DropOrphanedStdlibImports, UpdateRedisImports
from redis_migrate.codemods.wire_lifecycle import WireInit, shifted_position
from redis_migrate.rewrite.edit_plan import FilePlan
from redis_migrate.rewrite.file_task import FileChange, FileOutcome, FileTask
from redis_migrate.rewrite.pipeline import codemods_for, passes
from redis_migrate.workers import process_pool

# LibCST's import visitors, made several times per file, no longer search themselves for
# matcher decorators they do not have, nor ask at each node which of them apply (in the
# workers too: they are forked after this)
search_matchers_once_per_class()
dispatch_plainly_without_matchers()
# nor does a position lookup visit the whole tree for no batchable provider
skip_empty_batched_visits()

# below this many files, forking the workers costs more than it saves (each file's rewrite
# takes tens of milliseconds, starting two workers about as long)
_PARALLEL_FILES = 4


def rewrite_files(tasks: list[FileTask], jobs: int) -> list[FileOutcome]:
    """Each task's outcome, in the order given, rewritten in `jobs` forked worker processes
    when there are enough files to pay for starting them. Hand the largest files first: one
    at a time to whichever worker is free, so the workers finish together."""
    if jobs <= 1 or len(tasks) < _PARALLEL_FILES:
        return [rewrite_file(task) for task in tasks]
    with process_pool(min(jobs, len(tasks))) as pool:
        return list(pool.map(rewrite_file, tasks))


def rewrite_file(task: FileTask) -> FileOutcome:
    """The file rewritten by every codemod its plan calls for, checked; or the problem that
    keeps the batch from being written."""
    outcome = FileOutcome()
    outcome.change = _rewrite(task.repo, task.plan, task.lifecycle, task.facts, outcome)
    return outcome


def _rewrite(repo: Path, plan: FilePlan, lifecycle: str, analysed: FileFacts | None,
             result: FileOutcome) -> FileChange | None:
    path = repo / plan.path
    try:
        before = path.read_bytes()
    except OSError as exc:
        result.problems.append(f"{plan.path}: cannot read: {exc.strerror or exc}")
        return None
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
    # the text the last passes generated to read the tree, when the tree is still theirs
    after = code_of(rewritten).encode(rewritten.encoding)
    problem = _verify(plan, analysed, after)
    if problem:
        result.problems.append(problem)
        return None
    return FileChange(plan.path, before, after)


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
    try:
        ast.parse(source)
    except SyntaxError as exc:
        return exc.lineno or fallback
    except ValueError:
        pass
    return fallback



def _started_blank(tree: cst.Module) -> bool:
    return bool(tree.header) or bool(tree.body and tree.body[0].leading_lines)



def _source_of(tree: cst.Module, before: bytes) -> None:
    """Tell the codemods the parsed tree's text, which they would otherwise generate again."""
    try:
        source = before.decode(tree.encoding)
    except (LookupError, UnicodeDecodeError):
        return
    # LibCST keeps a byte-order mark out of the tree's code
    note_parsed(tree, source.removeprefix("\ufeff"))


def _run_codemods(plan: FilePlan, tree: cst.Module, lifecycle: str,
                  result: FileOutcome) -> cst.Module | None:
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
    plan.read_before = orphans.read_before
    # the tree the import pass read: it changes import statements only, so what the file
    # reads and its standard-library imports are the same on the tree it returns, and the
    # check for orphans asks the tree whose answer that pass worked out already
    imports_read: cst.Module | None = None
    for codemod in [*_codemods(context, plan, lifecycle), orphans, tidy]:
        # the last two look at a few nodes: a whole pass each (a deep copy, every node visited)
        # costs more than the rest of the work on a large file
        if codemod is orphans and not orphans.has_work(imports_read or tree):
            continue
        if codemod is tidy:
            tree = tidy.leave_Module(tree, tree)
            continue
        if isinstance(codemod, UpdateRedisImports):
            imports_read = tree
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


def _verify(plan: FilePlan, analysed: FileFacts, after: bytes) -> str | None:
    """The rewritten file compiles, and the planned instantiations are gone from it."""
    try:
        try:
            tree = ast.parse(after, plan.path)
        except SyntaxError:  # newer grammar than the running Python's, or a real error
            tree = parse_source(after, plan.path)
            compile(compilable_text(after), plan.path, "exec", dont_inherit=True)
        else:
            compile(tree, plan.path, "exec", dont_inherit=True)  # not parsed a second time
    except (SyntaxError, ValueError) as exc:
        return f"{plan.path}: the rewrite does not compile ({exc}); this is a bug"
    dangling = _dangling(tree, plan, analysed)
    if dangling:
        return (f"{plan.path}: the rewrite would leave {', '.join(sorted(dangling))} undefined; "
                f"nothing in the batch is written")
    module, is_package = plan.module, plan.path.endswith("__init__.py")
    new = extract(plan.path, module, is_package, after, (), parsed=tree)
    planned = sum(s.kind == "instantiation" for s in plan.sites)
    left = len(analysed.sites) - len(new.sites)
    if left != planned:
        lines = ", ".join(str(s.line) for s in plan.sites if s.kind == "instantiation")
        return (f"{plan.path}: {planned - left} of the planned site(s) at line(s) {lines} could "
                f"not be rewritten; nothing in the batch is written")
    return None


def _dangling(tree: ast.Module, plan: FilePlan, analysed: FileFacts) -> set[str]:
    """Names of removed clients (or their import aliases) still read but no longer bound."""
    gone = set(plan.remove_names)
    gone |= {local for _scope, local, target in analysed.imports if target in plan.references}
    if not gone:
        return set()
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


def _codemods(context: CodemodContext, plan: FilePlan, lifecycle: str) -> list[Codemod]:
    # found in the codemods package by the plan fields each declares it serves, in its order;
    # neighbours that declare it share one pass over the tree
    return passes(context, codemods_for(context, plan, lifecycle))

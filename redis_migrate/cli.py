"""The `migrate` command line: the only module that prints.

Exit codes (SPEC §2): 0 ok; 1 findings, or files that could not be analysed; 2 usage or
environment errors (bad flag, missing path, unparseable config or batch file).
"""

from __future__ import annotations

import errno
import functools
import os
import sys
from collections.abc import Callable
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, NoReturn, Optional, ParamSpec, TypeVar

import typer

from redis_migrate import __version__
from redis_migrate.errors import EXIT_FINDINGS, EXIT_OK, EXIT_USAGE, MigrateError, UsageError

if TYPE_CHECKING:  # the commands import what they run when they run: `migrate --help` stays quick
    from redis_migrate.batch_catalog import Batch
    from redis_migrate.config import Config
    from redis_migrate.scan.report import Inventory
    from redis_migrate.workflow.review import ReviewOptions

app = typer.Typer(
    name="migrate",
    help="Move a backend's scattered Redis clients onto one lifecycle module, batch by batch."
         "\n\nExamples:\n\n"
         "migrate inventory -C path/to/backend\n"
         "migrate plan\n"
         "migrate apply --batch health --dry-run\n\n"
         "Each command's --help shows its options and an example.",
    no_args_is_help=True,
    # help text is rich markup: a literal `[` must be escaped as `\[` (see init's docstring)
    rich_markup_mode="rich",
    context_settings={"help_option_names": ["-h", "--help"]},
    pretty_exceptions_enable=False,
)

# "read_only": the command writes nothing to the target, and has nothing left to finish when
# it returns (its output written, no process behind): the executable may end it without
# tearing the interpreter down (`main`)
_state: dict[str, bool] = {"debug": False, "read_only": False}

RepoOption = Annotated[
    Path, typer.Option("--repo", "-C", help="The target repository (default: here).",
                       show_default=False)]


class InventoryFormat(str, Enum):
    table = "table"
    json = "json"
    markdown = "markdown"
    csv = "csv"


class CheckFormat(str, Enum):
    text = "text"
    json = "json"
    github = "github"
    sarif = "sarif"


class PlanFormat(str, Enum):
    table = "table"
    json = "json"


P = ParamSpec("P")
R = TypeVar("R")


def _errors_as_one_line(fn: Callable[P, R]) -> Callable[P, R]:
    """Expected errors: one red line and their exit code; bugs: a traceback only with --debug.

    First, what an interrupted write left in the target is rolled back (or, by a command that
    only reads, reported); an interrupt says which files were written, if any.
    """
    @functools.wraps(fn)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        from redis_migrate.rewrite.fileio import deferred_signals, forget_writes

        forget_writes()
        rolled_back = False
        try:
            with deferred_signals():  # an interrupt waits until the rollback is said
                rolled_back = _settle_interrupted_write(fn.__name__, kwargs)
            return fn(*args, **kwargs)
        except MigrateError as exc:
            _error(str(exc))
            raise typer.Exit(exc.exit_code) from None
        except KeyboardInterrupt:
            _error(_interrupted(kwargs.get("repo"), rolled_back))
            raise typer.Exit(130) from None
        except BrokenPipeError:  # `migrate inventory | head`: the reader left, not an error
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            raise typer.Exit(EXIT_OK) from None
        except typer.Exit:
            raise
        except Exception as exc:  # a bug: say so plainly
            if _state["debug"]:
                raise
            _error(f"internal error: {type(exc).__name__}: {exc} (run with --debug to see "
                   f"the traceback)")
            raise typer.Exit(EXIT_USAGE) from None
    return wrapper


_WRITING_COMMANDS = frozenset({"apply", "init", "rollback"})


def _settle_interrupted_write(command: str, params: dict[str, Any]) -> bool:
    """Roll back what an interrupted write left in the target if `command` writes, else warn;
    one line on stderr either way. True if files were put back."""
    from redis_migrate.rewrite.fileio import pending, roll_back

    repo = params.get("repo")
    if not isinstance(repo, Path) or not repo.is_dir():
        return False  # the command itself says what is wrong with the path
    writes = command in _WRITING_COMMANDS and not params.get("dry_run")
    found = roll_back(repo) if writes else pending(repo)
    if found is None:
        return False
    print(found.describe(), file=sys.stderr)
    return found.rolled_back and bool(found.written)


def _interrupted(repo: Any, rolled_back: bool) -> str:
    """What an interrupt leaves, truthfully: every write is whole and every branch points at a
    whole commit, so say which of them happened and how to undo a branch."""
    from redis_migrate.rewrite.fileio import writes_that_stand
    from redis_migrate.workflow.branch import branches_that_stand, forget_branches

    made = branches_that_stand()
    forget_branches()
    written = writes_that_stand()
    done = [branch.made() for branch in made]
    if written:
        base = repo.resolve() if isinstance(repo, Path) else Path.cwd()
        names = [str(p.relative_to(base)) if p.is_relative_to(base) else str(p)
                 for p in (w.parent.resolve() / w.name for w in written)]
        shown = ", ".join(names[:3]) + (f", … ({len(names) - 3} more)" if len(names) > 3 else "")
        done.append(f"writing {len(names)} file(s) in full ({shown})")
    if made:
        message = f"interrupted after {' and '.join(done)}{made[-1].cut_short()}; "
        if written:
            message += "no file was left half-written; "
        else:
            message += "your work tree and current branch are unchanged; "
        return message + "; ".join(branch.next_steps() for branch in made)
    if written:
        return f"interrupted after {done[0]}; no file was left half-written"
    if rolled_back:
        return "interrupted; nothing was written after the rollback above"
    return "interrupted; nothing was written"


def _error(message: str) -> None:
    from redis_migrate.redact import mask_secrets

    prefix = "\x1b[31merror:\x1b[0m" if _color(sys.stderr) else "error:"
    print(f"{prefix} {mask_secrets(message)}", file=sys.stderr)


def _repo(path: Path) -> Path:
    if not path.exists():
        raise UsageError(f"{path}: no such directory")
    if not path.is_dir():
        raise UsageError(f"{path}: not a directory")
    return path.resolve()


def _load(repo: Path) -> tuple[list[Batch], Config]:
    """The batches and the target's config, both validated (exit 2 on a bad file)."""
    from redis_migrate.batch_catalog import load_batches
    from redis_migrate.config import load_config, validate_overrides

    batches = load_batches()
    config = load_config(repo)
    validate_overrides(config, [b.name for b in batches])
    return batches, config


def _inventory(repo: Path, paths: list[str] | None = None,
               conversions: bool = False) -> tuple[Path, list[Batch], Config, Inventory]:
    """The validated target, its batches and config, and its inventory (with the aioredis
    conversion flags if `conversions`: they cost a rewrite in memory)."""
    from redis_migrate.scan.early_search import prefetch

    root = _repo(repo)
    # first, before the analysis loads: on a large folder outside git, the search for the
    # files naming redis runs on another core while Python imports and walks the folder (the
    # executable started it before this module loaded: then this takes it over)
    early = prefetch(root)
    try:
        from redis_migrate.scan.inventory import build_inventory

        batches, config = _load(root)
        with _progress() as progress:
            if conversions:
                from redis_migrate.rewrite.conversions import inventory_report

                inventory = inventory_report(root, config, batches, paths, progress=progress,
                                             prefetched=early)
            else:
                inventory = build_inventory(root, config, batches, paths, progress=progress,
                                            prefetched=early)
    finally:
        early.cancel()  # nothing took it: a bad config, an interrupt
    return root, batches, config, inventory


def _progress() -> Any:
    """A context giving the engine's progress callback: a progress line on stderr for a run
    that takes a while, on a terminal only (never in a pipe, a file or JSON); else None."""
    from redis_migrate.progress import display

    return display(sys.stderr, _color(sys.stderr))


def _emit(text: str, output: Path | None) -> None:
    if output is None:
        sys.stdout.write(text)
        return
    from redis_migrate.rewrite.fileio import write_atomic

    try:
        write_atomic(output, text.encode("utf-8"))
    except OSError as exc:  # a folder that cannot be made or written, a directory, a full disk
        reason = exc.strerror or str(exc)
        blocker = Path(exc.filename) if isinstance(exc.filename, str) else None
        if blocker is not None and blocker in output.parents:  # a folder on the way
            if blocker.exists() and not blocker.is_dir():
                reason = os.strerror(errno.ENOTDIR)
            reason = f"{blocker}: {reason}"
        raise UsageError(f"cannot write {output}: {reason}") from None
    print(f"wrote {output}", file=sys.stderr)


def _exit_after_skipped(inventory: Inventory) -> NoReturn:
    """Print each file the scan skipped to stderr, then exit: findings if any, else OK."""
    for skipped in inventory.skipped:
        print(f"skipped {skipped}", file=sys.stderr)
    raise typer.Exit(EXIT_FINDINGS if inventory.skipped else EXIT_OK)


def _print_version(value: bool) -> None:
    # eager: `migrate --version` works on its own, without a command
    if value:
        print(f"redis-migrate {__version__}")
        raise typer.Exit(EXIT_OK)


@app.callback()
def _main(
    debug: Annotated[bool, typer.Option("--debug", help="Show tracebacks of internal errors.")]
    = False,
    version: Annotated[bool, typer.Option(
        "--version", help="Print the version and exit.", is_eager=True,
        callback=_print_version)] = False,
) -> None:
    _state["debug"] = debug


@app.command()
@_errors_as_one_line
def inventory(
    paths: Annotated[Optional[list[str]], typer.Argument(
        help="Only report sites under these files or folders (analysis stays repo-wide).")]
    = None,
    repo: RepoOption = Path("."),
    format: Annotated[InventoryFormat, typer.Option(
        "--format", "-f", help="table (default), json, markdown or csv.")]
    = InventoryFormat.table,
    output: Annotated[Optional[Path], typer.Option(
        "--output", "-o", help="Write to this file instead of standard output.")] = None,
) -> None:
    """List every Redis site: file, line, pattern, library, purpose, batch, status.

    Examples:

        migrate inventory
        migrate inventory backend/api --format json --output sites.json
    """
    _state["read_only"] = True
    _, batches, _, result = _inventory(repo, paths, conversions=True)
    from redis_migrate import render  # after: the inventory's search starts first

    text = {
        InventoryFormat.json: lambda: render.inventory_json(result),
        InventoryFormat.csv: lambda: render.inventory_csv(result),
        InventoryFormat.markdown: lambda: render.inventory_markdown(result, batches),
        # a file named by --output is data, like a pipe: whole lines and no colour
        InventoryFormat.table: lambda: render.inventory_table(
            result, None if output else _width(), output is None and _color(sys.stdout)),
    }[format]()
    _emit(text, output)
    _exit_after_skipped(result)


@app.command()
@_errors_as_one_line
def plan(
    repo: RepoOption = Path("."),
    format: Annotated[PlanFormat, typer.Option("--format", "-f", help="table or json.")]
    = PlanFormat.table,
) -> None:
    """The batches in order with site and file counts: which are done, which is next.

    Example:

        migrate plan --format json
    """
    from redis_migrate import render
    from redis_migrate.scan.plan import describe_test_code, make_plan, plan_test_code

    _, batches, _, result = _inventory(repo)
    rows = make_plan(result, batches)
    test_code = plan_test_code(result)
    if format is PlanFormat.json:
        sys.stdout.write(render.plan_json(rows, test_code))
    else:
        sys.stdout.write(render.plan_table(rows, _width(), _color(sys.stdout)))
        if test_code:
            print(describe_test_code(test_code))
        upcoming = next((r for r in rows if r.state == "next"), None)
        if upcoming:
            print(f"next batch: {upcoming.batch} ({upcoming.title})")
        else:
            print("nothing pending: every batch is done or needs a human")
    _exit_after_skipped(result)


@app.command()
@_errors_as_one_line
def check(
    repo: RepoOption = Path("."),
    format: Annotated[CheckFormat, typer.Option(
        "--format", "-f", help="text (default), json, github or sarif.")] = CheckFormat.text,
    allow_manual: Annotated[bool, typer.Option(
        "--allow-manual", help="Do not fail on sites reported manual (with their reasons).")]
    = False,
) -> None:
    """Gate on the completion criteria: exit 1 with one line per finding.

    Examples:

        migrate check
        migrate check --allow-manual --format github
    """
    _state["read_only"] = True
    root, _, config, result = _inventory(repo)
    from redis_migrate import render  # after: the inventory's search starts first
    from redis_migrate.scan.check import run_check

    findings = run_check(root, config, result)
    if allow_manual:
        findings = [f for f in findings if not f.manual]
    text = {
        CheckFormat.text: lambda: render.findings_text(findings),
        CheckFormat.json: lambda: render.findings_json(findings),
        CheckFormat.github: lambda: render.findings_github(findings),
        CheckFormat.sarif: lambda: render.findings_sarif(findings, __version__),
    }[format]()
    sys.stdout.write(text)
    if format is CheckFormat.text:
        verdict = (f"{len(findings)} finding(s): phase 2 is not complete" if findings
                   else "no findings: every Redis client goes through the lifecycle module")
        print(verdict, file=sys.stderr)
    raise typer.Exit(EXIT_FINDINGS if findings else EXIT_OK)


@app.command()
@_errors_as_one_line
def apply(
    batch: Annotated[str, typer.Option("--batch", "-b", help="The batch to apply.")],
    repo: RepoOption = Path("."),
    dry_run: Annotated[bool, typer.Option(
        "--dry-run", help="Print the diff and the summary; write nothing.")] = False,
    no_git: Annotated[bool, typer.Option(
        "--no-git", help="Write the files in place without touching git.")] = False,
    force_order: Annotated[bool, typer.Option(
        "--force-order", help="Apply even though an earlier batch still has pending sites.")]
    = False,
    base: Annotated[Optional[str], typer.Option(
        "--base", help="Branch or commit the batch branch starts from (default: the "
                       "configured base-branch, else the current branch).")] = None,
    stack: Annotated[bool, typer.Option(
        "--stack", help="Start from the previous batch's branch while it is not merged.")]
    = False,
    replace: Annotated[bool, typer.Option(
        "--replace", help="Rebuild the batch branch if it exists.")] = False,
    test_cmd: Annotated[Optional[str], typer.Option(
        "--test-cmd", help="Run the team's tests on the batch branch.")] = None,
    pr_body_file: Annotated[Optional[Path], typer.Option(
        "--pr-body", help="Write the pull request's Markdown body to this file.")] = None,
    push: Annotated[bool, typer.Option("--push", help="Push the batch branch.")] = False,
    remote: Annotated[Optional[str], typer.Option(
        "--remote", help="The remote to push to (default: the configured remote).")] = None,
    open_pr: Annotated[bool, typer.Option(
        "--open-pr", help="Open the pull request on GitHub ($GITHUB_TOKEN).")] = False,
    reviewer: Annotated[Optional[list[str]], typer.Option(
        "--reviewer", help="Also request this reviewer (repeatable).")] = None,
    compat: Annotated[bool, typer.Option(
        "--compat", help="Keep aioredis-style calls working through get_compat_redis() "
                         "instead of converting them (a smaller first diff).")] = False,
) -> None:
    """Rewrite one batch onto get_redis(): its own branch and commit, or --dry-run / --no-git.

    Examples:

        migrate apply --batch health --dry-run
        migrate apply --batch health --pr-body pr.md --push --open-pr
        migrate apply --batch read-caches --stack
    """
    from redis_migrate.batch_catalog import find_batch

    _state["read_only"] = dry_run
    root = _repo(repo)
    if dry_run or no_git:
        _refuse_git_flow_flags("--dry-run" if dry_run else "--no-git", {
            "--base": base is not None, "--stack": stack, "--replace": replace,
            "--test-cmd": test_cmd is not None, "--pr-body": pr_body_file is not None,
            "--push": push, "--remote": remote is not None, "--open-pr": open_pr,
            "--reviewer": bool(reviewer)})
        batches, config = _load(root)
        chosen = find_batch(batches, batch)
        raise typer.Exit(_apply_without_branch(root, config, batches, chosen, force_order,
                                               dry_run, compat))
    from redis_migrate.gitrepo import require_work_tree

    require_work_tree(root, "apply makes a branch and a commit there (pass --dry-run to "
                            "preview the diff, or --no-git to write the files in place)")
    batches, config = _load(root)
    chosen = find_batch(batches, batch)
    from redis_migrate.workflow.review import ReviewOptions

    options = ReviewOptions(base=base, stack=stack, replace=replace, force_order=force_order,
                            compat=compat,
                            test_cmd=test_cmd, pr_body=pr_body_file, push=push,
                            remote=remote or config.remote, open_pr=open_pr,
                            reviewers=tuple(reviewer or ()))
    raise typer.Exit(_apply_for_review(root, config, batches, chosen, options))


def _refuse_git_flow_flags(mode: str, git_flow: dict[str, bool]) -> None:
    """The git flow's flags mean nothing without a branch: refused, never silently dropped."""
    given = [flag for flag, used in git_flow.items() if used]
    if given:
        raise UsageError(f"{', '.join(given)} cannot be used with {mode}: {mode} makes no "
                         f"branch and no commit (drop {mode} to run the review workflow)")


def _apply_without_branch(root: Path, config: Config, batches: list[Batch], chosen: Batch,
                          force_order: bool, dry_run: bool, compat: bool) -> int:
    """--dry-run prints the diff, --no-git writes the files in place; then the summary and
    each problem. The exit code."""
    from redis_migrate import render
    from redis_migrate.rewrite.apply import run_batch, write_changes

    result = run_batch(root, config, batches, chosen, force_order, dry_run, compat=compat)
    if dry_run:
        sys.stdout.write(render.diff(result.changes, color=_color(sys.stdout)))
    elif result.ok and result.changes:
        write_changes(root, result)
    sys.stdout.write(render.apply_summary(result, written=not dry_run and result.ok))
    for problem in result.problems:
        _error(problem)
    return EXIT_OK if result.ok and not result.skipped else EXIT_FINDINGS


def _apply_for_review(root: Path, config: Config, batches: list[Batch], chosen: Batch,
                      options: ReviewOptions) -> int:
    """The batch on its own branch and commit, then PR body, push and PR as asked; the report
    and each problem. The exit code."""
    from redis_migrate import render
    from redis_migrate.workflow.review import apply_for_review

    report = apply_for_review(root, config, batches, chosen, options)
    sys.stdout.write(render.review_report(report))
    for problem in report.outcome.result.problems:
        _error(problem)
    return report.exit_code


@app.command()
@_errors_as_one_line
def status(
    repo: RepoOption = Path("."),
    base: Annotated[Optional[str], typer.Option(
        "--base", help="The branch merges are looked for on (default: configured base).")]
    = None,
    format: Annotated[PlanFormat, typer.Option("--format", "-f", help="table or json.")]
    = PlanFormat.table,
) -> None:
    """Per batch: sites left, branch, commit, pushed, PR, merged; from git history.

    Example:

        migrate status --base main
    """
    from redis_migrate import render
    from redis_migrate.gitrepo import require_work_tree
    from redis_migrate.workflow.status import batch_status

    require_work_tree(_repo(repo), "status reads each batch's branch, commits and merges "
                                   "from git history")
    root, batches, config, result = _inventory(repo)
    rows = batch_status(root, config, batches, result, base)
    if format is PlanFormat.json:
        sys.stdout.write(render.status_json(rows))
    else:
        sys.stdout.write(render.status_table(rows, _width(), _color(sys.stdout)))
    raise typer.Exit(EXIT_OK)


@app.command()
@_errors_as_one_line
def rollback(
    batch: Annotated[str, typer.Option("--batch", "-b", help="The batch to revert.")],
    repo: RepoOption = Path("."),
    base: Annotated[Optional[str], typer.Option(
        "--base", help="The branch the batch was merged into (default: configured base).")]
    = None,
    dry_run: Annotated[bool, typer.Option(
        "--dry-run", help="Show what would be reverted.")] = False,
    force: Annotated[bool, typer.Option(
        "--force", help="Revert even though a later batch that builds on it is merged.")]
    = False,
) -> None:
    """Revert a merged batch with git revert, on redis-migration/revert-<batch>.

    Examples:

        migrate rollback --batch read-caches --dry-run
        migrate rollback --batch read-caches
    """
    from redis_migrate.batch_catalog import find_batch
    from redis_migrate.gitrepo import require_work_tree
    from redis_migrate.workflow.rollback import plan_rollback, run_rollback

    root = _repo(repo)
    require_work_tree(root, "rollback reverts the batch's merged commits with git revert")
    batches, config = _load(root)
    plan = plan_rollback(root, config, batches, find_batch(batches, batch), base, force)
    verb = "would revert" if dry_run else "reverting"
    print(f"{verb} batch {plan.batch.name} on {plan.base}:")
    for sha, mainline, subject in plan.reverts:
        how = " (merge commit, against its mainline parent)" if mainline else ""
        print(f"  {sha[:12]} {subject}{how}")
    if dry_run:
        print(f"branch: {plan.branch} (not created)")
        raise typer.Exit(EXIT_OK)
    done = run_rollback(root, plan)
    print(f"created {done.branch} at {done.commit[:12] if done.commit else '?'}: review and "
          f"merge it to roll the batch back")
    raise typer.Exit(EXIT_OK)


@app.command()
@_errors_as_one_line
def init(
    repo: RepoOption = Path("."),
    lifecycle_module: Annotated[Optional[str], typer.Option(
        "--lifecycle-module", help="Path of the lifecycle module (default: detected, else "
                                   "backend/services/redis_client.py).")] = None,
    lifecycle_import: Annotated[Optional[str], typer.Option(
        "--lifecycle-import", help="Its import name (default: derived from the path).")]
    = None,
    config_file: Annotated[Optional[str], typer.Option(
        "--config", help="pyproject.toml or migrate.toml (default: pyproject.toml if "
                         "present).")] = None,
) -> None:
    r"""Write \[tool.migrate] and create the lifecycle module from the template, or validate it.

    Examples:

        migrate init
        migrate init --config migrate.toml --lifecycle-module app/redis_client.py
    """
    from redis_migrate.rewrite.initialize import run_init

    root = _repo(repo)
    _load(root)  # a bad batch file or config stops here, naming the key
    result = run_init(root, lifecycle_module, lifecycle_import, config_file)
    if result.config_written:
        print(f"wrote [tool.migrate] to {result.config_file}")
    else:
        print(f"{result.config_file} already has [tool.migrate]; left as it is")
    if result.detected_from:
        print(f"found the lifecycle module at {result.detected_from}")
    if result.lifecycle_created:
        print(f"created {result.lifecycle_module} from the template "
              f"(import it as {result.lifecycle_import})")
        for line in result.derived:
            print(f"  {line}")
        for line in result.wiring:
            print(line)
        if result.named_clients:
            from redis_migrate.redact import mask_secrets

            print(f"named clients for the other URLs, written to [tool.migrate.clients] in "
                  f"{result.config_file} (the batch that wires init_redis() creates them; "
                  f"their sites move onto get_redis(\"<name>\")):")
            for line in result.named_clients:
                print(f"  {mask_secrets(line)}")
    elif not result.problems:
        print(f"{result.lifecycle_module}: has init_redis, get_redis, close_redis and "
              f"explicit timeouts")
    if result.read:
        print(f"read from {result.lifecycle_module}:")
        for line in result.read:
            print(f"  {line}")
    for problem in result.problems:
        print(f"{problem.file}:{problem.line}:1: {problem.message}")
    if result.unreadable:
        for line in result.unreadable:
            print(line, file=sys.stderr)
        raise typer.Exit(EXIT_USAGE)
    if result.proposed_clients:
        print("\nsites use other Redis URLs; to move them too, add named clients to "
              "[tool.migrate] (and create them in init_redis(clients=...)):\n")
        print(result.proposed_clients.rstrip())
    raise typer.Exit(EXIT_FINDINGS if result.problems else EXIT_OK)


def _width() -> int | None:
    """The width tables are laid out for: COLUMNS if it is set, else the terminal's; None (no
    limit) when standard output is piped and COLUMNS is not set, so scripts get whole lines."""
    try:
        columns = int(os.environ.get("COLUMNS", ""))
    except ValueError:
        columns = 0
    if columns > 0:
        return columns
    if not sys.stdout.isatty():
        return None
    try:
        return os.get_terminal_size(sys.stdout.fileno()).columns or 80
    except (OSError, ValueError):  # a terminal that cannot say its size
        return 80


def _color(stream: Any) -> bool:
    """Whether to colour what goes to `stream`. NO_COLOR set and not empty: never (it wins);
    else FORCE_COLOR set and not empty: always; else only on a terminal that is not dumb
    (no-color.org, force-color.org)."""
    if os.environ.get("NO_COLOR"):
        return False
    if os.environ.get("FORCE_COLOR"):
        return True
    from redis_migrate.progress import shows_progress  # the same test: a terminal, not dumb

    return shows_progress(stream)


def main() -> None:
    """Entry point of the `migrate` executable (through `launch`). A command that wrote
    nothing ends at once, as mypy's does: freeing every object of the analysis one by one, and
    every module, is all an ordinary exit would add (13 ms with nothing analysed)."""
    _state["read_only"] = False  # until a command says so
    try:
        app()
    except SystemExit as done:
        if not _state["read_only"]:
            raise
        _exit_at_once(done.code)


def _exit_at_once(code: object) -> NoReturn:
    """Exit with what `SystemExit(code)` would give, without the interpreter's teardown: the
    exit functions run (a search nothing took is stopped) and the output is flushed first."""
    import atexit

    if code is None or isinstance(code, int):
        status = code or 0
    else:  # as Python does: the message on stderr, status 1
        print(code, file=sys.stderr)
        status = 1
    atexit._run_exitfuncs()
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):  # a reader that left (`| head`), a closed stream
            pass
    os._exit(status)


if __name__ == "__main__":  # pragma: no cover
    main()

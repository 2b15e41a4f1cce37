#!/usr/bin/env python3
"""Benchmark `migrate inventory` against its floor (git grep) and a naive LibCST full parse.

    python bench/run.py [--files 10000] [--lines 1000000] [--redis-ratio 0.01] [--seed 1]
                        [--corpus DIR] [--repeat 3] [--no-inventory] [--no-full-parse]

1. generates the synthetic corpus (bench/make_corpus.py) into bench/.corpus/<params>, unless a
   corpus with a matching params stamp is already there (a reused tree is reset to its commit);
2. times, on that tree, best of --repeat (wall clock, time.perf_counter):
     floor      git grep -l -I -e redis -- '*.py'
     inventory  migrate inventory -C TREE --format json      (site count sanity-checked)
   and once: naive full parse = libcst.parse_module on every .py file in a ProcessPoolExecutor
   with os.cpu_count() workers;
3. prints the times, the ratios and the targets (inventory <= 3x git grep, >= 20x faster than
   the full parse) as MET / MISSED.

Exit status: 0 = report printed (whatever MET / MISSED says); 1 = error (a command failed, the
inventory output is not JSON, it reports no sites or fewer than the generator planted, or misses
planted files); 2 = the `migrate` executable was not found.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shlex
import shutil
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH_DIR))
import make_corpus  # noqa: E402
from inventory_check import check_inventory, count_sites  # noqa: E402
from measure import BenchError, git_out, loud, say  # noqa: E402

TARGET_VS_GREP = 3.0       # inventory must take <= 3x git grep
TARGET_VS_FULL = 20.0      # inventory must be >= 20x faster than the naive full parse
GREP_CMD = ["git", "grep", "-l", "-I", "-e", "redis", "--", "*.py"]


def make_pristine(tree: Path) -> list[str]:
    """Reset the corpus repo to its commit; return what was dirty (tracked, untracked, ignored)."""
    dirty = git_out(tree, "status", "--porcelain", "--ignored", "--untracked-files=all").splitlines()
    if dirty:
        git_out(tree, "reset", "-q", "--hard")
        git_out(tree, "clean", "-q", "-f", "-d", "-x")
    return dirty


def ensure_corpus(a: argparse.Namespace) -> tuple[Path, dict, str]:
    params = {"files": a.files, "lines": a.lines, "redis_ratio": a.redis_ratio, "seed": a.seed}
    if a.corpus is not None:
        tree = a.corpus.resolve()
    else:
        tree = BENCH_DIR / ".corpus" / f"files{a.files}-lines{a.lines}-ratio{a.redis_ratio:g}-seed{a.seed}"
    stamp = tree / make_corpus.MANIFEST_NAME
    if stamp.is_file():
        try:
            manifest = json.loads(stamp.read_text())
        except ValueError:
            manifest = {}
        if (manifest.get("params") == params
                and manifest.get("generator_version") == make_corpus.GENERATOR_VERSION
                and (tree / ".git").is_dir()):
            dirty = make_pristine(tree)
            note = "reused" + (f", reset {len(dirty)} changed/untracked paths" if dirty else "")
            return tree, manifest, note
        say(f"corpus stamp at {stamp} does not match {params} (or generator changed): regenerating")
        shutil.rmtree(tree)
    elif tree.exists() and any(tree.iterdir()):
        raise BenchError(f"{tree} exists, is not empty and has no {make_corpus.MANIFEST_NAME}; "
                         "refusing to overwrite it")
    say(f"generating corpus {params} ...")
    t0 = time.perf_counter()
    manifest = make_corpus.generate(tree, a.files, a.lines, a.redis_ratio, a.seed, force=True)
    return tree, manifest, f"generated in {time.perf_counter() - t0:.1f} s"


# --------------------------------------------------------------------------------------------
# measurements
# --------------------------------------------------------------------------------------------
def time_git_grep(tree: Path, repeat: int) -> tuple[float, int]:
    def once() -> tuple[float, int]:
        t0 = time.perf_counter()
        res = subprocess.run(GREP_CMD, cwd=tree, capture_output=True, text=True)
        dt = time.perf_counter() - t0
        if res.returncode not in (0, 1):  # 1 = no match
            raise BenchError(f"git grep failed ({res.returncode}): {res.stderr.strip()}")
        return dt, len(res.stdout.splitlines())
    once()  # warm the page cache so neither contender pays for cold reads
    runs = [once() for _ in range(repeat)]
    return min(r[0] for r in runs), runs[0][1]


def find_migrate() -> str | None:
    # next to the interpreter *as invoked* (a venv's bin/), not its resolved target
    for name in ("migrate", "migrate.exe"):
        cand = Path(sys.executable).parent / name
        if cand.is_file() and os.access(cand, os.X_OK):
            return str(cand)
    return shutil.which("migrate")


def compile_tool() -> str:
    """Byte-compile the tool's own modules, as installing its wheel does (pip compiles every
    module it installs). An editable install does not, and under PYTHONDONTWRITEBYTECODE (set
    on this machine) nothing ever writes them: each run would compile ~100 modules again, about
    0.3 s that no installed copy pays. Stale files are harmless: Python checks each against
    its source and compiles in memory a module that changed."""
    import compileall
    import importlib.util

    folders = []
    for name in ("redis_migrate", "redis_migrate.codemods", "redis_migrate.batches"):
        spec = importlib.util.find_spec(name)
        folders += list(spec.submodule_search_locations or []) if spec else []
    done = all(compileall.compile_dir(f, quiet=1, workers=1) for f in folders)
    return f"{'compiled' if done else 'NOT all compiled'} for the tool's {len(folders)} source folders"


def time_inventory(exe: str, tree: Path, repeat: int) -> tuple[float, object, list[str]]:
    cmd = [exe, "inventory", "-C", str(tree), "--format", "json"]
    best = float("inf")
    data: object = None
    notes: list[str] = []
    for i in range(repeat):
        left = make_pristine(tree)  # every run starts from the committed tree: no tool caches
        if left and i > 0 and not notes:
            notes.append(f"inventory left {len(left)} path(s) in the tree (e.g. {left[0]!r}); "
                         "removed before each run")
        t0 = time.perf_counter()
        res = subprocess.run(cmd, capture_output=True, text=True)
        dt = time.perf_counter() - t0
        if res.returncode != 0:
            raise BenchError(f"`{' '.join(cmd)}` exited {res.returncode}:\n{tail(res.stderr or res.stdout)}")
        try:
            run_data = json.loads(res.stdout)
        except ValueError as e:
            raise BenchError(f"`{' '.join(cmd)}` did not print JSON ({e}); stdout starts with:\n"
                             f"{res.stdout[:400]!r}\nstderr:\n{tail(res.stderr)}") from None
        if data is not None and count_sites(run_data)[0] != count_sites(data)[0]:
            notes.append("site count differs between repeated runs")
        data = run_data
        best = min(best, dt)
    make_pristine(tree)
    return best, data, notes


def time_cmd(cmd: list[str]) -> float:
    t0 = time.perf_counter()
    res = subprocess.run(cmd, capture_output=True)
    if res.returncode != 0:
        raise BenchError(f"{shlex.join(cmd)} failed ({res.returncode})")
    return time.perf_counter() - t0


def tail(text: str, n: int = 15) -> str:
    return "\n".join(text.strip().splitlines()[-n:])


def _parse_file(path: str) -> str | None:
    import libcst
    try:
        libcst.parse_module(Path(path).read_bytes())
    except Exception as e:  # noqa: BLE001
        return f"{path}: {type(e).__name__}: {str(e)[:200]}"
    return None


def time_full_parse(tree: Path) -> tuple[float, int, int, list[str]]:
    try:
        import libcst  # noqa: F401
    except ImportError as e:
        raise BenchError(f"libcst is not importable in {sys.executable}: {e}") from None
    workers = os.cpu_count() or 1
    t0 = time.perf_counter()
    paths = []
    for root, dirs, files in os.walk(tree):
        dirs[:] = [d for d in dirs if d != ".git"]
        paths += [os.path.join(root, f) for f in files if f.endswith(".py")]
    with ProcessPoolExecutor(max_workers=workers) as ex:
        errors = [e for e in ex.map(_parse_file, paths, chunksize=max(1, len(paths) // (workers * 32)))
                  if e is not None]
    return time.perf_counter() - t0, len(paths), workers, errors


# --------------------------------------------------------------------------------------------
def fmt_s(t: float | None) -> str:
    if t is None:
        return "-"
    return f"{t * 1000:.1f} ms" if t < 1 else f"{t:.2f} s"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--files", type=int, default=10_000)
    ap.add_argument("--lines", type=int, default=1_000_000)
    ap.add_argument("--redis-ratio", type=float, default=0.01)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--corpus", type=Path, default=None,
                    help="corpus directory (default: bench/.corpus/<params>)")
    ap.add_argument("--repeat", type=int, default=3, help="best of N for git grep and inventory")
    ap.add_argument("--no-inventory", action="store_true", help="skip `migrate inventory` (test the bench itself)")
    ap.add_argument("--no-full-parse", action="store_true", help="skip the naive LibCST full parse")
    ap.add_argument("--scaling", type=_sizes, default=[1_000, 5_000, 10_000, 50_000],
                    metavar="N,N,...", help="file counts of the size-scaling table "
                    "(default 1000,5000,10000,50000; 100 lines per file)")
    ap.add_argument("--library", type=_sizes, default=[250, 500, 1_000, 2_000],
                    metavar="N,N,...", help="class counts of the class-heavy library case")
    ap.add_argument("--importer-names", type=_sizes, default=[100, 1_000],
                    metavar="N,N,...", help="module-name counts of the importer-search case")
    ap.add_argument("--real-tree", type=Path, action="append", default=None, metavar="DIR",
                    help="a real tree to copy and measure (repeatable; default: the "
                    "interpreter's site-packages and the venv's)")
    ap.add_argument("--real-repeat", type=int, default=2, help="best of N on the real trees")
    ap.add_argument("--sample-mb", type=float, default=6.0,
                    help="MB of a real tree parsed with LibCST to estimate the full parse")
    ap.add_argument("--no-scaling", action="store_true", help="skip the size-scaling table")
    ap.add_argument("--no-quadratic", action="store_true", help="skip the quadratic-path cases")
    ap.add_argument("--no-real", action="store_true", help="skip the real trees")
    ap.add_argument("--no-apply", action="store_true", help="skip `apply --dry-run`")
    ap.add_argument("--keep-real", action="store_true", help="keep the copies of the real trees")
    a = ap.parse_args(argv)
    if a.repeat < 1:
        ap.error("--repeat must be >= 1")
    problem = make_corpus.check_params(a.files, a.lines, a.redis_ratio)
    if problem:
        ap.error(problem)

    exe = None
    if not a.no_inventory:
        exe = find_migrate()
        if exe is None:
            say(f"bench: the `migrate` executable was not found next to {sys.executable} nor on PATH "
                "(pip install -e . first)")
            return 2
        say(f"bytecode  : {compile_tool()}")

    errors: list[str] = []
    try:
        tree, manifest, corpus_note = ensure_corpus(a)
    except (BenchError, SystemExit) as e:
        say(f"bench: ERROR: {e}")
        return 1

    git_version = subprocess.run(["git", "--version"], capture_output=True, text=True).stdout.strip()
    say("")
    say("redis-migrate inventory benchmark")
    say(f"machine : {os.cpu_count()} cores, {platform.python_implementation()} {platform.python_version()}, "
        f"{platform.system()} {platform.machine()}, {git_version}")
    say(f"corpus  : {tree}")
    say(f"          {manifest['files']} .py files, {manifest['lines']} lines, {len(manifest['redis_files'])} redis "
        f"files, {len(manifest['importer_files'])} importer files, {len(manifest['lookalike_files'])} look-alikes "
        f"(seed {a.seed}; {corpus_note})")
    say("")

    t_grep = t_inv = t_full = None
    data = None
    try:
        t_grep, n_grep = time_git_grep(tree, a.repeat)
        say(f"floor     : {shlex.join(GREP_CMD)}  -> {n_grep} files, best of {a.repeat}: {fmt_s(t_grep)}")
    except BenchError as e:
        errors.append(str(e))

    if exe is not None:
        try:
            say(f"inventory : {exe} inventory -C {tree} --format json")
            t_inv, data, notes = time_inventory(exe, tree, a.repeat)
            say(f"            best of {a.repeat}: {fmt_s(t_inv)}")
            for note in notes:
                say(f"  NOTE: {note}")
            n_sites, problems = check_inventory(data, manifest, tree)
            for prob in problems:
                loud(prob)
            errors += problems
        except BenchError as e:
            loud(f"inventory failed: {e}")
            errors.append("inventory failed")

    try:
        t_py = min(time_cmd([sys.executable, "-c", "pass"]) for _ in range(a.repeat))
        say(f"reference : python interpreter start-up ({sys.executable} -c pass): {fmt_s(t_py)}")
    except BenchError as e:
        errors.append(str(e))

    if not a.no_full_parse:
        try:
            say("full parse: libcst.parse_module on every .py file, ProcessPoolExecutor "
                f"({os.cpu_count()} workers), 1 run ...")
            t_full, n_files, workers, perr = time_full_parse(tree)
            say(f"            {n_files} files: {fmt_s(t_full)}" + (f", {len(perr)} PARSE ERRORS" if perr else ""))
            if perr:
                errors.append(f"{len(perr)} files failed to parse, e.g. {perr[0]}")
        except BenchError as e:
            errors.append(str(e))

    say("")
    say(f"{'measurement':<44}{'time':>12}")
    say(f"{'git grep -l redis (floor)':<44}{fmt_s(t_grep):>12}   best of {a.repeat}")
    say(f"{'migrate inventory':<44}{fmt_s(t_inv) if exe else 'skipped':>12}   best of {a.repeat}")
    say(f"{'naive LibCST full parse':<44}{fmt_s(t_full) if not a.no_full_parse else 'skipped':>12}   1 run")
    say("")
    say(f"{'ratio':<44}{'value':>12}   {'target':<10}status")
    r1 = t_inv / t_grep if t_inv and t_grep else None
    r2 = t_full / t_inv if t_inv and t_full else None
    s1 = "-" if r1 is None else ("MET" if r1 <= TARGET_VS_GREP else "MISSED")
    s2 = "-" if r2 is None else ("MET" if r2 >= TARGET_VS_FULL else "MISSED")
    say(f"{'inventory / git grep':<44}{'-' if r1 is None else f'{r1:.2f}x':>12}   {'<= 3x':<10}{s1}")
    say(f"{'full parse / inventory':<44}{'-' if r2 is None else f'{r2:.1f}x':>12}   {'>= 20x':<10}{s2}")
    if t_grep and t_full:
        say(f"{'(full parse / git grep)':<44}{t_full / t_grep:>11.0f}x")
    if exe is not None:
        errors += issue_10_sections(a, exe, tree, t_inv, data)
    if errors:
        say("")
        for e in errors:
            say(f"bench: ERROR: {e}")
        return 1
    return 0


def _sizes(text: str) -> list[int]:
    try:
        sizes = [int(part) for part in text.split(",") if part.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a list of numbers: {text!r}") from None
    if not sizes or min(sizes) < 1:
        raise argparse.ArgumentTypeError(f"not a list of positive numbers: {text!r}")
    return sizes


def _ratio(top: float | None, bottom: float | None) -> float | None:
    return top / bottom if top is not None and bottom else None


def issue_10_sections(a: argparse.Namespace, exe: str, corpus_tree: Path, t_inv: float | None,
                      data: object) -> list[str]:
    """Issue 10's measurements (items 9 and 10), then its targets as PASS / MISS."""
    import sections
    from measure import fmt_s, verdict

    errors: list[str] = []
    targets: list[tuple[str, float | None, str, bool | None]] = []  # (what, value, target, ok)

    def target(what: str, value: float | None, text: str, limit: float, at_most: bool) -> None:
        ok = None if value is None else (value <= limit if at_most else value >= limit)
        targets.append((what, value, text, ok))

    def section(fn, *args):  # type: ignore[no-untyped-def]
        say("")
        try:
            return fn(*args)
        except (sections.SectionError, OSError, subprocess.SubprocessError) as e:
            loud(f"{fn.__name__} failed: {e}")
            errors.append(f"{fn.__name__}: {e}")
            return None

    if not a.no_apply and t_inv:
        say("")
        say("apply: `migrate init`, then `inventory` and one batch's `apply --dry-run` on the "
            "synthetic corpus (reset to its commit afterwards)")
        try:
            found = section(sections.apply_case, exe, corpus_tree, a.repeat)
        finally:
            make_pristine(corpus_tree)
        if found is not None and found[1] is not None:
            inventory, applied, note = found
            say(f"  inventory {fmt_s(inventory.seconds)}, apply --dry-run, {note}: "
                f"{fmt_s(applied.seconds)} (best of {a.repeat})")
            target("synthetic corpus: apply --dry-run / inventory",
                   _ratio(applied.seconds, inventory.seconds), "<= 1.5x", 1.5, True)

    rows = None if a.no_scaling else section(sections.scaling, exe, a.scaling, a.repeat)
    if rows:
        by_files = {row.files: row for row in rows}
        low = by_files.get(5_000) or rows[0]
        high = rows[-1]
        if high is not low:
            target(f"time per MB, {high.files} / {low.files} files (flat)",
                   _ratio(high.per_mb, low.per_mb), "<= 1.25x", 1.25, True)
            target(f"peak memory, {high.files} / {rows[0].files} files (flat)",
                   _ratio(high.run.peak_kib, rows[0].run.peak_kib), "<= 1.5x", 1.5, True)

    if not a.no_quadratic:
        lib = section(sections.library_case, exe, a.library, a.repeat)
        if lib and len(lib) > 1:
            low = lib[1] if len(lib) > 2 else lib[0]  # past the start-up-dominated smallest
            target(f"library: time per class, {lib[-1].classes} / {low.classes} classes",
                   _ratio(lib[-1].per_class_ms, low.per_class_ms), "<= 1.25x", 1.25, True)
        big = None
        if rows:
            big = sections.corpus(rows[-1].files, rows[-1].files * 100)[0]
        names = section(sections.importer_search_case, big or corpus_tree, a.importer_names)
        if names and len(names) > 1:
            target(f"importer search: {names[-1][0]} / {names[0][0]} names",
                   _ratio(names[-1][1], names[0][1]), "<= 1.5x", 1.5, True)

    if not a.no_real:
        sources = ([(str(p), p) for p in a.real_tree] if a.real_tree
                   else sections.purelib_dirs())
        scratch = Path(tempfile.mkdtemp(prefix="migrate-bench-real-"))
        measured = []
        try:
            for name, source in sources:
                real = section(sections.real_tree_case, exe, name, source, scratch,
                               a.real_repeat, a.sample_mb, not a.no_full_parse, not a.no_apply)
                if real is not None:
                    measured.append(real)
        finally:
            if a.keep_real:
                say(f"(real-tree copies kept in {scratch})")
            else:
                shutil.rmtree(scratch, ignore_errors=True)
        for real in measured:
            inv = real.inventory.seconds
            target(f"{real.name}: inventory / {real.grep_name.split(' (')[0]}",
                   _ratio(inv, real.grep), "<= 3x", 3.0, True)
            if real.full_parse is not None:
                target(f"{real.name}: full LibCST parse (est.) / inventory",
                       _ratio(real.full_parse, inv), ">= 60x", 60.0, False)
            if real.apply is not None and real.apply_inventory is not None:
                target(f"{real.name}: apply --dry-run / inventory",
                       _ratio(real.apply.seconds, real.apply_inventory.seconds), "<= 1.5x",
                       1.5, True)
        if len(measured) > 1:
            per_mb = sorted(measured, key=lambda r: r.inventory.seconds / r.size.mb)
            target(f"time per MB, {per_mb[-1].name} / {per_mb[0].name}",
                   _ratio(per_mb[-1].inventory.seconds / per_mb[-1].size.mb,
                          per_mb[0].inventory.seconds / per_mb[0].size.mb),
                   "<= 2x", 2.0, True)
            small, large = sorted(measured, key=lambda r: r.size.bytes)[::len(measured) - 1]
            target(f"peak memory, {large.name} / {small.name} ({large.size.mb / small.size.mb:.1f}x"
                   " the MB)", _ratio(large.inventory.peak_kib, small.inventory.peak_kib),
                   "<= 1.5x", 1.5, True)

    if targets:
        say("")
        say("issue 10 targets, measured in this run")
        say(f"  {'ratio':<66}{'value':>9}   {'target':<9}status")
        for what, value, text, ok in targets:
            shown = "-" if value is None else f"{value:.2f}x"
            say(f"  {what:<66}{shown:>9}   {text:<9}{verdict(ok)}")
    return errors


if __name__ == "__main__":
    sys.exit(main())

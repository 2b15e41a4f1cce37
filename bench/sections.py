"""The benchmark sections issue 10 asks for beside the synthetic corpus (items 9 and 10):

* **size scaling**: `inventory` on synthetic backends of 1k to 50k files; time per MB and per
  1k files must stay flat, and so must peak memory;
* **quadratic paths**, one case each (what made `inventory` take minutes on a site-packages
  holding redis): a class-heavy library (the link's closure), many client-holding modules
  (the importer search's `git grep -w` of their names);
* **real trees**: copies of the interpreter's site-packages (outside any git repository):
  `inventory` against the reference text search, a full LibCST parse and one batch's
  `apply --dry-run`.

Each prints its table as it goes and returns the figures `run.py` turns into PASS / MISS.
"""

from __future__ import annotations

import json
import os
import random
import shutil
import subprocess
import sys
import sysconfig
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import make_corpus
import make_library
from measure import (
    Timed,
    TreeSize,
    best_of,
    fmt_mib,
    fmt_s,
    reference_grep,
    run_timed,
    say,
    tree_size,
)

BENCH_DIR = Path(__file__).resolve().parent
CORPUS_ROOT = BENCH_DIR / ".corpus"


class SectionError(Exception):
    pass


def inventory_cmd(exe: str, tree: Path) -> list[str]:
    return [exe, "inventory", "-C", str(tree), "--format", "json"]


def timed_inventory(exe: str, tree: Path, repeat: int) -> tuple[Timed, dict]:
    """Best of `repeat` runs of `inventory --format json` on `tree`, and its parsed output."""
    best = best_of(repeat, lambda: _inventory_once(exe, tree))
    try:
        data = json.loads(best.stdout)
    except ValueError as exc:
        raise SectionError(f"inventory on {tree} printed no JSON ({exc})") from None
    return best, data


def _inventory_once(exe: str, tree: Path) -> Timed:
    result = run_timed(inventory_cmd(exe, tree))
    if result.returncode not in (0, 1):  # 1: files that could not be analysed
        raise SectionError(f"inventory on {tree} exited {result.returncode}: "
                           f"{result.stderr.decode(errors='replace').strip()[-600:]}")
    return result


# --------------------------------------------------------------------------------------------
# synthetic corpora, cached like run.py's
# --------------------------------------------------------------------------------------------
def corpus(files: int, lines: int, ratio: float = 0.01, seed: int = 1) -> tuple[Path, dict]:
    """The synthetic backend of these parameters under bench/.corpus (generated once)."""
    params = {"files": files, "lines": lines, "redis_ratio": ratio, "seed": seed}
    tree = CORPUS_ROOT / f"files{files}-lines{lines}-ratio{ratio:g}-seed{seed}"
    stamp = tree / make_corpus.MANIFEST_NAME
    if stamp.is_file() and (tree / ".git").is_dir():
        try:
            manifest = json.loads(stamp.read_text())
        except ValueError:
            manifest = {}
        if (manifest.get("params") == params
                and manifest.get("generator_version") == make_corpus.GENERATOR_VERSION):
            for args in (["reset", "-q", "--hard"], ["clean", "-q", "-f", "-d", "-x"]):
                subprocess.run(["git", *args], cwd=tree, capture_output=True, check=False)
            return tree, manifest
    say(f"  generating corpus {files} files / {lines} lines ...")
    return tree, make_corpus.generate(tree, files, lines, ratio, seed, force=True, quiet=True)


# --------------------------------------------------------------------------------------------
# size scaling
# --------------------------------------------------------------------------------------------
@dataclass
class ScalingRow:
    files: int
    size: TreeSize
    run: Timed
    sites: int

    @property
    def per_mb(self) -> float:
        return self.run.seconds / self.size.mb

    @property
    def per_kfiles(self) -> float:
        return self.run.seconds / (self.size.files / 1000)


def scaling(exe: str, sizes: list[int], repeat: int, lines_per_file: int = 100
            ) -> list[ScalingRow]:
    say("size scaling: `inventory --format json` on synthetic backends (1% redis files, "
        f"{lines_per_file} lines per file), best of {repeat}")
    rows = []
    for files in sizes:
        tree, manifest = corpus(files, files * lines_per_file)
        run, data = timed_inventory(exe, tree, repeat)
        sites = len(data.get("sites", []))
        if sites < manifest["planted_sites"]:
            raise SectionError(f"{files} files: {sites} sites < {manifest['planted_sites']} "
                               "planted")
        rows.append(ScalingRow(files, tree_size(tree), run, sites))
    say(f"  {'files':>7} {'MB':>7} {'lines':>9} {'sites':>6} {'time':>9} {'s/MB':>8} "
        f"{'s/1k files':>10} {'peak RSS':>9}")
    for row in rows:
        say(f"  {row.files:>7} {row.size.mb:>7.1f} {row.size.lines:>9} {row.sites:>6} "
            f"{fmt_s(row.run.seconds):>9} {row.per_mb:>8.4f} {row.per_kfiles:>10.3f} "
            f"{fmt_mib(row.run.peak_kib):>9}")
    return rows


# --------------------------------------------------------------------------------------------
# quadratic paths
# --------------------------------------------------------------------------------------------
@dataclass
class LibraryRow:
    classes: int
    run: Timed

    @property
    def per_class_ms(self) -> float:
        return self.run.seconds / self.classes * 1000


def library_case(exe: str, sizes: list[int], repeat: int) -> list[LibraryRow]:
    """Quadratic path 1: the link's closure on library-shaped code (bench/make_library.py)."""
    say("quadratic path 1 - the link's closure on a class-heavy library (bench/make_library.py:"
        " node classes on a shared base and abc.ABC, keeping instances of each other, every "
        f"module importing redis), best of {repeat}")
    rows = []
    with tempfile.TemporaryDirectory(prefix="migrate-bench-library-") as scratch:
        for classes in sizes:
            tree = Path(scratch) / f"lib{classes}"
            make_library.generate(tree, classes)
            run, _ = timed_inventory(exe, tree, repeat)
            rows.append(LibraryRow(classes, run))
    say(f"  {'classes':>8} {'time':>9} {'ms/class':>9} {'peak RSS':>9}")
    for row in rows:
        say(f"  {row.classes:>8} {fmt_s(row.run.seconds):>9} {row.per_class_ms:>9.2f} "
            f"{fmt_mib(row.run.peak_kib):>9}")
    return rows


def importer_search_case(tree: Path, counts: list[int]) -> list[tuple[int, float]]:
    """Quadratic path 2: the importer search greps the tree for the names of the modules that
    hold clients, as words; their number grows with the tree. Timed in-process."""
    from redis_migrate.config import Config
    from redis_migrate.scan.discovery import discover

    fileset = discover(tree, Config())
    names = sorted({path.rsplit("/", 1)[-1].removesuffix(".py") for path in fileset.files})
    rng = random.Random(7)
    say(f"quadratic path 2 - the importer search: one word search for N module names over "
        f"{len(fileset.files)} files ({'git grep' if fileset.in_git else 'Python'})")
    rows = []
    for count in counts:
        words = sorted(rng.sample(names, min(count, len(names))))
        start = time.perf_counter()
        found = fileset.grep(words, words=True)
        rows.append((count, time.perf_counter() - start))
        say(f"  {count:>6} names: {fmt_s(rows[-1][1]):>9}  ({len(found)} files)")
    return rows


# --------------------------------------------------------------------------------------------
# real trees
# --------------------------------------------------------------------------------------------
def purelib_dirs() -> list[tuple[str, Path]]:
    """The interpreter's site-packages (the base interpreter's, and the venv's if distinct)."""
    base = Path(sysconfig.get_paths(vars={"base": sys.base_prefix,
                                          "platbase": sys.base_exec_prefix})["purelib"])
    venv = Path(sysconfig.get_paths()["purelib"])
    found = []
    if base.is_dir():
        found.append(("interpreter site-packages", base))
    if venv.is_dir() and venv.resolve() != base.resolve():
        found.append(("venv site-packages", venv))
    return found


def copy_py_tree(source: Path, target: Path) -> None:
    """The .py files (and .gitignore files) of `source`, at the same paths under `target`;
    links are not followed. `target`'s name must not be an excluded folder name."""
    for root, dirs, names in os.walk(source):
        dirs[:] = [d for d in dirs if d != "__pycache__"]
        rel = os.path.relpath(root, source)
        for name in names:
            if name.endswith(".py") or name == ".gitignore":
                src = os.path.join(root, name)
                if os.path.islink(src) or not os.path.isfile(src):
                    continue
                dst = target / rel / name
                dst.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(src, dst)


def _parse_file(path: str) -> int:
    import libcst

    try:
        libcst.parse_module(Path(path).read_bytes())
    except Exception:  # noqa: BLE001 - a file LibCST cannot read still cost its time
        return 0
    return 1


def full_parse_estimate(tree: Path, sample_mb: float) -> tuple[float, int, float, float]:
    """Time a full `libcst.parse_module` of the tree, estimated from a sample: every k-th file
    (sorted by path) up to `sample_mb`, parsed in a process pool of cpu_count workers, scaled
    by bytes. Returns (estimated seconds, sample files, sample MB, tree MB)."""
    paths = sorted(str(p) for p in tree.rglob("*.py"))
    sizes = {p: os.path.getsize(p) for p in paths}
    total = sum(sizes.values())
    step = max(1, round(total / (sample_mb * 1e6)))
    sample = paths[::step]
    sample_bytes = sum(sizes[p] for p in sample)
    workers = os.cpu_count() or 1
    start = time.perf_counter()
    with ProcessPoolExecutor(max_workers=workers) as pool:
        list(pool.map(_parse_file, sample, chunksize=max(1, len(sample) // (workers * 16))))
    seconds = time.perf_counter() - start
    return seconds * total / max(1, sample_bytes), len(sample), sample_bytes / 1e6, total / 1e6


@dataclass
class RealTree:
    name: str
    source: Path
    size: TreeSize
    inventory: Timed
    sites: int
    grep_name: str = ""
    grep: float | None = None
    full_parse: float | None = None
    full_parse_note: str = ""
    apply: Timed | None = None
    apply_inventory: Timed | None = None  # inventory after `init`, beside the apply
    apply_note: str = ""
    notes: list[str] = field(default_factory=list)


def pending_batch(data: dict) -> tuple[str | None, int]:
    """The batch with the most pending sites in an inventory's JSON."""
    counts: dict[str, int] = {}
    for site in data.get("sites", []):
        if site.get("status") == "pending" and site.get("batch"):
            counts[site["batch"]] = counts.get(site["batch"], 0) + 1
    if not counts:
        return None, 0
    batch = max(sorted(counts), key=lambda b: counts[b])
    return batch, counts[batch]


def apply_case(exe: str, tree: Path, repeat: int) -> tuple[Timed, Timed | None, str]:
    """`migrate init` (a batch needs the lifecycle module; writes into `tree`), then
    `inventory` and one batch's `apply --dry-run`, each best of `repeat`, taken in turn: both
    see the machine as it is at the time (an inventory timed a minute before the dry runs was
    once 40% slower than the one timed beside them)."""
    init = run_timed([exe, "init", "-C", str(tree)])
    if init.returncode not in (0, 1):
        raise SectionError(f"init on {tree} exited {init.returncode}: "
                           f"{init.stderr.decode(errors='replace').strip()[-600:]}")
    inventory, data = timed_inventory(exe, tree, 1)
    batch, count = pending_batch(data)
    if batch is None:
        return inventory, None, "no pending site: no batch to apply"
    cmd = [exe, "apply", "-C", str(tree), "--batch", batch, "--dry-run", "--force-order"]
    inventories, applied = [inventory], []
    for _ in range(max(1, repeat)):
        result = run_timed(cmd)
        if result.returncode not in (0, 1):
            raise SectionError(f"`{' '.join(cmd)}` exited {result.returncode}: "
                               f"{result.stderr.decode(errors='replace').strip()[-600:]}")
        applied.append(result)
        inventories.append(_inventory_once(exe, tree))
    return (min(inventories, key=lambda r: r.seconds), min(applied, key=lambda r: r.seconds),
            f"batch {batch} ({count} pending sites)")


def real_tree_case(exe: str, name: str, source: Path, scratch: Path, repeat: int,
                   sample_mb: float, with_parse: bool, with_apply: bool) -> RealTree:
    label = "".join(c if c.isalnum() else "-" for c in name).strip("-") or "tree"
    tree = scratch / label.replace("site-packages", "purelib")
    say(f"{name}: copying the .py files of {source} to {tree} (outside any git repository) ...")
    copy_py_tree(source, tree)
    size = tree_size(tree)
    say(f"  {size.files} files, {size.mb:.0f} MB, {size.lines} lines")
    inventory, data = timed_inventory(exe, tree, repeat)
    result = RealTree(name, source, size, inventory, len(data.get("sites", [])))
    summary = data.get("summary", {})
    say(f"  inventory: {fmt_s(inventory.seconds)} (best of {repeat}), "
        f"peak {fmt_mib(inventory.peak_kib)}"
        f", {result.sites} sites, {summary.get('files_parsed', '?')} of "
        f"{summary.get('files_total', '?')} files parsed")
    result.grep_name, grep_cmd = reference_grep(tree)
    run_timed(grep_cmd)  # warm the page cache for both
    result.grep = best_of(repeat, lambda: run_timed(grep_cmd)).seconds
    say(f"  reference: {result.grep_name}: {fmt_s(result.grep)} (best of {repeat})")
    if with_parse:
        estimate, files, mb, total = full_parse_estimate(tree, sample_mb)
        result.full_parse = estimate
        result.full_parse_note = (f"estimated from {files} files ({mb:.1f} of {total:.0f} MB, "
                                  f"every k-th by path), scaled by bytes")
        say(f"  full LibCST parse: {fmt_s(estimate)} ({result.full_parse_note})")
    if with_apply:  # last: `init` writes the lifecycle module into the copy
        result.apply_inventory, result.apply, result.apply_note = apply_case(exe, tree, repeat)
        if result.apply is not None:
            say(f"  after `migrate init`: inventory {fmt_s(result.apply_inventory.seconds)}, "
                f"apply --dry-run, {result.apply_note}: {fmt_s(result.apply.seconds)}")
        else:
            say(f"  apply --dry-run: {result.apply_note}")
    return result

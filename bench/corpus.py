"""Run `migrate` on a corpus of real public applications and report what it did.

The corpus is listed in ``bench/corpus.toml``: one ``[[app]]`` per application, pinned by
commit. The code comes from the bare git mirrors under ``/work/.mirror/`` (one per
``owner/name``, fetched beforehand).

    python bench/corpus.py unpack [--only NAME]
    python bench/corpus.py run [--only NAME] [--tests] [--keep] [--json FILE]

``unpack`` extracts each pinned commit into ``.corpus/<name>`` as a fresh git repository with
one commit. ``run`` copies each unpacked app to a scratch folder, records the inventory, runs
``migrate init`` and every batch in order with ``--no-git`` (one commit after each), checks the
result (files compile, a second pass changes nothing, no crash), optionally runs the app's own
test suite against a throwaway local redis-server before and after, and prints a Markdown
table. The raw data, with every site left manual, goes to a JSON file.
"""

from __future__ import annotations

import argparse
import fcntl
import hashlib
import json
import os
import shlex
import shutil
import subprocess
import sys
import time
import tomllib
from dataclasses import dataclass
from pathlib import Path

# siblings: bench/ is on the path
from corpus_report import AppResult, table, write_json
from corpus_sites import (
    lifecycle_path,
    parse_apply,
    site_outcomes,
    source_lines,
    unreported_candidates,
)
from corpus_suites import RedisServer, parse_junit

REPO_ROOT = Path(__file__).resolve().parent.parent
CORPUS_TOML = REPO_ROOT / "bench" / "corpus.toml"
CORPUS_DIR = REPO_ROOT / ".corpus"
MIRRORS = Path("/work/.mirror")
SCRATCH = Path("/work/corpus-scratch")
MIGRATE = REPO_ROOT / ".venv" / "bin" / "migrate"
BATCHES = ["health", "read-caches", "write-caches", "pipelines",
           "pubsub-streams-queues", "locks-rate-limits"]
CRASH_MARKERS = ("Traceback (most recent call last)", "internal error", "Internal error")
GIT_ENV = {"GIT_AUTHOR_NAME": "corpus", "GIT_AUTHOR_EMAIL": "corpus@example.invalid",
           "GIT_COMMITTER_NAME": "corpus", "GIT_COMMITTER_EMAIL": "corpus@example.invalid",
           "GIT_AUTHOR_DATE": "2000-01-01T00:00:00Z", "GIT_COMMITTER_DATE": "2000-01-01T00:00:00Z"}


# --------------------------------------------------------------------------- small helpers

@dataclass
class Proc:
    """The outcome of one subprocess."""

    argv: list[str]
    rc: int
    out: str
    seconds: float

    @property
    def crashed(self) -> bool:
        return any(marker in self.out for marker in CRASH_MARKERS) or self.rc < 0 or self.rc > 2


def run(argv: list[str], cwd: Path | None = None, env: dict[str, str] | None = None,
        timeout: float = 900) -> Proc:
    """Run a command, stdout and stderr merged; a timeout counts as rc 124."""
    full_env = {**os.environ, **GIT_ENV, "NO_COLOR": "1", "TERM": "dumb", "COLUMNS": "200",
                **(env or {})}
    start = time.perf_counter()
    try:
        done = subprocess.run(argv, cwd=cwd, env=full_env, stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, text=True, timeout=timeout)
        return Proc(argv, done.returncode, done.stdout, time.perf_counter() - start)
    except subprocess.TimeoutExpired as exc:
        out = (exc.stdout.decode(errors="replace") if isinstance(exc.stdout, bytes)
               else (exc.stdout or ""))
        return Proc(argv, 124, out + "\n[timeout]", time.perf_counter() - start)


def git(repo: Path, *args: str) -> Proc:
    return run(["git", "-C", str(repo), *args])


def commit_all(repo: Path, message: str) -> None:
    """Stage everything and commit (an empty commit when nothing changed)."""
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "--allow-empty", "--no-verify", "-m", message)


def load_apps(only: str | None) -> list[dict]:
    """The ``[[app]]`` tables of corpus.toml, optionally just one of them."""
    apps = tomllib.loads(CORPUS_TOML.read_text())["app"]
    if only:
        apps = [a for a in apps if a["name"] == only]
        if not apps:
            sys.exit(f"no app named {only!r} in {CORPUS_TOML}")
    return apps


# --------------------------------------------------------------------------- unpack

def find_mirror(repo: str) -> Path | None:
    """The git directory of the mirror of ``owner/name`` under /work/.mirror, if any."""
    owner, name = repo.split("/")
    for top in sorted(MIRRORS.glob(f"{owner}+{name}*")):
        for candidate in (top / "repo" / ".git", top / "repo", top):
            if candidate.is_dir() and git(candidate, "rev-parse", "--git-dir").rc == 0:
                return candidate
    return None


def unpack_app(app: dict) -> bool:
    """Extract the pinned commit into .corpus/<name> as a one-commit git repository."""
    mirror = find_mirror(app["repo"])
    if mirror is None:
        print(f"{app['name']}: no mirror of {app['repo']} under {MIRRORS}; "
              f"fetch it first (fetch github:{app['repo']})")
        return False
    dest = CORPUS_DIR / app["name"]
    shutil.rmtree(dest, ignore_errors=True)
    dest.mkdir(parents=True)
    archive = subprocess.run(["git", "-C", str(mirror), "archive", app["commit"]],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    if archive.returncode != 0:
        print(f"{app['name']}: git archive {app['commit'][:12]} failed: "
              f"{archive.stderr.decode().strip()}")
        return False
    subprocess.run(["tar", "-x", "-C", str(dest)], input=archive.stdout, check=True)
    git(dest, "init", "-q", "-b", "main")
    commit_all(dest, f"{app['repo']}@{app['commit']}")
    print(f"{app['name']}: {app['repo']}@{app['commit'][:12]} -> {dest.relative_to(REPO_ROOT)}")
    return True


# --------------------------------------------------------------------------- migrate steps

def migrate(root: Path, *args: str) -> Proc:
    return run([str(MIGRATE), *args, "-C", str(root)], timeout=600)


def inventory(root: Path) -> tuple[dict | None, Proc]:
    """``migrate inventory --format json``, parsed (None when it is not JSON)."""
    proc = migrate(root, "inventory", "--format", "json")
    try:
        # stderr is merged in: a warning ("skipped x.py: does not parse") may follow the JSON
        report, _ = json.JSONDecoder().raw_decode(proc.out[proc.out.index("{"):])
        return report, proc
    except ValueError:
        return None, proc


def changed_files(repo: Path, base: str) -> list[str]:
    return [f for f in git(repo, "diff", "--name-only", base, "HEAD").out.split() if f]


def _compiles(path: Path) -> bool:
    # the bytecode goes outside the repository, so it cannot show up as a change
    return run([sys.executable, "-m", "compileall", "-q", str(path)],
               env={"PYTHONPYCACHEPREFIX": str(SCRATCH / "pycache")}).rc == 0


def compiles(repo: Path, files: list[str], base: str) -> tuple[list[str], list[str]]:
    """The changed .py files that fail ``python -m compileall -q``: those that compiled at
    `base` (the tool broke them), and those that did not compile there either (newer syntax
    than this Python reads, as the app wrote it)."""
    broken, before = [], []
    for name in files:
        path = repo / name
        if name.endswith(".py") and path.exists() and not _compiles(path):
            shown = git(repo, "show", f"{base}:{name}")  # rc != 0: a file the change added
            original = SCRATCH / "base-version.py"
            if shown.rc == 0:
                original.write_text(shown.out)
            (broken if shown.rc != 0 or _compiles(original) else before).append(name)
    return broken, before


# --------------------------------------------------------------------------- tests

def app_venv(app: dict, root: Path) -> Path:
    """A cached venv for the app, with its ``requirements`` installed.

    Each requirement string is split like a shell word list and pip runs from the app's
    root, so ``"-r requirements-dev.txt"`` and ``"-e ."`` work. The venv is reused while the
    requirement list is unchanged.
    """
    venv = SCRATCH / "venvs" / app["name"]
    reqs = list(app.get("requirements", []))
    stamp = hashlib.sha256("\n".join(reqs).encode()).hexdigest()
    stamp_file = venv / ".corpus-requirements"
    if stamp_file.exists() and stamp_file.read_text() == stamp:
        return venv
    shutil.rmtree(venv, ignore_errors=True)
    python = app.get("python", "python3.11")
    proc = run([python, "-m", "venv", str(venv)])
    if proc.rc != 0:
        raise RuntimeError(f"venv for {app['name']}: {proc.out}")
    pip = [str(venv / "bin" / "python"), "-m", "pip", "install", "-q",
           "--disable-pip-version-check"]
    args = [word for req in reqs for word in shlex.split(req)]
    proc = run(pip + args, cwd=root, timeout=1800)
    if proc.rc != 0:
        raise RuntimeError(f"pip install for {app['name']} failed:\n{proc.out[-3000:]}")
    stamp_file.write_text(stamp)
    return venv


def run_tests(app: dict, root: Path, venv: Path, label: str) -> dict:
    """Run the app's test command against a fresh redis-server; the passed/failed node ids."""
    junit = SCRATCH / "junit" / f"{app['name']}-{label}.xml"
    junit.parent.mkdir(parents=True, exist_ok=True)
    junit.unlink(missing_ok=True)
    with RedisServer(app.get("redis_port")) as server:
        values = {"redis_url": server.url, "redis_port": str(server.port),
                  "redis_host": "127.0.0.1", "root": str(root)}
        env = {k: str(v).format(**values) for k, v in app.get("env", {}).items()}
        env["PATH"] = f"{venv / 'bin'}:{os.environ['PATH']}"
        env["VIRTUAL_ENV"] = str(venv)
        command = app["test_command"].format(**values)
        argv = command.split() + ["-p", "no:cacheprovider", f"--junitxml={junit}", "-rA"]
        for node in app.get("deselect", []):
            argv += ["--deselect", node]
        proc = run(argv, cwd=root, env=env, timeout=1200)
    passed, failed = parse_junit(junit)
    return {"rc": proc.rc, "passed": sorted(passed), "failed": sorted(failed),
            "tail": proc.out[-4000:]}


# --------------------------------------------------------------------------- one app

def record(result: AppResult, step: str, proc: Proc) -> Proc:
    """Count a migrate command and keep it when it crashed."""
    result.commands += 1
    if proc.crashed:
        result.crashes.append({"step": step, "rc": proc.rc, "output": proc.out[-6000:]})
    return proc


def scratch_copy(app: dict) -> Path:
    src = CORPUS_DIR / app["name"]
    if not src.is_dir():
        raise FileNotFoundError(f"{src} is missing: run `python bench/corpus.py unpack` first")
    dest = SCRATCH / "work" / app["name"]
    shutil.rmtree(dest, ignore_errors=True)
    shutil.copytree(src, dest, symlinks=True)
    return dest


def migrate_app(result: AppResult, repo: Path, root: Path) -> None:
    """init, then every batch in order with --no-git, one commit each; then the checks."""
    pre, proc = inventory(root)
    record(result, "inventory (before init)", proc)
    result.sites_before_init = len(pre["sites"]) if pre else 0
    original = git(repo, "rev-parse", "HEAD").out.strip()

    proc = record(result, "init", migrate(root, "init"))
    result.init_output = proc.out
    commit_all(repo, "migrate init")
    # files_changed counts what the batches changed: it is taken against the commit after
    # init; init's own files (config, lifecycle module, wiring) are reported separately
    base = git(repo, "rev-parse", "HEAD").out.strip()
    result.init_files_changed = changed_files(repo, original)

    inv, proc = inventory(root)
    record(result, "inventory (after init)", proc)
    result.sites = inv["sites"] if inv else []
    result.lifecycle = lifecycle_path(result.init_output)
    result.unreported = unreported_candidates(root, result.sites, result.lifecycle)

    for batch in BATCHES:
        proc = record(result, f"apply {batch}",
                      migrate(root, "apply", "--batch", batch, "--no-git"))
        result.apply_outputs[batch] = proc.out
        result.applied += [dict(row, batch=batch) for row in parse_apply(proc.out)]
        commit_all(repo, f"migrate apply {batch}")

    result.files_changed = changed_files(repo, base)
    result.not_compiling, result.not_compiling_before = compiles(
        repo, sorted(set(result.files_changed) | set(result.init_files_changed)), base)
    for batch in BATCHES:
        record(result, f"second apply {batch}",
               migrate(root, "apply", "--batch", batch, "--no-git"))
    result.second_pass_changes = [line[3:] for line in
                                  git(repo, "status", "--porcelain").out.splitlines()]
    git(repo, "checkout", "-q", "--", ".")
    git(repo, "clean", "-qfd")

    final, proc = inventory(root)
    record(result, "inventory (final)", proc)
    result.final_sites = final["sites"] if final else []
    result.manual = [
        {"file": s["file"], "line": s["line"], "kind": s["kind"], "pattern": s["pattern"],
         "status": s["status"],
         "reason_code": s.get("reason_code"), "reason": s.get("reason"),
         "source": source_lines(root, s["file"], s["line"])}
        for s in result.final_sites if s["status"] != "migrated"]
    outcome = site_outcomes(result.sites, result.final_sites)
    result.site_outcomes = outcome["outcomes"]
    result.appeared = outcome["appeared"]



def test_app(app: dict, root: Path, label: str) -> dict:
    """The app's suite in its venv; a failed install is reported as rc -1."""
    try:
        venv = app_venv(app, root)
    except RuntimeError as exc:
        return {"rc": -1, "passed": [], "failed": [], "tail": str(exc)}
    return run_tests(app, root, venv, label)


def run_app(app: dict, with_tests: bool, keep: bool) -> AppResult:
    """Copy, (test,) migrate, (test,) and collect the numbers of one app."""
    result = AppResult(app["name"], app["framework"], app["repo"], app["commit"])
    try:
        repo = scratch_copy(app)
    except FileNotFoundError as exc:
        result.error = str(exc)
        return result
    root = repo / app.get("root", "")
    has_tests = with_tests and app.get("test_command")
    if has_tests:
        print(f"  {app['name']}: tests before", flush=True)
        result.tests_before = test_app(app, root, "before")
        git(repo, "checkout", "-q", "--", ".")
        git(repo, "clean", "-qfdx")
    print(f"  {app['name']}: migrate", flush=True)
    migrate_app(result, repo, root)
    if has_tests:
        print(f"  {app['name']}: tests after", flush=True)
        result.tests_after = test_app(app, root, "after")
    if not keep:
        shutil.rmtree(repo, ignore_errors=True)
    return result


# --------------------------------------------------------------------------- CLI

def cmd_unpack(args: argparse.Namespace) -> int:
    ok = [unpack_app(app) for app in load_apps(args.only)]
    return 0 if all(ok) else 1


def cmd_run(args: argparse.Namespace) -> int:
    if not MIGRATE.exists():
        sys.exit(f"{MIGRATE} not found: run `make test` or `make demo` first")
    SCRATCH.mkdir(parents=True, exist_ok=True)
    lock = (SCRATCH / "work.lock").open("w")
    try:
        # two runs at once would copy, migrate and delete the same scratch folders under
        # each other, and report each other's failures as the app's
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        sys.exit(f"another corpus run is using {SCRATCH / 'work'}: wait for it to finish")
    results = []
    for app in load_apps(args.only):
        print(f"{app['name']} ({app['repo']})", flush=True)
        results.append(run_app(app, args.tests, args.keep))
    report = table(results)
    print()
    print(report)
    write_json(results, Path(args.json))
    Path(args.json).with_suffix(".md").write_text(report + "\n")
    print(f"\nraw data: {args.json}")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    unpack = sub.add_parser("unpack", help="extract the pinned commits into .corpus/")
    unpack.add_argument("--only", metavar="NAME")
    unpack.set_defaults(func=cmd_unpack)
    runp = sub.add_parser("run", help="migrate every unpacked app and print the table")
    runp.add_argument("--only", metavar="NAME")
    runp.add_argument("--tests", action="store_true", help="run the apps' suites before/after")
    runp.add_argument("--keep", action="store_true", help="keep the scratch copies")
    runp.add_argument("--json", default=str(SCRATCH / "corpus-report.json"))
    runp.set_defaults(func=cmd_run)
    args = parser.parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())

"""The `migrate` executable's head start: on `inventory` and `check` outside git, the search
for the files naming redis starts before the CLI loads, and the CLI's inventory takes it over
(redis_migrate/launch.py, redis_migrate/scan/early_search.py)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from analysis_helpers import git_init, write_repo

from redis_migrate import gitrepo
from redis_migrate.launch import inventory_target
from redis_migrate.scan import early_search


@pytest.mark.parametrize(("args", "expected"), [
    (["inventory"], "."),
    (["inventory", "-C", "app"], "app"),
    (["inventory", "--format", "json", "--repo", "app"], "app"),
    (["check", "--repo=app", "--format", "github"], "app"),
    (["check", "-Capp"], "app"),
    (["--debug", "inventory", "-C", "app", "some/path.py"], "app"),
    (["inventory", "-C", "one", "-C", "two"], "two"),          # the last one counts, as in click
    (["inventory", "--", "-C"], "."),                          # past `--`: a path filter
    (["apply", "--batch", "read-caches", "-C", "app"], None),  # no inventory ahead of it
    (["status"], None),
    ([], None),
    (["inventory", "--help"], None),
    (["check", "-C", "app", "-h"], None),
    (["--version"], None),
    (["inventory", "-C"], None),                               # the CLI says what is missing
])
def test_the_folder_of_an_inventory_command_line(args: list[str], expected: str | None) -> None:
    found = inventory_target(args)
    assert found == (None if expected is None else Path(expected))


# Runs the executable's entry point in a new interpreter, recording what was loaded when the
# search started and which searches the run started; prints the run's stdout, then the record.
_PROBE = """
import json, sys
from redis_migrate import gitrepo
started, real = [], gitrepo.start_grep
def start(*args, **kwargs):
    started.append({"needles": list(args[1]), "cli": "redis_migrate.cli" in sys.modules,
                    "typer": "typer" in sys.modules,
                    "analysis": "redis_migrate.scan.inventory" in sys.modules})
    return real(*args, **kwargs)
gitrepo.start_grep = start
sys.argv = ["migrate", *sys.argv[1:]]
# at exit: a command that wrote nothing ends without the interpreter's teardown
import atexit
atexit.register(lambda: print(json.dumps({"started": started}), file=sys.stderr))
from redis_migrate.launch import main
main()
"""


def _run_executable(*args: str) -> tuple[str, dict]:
    run = subprocess.run([sys.executable, "-c", _PROBE, *args], capture_output=True,
                         text=True, check=False)
    record = json.loads(run.stderr.strip().splitlines()[-1])
    record["code"] = run.returncode
    return run.stdout, record


@pytest.mark.parametrize("command", ["inventory", "check"])
def test_the_executable_searches_before_the_cli_loads_and_the_cli_takes_that_search(
        tmp_path: Path, command: str) -> None:
    write_repo(tmp_path, {"app/cache.py": "import redis\n\nclient = redis.Redis()\n",
                          "app/plain.py": "x = 1\n"})
    out, record = _run_executable(command, "-C", str(tmp_path), "--format", "json")
    assert "app/cache.py" in out
    redis_searches = [s for s in record["started"] if s["needles"] == ["redis"]]
    assert len(redis_searches) == 1  # the one started ahead answered
    first = record["started"][0]
    assert first["needles"] == ["redis"]
    assert not first["cli"] and not first["typer"] and not first["analysis"]


def test_the_executable_starts_nothing_ahead_in_a_git_work_tree(tmp_path: Path) -> None:
    write_repo(tmp_path, {"app/cache.py": "import redis\n\nclient = redis.Redis()\n"})
    git_init(tmp_path)
    out, record = _run_executable("inventory", "-C", str(tmp_path), "--format", "json")
    assert "app/cache.py" in out and record["code"] == 0
    # nothing ahead: the inventory searches the work tree with git, as the files are in it
    assert record["started"] and all(s["analysis"] for s in record["started"])


def test_a_search_started_for_another_folder_is_stopped_and_one_started_anew(
        tmp_path: Path) -> None:
    guessed, real = tmp_path / "guessed", tmp_path / "real"
    write_repo(guessed, {"a.py": "import redis\n"})
    write_repo(real, {"b.py": "import redis\n"})
    early_search.start_ahead(guessed)
    ahead = early_search._ahead[guessed.resolve()]
    assert ahead.early is not None and ahead.early.process is not None
    taken = early_search.prefetch(real)
    assert ahead.early.process.poll() is not None  # stopped, not left running
    assert early_search._ahead == {}
    assert taken.early is not None and taken.early() == {"b.py"}


def test_a_search_started_ahead_for_the_same_folder_is_taken(tmp_path: Path) -> None:
    write_repo(tmp_path, {"a.py": "import redis\n", "b.py": "x = 1\n"})
    early_search.start_ahead(tmp_path / ".")
    ahead = early_search._ahead[tmp_path.resolve()]
    taken = early_search.prefetch(tmp_path.resolve())
    assert taken is ahead and taken.early is not None and taken.early() == {"a.py"}


def test_a_search_nothing_takes_is_stopped_when_the_process_exits(tmp_path: Path) -> None:
    # a command line that fails before its inventory (a bad option) leaves the search
    # started ahead untaken: it is stopped at exit, not left to run on
    write_repo(tmp_path, {"a.py": "import redis\n"})
    probe = ("import sys\nfrom redis_migrate import gitrepo\n"
             "from redis_migrate.scan import early_search\n"
             "real = gitrepo.RunningGrep.cancel\n"
             "def cancel(self):\n    print('stopped', self.patterns, file=sys.stderr)\n"
             "    real(self)\n"
             "gitrepo.RunningGrep.cancel = cancel\n"
             "early_search.start_ahead(__import__('pathlib').Path(sys.argv[1]))\n")
    run = subprocess.run([sys.executable, "-c", probe, str(tmp_path)], capture_output=True,
                         text=True, check=True)
    assert "stopped ('redis',)" in run.stderr


def test_the_search_ahead_leaves_a_core_to_python(tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    # git's threads compete with Python's imports and walk: one core fewer for git
    write_repo(tmp_path, {"a.py": "import redis\n"})
    commands: list[list[str]] = []
    real_popen = gitrepo.subprocess.Popen

    def recorded(args, *rest, **kwargs):  # type: ignore[no-untyped-def]
        commands.append(list(args))
        return real_popen(args, *rest, **kwargs)

    monkeypatch.setattr(gitrepo.subprocess, "Popen", recorded)
    monkeypatch.setattr(early_search, "cpu_count", lambda: 4)
    assert early_search.start_early(tmp_path, ["redis"]) is not None
    grep = next(c for c in commands if "grep" in c)
    assert grep[1:3] == ["-c", "grep.threads=3"]
    monkeypatch.setattr(early_search, "cpu_count", lambda: 1)
    early_search.start_early(tmp_path, ["redis"])
    assert commands[-1][1:3] == ["-c", "grep.threads=1"]


# A run of the executable that says at exit whether its exit functions ran and whether the
# interpreter tore its objects down (a global's finalizer runs then).
_TEARDOWN_PROBE = """
import atexit, sys
class Noted:
    def __del__(self):
        print("torn down", file=sys.stderr, flush=True)
kept = Noted()
atexit.register(lambda: print("exit functions ran", file=sys.stderr, flush=True))
sys.argv = ["migrate", *sys.argv[1:]]
from redis_migrate.launch import main
main()
"""


def _run_to_exit(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", _TEARDOWN_PROBE, *args], capture_output=True,
                          text=True, check=False, timeout=120)


@pytest.mark.parametrize(("command", "code"), [("inventory", 0), ("check", 1)])
def test_a_command_that_writes_nothing_ends_without_the_teardown(
        tmp_path: Path, command: str, code: int) -> None:
    write_repo(tmp_path, {"app/cache.py": "import redis\n\nclient = redis.Redis()\n"})
    run = _run_to_exit(command, "-C", str(tmp_path), "--format", "json")
    assert run.returncode == code  # check: a pending site is a finding
    assert "app/cache.py" in json.dumps(json.loads(run.stdout))  # the whole output
    assert "exit functions ran" in run.stderr
    assert "torn down" not in run.stderr


def test_a_command_that_may_write_exits_as_python_does(tmp_path: Path) -> None:
    write_repo(tmp_path, {"app/cache.py": "import redis\n\nclient = redis.Redis()\n"})
    run = _run_to_exit("apply", "--batch", "health", "-C", str(tmp_path))
    assert run.returncode == 2  # no lifecycle module yet: refused
    assert "exit functions ran" in run.stderr and "torn down" in run.stderr

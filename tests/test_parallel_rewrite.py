"""A batch's files are rewritten in worker processes; what the batch does must not depend on
it: the same changes, problems, warnings and flags, in the same order, as one process gives
(on the example backend, every batch, out of order). The workers are forked from a process
that loaded the rewrite's code while the inventory ran: the process that runs the batch never
imports LibCST."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from cli_helpers import example_repo

import redis_migrate.rewrite.file_rewrite as file_rewrite
from redis_migrate.batch_catalog import load_batches
from redis_migrate.config import load_config
from redis_migrate.rewrite.apply import ApplyResult, run_batch
from redis_migrate.rewrite.file_task import FileOutcome
from redis_migrate.scan.inventory import build_inventory
from redis_migrate.workers import RemoteError, WarmProcess, process_pool


def _marked_by_process(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each file's outcome says which process rewrote it (a forked process inherits the
    patch)."""
    real = file_rewrite._rewrite

    def marked(*args: object) -> object:
        result = args[-1]
        assert isinstance(result, FileOutcome)
        result.warnings.append(f"rewritten by {os.getpid()}")
        return real(*args)  # type: ignore[arg-type]

    monkeypatch.setattr(file_rewrite, "_rewrite", marked)


def _what_it_does(result: ApplyResult) -> tuple[object, ...]:
    warnings = [w for w in result.warnings if not w.startswith("rewritten by ")]
    return ([(c.path, c.before, c.after) for c in result.changes], result.problems, warnings,
            result.flagged, [(s.file, s.line) for s in result.rewritten])


def test_a_batch_rewritten_in_workers_does_what_one_process_does(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    repo = example_repo(tmp_path)
    config, batches = load_config(repo), load_batches()
    inventory = build_inventory(repo, config, batches)
    _marked_by_process(monkeypatch)
    parallel_batches = 0
    for batch in batches:
        one = run_batch(repo, config, batches, batch, force_order=True, dry_run=True,
                        inventory=inventory, jobs=1)
        two = run_batch(repo, config, batches, batch, force_order=True, dry_run=True,
                        inventory=inventory, jobs=2)
        assert _what_it_does(two) == _what_it_does(one), batch.name
        mine = f"rewritten by {os.getpid()}"
        assert all(w == mine for w in one.warnings if w.startswith("rewritten by "))
        workers = {w for w in two.warnings if w.startswith("rewritten by ")}
        assert mine not in workers  # never in this process, however few the files
        if len(workers) > 1:
            parallel_batches += 1
            # the diff shows files in path order, whichever worker finished first
            assert [c.path for c in two.changes] == sorted(c.path for c in two.changes)
    # the example has batches of four files or more: enough for two workers
    assert parallel_batches >= 1


def test_a_task_carries_only_the_analysis_the_rewrite_reads(tmp_path: Path) -> None:
    # a task is sent twice; what it leaves out of the file's facts must not change a rewrite
    import pickle

    from redis_migrate.rewrite.edit_plan import plan_batch
    from redis_migrate.rewrite.file_task import FileTask

    repo = example_repo(tmp_path)
    config, batches = load_config(repo), load_batches()
    inventory = build_inventory(repo, config, batches)
    compared = 0
    for batch in batches:
        plans = plan_batch(inventory, batch.name, config.lifecycle_import, False)
        for path, plan in plans.items():
            facts = inventory.facts.get(path)
            full = FileTask(repo, config.lifecycle_import, plan, facts)
            slim = FileTask.of(repo, config.lifecycle_import, plan, facts)
            assert len(pickle.dumps(slim)) < len(pickle.dumps(full))
            # each rewrite adjusts its plan: a copy each
            one = file_rewrite.rewrite_file(pickle.loads(pickle.dumps(full)))
            two = file_rewrite.rewrite_file(pickle.loads(pickle.dumps(slim)))
            assert (one.change, one.problems, one.warnings, one.flagged) == \
                (two.change, two.problems, two.warnings, two.flagged), path
            compared += one.change is not None
    assert compared >= 5


@pytest.mark.parametrize(("jobs", "loads_libcst"), [(2, False), (1, True)])
def test_the_process_that_runs_a_batch_in_workers_never_imports_libcst(
        tmp_path: Path, jobs: int, loads_libcst: bool) -> None:
    repo = example_repo(tmp_path)
    script = (
        "import sys\n"
        "from pathlib import Path\n"
        "from redis_migrate.batch_catalog import load_batches\n"
        "from redis_migrate.config import load_config\n"
        "from redis_migrate.rewrite.apply import run_batch\n"
        "repo = Path(sys.argv[1])\n"
        "config, batches = load_config(repo), load_batches()\n"
        "changed = 0\n"
        "for batch in batches:\n"
        "    result = run_batch(repo, config, batches, batch, force_order=True,\n"
        "                       dry_run=True, jobs=int(sys.argv[2]))\n"
        "    changed += len(result.changes)\n"
        "print(changed, 'libcst' in sys.modules)\n")
    done = subprocess.run([sys.executable, "-c", script, str(repo), str(jobs)],
                          capture_output=True, text=True, timeout=300, check=True)
    changed, loaded = done.stdout.split()
    assert int(changed) > 0
    assert loaded == str(loads_libcst)


def test_a_warm_process_runs_calls_raises_their_errors_and_ends_when_closed() -> None:
    process = WarmProcess("json")
    assert process.call(os.getpid) != os.getpid()
    with pytest.raises(ZeroDivisionError) as raised:
        process.call(divmod, 1, 0)
    assert isinstance(raised.value.__cause__, RemoteError)
    assert "ZeroDivisionError" in str(raised.value.__cause__)
    assert process.call(sorted, [3, 1, 2]) == [1, 2, 3]  # still serving after an error
    # it ends by itself when the pipe closes (0), not by the kill after the timeout
    assert process.close(timeout=30) == 0


def _frozen_here_and_in_a_worker(data: list[list[int]]) -> tuple[int, int]:
    """The objects frozen in this process and in a worker it forks."""
    import gc

    with process_pool(1) as pool:
        worker = pool.submit(_frozen_count).result()
    return gc.get_freeze_count(), worker


def _frozen_count() -> int:
    import gc

    return gc.get_freeze_count()


def test_what_a_warm_process_holds_is_out_of_its_workers_collections() -> None:
    # a collection in a forked worker would walk (and write to) every object it inherited
    import gc

    assert gc.get_freeze_count() == 0  # the caller is left alone
    process = WarmProcess("json")
    try:
        here, worker = process.call(_frozen_here_and_in_a_worker,
                                    [[n] for n in range(20_000)])
    finally:
        process.close()
    # the code it loaded and the call's data (20,001 lists), in the worker too (less the
    # few objects freed since the fork)
    assert here > 20_000
    assert worker > 20_000
    assert gc.get_freeze_count() == 0


def _priorities() -> tuple[int, int]:
    """The priority the module below was loaded at, and the one this process has now."""
    import loads_at_priority  # type: ignore[import-not-found]  # written by the test

    return loads_at_priority.LOADED_AT, os.getpriority(os.PRIO_PROCESS, 0)


def _may_raise_priority() -> bool:
    """Whether a process here may raise its priority again after lowering it (privileged,
    or allowed by RLIMIT_NICE), asked of a child process."""
    code = ("import os\nbefore = os.getpriority(os.PRIO_PROCESS, 0)\n"
            "os.setpriority(os.PRIO_PROCESS, 0, 19)\n"
            "try:\n    os.setpriority(os.PRIO_PROCESS, 0, before)\n"
            "except OSError:\n    print('no')\nelse:\n    print('yes')\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=True, timeout=60)
    return done.stdout.strip() == "yes"


def test_a_warm_process_loads_its_code_at_the_lowest_priority(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # the code loads while the caller's workers parse: it must not take their CPU
    (tmp_path / "loads_at_priority.py").write_text(
        "import os\nLOADED_AT = os.getpriority(os.PRIO_PROCESS, 0)\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    mine = os.getpriority(os.PRIO_PROCESS, 0)
    process = WarmProcess("loads_at_priority")
    try:
        loaded_at, now = process.call(_priorities)
    finally:
        process.close()
    assert loaded_at == 19
    # back where it was when a process may raise its own priority here, else kept
    assert now == (mine if _may_raise_priority() else 19)
    assert os.getpriority(os.PRIO_PROCESS, 0) == mine  # the caller is left alone


def _sleep_with_a_child(pid_file: str) -> None:
    """Forks a child that sleeps, says its pid, and sleeps: a call that runs a while."""
    import multiprocessing
    import time

    child = multiprocessing.get_context("fork").Process(target=time.sleep, args=(120,))
    child.start()
    Path(pid_file).write_text(str(child.pid))
    time.sleep(120)


def _gone(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/status").read_text()
    except FileNotFoundError:
        return True
    return "\nState:\tZ" in state  # dead, not yet reaped by whoever inherited it


def test_an_interrupted_call_ends_the_warm_process_and_the_workers_it_forked(
        tmp_path: Path) -> None:
    import signal

    pid_file = tmp_path / "child.pid"
    process = WarmProcess("json")

    def interrupt(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGALRM, interrupt)
    signal.setitimer(signal.ITIMER_REAL, 1.5)
    try:
        with pytest.raises(KeyboardInterrupt):
            process.call(_sleep_with_a_child, str(pid_file))
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
    child = int(pid_file.read_text())
    assert not _gone(child)
    assert process.close(timeout=0) == -signal.SIGKILL  # at once, not after the call's 120 s
    for _ in range(50):
        if _gone(child):
            break
        import time

        time.sleep(0.1)
    assert _gone(child)


def test_the_check_after_a_rewrite_compiles_parses_once_and_still_refuses() -> None:
    # the rewritten text is parsed once and the tree compiled: what only the compiler
    # refuses (a module-level return) is still refused, newer grammar still compiles, and a
    # removed client still read is still caught, from the same tree
    from redis_migrate.analysis.extract import extract
    from redis_migrate.rewrite.edit_plan import FilePlan
    from redis_migrate.rewrite.file_rewrite import _verify

    before = b"import redis\n\nclient = redis.Redis()\n\n\ndef f():\n    return client\n"
    analysed = extract("app/c.py", "app.c", False, before, ())
    plan = FilePlan("app/c.py", "app.c", "app", remove_names={"client"})
    plain = extract("app/p.py", "app.p", False, b"x = 1\n", ())
    refused = _verify(FilePlan("app/p.py", "app.p", "app"), plain, b"x = 1\nreturn x\n")
    assert refused is not None and "does not compile" in refused
    problem = _verify(plan, analysed, b"import redis\n\n\ndef f():\n    return client\n")
    assert problem is not None and "client" in problem and "undefined" in problem
    newer = b"type Alias = int\n\n\ndef f[T](x: T) -> T:\n    return x\n"
    assert _verify(FilePlan("app/d.py", "app.d", "app"),
                   extract("app/d.py", "app.d", False, newer, ()), newer) is None


def test_the_check_after_a_rewrite_analyses_the_tree_it_parsed(
        monkeypatch: pytest.MonkeyPatch) -> None:
    # the site count after a rewrite reads the tree the compile check parsed, not a new parse
    import ast

    import redis_migrate.analysis.extract as extract_module
    from redis_migrate.rewrite.edit_plan import FilePlan
    from redis_migrate.rewrite.file_rewrite import _verify

    before = b"import redis\n\nclient = redis.Redis()\n\n\ndef f():\n    return 1\n"
    analysed = extract_module.extract("app/c.py", "app.c", False, before, ())
    from types import SimpleNamespace

    plan = FilePlan("app/c.py", "app.c", "app", remove_names={"client"},
                    sites=[SimpleNamespace(kind="instantiation", line=3)])  # type: ignore[list-item]
    parsed: list[object] = []
    real_parse = ast.parse

    def counting(source: object, *args: object, **kwargs: object) -> ast.Module:
        parsed.append(source)
        return real_parse(source, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(ast, "parse", counting)
    after = b"import redis\n\n\ndef f():\n    return 1\n"
    assert _verify(plan, analysed, after) is None
    assert len(parsed) == 1
    # and a site still there is still counted: the planned one is refused as not rewritten
    problem = _verify(plan, analysed, before)
    assert problem is not None and "could not be rewritten" in problem

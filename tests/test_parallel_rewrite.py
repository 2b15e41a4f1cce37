"""A batch's files are rewritten in worker processes when there are enough of them; what the
batch does must not depend on it: the same changes, problems, warnings and flags, in the same
order, as one process gives. On the example backend, every batch, out of order."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from cli_helpers import example_repo

import redis_migrate.rewrite.apply as apply_module
from redis_migrate.batch_catalog import load_batches
from redis_migrate.config import load_config
from redis_migrate.rewrite.apply import ApplyResult, run_batch
from redis_migrate.scan.inventory import build_inventory


def _marked_by_process(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each file's outcome says which process rewrote it (a forked worker inherits the patch)."""
    real = apply_module._rewrite_file

    def marked(work: apply_module._Work, path: str) -> apply_module._Outcome:
        outcome = real(work, path)
        outcome.warnings.append(f"rewritten by {os.getpid()}")
        return outcome

    monkeypatch.setattr(apply_module, "_rewrite_file", marked)


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
        if len(workers) > 0 and mine not in workers:
            parallel_batches += 1
            # the diff shows files in path order, whichever worker finished first
            assert [c.path for c in two.changes] == sorted(c.path for c in two.changes)
    # the example has batches of four files or more: enough for workers
    assert parallel_batches >= 1

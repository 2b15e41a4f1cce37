"""`migrate apply`: bad input and flags, through the real CLI on real (scratch) git repositories."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from cli_helpers import BACKEND, LIFECYCLE, MODULE_CLIENT, function_local, git, git_repo, migrate

import redis_migrate.rewrite.apply as apply_module
from redis_migrate.batch_catalog import find_batch, load_batches
from redis_migrate.config import load_config
from redis_migrate.errors import ApplyError
from redis_migrate.rewrite.apply import run_batch, write_changes
from redis_migrate.scan.inventory import build_inventory

BATCH_NAMES = ["health", "read-caches", "write-caches", "pipelines", "pubsub-streams-queues",
               "locks-rate-limits"]


READS = function_local("lookup", "get")  # read-caches: closed in `finally`

READS2 = (  # read-caches too, in a second file: the batch spans two files
    "import redis.asyncio as redis\n"
    "\n"
    "from backend import settings\n"
    "\n\n"
    "async def present(key: str) -> bool:\n"
    "    client = redis.Redis.from_url(settings.REDIS_URL)\n"
    "    try:\n"
    "        return bool(await client.exists(key))\n"
    "    finally:\n"
    "        await client.aclose()\n"
)

WRITES = MODULE_CLIENT  # write-caches: a module-level client

USER = (  # imports the write-caches module client
    "from backend.writes import client\n"
    "\n\n"
    "async def touch(key: str) -> None:\n"
    "    await client.set(key, '1')\n"
)

BASE = BACKEND


def repo_with(tmp_path: Path, files: dict[str, str], name: str = "target",
              lifecycle: bool = True) -> Path:
    content = {**BASE, **files}
    if not lifecycle:
        del content[LIFECYCLE]
    return git_repo(tmp_path / name, content)


def status(repo: Path) -> str:
    return git(repo, "status", "--porcelain")


def _load(repo: Path):
    return load_batches(), load_config(repo)


# --- usage errors -----------------------------------------------------------------------------

def test_unknown_batch_lists_the_valid_names(tmp_path: Path) -> None:
    repo = repo_with(tmp_path, {"backend/reads.py": READS})
    for flags in (["--dry-run"], ["--no-git"]):
        run = migrate("apply", "--batch", "read-cache", *flags, "-C", repo)
        assert run.exit_code == 2, run.stdout + run.stderr
        lines = run.stderr.strip().splitlines()
        assert len(lines) == 1, run.stderr
        assert "read-cache" in lines[0]
        for name in BATCH_NAMES:
            assert name in lines[0], lines[0]
        assert "Traceback" not in run.stderr
        assert run.stdout == ""
    assert status(repo) == ""


def test_missing_lifecycle_module_points_to_init(tmp_path: Path) -> None:
    repo = repo_with(tmp_path, {"backend/reads.py": READS}, lifecycle=False)
    run = migrate("apply", "--batch", "read-caches", "--dry-run", "-C", repo)
    assert run.exit_code == 2, run.stdout + run.stderr
    assert len(run.stderr.strip().splitlines()) == 1, run.stderr
    assert LIFECYCLE in run.stderr
    assert "migrate init" in run.stderr
    assert status(repo) == ""


def test_later_batch_is_refused_while_an_earlier_one_is_pending(tmp_path: Path) -> None:
    repo = repo_with(tmp_path, {"backend/reads.py": READS, "backend/writes.py": WRITES})
    run = migrate("apply", "--batch", "write-caches", "--no-git", "-C", repo)
    assert run.exit_code == 2, run.stdout + run.stderr
    assert "read-caches" in run.stderr and "--force-order" in run.stderr
    assert len(run.stderr.strip().splitlines()) == 1, run.stderr
    assert status(repo) == ""


def test_force_order_applies_the_later_batch(tmp_path: Path) -> None:
    repo = repo_with(tmp_path, {"backend/reads.py": READS, "backend/writes.py": WRITES})
    run = migrate("apply", "--batch", "write-caches", "--no-git", "--force-order", "-C", repo)
    assert run.exit_code == 0, run.stdout + run.stderr
    assert status(repo) == " M backend/writes.py\n"
    rewritten = (repo / "backend/writes.py").read_text(encoding="utf-8")
    assert "get_redis().set(key, value)" in rewritten
    assert "from_url" not in rewritten
    assert (repo / "backend/reads.py").read_text(encoding="utf-8") == READS


def test_dry_run_out_of_order_shows_the_diff_with_a_warning(tmp_path: Path) -> None:
    repo = repo_with(tmp_path, {"backend/reads.py": READS, "backend/writes.py": WRITES})
    run = migrate("apply", "--batch", "write-caches", "--dry-run", "-C", repo)
    assert run.exit_code == 0, run.stdout + run.stderr
    assert "+++ b/backend/writes.py" in run.stdout
    assert "+    await get_redis().set(key, value)" in run.stdout
    warnings = [line for line in run.stdout.splitlines() if "warning" in line]
    assert len(warnings) == 1 and "read-caches" in warnings[0], run.stdout
    assert status(repo) == ""


def _git_flow_built() -> bool:
    return "--base" in migrate("apply", "--help").stdout


def test_without_no_git_or_dry_run_it_never_writes_in_place(tmp_path: Path) -> None:
    """A bare `apply` is the git flow (SPEC §7): never a write into the user's work tree.

    Before the git flow exists (issue 4) it is refused with exit 2 and a clear message; once it
    exists it works on a batch branch and leaves the work tree and the current branch as they were.
    """
    repo = repo_with(tmp_path, {"backend/reads.py": READS})
    head = git(repo, "rev-parse", "HEAD")
    run = migrate("apply", "--batch", "read-caches", "-C", repo)
    if not _git_flow_built():
        assert run.exit_code == 2, run.stdout + run.stderr
        assert len(run.stderr.strip().splitlines()) == 1, run.stderr
        assert "--no-git" in run.stderr and "--dry-run" in run.stderr
        assert "git flow" in run.stderr
    else:
        assert run.exit_code == 0, run.stdout + run.stderr
        assert git(repo, "branch", "--list", "redis-migration/*").strip(), run.stdout
    assert status(repo) == ""
    assert git(repo, "rev-parse", "--abbrev-ref", "HEAD").strip() == "main"
    assert git(repo, "rev-parse", "HEAD") == head
    assert (repo / "backend/reads.py").read_text(encoding="utf-8") == READS


# --- files that change under the run ----------------------------------------------------------

def test_file_changed_on_disk_before_the_write(tmp_path: Path) -> None:
    repo = repo_with(tmp_path, {"backend/reads.py": READS, "backend/reads2.py": READS2})
    batches, config = _load(repo)
    result = run_batch(repo, config, batches, find_batch(batches, "read-caches"))
    assert result.ok, result.problems
    assert [c.path for c in result.changes] == ["backend/reads.py", "backend/reads2.py"]
    # The *last* file changes: a writer that wrote file by file would already have written the
    # first.
    edited = READS2 + "# edited by someone else\n"
    (repo / "backend/reads2.py").write_text(edited, encoding="utf-8")
    with pytest.raises(ApplyError) as raised:
        write_changes(repo, result)
    assert raised.value.exit_code == 1
    assert "backend/reads2.py" in str(raised.value)
    assert (repo / "backend/reads.py").read_text(encoding="utf-8") == READS
    assert (repo / "backend/reads2.py").read_text(encoding="utf-8") == edited
    assert status(repo) == " M backend/reads2.py\n"


def test_file_changed_on_disk_through_the_cli(tmp_path: Path,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    repo = repo_with(tmp_path, {"backend/reads.py": READS, "backend/reads2.py": READS2})
    real_run_batch = apply_module.run_batch
    edited = READS2 + "# edited by someone else\n"

    def run_then_edit(*args, **kwargs):
        result = real_run_batch(*args, **kwargs)
        (repo / "backend/reads2.py").write_text(edited, encoding="utf-8")
        return result

    monkeypatch.setattr(apply_module, "run_batch", run_then_edit)
    run = migrate("apply", "--batch", "read-caches", "--no-git", "-C", repo)
    assert run.exit_code == 1, run.stdout + run.stderr
    assert "backend/reads2.py" in run.stderr and "changed on disk" in run.stderr
    assert "Traceback" not in run.stderr
    assert status(repo) == " M backend/reads2.py\n"
    assert (repo / "backend/reads.py").read_text(encoding="utf-8") == READS


def _break(repo: Path, path: str, at_line: int) -> None:
    """Insert an unparseable line so that it becomes line `at_line` of `path`."""
    lines = (repo / path).read_text(encoding="utf-8").splitlines(keepends=True)
    lines.insert(at_line - 1, "broken = = 1\n")
    (repo / path).write_text("".join(lines), encoding="utf-8")


def test_file_that_stopped_parsing_after_the_inventory(tmp_path: Path) -> None:
    repo = repo_with(tmp_path, {"backend/reads.py": READS, "backend/reads2.py": READS2})
    batches, config = _load(repo)
    inventory = build_inventory(repo, config, batches)
    _break(repo, "backend/reads2.py", at_line=4)  # Python: "line 4: invalid syntax"
    result = run_batch(repo, config, batches, find_batch(batches, "read-caches"),
                       inventory=inventory)
    assert not result.ok
    assert len(result.problems) == 1, result.problems
    problem = result.problems[0]
    assert problem.startswith("backend/reads2.py:4:"), problem
    assert "does not parse" in problem


def test_file_that_stopped_parsing_is_never_written_by_the_cli(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    repo = repo_with(tmp_path, {"backend/reads.py": READS, "backend/reads2.py": READS2})
    batches, config = _load(repo)
    stale = build_inventory(repo, config, batches)
    _break(repo, "backend/reads2.py", at_line=4)
    # The CLI builds its inventory inside run_batch; hand it the one taken before the break.
    monkeypatch.setattr(apply_module, "build_inventory", lambda *a, **k: stale)
    run = migrate("apply", "--batch", "read-caches", "--no-git", "-C", repo)
    assert run.exit_code == 1, run.stdout + run.stderr
    assert "backend/reads2.py:" in run.stderr and "does not parse" in run.stderr
    assert "could not rewrite" in run.stdout
    # backend/reads.py rewrote cleanly in memory, but the batch stands or falls as a whole.
    assert (repo / "backend/reads.py").read_text(encoding="utf-8") == READS
    assert status(repo) == " M backend/reads2.py\n"


def test_a_client_an_unparseable_file_may_import_is_left_manual_with_its_reason(
        tmp_path: Path) -> None:
    """A file that does not parse may import the client the batch removes: leave it.

    The inventory skips `backend/user.py` (reported with its path and line), so it cannot see
    that user.py does `from backend.writes import client`. Removing `client` from writes.py
    would break user.py once it is fixed: the site is `manual` (`unreadable-importer`) in the
    inventory, `check` and the batch, and nothing is written. Before, the batch was refused
    as a whole on stderr while the inventory left the site `pending`, with no reason.
    """
    repo = repo_with(tmp_path, {"backend/writes.py": WRITES, "backend/user.py": USER})
    (repo / "backend/user.py").write_text(USER + "\n\ndef oops(:\n    pass\n", encoding="utf-8")
    git(repo, "commit", "-qam", "user.py stops parsing")

    inventory = migrate("inventory", "-C", repo, "--format", "json")
    assert "backend/user.py:8" in inventory.stderr, inventory.stderr  # skipped, path and line
    [site] = [s for s in json.loads(inventory.stdout)["sites"] if s["kind"] == "instantiation"]
    assert (site["status"], site["reason_code"]) == ("manual", "unreadable-importer")
    assert "backend/user.py could not be analysed" in site["reason"]
    assert "may import client" in site["reason"]

    for flags in (["--dry-run"], ["--no-git"]):
        run = migrate("apply", "--batch", "write-caches", *flags, "-C", repo)
        assert run.exit_code == 1, run.stdout + run.stderr  # 1: a file was skipped
        assert "[unreadable-importer]" in run.stdout
        assert "+++" not in run.stdout
        assert status(repo) == ""  # nothing written
    assert "client =" in (repo / "backend/writes.py").read_text(encoding="utf-8")

    (repo / "backend/user.py").write_text(USER, encoding="utf-8")
    git(repo, "commit", "-qam", "user.py parses again")
    run = migrate("apply", "--batch", "write-caches", "--dry-run", "-C", repo)
    assert run.exit_code == 0, run.stdout + run.stderr
    assert "unreadable-importer" not in run.stdout and "+++ b/backend/writes.py" in run.stdout


def test_an_unparseable_file_that_cannot_name_the_client_does_not_block_the_batch(
        tmp_path: Path) -> None:
    """A Python 2 deploy script (`print "..."`, `from fabric.api import *`) never spells the
    removed client's name nor star-imports one of the app's modules: it cannot import it, so
    the client moves. One that star-imports the app's module may: the client stays."""
    fabfile = ('from fabric.api import *\n\n\ndef deploy():\n    print "deploying"\n'
               '    sudo("service redis-server restart")\n')  # names redis: the scan reads it
    repo = repo_with(tmp_path, {"backend/writes.py": WRITES, "fabfile.py": fabfile})
    inventory = migrate("inventory", "-C", repo)
    assert "fabfile.py:5" in inventory.stderr, inventory.stderr  # read, and skipped
    run = migrate("apply", "--batch", "write-caches", "--dry-run", "-C", repo)
    assert run.exit_code == 1, run.stdout + run.stderr  # 1: a file was skipped (reported)
    assert "unreadable-importer" not in run.stdout
    assert "+    await get_redis().set(key, value)" in run.stdout

    (repo / "fabfile.py").write_text("from backend.writes import *\n" + fabfile,
                                     encoding="utf-8")
    git(repo, "commit", "-qam", "the deploy script star-imports the app's module")
    run = migrate("apply", "--batch", "write-caches", "--dry-run", "-C", repo)
    assert run.exit_code == 1, run.stdout + run.stderr
    assert "[unreadable-importer] fabfile.py could not be analysed" in run.stdout
    assert "+++" not in run.stdout


# --- nothing to do, secrets -------------------------------------------------------------------

def test_a_batch_with_nothing_to_change(tmp_path: Path) -> None:
    repo = repo_with(tmp_path, {"backend/reads.py": READS})
    for flags in (["--dry-run"], ["--no-git"]):
        run = migrate("apply", "--batch", "health", *flags, "-C", repo)  # no health sites at all
        assert run.exit_code == 0, run.stdout + run.stderr
        assert "nothing to change" in run.stdout
        assert "+++" not in run.stdout
    first = migrate("apply", "--batch", "read-caches", "--no-git", "-C", repo)
    assert first.exit_code == 0, first.stdout + first.stderr
    git(repo, "commit", "-qam", "read-caches")
    again = migrate("apply", "--batch", "read-caches", "--no-git", "-C", repo)
    assert again.exit_code == 0, again.stdout + again.stderr
    assert "nothing to change" in again.stdout
    assert status(repo) == ""


SECRET = (  # one pending site beside one left manual (another URL, with a password)
    "import redis.asyncio as redis\n"
    "\n"
    "from backend import settings\n"
    "\n\n"
    "async def peek(key: str):\n"
    "    other = redis.Redis.from_url('redis://:hunter2@h/0')\n"
    "    return await other.get(key)\n"
    "\n\n"
    "async def lookup(key: str):\n"
    "    r = redis.Redis.from_url(settings.REDIS_URL)\n"
    "    return await r.get(key)\n"
)


def test_a_password_in_a_manual_site_url_never_prints(tmp_path: Path) -> None:
    repo = repo_with(tmp_path, {"backend/secret.py": SECRET})
    dry = migrate("apply", "--batch", "read-caches", "--dry-run", "-C", repo)
    assert dry.exit_code == 0, dry.stdout + dry.stderr
    assert "+++ b/backend/secret.py" in dry.stdout  # the diff's context shows the manual line
    assert "manual     backend/secret.py:7" in dry.stdout
    assert "url-differs" in dry.stdout
    assert "hunter2" not in dry.stdout + dry.stderr
    real = migrate("apply", "--batch", "read-caches", "--no-git", "-C", repo)
    assert real.exit_code == 0, real.stdout + real.stderr
    assert "hunter2" not in real.stdout + real.stderr
    # The file itself keeps its URL: a manual site is not touched.
    assert "redis://:hunter2@h/0" in (repo / "backend/secret.py").read_text(encoding="utf-8")

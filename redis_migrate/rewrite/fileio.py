"""Writing files so that an interrupted run never leaves a file, or a batch, half-written.

`write_atomic` writes one file: a temporary file in the same folder, then an atomic rename.

`replace_all` writes files that stand or fall together (a batch) as a small transaction:

1. a journal lists every target with the hash of its content before, that content itself (so a
   rollback needs nothing else), and the temporary file that is to hold its content after;
2. the temporary files are written beside their targets;
3. with SIGINT and SIGTERM deferred, each temporary file is renamed over its target;
4. the journal is deleted; then a signal that came in meanwhile is delivered.

A crash between 1 and 4 (SIGKILL, a power cut) leaves the journal. `roll_back`, which the CLI runs
when a command that writes starts, puts the content before back wherever the content after
landed and deletes the temporary files: the batch is then not written at all, and running `apply`
again writes it whole. `pending` tells the same without changing anything.

Rolling back rather than completing: the content before is always at hand (in the journal), while
the temporary files holding the content after may not all exist yet (a crash in step 2), and a
completed batch would be one whose summary, checks and commit never ran.
"""

from __future__ import annotations

import base64
import fcntl
import json
import os
import signal
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from redis_migrate.errors import ApplyError, UsageError
from redis_migrate.faults import checkpoint

JOURNAL = "migrate-journal.json"
NEW_SUFFIX = ".migrate-new"
_DEFERRED = (signal.SIGINT, signal.SIGTERM)

# Every file this process wrote in full, so that an interrupt message can tell the truth.
_written: list[Path] = []


def write_atomic(path: Path, data: bytes) -> None:
    """Write `data` to `path` via a temporary file in the same folder and an atomic rename."""
    _replace(path, data)
    _written.append(path)


def forget_writes() -> None:
    """Start a new record of the files written (one per command)."""
    _written.clear()


def writes_that_stand() -> list[Path]:
    """The files written in full since `forget_writes` that are still there.

    A file written in a temporary worktree that has been removed since does not count: the user
    never sees it.
    """
    return [p for p in dict.fromkeys(_written) if p.exists()]


def _replace(path: Path, data: bytes) -> None:
    """`write_atomic` without the record: a temporary file, then an atomic rename."""
    path.parent.mkdir(parents=True, exist_ok=True)
    mode = path.stat().st_mode & 0o777 if path.exists() else None
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        if mode is not None:
            os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise


# --- a batch of files, all or nothing ----------------------------------------------------------

@dataclass(frozen=True, slots=True)
class Replacement:
    """One file of a transaction: its path, its content before (None: absent) and after."""

    path: Path
    before: bytes | None
    after: bytes


@dataclass(frozen=True, slots=True)
class _Entry:
    """One file as the journal records it; paths are relative to the journal's base folder."""

    path: str
    temp: str
    before: bytes | None
    after_sha256: str

    def to_json(self) -> dict[str, Any]:
        before = self.before
        return {"path": self.path, "temp": self.temp, "existed": before is not None,
                "before_sha256": None if before is None else _digest(before),
                "after_sha256": self.after_sha256,
                "before": None if before is None else base64.b64encode(before).decode("ascii")}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> _Entry:
        before = None if data["before"] is None else base64.b64decode(data["before"])
        if before is not None and _digest(before) != data["before_sha256"]:
            raise ValueError(f"{data['path']}: its content before does not match its hash")
        return cls(str(data["path"]), str(data["temp"]), before, str(data["after_sha256"]))


def replace_all(root: Path, replacements: list[Replacement]) -> None:
    """Replace every file or none (the module's docstring says how).

    An OSError is an ApplyError that says what was written: nothing. A deferred SIGINT is
    delivered (KeyboardInterrupt) only once every file is written and the journal is gone.
    """
    journal, base = journal_path(root)
    with _locked(journal.parent):
        if journal.exists():
            raise UsageError(f"{journal}: an interrupted write left this journal; run the "
                             f"command again to roll it back first")
        import secrets  # here: every command imports this module, few of them write

        token = secrets.token_hex(4)
        entries = [_entry(r, base, token) for r in replacements]
        current = str(journal)
        try:
            _write_journal(journal, entries)  # from here on, a crash is rolled back next time
            for entry, replacement in zip(entries, replacements):
                current = entry.path
                _write_new(base / entry.temp, replacement)
            checkpoint("journal-written")
        except BaseException as exc:
            # an interrupt or an error before any rename: nothing was written, leave no trace
            _discard(journal, base, entries)
            if isinstance(exc, OSError):
                raise ApplyError(f"could not write {current}: {exc.strerror or exc}; nothing "
                                 f"was written") from None
            raise
        # (a signal in the instant between the two blocks leaves the journal: still rolled back)
        with deferred_signals():
            _rename_all(journal, base, entries)
            _written.extend(r.path for r in replacements)


def _entry(replacement: Replacement, base: Path, token: str) -> _Entry:
    path = replacement.path.parent.resolve() / replacement.path.name
    temp = path.parent / f".{path.name}.{token}{NEW_SUFFIX}"
    return _Entry(_relative(path, base), _relative(temp, base), replacement.before,
                  _digest(replacement.after))


def _relative(path: Path, base: Path) -> str:
    """`path` relative to `base` when it is below it (the journal survives a moved checkout)."""
    try:
        return path.relative_to(base).as_posix()
    except ValueError:
        return str(path)


def _write_journal(journal: Path, entries: list[_Entry]) -> None:
    """Write the journal atomically: it is either complete or absent."""
    text = json.dumps({"version": 1, "pid": os.getpid(),
                       "files": [e.to_json() for e in entries]}, indent=1)
    _replace(journal, text.encode("utf-8"))
    _fsync_folder(journal.parent)


def _write_new(temp: Path, replacement: Replacement) -> None:
    """The content after, in a new temporary file beside its target, with the target's mode."""
    temp.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
    with os.fdopen(fd, "wb") as handle:
        handle.write(replacement.after)
        handle.flush()
        os.fsync(handle.fileno())
    if replacement.before is not None:
        os.chmod(temp, replacement.path.stat().st_mode & 0o777)


def _rename_all(journal: Path, base: Path, entries: list[_Entry]) -> None:
    """Rename each temporary file over its target; after an error, put back what was renamed."""
    done: list[_Entry] = []
    try:
        for number, entry in enumerate(entries):
            if number:
                checkpoint("mid-write")  # the crash tests stop here, between two files
            os.replace(base / entry.temp, base / entry.path)
            done.append(entry)
        for folder in {(base / e.path).parent for e in entries}:
            _fsync_folder(folder)  # the renames reach the disk before the journal goes
    except OSError as exc:
        failed = entries[len(done)].path if len(done) < len(entries) else "the batch"
        try:
            for entry in done:
                _restore(base, entry)
            _discard(journal, base, entries)
        except OSError as undo:
            raise ApplyError(f"could not write {failed}: {exc.strerror or exc}; putting back the "
                             f"{len(done)} file(s) already written failed too ({undo}): the next "
                             f"`migrate apply` rolls them back") from None
        raise ApplyError(f"could not write {failed}: {exc.strerror or exc}; the {len(done)} "
                         f"file(s) already written were put back: nothing was written") from None
    journal.unlink()
    _fsync_folder(journal.parent)


def _restore(base: Path, entry: _Entry) -> None:
    """Put a target back as it was before the transaction (absent if it did not exist)."""
    target = base / entry.path
    if entry.before is None:
        target.unlink(missing_ok=True)
    else:
        _replace(target, entry.before)


def _discard(journal: Path, base: Path, entries: list[_Entry]) -> None:
    """Delete the temporary files, then the journal that lists them."""
    for entry in entries:
        (base / entry.temp).unlink(missing_ok=True)
    journal.unlink(missing_ok=True)


# --- what an interrupted transaction left ------------------------------------------------------

@dataclass(slots=True)
class Recovery:
    """An interrupted write found at the start of a run, and what was done about it."""

    journal: Path
    total: int  # files the interrupted write was to replace
    written: list[str] = field(default_factory=list)  # holding its content after
    changed: list[str] = field(default_factory=list)  # changed by someone since: left alone
    rolled_back: bool = False

    def describe(self) -> str:
        """One line: what was found, and what was done (or will be)."""
        done = self.rolled_back
        parts = []
        if self.written:
            parts.append(f"{len(self.written)} of its {self.total} file(s) had been written "
                         f"({_few(self.written)})" + (" and are back as they were before it"
                                                      if done else ""))
        if self.changed:
            parts.append(f"{len(self.changed)} of its file(s) changed since "
                         f"{'were' if done else 'will be'} left as they are "
                         f"({_few(self.changed)})")
        if not parts:
            parts.append(f"none of its {self.total} file(s) had been written")
        facts = "; ".join(parts)
        if not done:
            return (f"warning: an interrupted write left a journal ({self.journal}): {facts}; "
                    f"the next `migrate apply` rolls it back")
        return f"{'rolled back' if self.written else 'cleared'} an interrupted write: {facts}"


def journal_path(root: Path) -> tuple[Path, Path]:
    """Where a write under `root` keeps its journal, and the folder its paths are relative to.

    Inside a git work tree: in the git directory (a worktree's own), where `git status` never
    shows it, `git add -A` never stages it, and every `--repo` inside the same checkout finds
    it. Outside git: `.migrate-journal.json` in `root` itself.
    """
    root = root.resolve()
    for folder in (root, *root.parents):
        git_dir = _git_dir(folder / ".git")
        if git_dir is not None:
            return git_dir / JOURNAL, folder
    return root / f".{JOURNAL}", root


def _git_dir(dot_git: Path) -> Path | None:
    """The git directory `.git` stands for: itself, or the `gitdir:` a worktree's file names."""
    if dot_git.is_dir():
        return dot_git
    if not dot_git.is_file():
        return None
    text = dot_git.read_text(encoding="utf-8", errors="replace").strip()
    if not text.startswith("gitdir:"):
        return None
    git_dir = (dot_git.parent / text[len("gitdir:"):].strip()).resolve()
    return git_dir if git_dir.is_dir() else None


def pending(root: Path) -> Recovery | None:
    """What an interrupted write under `root` left, changing nothing; None if nothing."""
    journal, base = journal_path(root)
    if not journal.exists():
        return None
    with _locked(journal.parent):  # a run writing right now finishes first
        if not journal.exists():
            return None
        return _inspect(journal, base)[0]


def roll_back(root: Path) -> Recovery | None:
    """Undo what an interrupted write under `root` left; None if it left nothing."""
    journal, base = journal_path(root)
    if not journal.exists():
        return None
    with _locked(journal.parent), deferred_signals():
        if not journal.exists():
            return None
        recovery, entries = _inspect(journal, base)
        for entry in entries:
            if entry.path in recovery.written:
                _restore(base, entry)
        _discard(journal, base, entries)
        recovery.rolled_back = True
        return recovery


def _inspect(journal: Path, base: Path) -> tuple[Recovery, list[_Entry]]:
    """Read the journal; sort its files into written (content after) and changed since."""
    try:
        data = json.loads(journal.read_bytes())
        entries = [_Entry.from_json(item) for item in data["files"]]
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise UsageError(f"{journal}: the journal of an interrupted write cannot be read ({exc}); "
                         f"check the files with `git status`, then delete it") from None
    recovery = Recovery(journal, len(entries))
    for entry in entries:
        state = _state(base / entry.path, entry)
        if state == "after":
            recovery.written.append(entry.path)
        elif state == "changed":
            recovery.changed.append(entry.path)
    return recovery, entries


def _state(target: Path, entry: _Entry) -> str:
    """"before" (not written yet), "after" (written), or "changed" (by someone since)."""
    try:
        current: bytes | None = target.read_bytes()
    except FileNotFoundError:
        current = None
    except OSError:
        return "changed"
    if current is not None and _digest(current) == entry.after_sha256:
        return "after"
    if current == entry.before:
        return "before"
    return "changed"


def _few(paths: list[str], shown: int = 3) -> str:
    more = f", … ({len(paths) - shown} more)" if len(paths) > shown else ""
    return ", ".join(paths[:shown]) + more


# --- helpers -----------------------------------------------------------------------------------

@contextmanager
def deferred_signals() -> Iterator[None]:
    """Hold SIGINT and SIGTERM until the block ends, then deliver the first that came in."""
    if threading.current_thread() is not threading.main_thread():
        yield  # only the main thread may set handlers (and only it gets signals)
        return
    received: list[int] = []
    previous = {signum: signal.signal(signum, lambda number, _frame: received.append(number))
                for signum in _DEFERRED}
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, signal.SIG_DFL if handler is None else handler)
    if received:
        # through the handler that was in place: KeyboardInterrupt for SIGINT, exit for SIGTERM
        signal.raise_signal(received[0])


@contextmanager
def _locked(folder: Path) -> Iterator[None]:
    """Hold an exclusive lock on `folder` (the OS drops it when the process dies, even killed):
    a second run waits for the first one's transaction instead of rolling it back meanwhile."""
    folder.mkdir(parents=True, exist_ok=True)
    fd = os.open(folder, os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)


def _fsync_folder(folder: Path) -> None:
    """Make renames and deletions in `folder` durable (best effort: not every system can)."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _digest(data: bytes) -> str:
    import hashlib  # here, as `secrets`

    return hashlib.sha256(data).hexdigest()

"""One file's part of a batch, as data a worker process receives and returns: what it rewrites
(`FileTask`) and what came of it (`FileOutcome`). Nothing here imports LibCST: the process that
plans the batch hands the tasks out without loading it (`redis_migrate.rewrite.apply`)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from redis_migrate.analysis.facts import FileFacts
from redis_migrate.rewrite.edit_plan import FilePlan


@dataclass(slots=True)
class FileChange:
    """One file's content before and after the batch."""

    path: str
    before: bytes
    after: bytes


@dataclass(frozen=True, slots=True)
class FileTask:
    """What one file's rewrite reads: its plan, and the analysis of the file as it was read."""

    repo: Path
    lifecycle: str  # the lifecycle module's import name
    plan: FilePlan
    facts: FileFacts | None  # None: the inventory did not analyse it (the rewrite refuses)

    @classmethod
    def of(cls, repo: Path, lifecycle: str, plan: FilePlan, facts: FileFacts | None) -> FileTask:
        """The task, with the parts of the file's analysis the rewrite reads: its sites
        (counted again after the rewrite), its imports and the names it binds itself. The
        rest (the flow, the calls, the parameters) is most of a file's facts, and a task is
        sent twice, to the process that loaded the rewrite's code and on to a worker."""
        if facts is not None:
            facts = FileFacts(path=facts.path, module=facts.module, sites=facts.sites,
                              imports=facts.imports, taken_names=facts.taken_names)
        return cls(repo, lifecycle, plan, facts)


@dataclass(slots=True)
class FileOutcome:
    """One file's rewrite: its change (None when it has none), and what it reports."""

    change: FileChange | None = None
    problems: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    flagged: list[tuple[str, int, str, str]] = field(default_factory=list)

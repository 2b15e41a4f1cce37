"""What a rewrite codemod and the batch engine agree on, so the engine finds it, not lists it.

A rewrite codemod declares, beside LibCST's `DESCRIPTION`, which fields of a file's edit plan it
acts on and its place in the order (`SERVES = Serves(kinds=("calls",), order=10)`), and builds
itself from the plan with a classmethod, `from_plan(context, plan, run)`. The engine imports the
modules of this package, keeps the classes that declare `SERVES`, sorts them by `order` and runs
those whose plan fields are non-empty (`redis_migrate.rewrite.pipeline`).

The plan is seen through `FileEdits`, the read-only shape of the engine's `FilePlan`: the
codemods never import the engine, and mypy checks that the engine's plan has this shape where
it hands one over.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

from libcst.codemod import Codemod, CodemodContext

from ._accessor import Accessor


@dataclass(frozen=True, slots=True)
class Serves:
    """Class-level metadata of a rewrite codemod: the plan fields it acts on (it runs when any
    of them is non-empty, or on every planned file when `always`) and its place in the order
    (lower runs first). `shares_pass`: it decides on the tree as it finds it and hooks node
    types no other sharing codemod hooks, so it may run in one traversal with its sharing
    neighbours in the order (`_shared_pass.SharedPass`)."""

    order: int
    kinds: tuple[str, ...] = ()
    always: bool = False
    shares_pass: bool = False

    def __post_init__(self) -> None:
        if not self.kinds and not self.always:
            raise ValueError("a rewrite codemod serves some plan fields, or always runs")


class FileEdits(Protocol):
    """One file's edit plan, as the codemods read it (the engine's `FilePlan`)."""

    @property
    def module(self) -> str: ...
    @property
    def package(self) -> str: ...
    @property
    def calls(self) -> Mapping[tuple[int, int], Accessor]: ...
    @property
    def attributes(self) -> Mapping[tuple[str, str], Accessor]: ...
    @property
    def getters(self) -> Mapping[str, tuple[str, Accessor]]: ...
    @property
    def references(self) -> Mapping[str, Accessor]: ...
    @property
    def remove_names(self) -> Collection[str]: ...
    @property
    def removed_modules(self) -> Collection[str]: ...
    @property
    def setup_modules(self) -> Mapping[str, str]: ...
    @property
    def closes(self) -> Mapping[str | None, Collection[str]]: ...
    @property
    def released_globals(self) -> Collection[str]: ...
    @property
    def replaced_closes(self) -> Collection[str | None]: ...
    @property
    def lambda_closes(self) -> Mapping[str | None, Collection[str]]: ...
    @property
    def wire_close(self) -> Mapping[str, str]: ...
    @property
    def wire_imports(self) -> Sequence[tuple[str, str]]: ...
    @property
    def wire_app(self) -> tuple[bool, str] | None: ...
    @property
    def wire_startup(self) -> tuple[str, str, str] | None: ...
    @property
    def read_before(self) -> frozenset[str] | None: ...
    @property
    def convert(self) -> str | None: ...
    @property
    def convert_receivers(self) -> Mapping[str | None, Collection[str]]: ...
    @property
    def convert_calls(self) -> Collection[str]: ...
    @property
    def aliases(self) -> tuple[tuple[str, str], ...]: ...
    @property
    def field_defaults(self) -> Collection[tuple[str, str]]: ...


@dataclass(frozen=True, slots=True)
class RunInputs:
    """What every file of a run shares, beside its own plan."""

    lifecycle: str  # the lifecycle module's import name
    lifespan_constructors: Collection[str]  # the app classes that take `lifespan=`


class RewriteCodemod(Protocol):
    """A rewrite codemod class, as the engine sees it once found."""

    SERVES: Serves

    def from_plan(self, context: CodemodContext, plan: FileEdits, run: RunInputs) -> Codemod:
        """The codemod for one file (a classmethod of the class)."""
        ...


def spelled(name: str, plan: FileEdits) -> str:
    """The name this file calls a lifecycle function by (`close_redis`, or its alias when the
    file binds that name itself)."""
    return dict(plan.aliases).get(name, name)


def spelled_call(call: str, plan: FileEdits) -> str:
    """`init_redis(url)` spelled with the file's alias for init_redis, if it has one."""
    name, _, rest = call.partition("(")
    return f"{spelled(name, plan)}({rest}"

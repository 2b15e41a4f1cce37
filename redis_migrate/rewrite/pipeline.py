"""The rewrite codemods one file's plan runs, found in `redis_migrate.codemods`, not listed.

A codemod class that declares `SERVES` (`redis_migrate.codemods._contract`) is a rewrite
codemod: it says which plan fields it acts on and its place in the order, and builds itself from
the plan. Adding one is adding a module to the package; nothing here names a codemod.
"""

from __future__ import annotations

import dataclasses
import importlib
import pkgutil
from functools import cache

from libcst.codemod import Codemod, CodemodContext, VisitorBasedCodemodCommand

from redis_migrate.analysis.frameworks import LIFESPAN_CONSTRUCTORS
from redis_migrate.codemods._contract import RewriteCodemod, RunInputs, Serves
from redis_migrate.codemods._shared_pass import SharedPass, overlapping
from redis_migrate.rewrite.edit_plan import FilePlan

PACKAGE = "redis_migrate.codemods"
PLAN_FIELDS = frozenset(f.name for f in dataclasses.fields(FilePlan))


@cache
def discover(package: str = PACKAGE) -> tuple[RewriteCodemod, ...]:
    """Every class in the package's modules that declares `SERVES`, in the declared order.

    Two codemods of one order, or a kind that is not a plan field, is a bug: raised here.
    """
    found: list[RewriteCodemod] = []
    for info in pkgutil.iter_modules(importlib.import_module(package).__path__, f"{package}."):
        module = importlib.import_module(info.name)
        for value in vars(module).values():
            # defined in this module (not imported into it), and declaring the metadata
            if (isinstance(value, type) and value.__module__ == module.__name__
                    and issubclass(value, Codemod)
                    and isinstance(getattr(value, "SERVES", None), Serves)):
                found.append(value)  # type: ignore[arg-type]  # checked above, at run time
    orders: dict[int, RewriteCodemod] = {}
    for codemod in found:
        declared = codemod.SERVES
        unknown = set(declared.kinds) - PLAN_FIELDS
        if unknown:
            raise TypeError(f"{codemod} serves {sorted(unknown)}: not fields of FilePlan")
        if declared.order in orders:
            raise TypeError(f"{codemod} and {orders[declared.order]} both declare order "
                            f"{declared.order}: say which runs first")
        orders[declared.order] = codemod
    sharing = [c for c in found if c.SERVES.shares_pass]
    clash = overlapping(sharing)  # type: ignore[arg-type]  # codemod classes, checked above
    if clash:
        raise TypeError(f"codemods that share a pass both hook {sorted(clash)}: "
                        f"{[str(c) for c in sharing]}")
    return tuple(orders[order] for order in sorted(orders))


def serves(codemod: RewriteCodemod, plan: FilePlan) -> bool:
    """Whether the codemod has work in this plan: a field it serves is non-empty."""
    declared = codemod.SERVES
    return declared.always or any(getattr(plan, kind) for kind in declared.kinds)


def codemods_for(context: CodemodContext, plan: FilePlan, lifecycle: str,
                 package: str = PACKAGE) -> list[Codemod]:
    """The codemods this plan runs, built from it, in order."""
    run = RunInputs(lifecycle, frozenset(LIFESPAN_CONSTRUCTORS))
    return [codemod.from_plan(context, plan, run) for codemod in discover(package)
            if serves(codemod, plan)]


def passes(context: CodemodContext, codemods: list[Codemod]) -> list[Codemod]:
    """`codemods` as the passes that run them: neighbours in the order that declare
    `shares_pass` run as one `SharedPass` (one traversal, one metadata resolution)."""
    grouped: list[Codemod] = []
    run: list[VisitorBasedCodemodCommand] = []
    for codemod in [*codemods, None]:
        if isinstance(codemod, VisitorBasedCodemodCommand) and _shares(codemod):
            run.append(codemod)
            continue
        grouped.extend([SharedPass(context, run)] if len(run) > 1 else run)
        run = []
        if codemod is not None:
            grouped.append(codemod)
    return grouped


def _shares(codemod: Codemod) -> bool:
    declared = getattr(type(codemod), "SERVES", None)
    return isinstance(declared, Serves) and declared.shares_pass

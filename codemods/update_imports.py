"""Imports after a rewrite: `from <lifecycle> import get_redis` where it is now called, and
Redis/aioredis imports (and modules of removed clients) dropped where nothing uses them.

`from aioredis.exceptions import X` → `from redis.exceptions import X` once no aioredis client is
left in the file: the shared client raises redis-py's exceptions, so `except X` keeps catching.

Never hand-edits import statements: both are scheduled with LibCST's import visitors, which
keep the file's style and leave every other import alone.
"""

from __future__ import annotations

import sys
from collections.abc import Collection, Mapping, Sequence
from typing import Self, TypeVar

import libcst as cst
from libcst.codemod import CodemodContext
from libcst.codemod.visitors import AddImportsVisitor, ImportItem, RemoveImportsVisitor

from ._common import (
    SETUP_IMPORTS,
    RewriteCommand,
    compat_module,
    dotted,
    module_import,
    resolve_relative,
    with_setup_comment,
)
from ._contract import FileEdits, RunInputs, Serves
from ._import_layout import KEPT_COMMENTS, hand_on_comments
from ._names import Spelled, bound_name, spelled

ImportT = TypeVar("ImportT", cst.Import, cst.ImportFrom)

# `inject` too: python-inject's `inject.instance(Redis).aclose()` is often its file's only use,
# and that close becomes close_redis(); the module has no import-time effect to keep
_REDIS_MODULES = ("redis", "aioredis", "inject")
ACCESSORS = ("get_redis", "get_sync_redis", "get_compat_redis", "get_blocking_redis",
             "init_redis", "close_redis", "lazy_redis")
# N5-N8, N10: aioredis 2.x modules and their redis.asyncio counterparts
_AIOREDIS_MODULES = {
    "aioredis": "redis.asyncio", "aioredis.client": "redis.asyncio.client",
    "aioredis.lock": "redis.asyncio.lock", "aioredis.sentinel": "redis.asyncio.sentinel",
    "aioredis.connection": "redis.asyncio.connection", "aioredis.utils": "redis.asyncio.utils",
}


class UpdateRedisImports(RewriteCommand):
    """Adds the accessor import where needed; removes the imports the rewrite left unused."""

    DESCRIPTION = "Add get_redis imports, drop unused Redis/aioredis imports (rewrite 7)."
    # no scope metadata: on a large file a qualified-name analysis costs more than the rest of
    # the codemod; the calls are resolved through the module's imports (`_resolved`)
    # last: it imports what the others call and drops what they left unused
    SERVES = Serves(always=True, order=100)
    reads_metadata = False  # it reads the module's imports from its text (`spelled`)

    def __init__(self, context: CodemodContext, lifecycle: str, module: str, package: str,
                 also_unused: Collection[str] = (),
                 aliases: Mapping[str, str] | None = None,
                 setup_modules: Mapping[str, str] | None = None,
                 read_before: Collection[str] | None = None) -> None:
        """`aliases`: accessor -> the name the file imports it as, where the file binds the
        accessor's own name (`get_redis` is its dependency): `import get_redis as …`.
        `setup_modules`: module -> a call it makes at import (`load_dotenv()`); an import of
        its client that goes stays as an import of the module, so the call still runs.
        `read_before`: the names the file read before the rewrite; an import of a name it did
        not read was unused already, and stays (None: every unused one goes)."""
        super().__init__(context)
        self.lifecycle = lifecycle
        # where each accessor comes from: the compat wrapper sits beside the lifecycle module
        self.homes = {name: lifecycle for name in ACCESSORS}
        self.homes["get_compat_redis"] = compat_module(lifecycle)
        self.aliases = dict(aliases or {})
        self.module_name, self.package = module, package
        self.also_unused = frozenset(also_unused)  # modules whose clients were removed
        self.setup_modules = dict(setup_modules or {})
        self.read_before = frozenset(read_before) if read_before is not None else None
        self._calls: set[str] = set()  # accessors called: get_redis, get_sync_redis
        self._top_only = False  # every import at the module's top (known at visit_Module)
        self._imported: set[str] = set()  # accessors imported from the lifecycle module

    @classmethod
    def from_plan(cls, context: CodemodContext, plan: FileEdits, run: RunInputs) -> Self:
        """Built from one file's edit plan (the engine picks it by `SERVES`)."""
        return cls(context, run.lifecycle, plan.module, plan.package, plan.removed_modules,
                   dict(plan.aliases), plan.setup_modules, plan.read_before)

    def _is_ours(self, module: str) -> bool:
        top = module.split(".")[0]
        return top in _REDIS_MODULES or module in self.also_unused

    def visit_Import(self, node: cst.Import) -> bool:
        for alias in node.names:
            name = dotted(alias.name) or ""
            if name in self.setup_modules:
                continue  # imported for its setup calls (`module_import`), not for a name
            if self._is_ours(name) and self._was_read(bound_name(alias) or name.split(".")[0]):
                asname = bound_name(alias)
                if self._plainly_unused(asname or name.split(".")[0]):
                    self._drop.add(_alias_key(alias))
                elif (asname or name) not in self._plainly_read:
                    # LibCST's scope analysis decides: it may still be read
                    RemoveImportsVisitor.remove_unused_import(self.context, name, asname=asname)
        return False

    def visit_SimpleStatementLine(self, node: cst.SimpleStatementLine) -> bool:
        # only import statements change here: the expressions of every other line (most of a
        # large file's nodes) are not visited at all
        return any(isinstance(small, (cst.Import, cst.ImportFrom)) for small in node.body)

    def on_visit(self, node: cst.CSTNode) -> bool:
        # nor, when every import is at the module's top, the defs, classes and blocks: no
        # import is inside them
        if self._top_only and isinstance(node, cst.BaseCompoundStatement):
            return False
        return super().on_visit(node)

    def _was_read(self, bound: str) -> bool:
        """Whether the file read `bound` before the rewrite (or that is not known)."""
        return self.read_before is None or bound in self.read_before

    def _plainly_unused(self, bound: str) -> bool:
        """Nothing in the file reads `bound`, not even a string (an annotation, `__all__`):
        the import goes here, without the scope analysis that costs a pass over a large file."""
        return not self._mentions(bound) and bound not in self._string_words

    def visit_Module(self, node: cst.Module) -> None:
        found = spelled(node)
        self._top_only = not found.nested_imports
        self._loaded = found.names
        self._string_words = found.string_words
        self._plainly_read = found.plainly_read
        self._drop: set[tuple[str, str | None]] = set()
        self._placeholders = 0  # dropped imports whose comment lines wait for a home
        bound = self._bindings(found)
        resolved = {call: _resolved(call, bound) for call in found.calls}
        for accessor in ACCESSORS:
            spelled_as = self.aliases.get(accessor, accessor)
            home = f"{self.homes[accessor]}.{accessor}"
            if any(target == home or (call == spelled_as and target is None)
                   for call, target in resolved.items()):
                # imported from the lifecycle module, or inserted by a rewrite (not bound yet)
                self._calls.add(accessor)
        # aioredis exception names may follow the client to redis-py only if no aioredis
        # client (or other aioredis call) is left in this file
        self._aioredis_calls = any(
            target is not None and target.startswith("aioredis.")
            and ".exceptions." not in target for target in resolved.values())

    def _bindings(self, found: Spelled) -> dict[str, str]:
        """Module-level name -> what it imports (`rc` -> `app.redis_client`), relative
        imports resolved in this file's package."""
        bound: dict[str, str] = {}
        for source, name, asname in found.imports:
            if source is None:  # `import a.b` binds `a`; `import a.b as c` binds `c` to a.b
                bound[asname or name.split(".")[0]] = name if asname else name.split(".")[0]
            else:
                bound[asname or name] = f"{source}.{name}"
        for level, source, name, asname in found.relative:
            bound[asname or name] = f"{resolve_relative(self.package, level, source)}.{name}"
        return bound

    def leave_ImportFrom(self, original: cst.ImportFrom, updated: cst.ImportFrom,
                         ) -> cst.ImportFrom | cst.Import | cst.RemovalSentinel:
        dropped = _without(updated, self._drop)
        if isinstance(dropped, cst.RemovalSentinel):
            kept = module_import(updated, self.package, self.setup_modules)
            if kept is None:
                return dropped
            self.context.scratch.setdefault(SETUP_IMPORTS, {})[kept[1]] = \
                self.setup_modules[kept[1]]
            return kept[0]
        updated = dropped
        module = dotted(updated.module) if updated.module is not None else None
        if updated.relative or module is None or self._aioredis_calls:
            return updated
        if module == "aioredis.exceptions":
            return updated.with_changes(module=cst.parse_expression("redis.exceptions"))
        renamed = _AIOREDIS_MODULES.get(module)
        if renamed and self._still_used(updated):
            # N5-N8, N10: names kept for annotations and the like (`from aioredis import Redis`)
            return updated.with_changes(module=cst.parse_expression(renamed))
        return updated

    def leave_SimpleStatementLine(self, original: cst.SimpleStatementLine,
                                  updated: cst.SimpleStatementLine) -> cst.SimpleStatementLine:
        if not updated.body and any(line.comment for line in updated.leading_lines):
            # a dropped import's own line goes, the comments above it stay (as ruff's fix
            # does): held by a placeholder that its block hands on to the next statement
            self._placeholders += 1
            return updated.with_changes(body=[cst.Expr(cst.Name(KEPT_COMMENTS))])
        kept = self.context.scratch.get(SETUP_IMPORTS)
        return with_setup_comment(updated, self.package, kept) if kept else updated

    def leave_IndentedBlock(self, original: cst.IndentedBlock,
                            updated: cst.IndentedBlock) -> cst.IndentedBlock:
        if not self._placeholders:
            return updated
        body, footer = hand_on_comments(list(updated.body), list(updated.footer))
        return updated.with_changes(body=body, footer=footer)

    def leave_Import(self, original: cst.Import,
                     updated: cst.Import) -> cst.Import | cst.RemovalSentinel:
        kept = _without(updated, self._drop)
        if isinstance(kept, cst.RemovalSentinel) or self._aioredis_calls:
            return kept
        names = []
        for alias in kept.names:
            if dotted(alias.name) == "aioredis" and alias.asname is None \
                    and self._mentions("aioredis"):
                # N1: `import aioredis` cannot even be imported on Python >= 3.11; what is
                # left of it (annotations, isinstance checks) is redis.asyncio's API
                alias = alias.with_changes(
                    name=cst.parse_expression("redis.asyncio"),
                    asname=cst.AsName(name=cst.Name("aioredis")))
            names.append(alias)
        return kept.with_changes(names=names)

    def _still_used(self, node: cst.ImportFrom) -> bool:
        if isinstance(node.names, cst.ImportStar):
            return False
        return any(self._mentions((a.asname.name.value if a.asname is not None
                                   and isinstance(a.asname.name, cst.Name)
                                   else dotted(a.name) or ""))
                   for a in node.names)

    def _mentions(self, name: str) -> bool:
        """Whether `name` is read anywhere outside import statements."""
        return name in self._loaded

    def visit_ImportFrom(self, node: cst.ImportFrom) -> bool:
        if isinstance(node.names, cst.ImportStar):
            return False
        base = dotted(node.module) if node.module is not None else ""
        level = len(node.relative)
        source = resolve_relative(self.package, level, base or "") if level else (base or "")
        for alias in node.names:
            obj = dotted(alias.name) or ""
            asname = (alias.asname.name.value if alias.asname is not None
                      and isinstance(alias.asname.name, cst.Name) else None)
            if obj in ACCESSORS and source == self.homes[obj] \
                    and asname == self.aliases.get(obj):
                self._imported.add(obj)
            elif source == "aioredis.exceptions" and not self._aioredis_calls:
                continue  # renamed to redis.exceptions in leave_ImportFrom, still used
            elif f"{source}.{obj}" in self.setup_modules:
                continue  # `from . import db`, kept for its setup calls
            elif (self._is_ours(source) or f"{source}.{obj}" in self.also_unused) \
                    and self._was_read(asname or obj):
                if self._plainly_unused(asname or obj):
                    self._drop.add(_alias_key(alias))
                    continue
                if (asname or obj) in self._plainly_read:
                    continue
                # relative imports are scheduled as written: the visitor matches their text
                RemoveImportsVisitor.remove_unused_import(
                    self.context, ("." * level) + (base or "") if level else source, obj,
                    asname)
        return False

    def leave_Module(self, original: cst.Module, updated: cst.Module) -> cst.Module:
        if self._placeholders:
            body, footer = hand_on_comments(list(updated.body), list(updated.footer))
            updated = updated.with_changes(body=body, footer=footer)
        for accessor in sorted(ACCESSORS):  # one `from … import a, b` line, in order
            home = self.homes[accessor]
            alias = self.aliases.get(accessor)
            if accessor in self._calls and accessor not in self._imported:
                AddImportsVisitor.add_needed_import(self.context, home, accessor, alias)
            elif accessor in self._imported and accessor not in self._calls:
                RemoveImportsVisitor.remove_unused_import(self.context, home, accessor, alias)
        # every import scheduled so far (ours and the earlier codemods'), added here rather
        # than by the pass LibCST would run after this one
        wanted = self.context.scratch.pop(AddImportsVisitor.CONTEXT_KEY, [])
        return add_at_top(self.context, updated, wanted) if wanted else updated


class DropOrphanedStdlibImports(RewriteCommand):
    """`import os` that only served the removed client's URL (`os.getenv("REDIS_URL")`) goes
    too. Only standard-library imports (importing them has no effect to keep), and only names
    the file read before the rewrite and no longer reads: an import that was unused already is
    not this rewrite's business."""

    DESCRIPTION = "Drop standard-library imports the rewrite left unused."
    reads_metadata = False  # it schedules LibCST's RemoveImportsVisitor, which reads its own

    def __init__(self, context: CodemodContext, before: cst.Module) -> None:
        super().__init__(context)
        self.read_before = spelled(before).names
        self._found: list[tuple[str | None, str, str | None]] | None = None

    def orphaned_imports(self, module: cst.Module) -> list[tuple[str | None, str, str | None]]:
        """The standard-library imports of `module` (`_names.Spelled.imports` entries) that
        bind a name it read before the rewrite and no longer reads."""
        found = spelled(module)
        orphaned = self.read_before - found.names
        return [(source, name, asname) for source, name, asname in found.imports
                if _stdlib(source or name)
                and (asname or (name.split(".")[0] if source is None else name)) in orphaned]

    def has_work(self, module: cst.Module) -> bool:
        """Whether a standard-library import of `module` binds a name it no longer reads;
        kept for the pass that follows. `module` is the tree that pass visits, or one that
        differs from it in import statements only (the tree the import pass read): the names
        a file reads are the same on both, and an import the other lists that is gone by now
        is one LibCST's RemoveImportsVisitor does not find, and leaves alone."""
        self._found = self.orphaned_imports(module)
        return bool(self._found)

    def visit_Module(self, node: cst.Module) -> None:
        found = self._found if self._found is not None else self.orphaned_imports(node)
        for source, name, asname in found:
            if source is None:  # `import os`
                RemoveImportsVisitor.remove_unused_import(self.context, name, asname=asname)
            else:  # `from os import getenv`
                RemoveImportsVisitor.remove_unused_import(self.context, source, name, asname)


def add_at_top(context: CodemodContext, module: cst.Module,
               wanted: Sequence[ImportItem]) -> cst.Module:
    """`module` with the `wanted` imports, as LibCST's AddImportsVisitor adds them, run on
    the module's top only: the statements up to its last top-level import (the visitor reads
    and changes nothing below them), so a large file is not copied and visited whole."""
    last = max((i for i, statement in enumerate(module.body)
                if isinstance(statement, cst.SimpleStatementLine)
                and any(isinstance(s, (cst.Import, cst.ImportFrom)) for s in statement.body)),
               default=-1)
    # at least the first statement: with nothing above the code, the visitor spaces the first
    # statement from the new imports
    cut = max(last + 1, 1 if module.body else 0)
    head = module.with_changes(body=module.body[:cut])
    added = AddImportsVisitor(context, wanted).transform_module(head)
    return module.with_changes(header=added.header,
                               body=[*added.body, *module.body[cut:]])


def _resolved(call: str, bound: dict[str, str]) -> str | None:
    """What a dotted callee resolves to through the module's imports (None: its first name is
    not imported; a def, a parameter or a name a rewrite inserted)."""
    head, _, rest = call.partition(".")
    target = bound.get(head)
    if target is None:
        return None
    return f"{target}.{rest}" if rest else target


def _alias_key(alias: cst.ImportAlias) -> tuple[str, str | None]:
    """An alias by what it says (`redis.asyncio`, `redis`): the same before and after a pass."""
    return dotted(alias.name) or "", bound_name(alias)


def _without(statement: ImportT, drop: set[tuple[str, str | None]],
             ) -> ImportT | cst.RemovalSentinel:
    """`statement` without the aliases in `drop`; removed whole when none is left (its line
    goes, as LibCST's RemoveImportsVisitor does it)."""
    if not drop or isinstance(statement.names, cst.ImportStar):
        return statement
    names = [a for a in statement.names if _alias_key(a) not in drop]
    if len(names) == len(statement.names):
        return statement
    if not names:
        return cst.RemoveFromParent()
    if not (isinstance(statement, cst.ImportFrom) and statement.lpar is not None):
        names[-1] = names[-1].with_changes(comma=cst.MaybeSentinel.DEFAULT)
    return statement.with_changes(names=names)


def _stdlib(module: str) -> bool:
    return module.split(".")[0] in sys.stdlib_module_names

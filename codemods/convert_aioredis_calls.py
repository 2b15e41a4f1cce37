"""aioredis 1.x/2.x calls on migrated clients → redis.asyncio (rules: docs/aioredis-rules.md).

`await r.hmset_dict(k, d)` → `await r.hset(k, mapping=d)`, `r.set(k, v)` (un-awaited) →
`await r.set(k, v)`, `except aioredis.errors.ReplyError` → `except redis.exceptions.ResponseError`.
What cannot be rewritten safely stays byte-identical with a `# TODO(redis-migration): <rule> …`
comment on its line and a `(line, rule, reason)` entry in `flagged`.

This module walks the tree and matches the migrated client; what to do with a match lives
beside it: the rule table (`_aioredis_rules`), what a call's result is used for
(`_aioredis_result_usage`), `encoding=` (`_aioredis_encoding`), closing the client
(`_aioredis_close_pairs`), exception names (`_aioredis_exceptions`) and the TODO comment
(`_todo_comments`).
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Self

import libcst as cst
import libcst.matchers as m
from libcst.codemod import CodemodContext
from libcst.codemod.visitors import AddImportsVisitor, RemoveImportsVisitor
from libcst.metadata import ImportAssignment, ParentNodeProvider, PositionProvider

from . import _aioredis_rules as rules
from ._aioredis_close_pairs import ClosePairs
from ._aioredis_encoding import Decode, convert_encoding, normalised
from ._aioredis_exceptions import TIMEOUTS, exception_move, handler_types
from ._aioredis_result_usage import result_usage
from ._common import PathAwareCommand, absolute_names, dotted, unwrap_await
from ._contract import FileEdits, RunInputs, Serves
from ._todo_comments import commented


class ConvertAioredisCalls(PathAwareCommand):
    """Rewrites aioredis command calls on migrated clients; flags what needs a human."""

    DESCRIPTION = ("aioredis 1.x/2.x calls on migrated clients -> redis.asyncio "
                   "(docs/aioredis-rules.md).")
    METADATA_DEPENDENCIES = (ParentNodeProvider, PositionProvider)
    # after the moves: it converts the calls made on get_redis() and on the moved clients
    SERVES = Serves(kinds=("convert",), order=80)

    def __init__(self, context: CodemodContext, receivers: Mapping[str | None, Collection[str]],
                 accessors: Collection[str], library: str, *, decode_responses: bool = False,
                 encoding: str = "utf-8") -> None:
        super().__init__(context)
        if library not in (rules.AIOREDIS1, rules.AIOREDIS2):
            raise ValueError(f"library must be aioredis1 or aioredis2, not {library!r}")
        self.receivers = {k: frozenset(v) for k, v in receivers.items()}
        self.accessors = frozenset(accessors)
        self.library = library
        self.decode_responses, self.encoding = decode_responses, normalised(encoding)
        self.module_name = context.full_module_name or ""
        self.package = context.full_package_name or ""
        self.flagged: list[tuple[int, str, str]] = []
        self._functions: list[tuple[cst.FunctionDef, frozenset[str]]] = []  # (def, pipelines)
        self._paths: list[str] = []  # the path of each def in _functions (`C.m`)
        self._comments: dict[cst.CSTNode, list[str]] = {}
        self._decodes: dict[cst.CSTNode, Decode] = {}  # by the statement it follows
        self._closes = ClosePairs(self._client_call, self._parent, self._flag, self.v1)

    @classmethod
    def from_plan(cls, context: CodemodContext, plan: FileEdits, run: RunInputs) -> Self:
        """Built from one file's edit plan (the engine picks it by `SERVES`)."""
        if plan.convert is None:
            raise ValueError("the plan converts no aioredis calls")
        accessors = {f"{run.lifecycle}.get_redis", f"{run.lifecycle}.get_sync_redis",
                     *plan.convert_calls}
        return cls(context, plan.convert_receivers, accessors, plan.convert)

    @property
    def v1(self) -> bool:
        return self.library == rules.AIOREDIS1

    # ------------------------------------------------------------------ matching helpers

    def _names(self, node: cst.CSTNode) -> set[str]:
        return absolute_names(self.qualified_names(node),
                              self.module_name, self.package)

    def _is_client(self, node: cst.BaseExpression) -> bool:
        """Whether `node` is the migrated client: an accessor or getter call (awaited or not),
        or a receiver spelled as the analysis found it, and bound where it found it."""
        call = unwrap_await(node)
        if isinstance(call, cst.Call):
            return bool(self.accessors & self._names(call.func))
        spelled = dotted(node)
        if spelled is None:
            return False
        if spelled in self.receivers.get(self.paths.current, ()):
            return not self._shadowed(node, self._functions[-1][0] if self._functions else None)
        root, _, attribute = spelled.partition(".")
        if not attribute:
            return False
        for function, path in zip(reversed(self._functions), reversed(self._paths)):
            # `self.x` in a method (or a closure in it) of a class whose instances hold it
            cls = path.rpartition(".")[0]
            if f"self.{attribute}" in self.receivers.get(cls, ()) \
                    and _instance_parameter(function[0]) == root:
                return not self._shadowed(node, function[0])
        return False

    def _shadowed(self, node: cst.BaseExpression, function: cst.FunctionDef | None) -> bool:
        """Whether the name `node` starts with is rebound between it and `function`'s scope
        (a comprehension variable, a lambda or nested def parameter, a class attribute)."""
        if function is None:
            return False
        while isinstance(node, cst.Attribute):
            node = node.value
        assert isinstance(node, cst.Name)
        scope = self.scope_of(node)
        while scope is not None and getattr(scope, "node", None) is not function:
            if scope.assignments[node.value]:
                return True
            scope = scope.parent if scope.parent is not scope else None
        return False

    def _client_call(self, node: cst.BaseExpression) -> str | None:
        """The method name if `node` is a call on a migrated client."""
        if isinstance(node, cst.Call) and isinstance(node.func, cst.Attribute) \
                and self._is_client(node.func.value):
            return node.func.attr.value
        return None

    def _parent(self, node: cst.CSTNode) -> cst.CSTNode | None:
        return self.get_metadata(ParentNodeProvider, node, None)

    def _in_async(self) -> bool:
        return bool(self._functions) and self._functions[-1][0].asynchronous is not None

    def _in_close_redis(self) -> bool:
        return bool(self._functions) and self._functions[-1][0].name.value == "close_redis"

    def _used_elsewhere(self, name: str) -> bool:
        """Whether `name` is read anywhere in the current def besides its assignment."""
        scope = self._functions[-1][0] if self._functions else None
        return scope is not None and len(m.findall(scope, m.Name(name))) > 1

    def _constant(self, node: cst.BaseExpression) -> str | None:
        """The aioredis constant (`SET_IF_NOT_EXIST`, …) `node` resolves to, if any."""
        if isinstance(node, cst.Attribute) and node.attr.value in rules.CONSTANTS:
            if self._is_client(node.value) or any(
                    n.startswith("aioredis.") for n in self._names(node)):
                return node.attr.value
        if isinstance(node, cst.Name) and node.value in rules.CONSTANTS \
                and any(n.startswith("aioredis.") for n in self._names(node)):
            return node.value
        return None

    # ----------------------------------------------------------------------- flagging

    def _flag(self, node: cst.CSTNode, rule: str, reason: str) -> None:
        line = self.get_metadata(PositionProvider, node).start.line
        if (line, rule, reason) not in self.flagged:
            self.flagged.append((line, rule, reason))
        owner: cst.CSTNode | None = node
        while owner is not None and not isinstance(
                owner, (cst.SimpleStatementLine, cst.BaseCompoundStatement, cst.ExceptHandler)):
            owner = self._parent(owner)
        if owner is not None:
            texts = self._comments.setdefault(owner, [])
            if f"{rule} {reason}" not in texts:
                texts.append(f"{rule} {reason}")

    def on_leave(self, original: cst.CSTNode, updated: cst.CSTNode):  # type: ignore[no-untyped-def]
        result = super().on_leave(original, updated)
        texts = self._comments.pop(original, None)
        if texts is None:
            return result
        if isinstance(result, cst.FlattenSentinel):
            return cst.FlattenSentinel([commented(result.nodes[0], texts), *result.nodes[1:]])
        if isinstance(result, cst.CSTNode):
            return commented(result, texts)
        return result

    # ---------------------------------------------------------------------- functions

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        super().visit_FunctionDef(node)
        self._functions.append((node, frozenset()))
        self._paths.append(self.paths.path())
        pipelines = set()
        for assign in m.findall(node, m.Assign(targets=[m.AssignTarget(target=m.Name())],
                                               value=m.Call(func=m.Attribute()))):
            assert isinstance(assign, cst.Assign)
            if self._client_call(assign.value) in ("multi_exec", "pipeline"):
                pipelines.add(assign.targets[0].target.value)  # type: ignore[attr-defined]
        self._functions[-1] = (node, frozenset(pipelines))

    def leave_FunctionDef(self, original: cst.FunctionDef,
                          updated: cst.FunctionDef) -> cst.FunctionDef:
        self._functions.pop()
        self._paths.pop()
        return super().leave_FunctionDef(original, updated)

    def leave_IndentedBlock(self, original: cst.IndentedBlock,
                            updated: cst.IndentedBlock) -> cst.IndentedBlock:
        if not updated.body:  # a lone wait_closed() was the whole block
            return updated.with_changes(body=[cst.SimpleStatementLine([cst.Pass()])])
        return updated

    # -------------------------------------------------------------------------- calls

    def leave_Call(self, original: cst.Call, updated: cst.Call) -> cst.BaseExpression:
        if not self.v1 or not isinstance(original.func, cst.Attribute):
            return updated
        method = self._client_call(original)
        if method is None:
            return self._pipeline_call(original, updated)
        return self._convert(original, updated, method)

    def _convert(self, original: cst.Call, updated: cst.Call, method: str,
                 ) -> cst.BaseExpression:
        """The rules of `method` applied to a command call (on the client or a pipeline)."""
        constants = {rules.code(a.value): self._constant(a.value) for a in original.args}
        site = rules.Site(updated, method, result_usage(original, self._parent),
                          lambda e: constants.get(rules.code(e)))
        encoding, decode = convert_encoding(original, site, self._parent,
                                            self.decode_responses, self.encoding)
        outcomes: list[rules.Outcome] = [encoding]
        if isinstance(outcomes[0], cst.Call):
            site.call = outcomes[0]
        if method == "xgroup_create" and self._catches_busy_group(original):
            outcomes.append(rules.Flag("X4", "a BusyGroupError handler must become a "
                                             "ResponseError BUSYGROUP message check"))
        else:
            rule = rules.METHOD_RULES.get(method)
            outcomes.append(rule[1](site) if rule is not None and rule[1] is not None else None)
        flags = [o for o in outcomes if isinstance(o, rules.Flag)]
        if flags:
            for flag in flags:
                self._flag(original, flag.rule, flag.reason)
            return updated  # as written, encoding= kept: its result needs no .decode()
        if decode is not None:
            self._decodes[decode.statement] = decode
        for module, obj in site.imports:
            AddImportsVisitor.add_needed_import(self.context, module, obj)
        for outcome in reversed(outcomes):
            if isinstance(outcome, cst.Call):
                return outcome
        return updated

    def _catches_busy_group(self, node: cst.CSTNode) -> bool:
        child, parent = node, self._parent(node)
        while parent is not None:
            if isinstance(parent, cst.Try) and child is parent.body:
                for handler in parent.handlers:
                    if handler.type is not None and any(
                            n.endswith(".BusyGroupError") and n.startswith("aioredis.")
                            for t in handler_types(handler.type) for n in self._names(t)):
                        return True
            child, parent = parent, self._parent(parent)
        return False

    def _pipeline_call(self, original: cst.Call, updated: cst.Call) -> cst.BaseExpression:
        """P3/P4: calls on a pipeline built from a migrated client in this def."""
        func = original.func
        assert isinstance(func, cst.Attribute)
        pipelines = self._functions[-1][1] if self._functions else frozenset()
        if not (isinstance(func.value, cst.Name) and func.value.value in pipelines):
            return updated
        if func.attr.value == "execute":
            result = rules.rewrite_execute(rules.Site(updated, "execute", "used", lambda e: None))
            return result if isinstance(result, cst.Call) else updated
        parent = self._parent(original)
        if isinstance(parent, cst.Await):
            self._flag(original, "P3", "awaiting a pipeline command returns the pipeline, "
                                       "not the value: read it from execute()")
        elif isinstance(parent, cst.Assign) and any(
                isinstance(t.target, cst.Name) and self._used_elsewhere(t.target.value)
                for t in parent.targets):
            self._flag(original, "P3", "pipeline futures are gone: map the result to its "
                                       "position in execute()")
        else:
            # a command queued on the pipeline takes the client's arguments in both
            # libraries: `pipe.zadd(k, 0, member)` changes as `client.zadd(...)` does
            return self._convert(original, updated, func.attr.value)
        return updated

    # --------------------------------------------------------------------- statements

    def _unawaited(self, small: cst.BaseSmallStatement,
                   statement: cst.BaseSmallStatement) -> cst.BaseSmallStatement:
        """U1/U2/C13: a command call on a migrated client that nobody awaits (aioredis 1.x)."""
        value = getattr(small, "value", None)
        method = self._client_call(value) if isinstance(value, cst.Call) else None
        if method is None or method in rules.NOT_COROUTINES:
            return statement
        if isinstance(small, cst.Expr):
            if self._in_async():
                return statement.with_changes(value=cst.Await(statement.value))  # type: ignore[attr-defined]
            self._flag(small, "C13", "un-awaited command never runs in redis.asyncio and "
                                     "this def is not async")
        elif isinstance(small, (cst.Assign, cst.AnnAssign)):
            targets = [t.target for t in small.targets] if isinstance(small, cst.Assign) \
                else [small.target]
            later = any(isinstance(t, cst.Name) and self._used_elsewhere(t.value)
                        for t in targets)
            self._flag(small, "U2", "stored command coroutine is awaited later: 1.x sent it "
                                    "here" if later else "stored command coroutine never runs")
        return statement

    def leave_SimpleStatementLine(
        self, original: cst.SimpleStatementLine, updated: cst.SimpleStatementLine
    ) -> cst.BaseStatement | cst.FlattenSentinel[cst.BaseStatement] | cst.RemovalSentinel:
        body: list[cst.BaseSmallStatement] = []
        for index, (small, statement) in enumerate(zip(original.body, updated.body)):
            new = self._closes.rewrite(original, index, statement, self._in_close_redis())
            if new is None:
                continue
            if self.v1 and new is statement:
                new = self._unawaited(small, statement)
            body.append(new)
        if not body:
            return cst.RemovalSentinel.REMOVE
        if len(body) != len(updated.body):
            body[-1] = body[-1].with_changes(semicolon=cst.MaybeSentinel.DEFAULT)
        result = updated.with_changes(body=body)
        decode = self._decodes.pop(original, None)
        if decode is None:
            return result
        return cst.FlattenSentinel([result, decode.line()])

    def leave_With(self, original: cst.With, updated: cst.With) -> cst.BaseStatement:
        """C9: `with await r as conn:` → `async with r.client() as conn:`."""
        if not self.v1 or original.asynchronous is not None or len(original.items) != 1:
            return updated
        item = original.items[0]
        if not (isinstance(item.item, cst.Await) and self._is_client(item.item.expression)):
            return updated
        if not self._in_async() or item.asname is None:
            self._flag(original, "C9", "no `as` target: the connection is used implicitly")
            return updated
        receiver = updated.items[0].item.expression  # type: ignore[attr-defined]
        client = cst.Call(cst.Attribute(receiver, cst.Name("client")))
        return updated.with_changes(
            asynchronous=cst.Asynchronous(),
            items=[updated.items[0].with_changes(item=client)])

    # ------------------------------------------------------------- attributes, errors

    def visit_Import(self, node: cst.Import) -> bool:
        return False

    def visit_ImportFrom(self, node: cst.ImportFrom) -> bool:
        return False

    def visit_Try(self, node: cst.Try) -> None:
        """N4: `except asyncio.TimeoutError` around client calls no longer catches redis'."""
        if self.v1:
            return
        calls = [c for c in m.findall(node.body, m.Call(func=m.Attribute()))
                 if self._client_call(c) is not None]  # type: ignore[arg-type]
        if not calls:
            return
        for handler in node.handlers:
            if handler.type is not None and any(
                    self._names(t) & TIMEOUTS for t in handler_types(handler.type)):
                self._flag(handler, "N4", "redis.exceptions.TimeoutError is not an "
                                          "asyncio.TimeoutError: catch both")

    def leave_Attribute(self, original: cst.Attribute,
                        updated: cst.Attribute) -> cst.BaseExpression:
        rule = rules.ATTRIBUTE_RULES.get(original.attr.value)
        parent = self._parent(original)
        if self.v1 and rule is not None and self._is_client(original.value) and not (
                isinstance(parent, cst.Call) and parent.func is original):
            self._flag(original, rule, f".{original.attr.value} has no redis.asyncio "
                                       "equivalent")
            return updated
        return self._error(original, updated)

    def leave_Name(self, original: cst.Name, updated: cst.Name) -> cst.BaseExpression:
        parent = self._parent(original)
        if isinstance(parent, cst.Attribute) and parent.attr is original:
            return updated
        return self._error(original, updated)

    def _error(self, original: cst.BaseExpression,
               updated: cst.BaseExpression) -> cst.BaseExpression:
        """§1.12 / N3: aioredis exception references → redis-py's; N9/N15 flagged."""
        names = [n for n in self._names(original) if n.startswith("aioredis.")]
        if not names:
            return updated
        move = exception_move(names[0], self.v1)
        if move is None:
            return updated
        rule, module, last, target = move.rule, move.module, move.name, move.target
        if target is None:
            self._flag(original, rule, move.reason)
            return updated
        if (isinstance(original, cst.Name) and module == "aioredis.exceptions"
                and target == f"redis.exceptions.{last}"):
            # `from aioredis.exceptions import X`: the same name exists in redis.exceptions, so
            # update_imports renames the import and this reference stays as written
            return updated
        if not self._redis_free(original):
            self._flag(original, rule, "`redis` is bound to something else here")
            return updated
        AddImportsVisitor.add_needed_import(self.context, target.rpartition(".")[0])
        if isinstance(original, cst.Name):
            RemoveImportsVisitor.remove_unused_import(self.context, module, last)
        else:
            base = dotted(original.value) if isinstance(original, cst.Attribute) else None
            for candidate in {module, "aioredis", base or module}:
                RemoveImportsVisitor.remove_unused_import(self.context, candidate)
        return cst.parse_expression(target).with_changes(lpar=updated.lpar, rpar=updated.rpar)

    def _redis_free(self, node: cst.CSTNode) -> bool:
        """Whether `redis` here can only mean the package (or nothing yet)."""
        scope = self.scope_of(node)
        if scope is None:
            return True
        for assignment in scope["redis"]:
            if not (isinstance(assignment, ImportAssignment)
                    and isinstance(assignment.node, cst.Import)
                    and all(alias.asname is None for alias in assignment.node.names
                            if (dotted(alias.name) or "").split(".")[0] == "redis")):
                return False
        return True


# ------------------------------------------------------------------------------ helpers

def _instance_parameter(function: cst.FunctionDef) -> str | None:
    """What a method calls its instance (`self`): its first parameter, unless static."""
    if any(isinstance(d.decorator, cst.Name) and d.decorator.value in ("staticmethod",
                                                                         "classmethod")
           for d in function.decorators):
        return None
    parameters = [*function.params.posonly_params, *function.params.params]
    return parameters[0].name.value if parameters else None


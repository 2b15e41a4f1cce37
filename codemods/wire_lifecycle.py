"""Wire the lifecycle module into the app's own hooks: `await init_redis(...)` where it starts,
`await close_redis()` where it stops, when the app calls neither yet.

    @asynccontextmanager                        @asynccontextmanager
    async def lifespan(app: FastAPI):           async def lifespan(app: FastAPI):
        app.state.redis = get_redis()     →         await init_redis(REDIS_URL)
        yield                                       app.state.redis = get_redis()
                                                    yield
                                                    await close_redis()

A startup hook (`on_startup`, `@app.on_event("startup")`) and a worker's `main()` get the init
as their first statement (after a docstring); a lifespan (or aiohttp `cleanup_ctx` generator)
also gets the close after its `yield`, in the `finally` that follows it when there is one; a
shutdown hook gets the close as its last statement. A hook that already ends with a close left
by `remove_close_calls` (a close of the old client turned into `close_redis()`) is not given a
second one.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from typing import Self

import libcst as cst
import libcst.helpers
import libcst.matchers as m
from libcst.codemod import CodemodContext, SkipFile
from libcst.codemod.visitors import AddImportsVisitor
from libcst.metadata import PositionProvider

from ._common import PathAwareCommand, ensure_body, leading_lines
from ._contract import FileEdits, RunInputs, Serves, spelled


class WireInit(PathAwareCommand):
    """Inserts `await init_redis(...)` before the statement of a hook that holds a line.

    Runs first, on the tree the analysis read: the statement is found by the position of the
    client it creates. Every later position in the file moves down as many lines as the
    call takes (one, or one an argument when it is long; `shifted_position` says where).
    """

    DESCRIPTION = "The app's startup hook -> `await init_redis(<the client's URL>)` first."
    METADATA_DEPENDENCIES = (PositionProvider,)

    def __init__(self, context: CodemodContext, hooks: Mapping[str, tuple[int, str]],
                 imports: Sequence[tuple[str, str]] = ()) -> None:
        """`hooks`: function path -> (a line inside it, or 0 for its first statement; the
        init call's source); `imports`: (module, name) the init's URL needs in this file."""
        super().__init__(context)
        self.hooks = dict(hooks)
        self.imports = tuple(imports)
        # function path -> (the line the init now starts on, how many lines it takes)
        self.inserted_at: dict[str, tuple[int, int]] = {}
        self.wired: set[str] = set()
        self._defs: list[cst.FunctionDef] = []  # the defs the visit is in, outermost first

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        super().visit_FunctionDef(node)
        self._defs.append(node)

    def leave_FunctionDef(self, original: cst.FunctionDef,
                          updated: cst.FunctionDef) -> cst.FunctionDef:
        result = super().leave_FunctionDef(original, updated)
        self._defs.pop()
        return result

    def visit_Module(self, node: cst.Module) -> None:
        for module, name in self.imports:  # `from app.config import settings` for its URL
            AddImportsVisitor.add_needed_import(self.context, module, name)

    def leave_Module(self, original: cst.Module, updated: cst.Module) -> cst.Module:
        _require_all(self.hooks, self.wired, "init_redis()")
        return updated

    def left_function(self, path: str, original: cst.FunctionDef,
                      updated: cst.FunctionDef) -> cst.FunctionDef:
        spec = self.hooks.get(path)
        if spec is None or not isinstance(updated.body, cst.IndentedBlock):
            return updated
        line, init = spec
        # line 0: the hook makes no client; its URL was spelled from another scope, where
        # those names are the module's (`settings`): a parameter or local of the hook or of a
        # def around it would be read instead. (Before its own client, the URL reads as the
        # client read it.)
        shadowed = set() if line else (
            _names(init) & {name for d in self._defs for name in _bound(d)})
        if shadowed:
            raise SkipFile(f"{path}() or a def around it binds {', '.join(sorted(shadowed))} "
                           f"itself: `{init}` would read that, not the module's; call it by "
                           f"hand where the URL means what the client used")
        statements = list(updated.body.body)
        for index, statement in enumerate(original.body.body):
            where = self.get_metadata(PositionProvider, statement)
            if where.start.line <= line <= where.end.line:
                break
        else:
            index = 1 if statements and _is_docstring(statements[0]) else 0
            # after the hook loads its environment (`load_dotenv()` first in `main()`): the
            # URL may read it, as the client, made at import after the same call, did
            while index < len(statements) \
                    and self._loads_environment(original.body.body[index]):
                index += 1
        target = statements[index] if index < len(statements) else None
        at = self.get_metadata(PositionProvider, original.body.body[min(
            index, len(original.body.body) - 1)]).start
        source = awaited_call(init, column=at.column)
        call = _statement(source)
        if target is not None:
            self.inserted_at[path] = (at.line, source.count("\n") + 1)
            # the comments above the statement stay above the inserted call
            call = call.with_changes(leading_lines=leading_lines(target))
            statements[index] = target.with_changes(leading_lines=())
        statements.insert(index, call)
        self.wired.add(path)
        return updated.with_changes(body=updated.body.with_changes(body=statements))


    def _loads_environment(self, statement: cst.CSTNode) -> bool:
        """`load_dotenv(...)`, `os.environ.setdefault(...)`, `os.environ.update(...)` alone on
        a line (by what the callee resolves to)."""
        if not (isinstance(statement, cst.SimpleStatementLine) and len(statement.body) == 1
                and isinstance(statement.body[0], cst.Expr)):
            return False
        call = statement.body[0].value
        if not isinstance(call, cst.Call):
            return False
        return any(q.name in _ENVIRONMENT_LOADERS for q in self.qualified_names(call.func))


_ENVIRONMENT_LOADERS = frozenset({"dotenv.load_dotenv", "dotenv.main.load_dotenv",
                                  "os.environ.setdefault", "os.environ.update"})


def _names(code: str) -> set[str]:
    """The names an expression reads (`init_redis(settings.URL)` -> init_redis, settings)."""
    return {n.value for n in m.findall(cst.parse_expression(code), m.Name())
            if isinstance(n, cst.Name)}


def _targets(node: cst.CSTNode) -> set[str]:
    """The names an assignment target binds: `a`, `a, *b`; not `obj.a` nor `d[k]`."""
    if isinstance(node, cst.Name):
        return {node.value}
    if isinstance(node, (cst.Tuple, cst.List)):
        return {name for element in node.elements for name in _targets(element.value)}
    if isinstance(node, cst.StarredElement):
        return _targets(node.value)
    return set()


def _bound(function: cst.FunctionDef) -> set[str]:
    """The names a def binds in its own scope: its parameters and what its body assigns,
    imports or loops over (not inside the defs, lambdas and classes nested in it)."""
    params = function.params
    names = {p.name.value for p in (*params.posonly_params, *params.params,
                                    *params.kwonly_params)}
    names |= {p.name.value for p in (params.star_arg, params.star_kwarg)
              if isinstance(p, cst.Param)}

    class Binds(cst.CSTVisitor):
        def visit_FunctionDef(self, node: cst.FunctionDef) -> bool:
            names.add(node.name.value)
            return False

        def visit_ClassDef(self, node: cst.ClassDef) -> bool:
            names.add(node.name.value)
            return False

        def visit_Lambda(self, node: cst.Lambda) -> bool:
            return False

        def visit_AssignTarget(self, node: cst.AssignTarget) -> None:
            names.update(_targets(node.target))

        def visit_AnnAssign(self, node: cst.AnnAssign) -> None:
            names.update(_targets(node.target))

        def visit_For(self, node: cst.For) -> None:
            names.update(_targets(node.target))

        def visit_AsName(self, node: cst.AsName) -> None:
            names.update(_targets(node.name))

        def visit_NamedExpr(self, node: cst.NamedExpr) -> None:
            names.update(_targets(node.target))

        def visit_ImportAlias(self, node: cst.ImportAlias) -> None:
            full = libcst.helpers.get_full_name_for_node(node.name)
            if node.asname is None and full:
                names.add(full.split(".")[0])

    function.body.visit(Binds())
    return names


def _require_all(planned: Collection[str], wired: Collection[str], call: str) -> None:
    """Refuse the file when a planned hook was not found: a batch that moves the clients
    without starting the lifecycle would fail at the first request, not at review."""
    missing = sorted(set(planned) - set(wired))
    if missing:
        raise SkipFile(f"no def {', '.join(missing)} in this file to call {call} in (the "
                       f"analysis named it; the file does not define it there)")


def shifted_position(position: tuple[int, int],
                     inserted_at: Mapping[str, tuple[int, int]]) -> tuple[int, int]:
    """Where `position` (line, column) is after WireInit inserted its lines."""
    line, column = position
    return line + sum(count for start, count in inserted_at.values() if line >= start), column


class WireClose(PathAwareCommand):
    """Adds `await close_redis()` to hooks where the app stops, unless they call it already."""

    DESCRIPTION = "Where the app stops -> `await close_redis()` (after a lifespan's yield)."
    # after RemoveCloseCalls (60): a hook it left ending in close_redis() gets no second one
    SERVES = Serves(kinds=("wire_close",), order=70)

    def __init__(self, context: CodemodContext, hooks: Mapping[str, str],
                 close_name: str = "close_redis") -> None:
        """`hooks`: function path -> kind ("lifespan", "main", "shutdown")."""
        super().__init__(context)
        self.hooks = dict(hooks)
        self.close_name = close_name
        self.wired: set[str] = set()

    def leave_Module(self, original: cst.Module, updated: cst.Module) -> cst.Module:
        _require_all(self.hooks, self.wired, f"{self.close_name}()")
        return updated

    @classmethod
    def from_plan(cls, context: CodemodContext, plan: FileEdits, run: RunInputs) -> Self:
        """Built from one file's edit plan (the engine picks it by `SERVES`)."""
        return cls(context, plan.wire_close, spelled("close_redis", plan))

    def left_function(self, path: str, original: cst.FunctionDef,
                      updated: cst.FunctionDef) -> cst.FunctionDef:
        kind = self.hooks.get(path)
        if kind is None or not isinstance(updated.body, cst.IndentedBlock):
            return updated
        if m.findall(updated, m.Call(func=m.Name(self.close_name))):
            self.wired.add(path)
            return updated
        close = _statement(f"await {self.close_name}()")
        body = list(updated.body.body)
        body = _after_yield(body, close) if kind == "lifespan" else _at_end(body, close)
        self.wired.add(path)
        return updated.with_changes(body=updated.body.with_changes(body=ensure_body(body)))


# the longest line an inserted `await init_redis(...)` is written on; a longer one (a URL and
# the clients' options or credentials beside it) is given one argument a line, as a
# formatter would write it
LINE_LENGTH = 99


def awaited_call(call: str, indent: str = "", column: int | None = None) -> str:
    """`await <call>` as source for a statement written at `indent` that will stand at
    `column` (default: the indent's width): on one line when it fits in LINE_LENGTH, else one
    argument a line, a level deeper than `indent`, with a trailing comma (LibCST indents the
    lines of a statement parsed alone with the block it goes into). `call` is one call
    expression (`init_redis(url, clients={...})`)."""
    line = f"await {call}"
    if (len(indent) if column is None else column) + len(line) <= LINE_LENGTH:
        return line
    node = cst.parse_expression(call)
    if not isinstance(node, cst.Call) or not node.args:
        return line
    code = cst.Module([]).code_for_node
    args = [code(a.with_changes(comma=cst.MaybeSentinel.DEFAULT,
                                whitespace_after_arg=cst.SimpleWhitespace(""))).strip()
            for a in node.args]
    inner = indent + "    "
    return (f"await {code(node.func)}(\n"
            + "".join(f"{inner}{arg},\n" for arg in args) + f"{indent})")


def _statement(source: str) -> cst.SimpleStatementLine:
    statement = cst.parse_statement(source)
    assert isinstance(statement, cst.SimpleStatementLine)
    return statement


def _is_docstring(statement: cst.BaseStatement) -> bool:
    return m.matches(statement, m.SimpleStatementLine(
        body=[m.Expr(m.SimpleString() | m.ConcatenatedString())]))


def _insert_first(body: list[cst.BaseStatement],
                  statement: cst.SimpleStatementLine) -> list[cst.BaseStatement]:
    start = 1 if body and _is_docstring(body[0]) else 0
    if start == 0 and body:
        # the comment lines above the first statement stay above the inserted one
        statement = statement.with_changes(leading_lines=leading_lines(body[0]))
        body = [body[0].with_changes(leading_lines=()), *body[1:]]
    return [*body[:start], statement, *body[start:]]


def _after_yield(body: list[cst.BaseStatement],
                 close: cst.SimpleStatementLine) -> list[cst.BaseStatement]:
    """`close` after the statement that yields: in its `finally` when it is a `try`."""
    for index, statement in enumerate(body):
        if not m.findall(statement, m.Yield()):
            continue
        if isinstance(statement, cst.Try):
            final = statement.finalbody
            if final is not None and isinstance(final.body, cst.IndentedBlock):
                block = final.body.with_changes(body=[*final.body.body, close])
                body[index] = statement.with_changes(finalbody=final.with_changes(body=block))
                return body
        return [*body, close]
    return [*body, close]


def _at_end(body: list[cst.BaseStatement],
            close: cst.SimpleStatementLine) -> list[cst.BaseStatement]:
    """`close` last: in the `finally` of a last `try`, so that it runs however the run ends."""
    only = body[0] if len(body) == 1 else None
    if isinstance(only, cst.SimpleStatementLine) and m.matches(
            only, m.SimpleStatementLine(body=[m.Pass()])):
        # `async def on_shutdown(...): pass`: the close is its body now
        return [close.with_changes(leading_lines=only.leading_lines)]
    last = body[-1] if body else None
    if isinstance(last, cst.Try) and last.finalbody is not None:
        final = last.finalbody
        if isinstance(final.body, cst.IndentedBlock):
            block = final.body.with_changes(body=[*final.body.body, close])
            return [*body[:-1], last.with_changes(finalbody=final.with_changes(body=block))]
    if isinstance(last, cst.SimpleStatementLine) and isinstance(last.body[-1], cst.Return):
        value = last.body[-1].value
        if value is None or isinstance(value, (cst.Name, cst.BaseNumber, cst.BaseString)):
            return [*body[:-1], close, last]  # nothing the return computes can need Redis
        # after a return nothing runs: the close runs as the returned value leaves
        wrapped = cst.Try(body=cst.IndentedBlock(body=[last.with_changes(leading_lines=())]),
                          finalbody=cst.Finally(body=cst.IndentedBlock(body=[close])),
                          leading_lines=last.leading_lines)
        return [*body[:-1], wrapped]
    return [*body, close]

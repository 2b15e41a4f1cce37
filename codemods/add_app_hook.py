"""Give the app a hook where it has none to wire: an ASGI app made with no hook gets
`lifespan=`, a FastAPI app whose one hook is a shutdown hook gets a startup hook beside it.
Each calls `init_redis()` as it starts (and the lifespan `close_redis()` as it stops);
`wire_lifecycle` puts those calls into the hooks an app already has.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from typing import Self

import libcst as cst
import libcst.matchers as m
from libcst.codemod import CodemodContext, SkipFile
from libcst.codemod.visitors import AddImportsVisitor

from ._common import RewriteCommand
from ._contract import FileEdits, RunInputs, Serves, spelled, spelled_call
from .wire_lifecycle import awaited_call


def _put_above(body: list[cst.SimpleStatementLine | cst.BaseCompoundStatement], index: int,
               hook: cst.SimpleStatementLine | cst.BaseCompoundStatement) -> None:
    """Put `hook` right above `body[index]`, two blank lines apart: the hook takes the blank
    lines above that statement (at the top of the module, none), the statement keeps its
    comments."""
    statement = body[index]
    blank = [cst.EmptyLine(), cst.EmptyLine()]
    lines = list(statement.leading_lines)
    first = next((i for i, line in enumerate(lines) if line.comment is not None), len(lines))
    body[index:index + 1] = [hook.with_changes(leading_lines=blank if index else lines[:first]),
                             statement.with_changes(leading_lines=[*blank, *lines[first:]])]


LIFESPAN_NAME = "redis_lifespan"


class WireAppLifespan(RewriteCommand):
    """An ASGI app made with no hook at all gets one that starts and stops Redis:

        app = Litestar(route_handlers=[...])     @asynccontextmanager
                                          →      async def redis_lifespan(app):
                                                     await init_redis(settings.REDIS_URL)
                                                     try:
                                                         yield
                                                     finally:
                                                         await close_redis()


                                                 app = Litestar(route_handlers=[...],
                                                                lifespan=[redis_lifespan])

    `lifespan=` is a list for Litestar, one callable for FastAPI and Starlette. The constructor
    is found by what its name resolves to (the analysis made sure the repository has one).
    """

    DESCRIPTION = "An app with no hook -> `lifespan=` that calls init_redis()/close_redis()."
        # found by name, not by position: it may run after the rest
    SERVES = Serves(kinds=("wire_app",), order=90)

    def __init__(self, context: CodemodContext, constructors: Collection[str], listed: bool,
                 init_call: str, close_name: str = "close_redis",
                 imports: Sequence[tuple[str, str]] = ()) -> None:
        super().__init__(context)
        self.constructors = frozenset(constructors)
        self.listed = listed
        self.init_call, self.close_name = init_call, close_name
        self.imports = tuple(imports)
        self.name = LIFESPAN_NAME
        self.wired = False

    @classmethod
    def from_plan(cls, context: CodemodContext, plan: FileEdits, run: RunInputs) -> Self:
        """Built from one file's edit plan (the engine picks it by `SERVES`)."""
        if plan.wire_app is None:
            raise ValueError("the plan wires no app")
        listed, init = plan.wire_app
        return cls(context, run.lifespan_constructors, listed, spelled_call(init, plan),
                   spelled("close_redis", plan), plan.wire_imports)

    def visit_Module(self, node: cst.Module) -> None:
        if m.findall(node, m.Name(LIFESPAN_NAME)):  # the app has one of that name already
            self.name = f"lifecycle_{LIFESPAN_NAME}"
        AddImportsVisitor.add_needed_import(self.context, "contextlib", "asynccontextmanager")
        for module, name in self.imports:  # the URL's spelling: `from app.config import settings`
            AddImportsVisitor.add_needed_import(self.context, module, name)

    def leave_Call(self, original: cst.Call, updated: cst.Call) -> cst.Call:
        if self.wired or not self.constructors & {
                q.name for q in self.qualified_names(original.func)}:
            return updated
        if any(a.keyword is not None and a.keyword.value == "lifespan" for a in updated.args):
            return updated
        self.wired = True
        value: cst.BaseExpression = cst.Name(self.name)
        if self.listed:
            value = cst.List([cst.Element(value)])
        arg = cst.Arg(value=value, keyword=cst.Name("lifespan"),
                      equal=cst.AssignEqual(whitespace_before=cst.SimpleWhitespace(""),
                                            whitespace_after=cst.SimpleWhitespace("")))
        args = list(updated.args)
        if args:
            last = args[-1]
            # the separator the call already uses (a newline and indent, one per line)
            between = args[-2].comma if len(args) > 1 and isinstance(
                args[-2].comma, cst.Comma) else cst.Comma(
                whitespace_after=cst.SimpleWhitespace(" "))
            if isinstance(last.comma, cst.Comma):  # a trailing comma stays trailing
                arg = arg.with_changes(comma=last.comma)
            # what stood before `)` (a line break in `f(\n    a=1\n)`) moves past the new arg
            arg = arg.with_changes(whitespace_after_arg=last.whitespace_after_arg)
            args[-1] = last.with_changes(comma=between,
                                         whitespace_after_arg=cst.SimpleWhitespace(""))
        return updated.with_changes(args=[*args, arg])

    def leave_Module(self, original: cst.Module, updated: cst.Module) -> cst.Module:
        if not self.wired:
            return updated
        body = list(updated.body)
        for index, statement in enumerate(body):
            if not m.findall(statement, m.Arg(keyword=m.Name("lifespan"), value=m.Name(
                    self.name) | m.List([m.Element(m.Name(self.name))]))):
                continue
            hook = cst.parse_statement(
                f"@asynccontextmanager\nasync def {self.name}(app):\n"
                f"    {awaited_call(self.init_call, '    ')}\n"
                f"    try:\n        yield\n    finally:\n"
                f"        await {self.close_name}()\n")
            _put_above(body, index, hook)
            break
        return updated.with_changes(body=body)


STARTUP_NAME = "redis_startup"


class WireStartupHook(RewriteCommand):
    """A FastAPI app whose one hook is a shutdown hook gets a startup hook beside it,
    registered the same way (FastAPI runs no `on_event` hook once `lifespan=` is given):

        @app.on_event("shutdown")              @app.on_event("startup")
        async def shutdown_event():      →     async def redis_startup():
            ...                                    await init_redis("redis://localhost")


                                               @app.on_event("shutdown")
                                               async def shutdown_event():
                                                   ...

    The shutdown def is found by name at module level, and must be registered as
    `@<app>.on_event("shutdown")`; anything else skips the file.
    """

    DESCRIPTION = "A shutdown-only FastAPI app -> an on_event startup hook calling init_redis()."
    SERVES = Serves(kinds=("wire_startup",), order=95)

    def __init__(self, context: CodemodContext, app: str, beside: str, init_call: str,
                 imports: Sequence[tuple[str, str]] = ()) -> None:
        super().__init__(context)
        self.app, self.beside, self.init_call = app, beside, init_call
        self.imports = tuple(imports)
        self.name = STARTUP_NAME

    @classmethod
    def from_plan(cls, context: CodemodContext, plan: FileEdits, run: RunInputs) -> Self:
        """Built from one file's edit plan (the engine picks it by `SERVES`)."""
        if plan.wire_startup is None:
            raise ValueError("the plan wires no startup hook")
        app, beside, init = plan.wire_startup
        return cls(context, app, beside, spelled_call(init, plan), plan.wire_imports)

    def visit_Module(self, node: cst.Module) -> None:
        if m.findall(node, m.Name(STARTUP_NAME)):  # the app has one of that name already
            self.name = f"lifecycle_{STARTUP_NAME}"
        for module, name in self.imports:  # the URL's spelling: `from app.config import settings`
            AddImportsVisitor.add_needed_import(self.context, module, name)

    def leave_Module(self, original: cst.Module, updated: cst.Module) -> cst.Module:
        body = list(updated.body)
        registered = m.Decorator(decorator=m.Call(
            func=m.Attribute(value=m.Name(self.app), attr=m.Name("on_event")),
            args=[m.Arg(value=m.SimpleString('"shutdown"') | m.SimpleString("'shutdown'"))]))
        for index, statement in enumerate(body):
            if not (isinstance(statement, cst.FunctionDef)
                    and statement.name.value == self.beside):
                continue
            if not any(m.matches(d, registered) for d in statement.decorators):
                raise SkipFile(f"{self.beside}() is not registered with "
                               f"@{self.app}.on_event(\"shutdown\")")
            hook = cst.parse_statement(
                f'@{self.app}.on_event("startup")\nasync def {self.name}():\n'
                f"    {awaited_call(self.init_call, '    ')}\n")
            _put_above(body, index, hook)
            return updated.with_changes(body=body)
        raise SkipFile(f"no module-level def {self.beside}() to put the startup hook beside")

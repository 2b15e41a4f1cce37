"""Give the team's lifecycle module a blocking client: `get_redis()` →
`get_redis(*, blocking=False)`.

Blocking reads (BLPOP with `timeout=0`, XREAD BLOCK, pub/sub listening) are cut off by the
central client's `socket_timeout` (facts §0.3), so they need a second client built without one.
The module keeps its own style: every statement that creates or resets the central client (and
its pool) is copied right after itself with the names renamed (`_client` → `_client_blocking`,
`self.client` → `self.client_blocking`) and `socket_timeout=None` on the call that carries the
connection options; every statement of the close path that touches it is copied the same way;
`get_redis()` gains a keyword-only `blocking: bool = False` whose branch is its own body, renamed.
Every existing `get_redis()` call stays valid. A module whose shape does not allow this (the
client built by a helper called twice, `get_redis()` delegating elsewhere) is left unchanged and
the reason is raised as `SkipFile`.
"""

from __future__ import annotations

from collections.abc import Sequence

import libcst as cst
from libcst.codemod import Codemod, CodemodContext, SkipFile

from ._common import is_docstring, transformed
from ._twin import SUFFIX, Realign, Renamer, has_option_call, renamed_targets

DESCRIPTION = "lifecycle module: add a blocking client without socket_timeout"


class AddBlockingClient(Codemod):
    """Add a blocking twin of the central client, created, handed out and closed beside it."""

    def __init__(self, context: CodemodContext, holders: Sequence[str],
                 get_function: str = "get_redis", close_function: str = "close_redis") -> None:
        super().__init__(context)
        self.holders = tuple(holders)
        self.get_function, self.close_function = get_function, close_function

    def transform_module_impl(self, tree: cst.Module) -> cst.Module:
        if not self.holders:
            raise SkipFile("the reader found no name the central client is stored in")
        instances = _instances(tree)
        renamer = Renamer(self.holders, instances)
        taken = {n.value for n in _all_names(tree)}
        clash = sorted(n for n in renamer.new_names() if n in taken)
        if clash:
            raise SkipFile(f"{clash[0]} already exists in the module")
        close_methods = _methods_called(tree, self.close_function, instances)
        if _methods_called(tree, self.get_function, instances):
            raise SkipFile(f"{self.get_function}() delegates to a method; the blocking branch "
                           f"cannot be derived from its body")
        transformer = _Extend(renamer, self.get_function, self.close_function, close_methods)
        result = tree.visit(transformer)
        missing = [what for what, done in (("a copy of the client's creation",
                                            transformer.created),
                                           (f"a blocking branch in {self.get_function}()",
                                            transformer.handed_out),
                                           (f"a close in {self.close_function}()",
                                            transformer.closed)) if not done]
        if missing:
            raise SkipFile(f"the module's shape is too unusual to extend safely: found no place "
                           f"for {', '.join(missing)}")
        return result


class _Extend(cst.CSTTransformer):
    def __init__(self, renamer: Renamer, get_function: str, close_function: str,
                 close_methods: set[str]) -> None:
        self.renamer = renamer
        self.get_function, self.close_function = get_function, close_function
        self.close_methods = close_methods
        self.stack: list[str] = []
        self.globals: list[set[str]] = []  # per enclosing def/class: the names it declares global
        self.created = self.handed_out = self.closed = False

    # --- where we are --------------------------------------------------------------------

    def visit_ClassDef(self, node: cst.ClassDef) -> None:
        self.stack.append(node.name.value)
        self.globals.append(set())

    def leave_ClassDef(self, original: cst.ClassDef, updated: cst.ClassDef) -> cst.ClassDef:
        self.stack.pop()
        self.globals.pop()
        return updated

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        self.stack.append(node.name.value)
        self.globals.append(_declared_global(node))

    def _path(self) -> str:
        return ".".join(self.stack)

    def _in_close(self) -> bool:
        return self._path() == self.close_function or self._path() in self.close_methods

    def leave_FunctionDef(self, original: cst.FunctionDef,
                          updated: cst.FunctionDef) -> cst.FunctionDef:
        path = self._path()
        self.stack.pop()
        self.globals.pop()
        if path == self.get_function and not self.stack:
            return self._blocking_branch(updated)
        if path == self.close_function or path in self.close_methods:
            return self._copy_close(updated)
        return updated

    # --- creation and resets: every assignment to a holder, copied after itself ------------

    def leave_SimpleStatementLine(self, original: cst.SimpleStatementLine,
                                  updated: cst.SimpleStatementLine
                                  ) -> cst.SimpleStatementLine | cst.FlattenSentinel[
                                      cst.SimpleStatementLine]:
        if self.stack and self.stack[0] == self.get_function:
            return updated  # get_redis() gets its blocking branch as a whole
        if any(isinstance(s, cst.Global) for s in updated.body):
            return self._extend_global(updated)
        if self._in_close() or not self._assigns_holder(updated):
            return updated
        copied, _ = self.renamer.copy(updated, blocking_options=True)
        copied = transformed(copied,
                             Realign(len(SUFFIX) * renamed_targets(self.renamer, updated)))
        if has_option_call(updated):
            self.created = True
        return cst.FlattenSentinel([updated, copied.with_changes(leading_lines=())])

    def _assigns_holder(self, line: cst.SimpleStatementLine) -> bool:
        for statement in line.body:
            targets: list[cst.BaseExpression] = []
            if isinstance(statement, cst.Assign):
                targets = [t.target for t in statement.targets]
            elif isinstance(statement, cst.AnnAssign):
                targets = [statement.target]
            if any(self.renamer.mentions(t) and self._global_target(t) for t in targets):
                return True
        return False

    def _global_target(self, target: cst.BaseExpression) -> bool:
        """Not a local that shares a holder's name (`client = get_redis()` in a helper)."""
        if not isinstance(target, cst.Name) or not self.globals:
            return True
        return target.value in self.globals[-1]

    def _extend_global(self, line: cst.SimpleStatementLine) -> cst.SimpleStatementLine:
        body = []
        for statement in line.body:
            if isinstance(statement, cst.Global):
                names = list(statement.names)
                present = {n.name.value for n in names}
                for item in list(names):
                    if item.name.value in self.renamer.names \
                            and item.name.value + SUFFIX not in present:
                        names.append(cst.NameItem(cst.Name(item.name.value + SUFFIX)))
                names = [n.with_changes(comma=cst.MaybeSentinel.DEFAULT) for n in names]
                statement = statement.with_changes(names=names)
            body.append(statement)
        return line.with_changes(body=body)

    # --- the close path: every statement touching the client, copied after itself ---------

    def _copy_close(self, function: cst.FunctionDef) -> cst.FunctionDef:
        body = function.body
        if not isinstance(body, cst.IndentedBlock):
            return function
        statements: list[cst.BaseStatement] = []
        for statement in body.body:
            statements.append(statement)
            if isinstance(statement, cst.SimpleStatementLine) and any(
                    isinstance(s, cst.Global) for s in statement.body):
                continue
            copied, changed = self.renamer.copy(statement)
            if changed:
                statements.append(copied.with_changes(leading_lines=()))
                self.closed = True
        return function.with_changes(body=body.with_changes(body=statements))

    # --- get_redis(*, blocking=False) ------------------------------------------------------

    def _blocking_branch(self, function: cst.FunctionDef) -> cst.FunctionDef:
        body = function.body
        if not isinstance(body, cst.IndentedBlock):
            return function
        params = function.params
        if any(p.name.value == "blocking" for p in [*params.params, *params.kwonly_params]):
            return function
        statements = list(body.body)
        docstring = statements[:1] if statements and is_docstring(statements[0]) else []
        rest = statements[len(docstring):]
        copies: list[cst.BaseStatement] = []
        changed = False
        for statement in rest:
            copied, did = self.renamer.copy(statement)
            changed = changed or did
            copies.append(copied)
        if not changed:
            return function
        self.handed_out = True
        branch = cst.If(test=cst.Name("blocking"), body=cst.IndentedBlock(body=copies))
        blocking = cst.Param(
            name=cst.Name("blocking"),
            annotation=cst.Annotation(cst.Name("bool")),
            default=cst.Name("False"),
            equal=cst.AssignEqual(cst.SimpleWhitespace(" "), cst.SimpleWhitespace(" ")))
        if params.star_arg is cst.MaybeSentinel.DEFAULT or params.star_arg is None:
            params = params.with_changes(star_arg=cst.ParamStar(),
                                         kwonly_params=[*params.kwonly_params, blocking])
        else:
            params = params.with_changes(kwonly_params=[*params.kwonly_params, blocking])
        params = _fix_commas(params)
        return function.with_changes(params=params, body=body.with_changes(
            body=[*docstring, branch, *rest]))


def _fix_commas(params: cst.Parameters) -> cst.Parameters:
    """Let LibCST place the commas between the parameters."""
    def bare(items: Sequence[cst.Param]) -> list[cst.Param]:
        return [p.with_changes(comma=cst.MaybeSentinel.DEFAULT) for p in items]
    star = params.star_arg
    if isinstance(star, cst.ParamStar):
        star = cst.ParamStar()
    return params.with_changes(params=bare(params.params), kwonly_params=bare(
        params.kwonly_params), star_arg=star)


def _declared_global(function: cst.FunctionDef) -> set[str]:
    """The names `global` declares in the function (not in the defs nested in it)."""
    names: set[str] = set()

    class _Find(cst.CSTVisitor):
        def visit_Global(self, node: cst.Global) -> None:
            names.update(item.name.value for item in node.names)

        def visit_FunctionDef(self, node: cst.FunctionDef) -> bool:
            return node is function

        def visit_ClassDef(self, node: cst.ClassDef) -> bool:
            return False

    function.visit(_Find())
    return names


def _all_names(tree: cst.Module) -> list[cst.Name]:
    names: list[cst.Name] = []

    class _Collect(cst.CSTVisitor):
        def visit_Name(self, node: cst.Name) -> None:
            names.append(node)

    tree.visit(_Collect())
    return names


def _instances(tree: cst.Module) -> dict[str, str]:
    """Module-level `name = Class()` for classes defined in the module: name -> class."""
    classes = {s.name.value for s in tree.body if isinstance(s, cst.ClassDef)}
    found = {}
    for statement in tree.body:
        if not isinstance(statement, cst.SimpleStatementLine):
            continue
        for small in statement.body:
            value = getattr(small, "value", None)
            targets = ([t.target for t in small.targets] if isinstance(small, cst.Assign)
                       else [small.target] if isinstance(small, cst.AnnAssign) else [])
            if isinstance(value, cst.Call) and isinstance(value.func, cst.Name) \
                    and value.func.value in classes:
                for target in targets:
                    if isinstance(target, cst.Name):
                        found[target.value] = value.func.value
    return found


def _methods_called(tree: cst.Module, function: str, instances: dict[str, str]) -> set[str]:
    """`Class.method` for every `instance.method(...)` call inside the module function."""
    found: set[str] = set()
    for statement in tree.body:
        if isinstance(statement, cst.FunctionDef) and statement.name.value == function:
            class _Calls(cst.CSTVisitor):
                def visit_Call(self, call: cst.Call) -> None:
                    func = call.func
                    if isinstance(func, cst.Attribute) and isinstance(func.value, cst.Name) \
                            and func.value.value in instances:
                        found.add(f"{instances[func.value.value]}.{func.attr.value}")

            statement.visit(_Calls())
    return found

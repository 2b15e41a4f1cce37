"""What dependency injection hands a def's parameters: FastAPI `Annotated[..., Depends()]`
aliases, python-inject's `@inject.autoparams`/`@inject.params`, dishka's `@provide` and
`FromDishka[T]`, each as edges from the parameter to what is injected.

The half of the extractor that reads a def's decorators and annotations for injection;
`extract._Extractor` is the rest of the walk.
"""

from __future__ import annotations

import ast

from redis_migrate.analysis.evaluate import _annotation_parts, dependency_calls
from redis_migrate.analysis.facts import INJECTED, INSTANCE_PREFIX, LOCALS, RETURN
from redis_migrate.analysis.frameworks import (
    DISHKA_CONTAINER,
    DISHKA_FROM,
    DISHKA_PROVIDE,
    INJECT_AUTOPARAMS,
    INJECT_PARAMS,
    injected,
)
from redis_migrate.analysis.url_keys import UrlKeys


class Injections(UrlKeys):
    """The injection half of the extractor's def handling (see the module docstring)."""

    uses_inject: bool  # the module imports python-inject
    uses_dishka: bool  # the module imports dishka

    def _annotated_parameter(self, qualname: str, arg: ast.arg) -> None:
        """What a parameter's annotation injects: `Annotated[Redis, Depends(get_cache)]`, or
        an alias of one made in any module (`redis: GetRedis`), through its `<injected>` key."""
        for marker in dependency_calls(arg.annotation, self._eval_pure):
            for value in self._eval(marker):
                self.facts.edges.append((f"{qualname}.{LOCALS}.{arg.arg}", value))
        if isinstance(arg.annotation, (ast.Name, ast.Attribute)):
            for alias in self._eval_pure(arg.annotation):
                if not alias.startswith(INSTANCE_PREFIX):
                    self.facts.edges.append((f"{qualname}.{LOCALS}.{arg.arg}",
                                             f"{alias}.{INJECTED}"))

    def _dishka(self, node: ast.FunctionDef | ast.AsyncFunctionDef, qualname: str) -> None:
        """dishka (see `DISHKA_PROVIDE`): a `@provide` def's return or yield is held under its
        return type's key; its typed parameters, and a handler's `FromDishka[T]` ones, read
        the key of their type."""
        args = node.args
        params = [a for a in (*args.posonlyargs, *args.args, *args.kwonlyargs) if a.annotation]
        provides = any(c in DISHKA_PROVIDE for d in node.decorator_list
                       for c in self._eval_pure(d.func if isinstance(d, ast.Call) else d))
        if provides and node.returns is not None:
            for part in _annotation_parts(node.returns):
                for cls in self._eval_pure(part):
                    self.facts.edges.append((injected(cls, DISHKA_CONTAINER),
                                             f"{qualname}.{RETURN}"))
        for arg in params:
            annotation = arg.annotation
            assert annotation is not None
            if isinstance(annotation, ast.Subscript) and any(
                    c in DISHKA_FROM for c in self._eval_pure(annotation.value)):
                parts = _annotation_parts(annotation)  # `FromDishka[Redis]`
            elif provides:
                parts = _annotation_parts(annotation)
            else:
                continue
            for part in parts:
                for cls in self._eval_pure(part):
                    self.facts.edges.append((f"{qualname}.{LOCALS}.{arg.arg}",
                                             injected(cls, DISHKA_CONTAINER)))

    def _injected_parameters(self, node: ast.FunctionDef | ast.AsyncFunctionDef
                             ) -> list[tuple[str, str]]:
        """(parameter, class) pairs python-inject fills: `@inject.autoparams` takes the
        annotated parameters (those it names, if any), `@inject.params(r=Redis)` the named."""
        if not self.uses_inject:
            return []
        args = node.args
        annotated = {a.arg: a.annotation for a in (*args.posonlyargs, *args.args,
                                                    *args.kwonlyargs) if a.annotation}
        found: list[tuple[str, str]] = []
        for decorator in node.decorator_list:
            call = decorator if isinstance(decorator, ast.Call) else None
            callees = self._eval_pure(call.func if call else decorator)
            if any(c in INJECT_AUTOPARAMS for c in callees):
                named = {a.value for a in (call.args if call else ())
                         if isinstance(a, ast.Constant) and isinstance(a.value, str)}
                for name, annotation in annotated.items():
                    if not named or name in named:
                        found.extend((name, cls) for part in _annotation_parts(annotation)
                                     for cls in self._eval_pure(part))
            elif call is not None and any(c in INJECT_PARAMS for c in callees):
                found.extend((k.arg, cls) for k in call.keywords if k.arg
                             for cls in self._eval_pure(k.value))
        return found

"""A rewrite pass leaves what it cannot change unvisited: LibCST's visit copies every node it
enters, and most of a large file holds nothing a pass changes. What is left unvisited comes
back as the very same objects; what is visited is rebuilt."""

from __future__ import annotations

import libcst as cst
from libcst.codemod import CodemodContext

from redis_migrate.codemods._accessor import Accessor
from redis_migrate.codemods.inline_function_client import InlineFunctionClient
from redis_migrate.codemods.remove_close_calls import RemoveCloseCalls


def _kept(result: cst.Module, module: cst.Module) -> list[bool]:
    return [new is old for new, old in zip(result.body, module.body, strict=True)]


def test_a_call_rewrite_leaves_the_statements_without_its_calls_unvisited() -> None:
    # the calls are named by line: statements holding none of those lines are not copied
    text = ("import redis\n\n\ndef a():\n    return redis.Redis()\n\n\n"
            "# the one rewritten\ndef b():\n    r = redis.Redis()\n    return r\n\n\n"
            "def c():\n    return redis.Redis()\n")
    module = cst.parse_module(text)
    codemod = InlineFunctionClient(CodemodContext(), {(10, 9): Accessor("app.redis_client")})
    result = codemod.transform_module(module)
    assert codemod.done == {(10, 9)}
    assert "r = get_redis()" in result.code
    assert result.code.count("redis.Redis()") == 2
    assert _kept(result, module) == [True, True, False, True]


CLOSES = ("import redis\n\n\nclass Cache:\n    def close(self):\n        self.r.close()\n\n\n"
          "async def handler():\n    r = get_redis()\n    await r.aclose()\n    return 1\n\n\n"
          "def other():\n    client.close()\n")


def _remove_closes(functions: dict[str | None, set[str]]) -> tuple[cst.Module, cst.Module, int]:
    module = cst.parse_module(CLOSES)
    codemod = RemoveCloseCalls(CodemodContext(), functions, "app.redis_client", "app.m", "app")
    return module, codemod.transform_module(module), codemod.removed


def test_a_close_removal_leaves_the_defs_and_classes_without_its_closes_unvisited() -> None:
    module, result, removed = _remove_closes({"handler": {"r"}})
    assert removed == 1
    assert "aclose" not in result.code and "self.r.close()" in result.code
    # the import is at the module's level: visited, as every statement outside a def or class
    assert _kept(result, module) == [False, True, False, True]
    # a method is reached through its class: the class is visited, the rest is not
    module, result, removed = _remove_closes({"Cache.close": {"self.r"}})
    assert removed == 1 and "self.r.close()" not in result.code
    assert _kept(result, module) == [False, False, True, True]


def test_closes_at_the_module_level_have_every_def_and_class_visited() -> None:
    # a class body's statements are at the module's level (no def around them)
    module, result, removed = _remove_closes({None: {"client"}, "handler": {"r"}})
    assert removed == 1  # `client.close()` inside other() is not at the module's level
    assert _kept(result, module) == [False, False, False, False]


def test_a_property_rewrite_visits_its_classes_and_their_methods_only() -> None:
    from redis_migrate.codemods.attribute_to_property import ClientAttributeToProperty

    text = ("import redis\n\n\nclass Other:\n    def __init__(self):\n"
            "        self.r = redis.Redis()\n\n\n"
            "class Store:\n    def __init__(self):\n        self.r = redis.Redis()\n\n"
            "    def get(self, k):\n        return self.r.get(k)\n\n\n"
            "def helper():\n    return 1\n")
    module = cst.parse_module(text)
    codemod = ClientAttributeToProperty(CodemodContext(),
                                        {("Store", "r"): Accessor("app.redis_client")})
    result = codemod.transform_module(module)
    store = result.body[2]
    assert isinstance(store, cst.ClassDef)
    assert "def r(self)" in result.code_for_node(store)  # its method was visited: rewritten
    assert "self.r = redis.Redis()" not in result.code_for_node(store)
    assert result.code.count("self.r = redis.Redis()") == 1  # Other's, unvisited
    assert _kept(result, module) == [False, True, False, True]

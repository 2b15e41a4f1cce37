"""`SharedPass` runs codemods that declare `shares_pass` in one traversal (issue 10: one scope
analysis instead of one per codemod), and gives what running them one after another gives."""

from __future__ import annotations

import libcst as cst
import libcst.matchers as m
import pytest
from libcst.codemod import CodemodContext, VisitorBasedCodemodCommand

from redis_migrate.codemods._accessor import Accessor
from redis_migrate.codemods._common import RewriteCommand
from redis_migrate.codemods._shared_pass import SharedPass, hooks, overlapping
from redis_migrate.codemods.remove_module_client import RemoveModuleClient
from redis_migrate.codemods.replace_client_references import ReplaceClientReferences
from redis_migrate.rewrite.pipeline import discover, passes

LIFECYCLE = "app.redis_client"
SOURCE = '''import redis.asyncio as redis
from app.other import client as other_client

client = redis.from_url("redis://localhost:6379/0")
pool = redis.ConnectionPool.from_url("redis://localhost:6379/1")
client_name = "client"


class Cache:
    client = None  # a class attribute that shares the name: left alone

    async def get(self, key):
        return await client.get(key)


async def read(key, client=None):
    value = await other_client.get(key)
    return value or await client.get(key)  # the parameter, not the module's client


async def write(key, value):
    await client.set(key, value)
'''


def _pair(context: CodemodContext) -> list[VisitorBasedCodemodCommand]:
    accessor = Accessor(LIFECYCLE)
    return [ReplaceClientReferences(context, {"app.cache.client": accessor,
                                              "app.other.client": accessor},
                                    "app.cache", "app"),
            RemoveModuleClient(context, {"client", "pool"})]


def test_one_pass_gives_what_the_codemods_give_one_after_another() -> None:
    tree = cst.parse_module(SOURCE)
    sequential = tree
    for codemod in _pair(CodemodContext()):
        sequential = codemod.transform_module(sequential)
    shared = SharedPass(CodemodContext(), _pair(CodemodContext())).transform_module(tree)
    assert shared.code == sequential.code
    assert "client = redis.from_url" not in shared.code  # the rewrite did happen
    assert "await get_redis().set(key, value)" in shared.code
    assert "return value or await client.get(key)" in shared.code


class _Prunes(VisitorBasedCodemodCommand):
    """Never looks inside a def; counts the names it leaves."""

    def __init__(self, context: CodemodContext) -> None:
        super().__init__(context)
        self.names: list[str] = []

    def visit_FunctionDef(self, node: cst.FunctionDef) -> bool:
        return False

    def leave_Name(self, original: cst.Name, updated: cst.Name) -> cst.Name:
        self.names.append(original.value)
        return updated


class _Upper(VisitorBasedCodemodCommand):
    """Upper-cases every string; sees inside defs."""

    def leave_SimpleString(self, original: cst.SimpleString,
                           updated: cst.SimpleString) -> cst.SimpleString:
        return updated.with_changes(value=updated.value.upper())


def test_a_member_that_prunes_a_subtree_does_not_prune_it_for_the_others() -> None:
    context = CodemodContext()
    prunes, upper = _Prunes(context), _Upper(context)
    tree = cst.parse_module("x = 'a'\n\n\ndef f():\n    y = 'b'\n")
    result = SharedPass(context, [prunes, upper]).transform_module(tree)
    assert result.code == "x = 'A'\n\n\ndef f():\n    y = 'B'\n"
    assert prunes.names == ["x"]  # not `f`, `y`: inside the def it pruned


def test_codemods_that_hook_the_same_node_type_cannot_share_a_pass() -> None:
    class Other(VisitorBasedCodemodCommand):
        def leave_Name(self, original: cst.Name, updated: cst.Name) -> cst.Name:
            return updated

    assert overlapping([ReplaceClientReferences, Other]) == {"leave_Name"}
    with pytest.raises(TypeError, match="leave_Name"):
        SharedPass(CodemodContext(), [_pair(CodemodContext())[0], Other(CodemodContext())])


def test_the_declared_sharers_hook_disjoint_node_types_and_are_grouped() -> None:
    sharing = [c for c in discover() if c.SERVES.shares_pass]
    assert {c.__name__ for c in sharing} == {"ReplaceClientReferences",  # type: ignore[attr-defined]
                                             "RemoveModuleClient"}
    assert all(hooks(c) for c in sharing)  # type: ignore[arg-type]
    context = CodemodContext()
    grouped = passes(context, [*_pair(context), _Upper(context)])
    assert [type(p).__name__ for p in grouped] == ["SharedPass", "_Upper"]


def test_a_rewrite_command_refuses_matcher_decorators() -> None:
    # RewriteCommand visits as a plain CSTTransformer (LibCST's matcher bookkeeping was a
    # quarter of a rewrite's time): a decorator it would silently ignore is refused instead
    with pytest.raises(TypeError, match="matcher decorators"):
        class Decorated(RewriteCommand):
            @m.visit(m.Name("client"))
            def seen(self, node: cst.Name) -> None:
                pass


def test_a_rewrite_command_visits_and_leaves_like_a_transformer() -> None:
    class Rename(RewriteCommand):
        def __init__(self, context: CodemodContext) -> None:
            super().__init__(context)
            self.seen: list[str] = []

        def visit_Name(self, node: cst.Name) -> None:
            self.seen.append(node.value)

        def visit_Call_func(self, node: cst.Call) -> None:
            self.seen.append("func")

        def leave_Name(self, original: cst.Name, updated: cst.Name) -> cst.Name:
            return updated.with_changes(value="r") if updated.value == "client" else updated

    codemod = Rename(CodemodContext())
    tree = codemod.transform_module(cst.parse_module("client.get(key)\n"))
    assert tree.code == "r.get(key)\n"
    assert codemod.seen == ["func", "client", "get", "key"]


class _Recorder:
    """Hooks of every kind, recording the order LibCST calls them in: a node hook that
    prunes, a leave that rewrites, attribute hooks (`visit_Call_func`)."""

    def __init__(self) -> None:
        self.calls: list[str] = []

    def visit_FunctionDef(self, node: cst.FunctionDef) -> bool:
        self.calls.append(f"visit def {node.name.value}")
        return node.name.value != "pruned"  # nothing inside `pruned` is visited

    def visit_Name(self, node: cst.Name) -> None:
        self.calls.append(f"visit name {node.value}")

    def leave_Name(self, original: cst.Name, updated: cst.Name) -> cst.Name:
        return updated.with_changes(value=updated.value.upper())

    def visit_Call_func(self, node: cst.Call) -> None:
        self.calls.append("visit call func")

    def leave_Call_args(self, node: cst.Call) -> None:
        self.calls.append("leave call args")


class _PlainRecorder(_Recorder, cst.CSTTransformer):
    pass


class _CommandRecorder(_Recorder, RewriteCommand):
    def __init__(self, context: CodemodContext) -> None:
        _Recorder.__init__(self)
        RewriteCommand.__init__(self, context)

    def transform_module_impl(self, tree: cst.Module) -> cst.Module:
        return tree.visit(self)


class _CommandWithoutAttributeHooks(RewriteCommand):
    def __init__(self, context: CodemodContext) -> None:
        super().__init__(context)
        self.names = 0

    def visit_Name(self, node: cst.Name) -> None:
        self.names += 1

    def transform_module_impl(self, tree: cst.Module) -> cst.Module:
        return tree.visit(self)


def test_a_rewrite_command_visits_as_a_plain_transformer_does() -> None:
    # RewriteCommand looks each class's hooks up once rather than at every node: the same
    # hooks run in the same order, a visit returning False prunes, leaves rewrite
    source = "def kept(a):\n    f(b, c)\n\ndef pruned(d):\n    g(e)\n\nh(i)\n"
    plain = _PlainRecorder()
    expected = cst.parse_module(source).visit(plain)
    command = _CommandRecorder(CodemodContext())
    got = command.transform_module(cst.parse_module(source))
    assert got.code == expected.code
    assert command.calls == plain.calls
    assert "visit name e" not in command.calls and "visit name b" in command.calls
    assert "visit call func" in command.calls and "leave call args" in command.calls
    assert "H(I)" in got.code and "G(E)" not in got.code  # pruned: its leaves did not run
    assert _CommandRecorder.attribute_hooks and not _CommandWithoutAttributeHooks.attribute_hooks
    counting = _CommandWithoutAttributeHooks(CodemodContext())
    counting.transform_module(cst.parse_module(source))
    assert counting.names == 11  # kept a f b c pruned d g e h i

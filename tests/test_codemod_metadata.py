"""How a rewrite codemod gets its metadata (issue 10, item 10: the cost of `apply`): the scope
analysis only when a codemod asks, and LibCST's copy of the tree only when a node of it is
reused; the answers are the ones LibCST's own way gives."""

from __future__ import annotations

import libcst as cst
import pytest
from libcst.codemod import CodemodContext
from libcst.metadata import PositionProvider, ScopeProvider

from redis_migrate.codemods._common import RewriteCommand, distinct_nodes


class _Positions(RewriteCommand):
    """Records the tree it visits and the line of every `Name`."""

    METADATA_DEPENDENCIES = (PositionProvider,)

    def __init__(self, ask_scope: bool = False) -> None:
        super().__init__(CodemodContext())
        self.ask_scope = ask_scope
        self.visited: cst.Module | None = None
        self.lines: list[tuple[str, int]] = []
        self.resolved: dict[str, set[str]] = {}

    def visit_Module(self, node: cst.Module) -> None:
        self.visited = node

    def visit_Name(self, node: cst.Name) -> None:
        self.lines.append((node.value, self.get_metadata(PositionProvider, node).start.line))
        if self.ask_scope:
            self.resolved[f"{node.value}@{self.lines[-1][1]}"] = {
                q.name for q in self.qualified_names(node)}


def test_a_tree_with_no_reused_node_is_visited_as_it_is() -> None:
    tree = cst.parse_module("a = 1\nb = a\n")
    assert distinct_nodes(tree)
    codemod = _Positions()
    codemod.transform_module(tree)
    assert codemod.visited is tree  # not a copy
    assert codemod.lines == [("a", 1), ("b", 2), ("a", 2)]


def test_a_tree_that_reuses_a_node_is_copied_and_each_place_has_its_own_position() -> None:
    statement = cst.parse_statement("x = 1\n")
    tree = cst.Module(body=[statement, statement])  # one node object in two places
    assert not distinct_nodes(tree)
    codemod = _Positions()
    codemod.transform_module(tree)
    assert codemod.visited is not tree
    assert codemod.lines == [("x", 1), ("x", 2)]  # without the copy: line 2 twice


def test_the_scope_analysis_runs_only_when_a_codemod_asks(
        monkeypatch: pytest.MonkeyPatch) -> None:
    runs = []
    real = ScopeProvider.visit_Module

    def counted(self: ScopeProvider, node: cst.Module) -> None:
        runs.append(node)
        real(self, node)

    counted.__name__ = "visit_Module"  # LibCST finds a batched visitor's hooks by their name

    monkeypatch.setattr(ScopeProvider, "visit_Module", counted)
    source = "import redis\n\ndef f(redis):\n    return redis\n\ng = redis\n"
    _Positions(ask_scope=False).transform_module(cst.parse_module(source))
    assert runs == []
    asking = _Positions(ask_scope=True)
    asking.transform_module(cst.parse_module(source))
    assert len(runs) == 1  # once for the pass, however many names ask
    # the parameter shadows the import inside f; outside, `redis` is the package
    assert asking.resolved["redis@6"] == {"redis"}
    assert asking.resolved["redis@4"] == {"f.<locals>.redis"}


def test_a_noted_parse_is_known_distinct_and_its_code_is_the_text_given() -> None:
    from redis_migrate.codemods._tree_memo import code_of, note_parsed, remember

    tree = cst.parse_module("import os\n\nx = os.sep\n")
    note_parsed(tree, "import os\n\nx = os.sep\n")
    assert remember(tree, "distinct", lambda _: pytest.fail("worked out again"))
    assert code_of(tree) == tree.code
    # another tree object, even an equal one, has answers of its own
    other = tree.with_changes(body=[*tree.body, tree.body[0]])
    assert remember(other, "distinct", distinct_nodes) is False
    assert code_of(other) == other.code != tree.code


@pytest.mark.parametrize("text", [
    b"\xef\xbb\xbfimport os\n",  # a byte-order mark: not part of the tree's code
    b"# -*- coding: latin-1 -*-\nx = '\xe9'\n",
    b"x = 1\r\ny = 2\r\n",
    b"x = 1",
])
def test_the_text_apply_notes_for_a_parse_is_the_code_libcst_generates(text: bytes) -> None:
    from redis_migrate.codemods._tree_memo import code_of
    from redis_migrate.rewrite.file_rewrite import _source_of

    tree = cst.parse_module(text)
    _source_of(tree, text)
    assert code_of(tree) == tree.code


ON_START_AND_SHUTDOWN = '''from redis import asyncio as aioredis

from app import store
from app.config import REDIS_URL


async def on_start():
    pool = aioredis.ConnectionPool.from_url(REDIS_URL)
    store.redis_client = aioredis.Redis(connection_pool=pool)


async def on_shutdown():
    await store.redis_client.aclose()
'''


def test_a_node_made_and_dropped_by_a_codemod_does_not_stand_for_another(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """InlineFunctionClient marks the calls it makes (so that `await get_redis()` loses its
    `await`). The released pool's `pool = get_redis()` is dropped again; CPython may then give
    its address to a new node of the tree, and a mark kept by id alone made `await
    store.redis_client.aclose()` lose its `await` (one apply in about forty, by the memory's
    layout). Here every node has one id, as if each reused the last one's address."""
    from redis_migrate.codemods import inline_function_client
    from redis_migrate.codemods._accessor import Accessor
    from redis_migrate.codemods.inline_function_client import InlineFunctionClient

    monkeypatch.setattr(inline_function_client, "id", lambda node: 1, raising=False)
    accessor = Accessor("app.redis_client")
    codemod = InlineFunctionClient(CodemodContext(), {(8, 12): accessor, (9, 26): accessor})
    out = codemod.transform_module(cst.parse_module(ON_START_AND_SHUTDOWN)).code
    assert codemod.done == {(8, 12), (9, 26)}
    assert "    store.redis_client = get_redis()\n" in out
    assert "pool =" not in out  # the released pool's statement went
    assert "    await store.redis_client.aclose()\n" in out, out


class _NoMetadata(RewriteCommand):
    """A pass that says it reads no metadata; records the tree it visits."""

    reads_metadata = False

    def __init__(self, ask_scope: bool = False) -> None:
        super().__init__(CodemodContext())
        self.ask_scope = ask_scope
        self.visited: cst.Module | None = None

    def visit_Module(self, node: cst.Module) -> None:
        self.visited = node

    def visit_Name(self, node: cst.Name) -> None:
        if self.ask_scope:
            self.scope_of(node)

    def transform_module_impl(self, tree: cst.Module) -> cst.Module:
        return tree.visit(self)


def test_a_pass_that_reads_no_metadata_visits_even_a_tree_that_reuses_a_node(
        monkeypatch: pytest.MonkeyPatch) -> None:
    # neither LibCST's copy nor the check for reused nodes: nothing is keyed by node there
    import redis_migrate.codemods._common as common

    shared = cst.Name("x")
    tree = cst.Module(body=[cst.SimpleStatementLine([cst.Expr(shared)]),
                            cst.SimpleStatementLine([cst.Expr(shared)])])
    checked: list[object] = []
    monkeypatch.setattr(common, "distinct_nodes",
                        lambda node: checked.append(node) or distinct_nodes(node))
    codemod = _NoMetadata()
    codemod.transform_module(tree)
    assert codemod.visited is tree and checked == []
    with pytest.raises(TypeError, match="reads no metadata"):
        _NoMetadata(ask_scope=True).transform_module(cst.parse_module("y = 1\n"))
    assert _Positions().transform_module(tree) is not None and checked  # the others check

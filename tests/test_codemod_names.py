"""`codemods._names.spelled` reads with `ast` what the LibCST matcher passes read (issue 10:
one C-backed parse instead of a matcher pass per question on a large file)."""

from __future__ import annotations

from pathlib import Path

import libcst as cst
import pytest
from libcst.codemod import CodemodContext
from libcst.metadata import MetadataWrapper, ScopeProvider

from redis_migrate.codemods._common import RewriteCommand, dotted
from redis_migrate.codemods._names import _spelled_by_matchers, spelled

SAMPLES = {
    "everyday": (
        "import os\nimport redis.asyncio as aioredis\nfrom json import dumps as to_json\n"
        "from . import sibling\n\n\n@decorate(flag=True)\n"
        "async def read(key, *args, ttl=3, **kw):\n"
        "    global cache\n    value = await client.get(f'{os.sep}{key!r:>4}')\n"
        "    async with lock as held:\n        pass\n    try:\n        pass\n"
        "    except KeyError as missing:\n        raise Oops from missing\n"
        "    return [x for x in value if x] or (lambda y: y)(to_json)\n"),
    "match": ("def f(point):\n    match point:\n        case Point(x=0, y=yy):\n"
              "            return yy\n        case {'k': v, **rest}:\n            return rest\n"
              "        case [first, *others]:\n            return others\n"
              "        case _ as whatever:\n            return whatever\n"),
    "strings": ("__all__ = ['get_redis', \"Redis\"]\nx: 'Optional[Redis]' = None\n"
                "b = b'bytes_word'\nété = 'déjà vu_name'; after = 'ünïcode word_after'\n"
                "note = 'plain words' 'concatenated_word'\n"),
    "nonlocal": "def f():\n    n = 0\n    def g():\n        nonlocal n\n        n += 1\n",
}


@pytest.mark.parametrize("name", sorted(SAMPLES))
def test_ast_reading_gives_the_matchers_names_imports_and_string_words(name: str) -> None:
    module = cst.parse_module(SAMPLES[name])
    fast, slow = spelled(module), _spelled_by_matchers(module)
    assert fast.names == slow.names
    assert set(fast.imports) == set(slow.imports)
    assert set(fast.relative) == set(slow.relative)
    assert fast.calls == slow.calls
    assert slow.string_words <= fast.string_words


def test_import_aliases_are_not_names_the_module_reads() -> None:
    found = spelled(cst.parse_module("import os\nfrom redis import Redis as R\nR()\n"))
    assert "os" not in found.names and "Redis" not in found.names
    assert "R" in found.names
    assert found.imports == ((None, "os", None), ("redis", "Redis", "R"))


def test_text_the_running_python_cannot_parse_falls_back_to_the_matchers() -> None:
    """PEP 695 (3.12) parses with LibCST on any Python; `ast` on 3.11 rejects it, and then the
    matchers answer. On 3.12+ `ast` answers: the same names either way."""
    module = cst.parse_module("type Alias = Redis\n\n\ndef first[T](items: list[T]) -> T:\n"
                              "    return items[0]\n")
    assert spelled(module).names == {"Alias", "Redis", "first", "T", "items", "list"}


ADD_AT_TOP_SAMPLES = {
    "merge": "from app.redis_client import close_redis\n\n\ndef f():\n    return get_redis()\n",
    "docstring_only": '"""Doc."""\n\n\ndef f():\n    return get_redis()\n',
    "nothing": "def f():\n    return get_redis()\n",
    "comment_header": "# header\nimport os\n\nx = os.sep\n",
    "future_and_late_import": ("from __future__ import annotations\n\nimport os\n\n"
                               "os.environ.setdefault('A', '1')\n\nimport json  # late\n\n"
                               "y = json.dumps({})\n"),
    "nested_import_only": ("import os\n\n\ndef f():\n"
                           "    from app.redis_client import get_redis\n    return get_redis()\n"),
}


@pytest.mark.parametrize("name", sorted(ADD_AT_TOP_SAMPLES))
def test_adding_imports_at_the_top_gives_what_the_whole_module_pass_gives(name: str) -> None:
    from libcst.codemod import CodemodContext
    from libcst.codemod.visitors import AddImportsVisitor, ImportItem

    from redis_migrate.codemods.update_imports import add_at_top

    module = cst.parse_module(ADD_AT_TOP_SAMPLES[name])
    wanted = [ImportItem("app.redis_client", "get_redis"), ImportItem("dataclasses", "field")]
    whole = AddImportsVisitor(CodemodContext(), wanted).transform_module(module)
    top = add_at_top(CodemodContext(), module, wanted)
    assert top.code == whole.code
    assert "import get_redis" in top.code.split("def f")[0] or "def f" not in top.code


PLAINLY_READ_SAMPLES = {
    "kept": ("import os\nfrom redis.asyncio import Redis\nfrom redis import StrictRedis as SR\n"
             "\n\ndef f():\n    return Redis, SR, os.sep\n"),
    "shadowed": ("from redis.asyncio import Redis\nfrom a import Pool\nimport json\n"
                 "\n\ndef f(Pool):\n    Redis = 1\n    return Redis, Pool, json\n\n\ndel json\n"),
    "nested": ("import redis.asyncio\n\n\ndef g():\n    from redis import Sentinel\n"
               "    return Sentinel\n\n\ndef h():\n    return Sentinel, redis\n"),
    "star": "from redis import Redis\nfrom elsewhere import *\n\nRedis()\n",
    "only_attribute": "from redis import Redis\n\nx.Redis = 1\nf(Redis=2)\n",
}


@pytest.mark.parametrize("name", sorted(PLAINLY_READ_SAMPLES))
def test_a_plainly_read_import_is_one_libcsts_scope_analysis_keeps(name: str) -> None:
    # UpdateRedisImports keeps these without running RemoveImportsVisitor (a scope analysis
    # of the whole file): each must be one the visitor would keep
    from libcst.codemod import CodemodContext
    from libcst.codemod.visitors import RemoveImportsVisitor

    module = cst.parse_module(PLAINLY_READ_SAMPLES[name])
    found = spelled(module)
    expected = {"kept": {"Redis", "SR", "os"}}.get(name, set())
    assert found.plainly_read == expected
    for source, imported, asname in found.imports:
        bound = asname or imported
        if bound in found.plainly_read:
            context = CodemodContext()
            RemoveImportsVisitor.remove_unused_import(context, source or imported,
                                                      imported if source else None, asname)
            after = RemoveImportsVisitor(context).transform_module(module).code
            assert after == module.code, bound


class _EveryDottedName(RewriteCommand):
    """Asks, for every Name and Attribute chain, what it resolves to, both ways."""

    METADATA_DEPENDENCIES = (ScopeProvider,)

    def __init__(self) -> None:
        super().__init__(CodemodContext())
        self.answered_by_imports = 0
        self.attributes: set[int] = set()
        self.differ: list[tuple[str, object, object]] = []

    def on_visit(self, node: cst.CSTNode) -> bool:
        if isinstance(node, (cst.Import, cst.ImportFrom)):
            return False  # the names an import binds: no codemod asks what they resolve to
        if isinstance(node, cst.Attribute):
            self.attributes.add(id(node.attr))  # `.get` of `r.get`: a name, not an expression
        if isinstance(node, cst.Arg) and node.keyword is not None:
            self.attributes.add(id(node.keyword))  # `json=` of `post(json=...)`: the same
        if isinstance(node, (cst.Name, cst.Attribute)) and dotted(node) \
                and id(node) not in self.attributes:
            fast = self.qualified_names(node)
            scope = self.get_metadata(ScopeProvider, node, None)
            full = scope.get_qualified_names_for(node) if scope else set()
            if self._plainly_imported(node) is not None:
                self.answered_by_imports += 1
                if set(fast) != set(full):
                    self.differ.append((dotted(node) or "", fast, full))
        return True


_IMPORT_SAMPLES = {
    "plain": ("import redis\nimport redis.asyncio as aioredis\nfrom redis import Redis\n"
              "from redis.asyncio import from_url as make\n"
              "r = Redis(); a = aioredis.Redis.from_url('x'); m = make('x')\n"
              "class C:\n    def f(self):\n        return redis.StrictRedis(), aioredis.Redis\n"),
    "shadowed": ("import redis\nfrom redis import Redis\n"
                 "def f(redis):\n    return redis.Redis()\n"
                 "class C:\n    Redis = None\n    x = Redis\n"
                 "def g():\n    global Redis\n    Redis = 1\n"),
    "dotted import binds its package": "import redis.asyncio\nx = redis.asyncio.Redis()\n",
    "star": "from redis import *\nfrom redis import Redis\nx = Redis()\n",
    "nested import": "def f():\n    import redis\n    return redis.Redis()\nx = redis\n",
    "comprehension": "from redis import Redis\nx = [Redis for Redis in range(3)]\ny = Redis\n",
}


@pytest.mark.parametrize("name", sorted(_IMPORT_SAMPLES))
def test_a_name_read_from_its_only_import_resolves_as_the_scope_analysis_says(name: str) -> None:
    """`RewriteCommand.qualified_names` answers a plainly imported name from the imports,
    without a scope analysis: wherever it does, the scope analysis agrees."""
    visitor = _EveryDottedName()
    wrapper = MetadataWrapper(cst.parse_module(_IMPORT_SAMPLES[name]))
    visitor.context = CodemodContext(wrapper=wrapper)
    wrapper.visit(visitor)
    assert visitor.differ == []
    if name == "plain":
        assert visitor.answered_by_imports >= 6  # the fast answer is used at all
    if name in ("shadowed", "dotted import binds its package", "star", "comprehension"):
        assert visitor.answered_by_imports == 0


def test_the_fast_answer_agrees_with_the_scope_analysis_on_every_example_file() -> None:
    root = Path(__file__).resolve().parents[1]
    answered = 0
    for path in sorted([*root.glob("examples/**/*.py"), *root.glob("tests/fixtures/**/*.py")]):
        try:
            module = cst.parse_module(path.read_bytes())
        except cst.ParserSyntaxError:
            continue
        visitor = _EveryDottedName()
        wrapper = MetadataWrapper(module)
        visitor.context = CodemodContext(wrapper=wrapper)
        wrapper.visit(visitor)
        assert visitor.differ == [], path
        answered += visitor.answered_by_imports
    assert answered > 100

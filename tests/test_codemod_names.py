"""`codemods._names.spelled` reads with `ast` what the LibCST matcher passes read (issue 10:
one C-backed parse instead of a matcher pass per question on a large file)."""

from __future__ import annotations

import libcst as cst
import pytest

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

"""The lifecycle reader and the blocking-client extension, over lifecycle modules written as
different teams write them.

Each shape is a directory `tests/fixtures/lifecycle_modules/<shape>/` holding a tiny repository
in `before/` (the module and what it imports, e.g. a settings module) and `expected.toml`:

    module = "app/redis_client.py"          # the lifecycle module, relative to before/
    import_name = "app.redis_client"
    copy_template = true                    # optional: write template_text() at `module`
    template, construction, function, line, holders, url, url_key ("" = None),
    url_parameter, capabilities, unknown    # what read_lifecycle() must extract
    [options] name = { source, value | unknown = true, origin }
    [accessors] name = "rendered signature"
    [stated]                                # optional: read again with stated=given
    [redis]                                 # optional: tests/test_lifecycle_extension_redis.py

and exactly one of: `after/<module>` (the module as the extension must write it, written by hand,
byte for byte), `unextendable = "<part of the reason>"` (the module must be left unchanged),
`already_blocking = true` (no extension needed).
"""

from __future__ import annotations

import difflib
import re
import shutil
import tomllib
from pathlib import Path
from typing import Any

import libcst as cst
import pytest
from libcst.codemod import CodemodContext, SkipFile

from migrate.codemods.add_blocking_client import AddBlockingClient
from migrate.lifecycle import template_text
from migrate.lifecycle_extension import blocking_extension
from migrate.lifecycle_reader import LifecycleFacts, read_lifecycle

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "lifecycle_modules"
REQUIRED = frozenset({"module", "import_name", "template", "construction", "function", "line",
                      "holders", "url", "url_key", "url_parameter", "capabilities", "unknown",
                      "options", "accessors"})
OPTIONAL = frozenset({"copy_template", "unextendable", "already_blocking", "stated", "redis"})
# the shapes the lifecycle reader was written for (the brief of the fixtures)
REQUIRED_SHAPES = frozenset({"template", "settings_object", "kwargs_dict", "explicit_pool",
                             "class_holder"})

SHAPES = sorted(p.name for p in FIXTURES.iterdir() if (p / "expected.toml").is_file())


def load(shape: str) -> dict[str, Any]:
    """expected.toml of `shape`, checked for unknown or missing keys."""
    config = tomllib.loads((FIXTURES / shape / "expected.toml").read_text("utf-8"))
    assert not set(config) - REQUIRED - OPTIONAL, f"{shape}: unknown keys " \
        f"{sorted(set(config) - REQUIRED - OPTIONAL)}"
    assert REQUIRED <= set(config), f"{shape}: missing keys {sorted(REQUIRED - set(config))}"
    outcomes = [(FIXTURES / shape / "after").is_dir(), "unextendable" in config,
                config.get("already_blocking", False)]
    assert sum(outcomes) == 1, f"{shape}: needs exactly one of after/, unextendable, " \
                               f"already_blocking = true"
    return config


def prepare(shape: str, tmp_path: Path) -> Path:
    """A copy of before/ (with the template written in, for `copy_template`)."""
    config = load(shape)
    repo = tmp_path / "repo"
    shutil.copytree(FIXTURES / shape / "before", repo)
    if config.get("copy_template"):
        target = repo / config["module"]
        assert not target.exists(), f"{shape}: before/ must not hold a copy of the template"
        target.write_text(template_text(), "utf-8")
    assert (repo / config["module"]).is_file(), f"{shape}: before/{config['module']} is missing"
    return repo


def read(shape: str, repo: Path, stated: dict[str, Any] | None = None) -> LifecycleFacts:
    config = load(shape)
    return read_lifecycle(repo, config["module"], config["import_name"], stated=stated,
                          template_text=template_text())


def _same(got: Any, want: Any) -> bool:
    """Equal and of the same type (3 is not 3.0, True is not 1)."""
    return type(got) is type(want) and got == want


def _check_options(facts: LifecycleFacts, expected: dict[str, dict[str, Any]]) -> None:
    assert facts.central is not None
    options = facts.central.options
    assert sorted(options) == sorted(expected), options
    for name, want in expected.items():
        option = options[name]
        assert option.source == want["source"], (name, option)
        assert option.origin == want["origin"], (name, option)
        if want.get("unknown"):
            assert "value" not in want, f"{name}: an unknown option has no value"
            assert not option.known, (name, option)
        else:
            assert option.known, (name, option)
            assert _same(option.value, want["value"]), (name, option, want["value"])


def _show(data: bytes) -> list[str]:
    return data.decode("utf-8", "replace").replace("\r", "\\r").splitlines(keepends=True)


def test_the_fixtures_cover_every_shape() -> None:
    assert REQUIRED_SHAPES <= set(SHAPES), REQUIRED_SHAPES - set(SHAPES)
    configs = {shape: load(shape) for shape in SHAPES}
    assert any("unextendable" in c for c in configs.values())
    assert any(c["unknown"] and "stated" in c for c in configs.values())
    assert sum((FIXTURES / s / "after").is_dir() for s in SHAPES) >= 4


@pytest.mark.parametrize("shape", SHAPES)
def test_reader_extracts(shape: str, tmp_path: Path) -> None:
    config = load(shape)
    facts = read(shape, prepare(shape, tmp_path))

    assert facts.problems == []
    assert facts.template is config["template"]
    central = facts.central
    assert central is not None
    assert central.construction == config["construction"]
    assert central.function == config["function"]
    assert central.line == config["line"]
    assert central.holders == tuple(config["holders"])
    assert central.url == config["url"]
    assert central.url_key == (config["url_key"] or None)
    assert facts.url_parameter is config["url_parameter"]
    _check_options(facts, config["options"])
    assert {n: s.render() for n, s in facts.accessors.items()} == config["accessors"]
    assert sorted(facts.capabilities) == sorted(config["capabilities"])
    assert facts.has("blocking-client") is ("blocking-client" in config["capabilities"])
    assert facts.unknown == config["unknown"]
    reported = [line for line in facts.summary() if line.startswith("cannot be read")]
    assert reported == [f"cannot be read statically: {u}" for u in config["unknown"]]
    assert facts.stated == []


@pytest.mark.parametrize("shape", [s for s in SHAPES if "stated" in load(s)])
def test_stated_values_fill_the_unknown(shape: str, tmp_path: Path) -> None:
    config = load(shape)
    stated = config["stated"]
    repo = prepare(shape, tmp_path)
    given = {name.replace("-", "_") for name in stated["given"]}
    assert any(u.split(":")[0] in given for u in read(shape, repo).unknown), \
        "the stated values must be ones the reader cannot read"

    facts = read(shape, repo, stated=stated["given"])

    assert facts.unknown == stated["unknown"]
    assert facts.stated == stated["stated"]
    # the stated options replace the unknown ones; the options read from the module stay
    _check_options(facts, {**config["options"], **stated["options"]})


@pytest.mark.parametrize("shape", SHAPES)
def test_blocking_extension(shape: str, tmp_path: Path) -> None:
    config = load(shape)
    repo = prepare(shape, tmp_path)
    module = repo / config["module"]
    before = module.read_bytes()
    compile(before, config["module"], "exec", dont_inherit=True)
    facts = read(shape, repo)

    extension, reason = blocking_extension(repo, facts)

    assert module.read_bytes() == before, "blocking_extension() must not write the module"
    if config.get("already_blocking"):
        assert facts.has("blocking-client")
        assert (extension, reason) == (None, "it has one already")
        return
    assert not facts.has("blocking-client")
    if "unextendable" in config:
        assert extension is None
        assert config["unextendable"] in reason, reason
        # the codemod itself refuses the module with the same reason
        assert facts.central is not None
        codemod = AddBlockingClient(CodemodContext(), facts.central.holders)
        with pytest.raises(SkipFile, match=re.escape(config["unextendable"])):
            codemod.transform_module(cst.parse_module(before))
        return

    assert extension is not None, reason
    after_dir = FIXTURES / shape / "after"
    assert sorted(p.relative_to(after_dir).as_posix() for p in after_dir.rglob("*")
                  if p.is_file()) == [config["module"]], "after/ holds the module, only it"
    expected = (after_dir / config["module"]).read_bytes()
    assert extension.path == config["module"]
    assert extension.before == before
    assert extension.after == expected, "".join(difflib.unified_diff(
        _show(expected), _show(extension.after), f"after/{config['module']}", "extension"))
    compile(extension.after, config["module"], "exec", dont_inherit=True)

    # read again, the extended module offers the blocking client and needs no second extension
    module.write_bytes(extension.after)
    extended = read(shape, repo)
    assert extended.problems == []
    assert extended.has("blocking-client")
    assert extended.blocking_call() == ("get_redis", "blocking=True")
    parameters = config["accessors"]["get_redis"][len("get_redis("):-1]
    assert extended.accessors["get_redis"].render() == \
        f"get_redis({parameters + ', ' if parameters else ''}*, blocking)"
    assert blocking_extension(repo, extended) == (None, "it has one already")
    # ... and the same central client: its construction, holders, URL and options
    assert extended.central is not None and facts.central is not None
    assert extended.central.construction == facts.central.construction
    assert extended.central.function == facts.central.function
    assert extended.central.holders == facts.central.holders
    assert (extended.central.url, extended.central.url_key) == (facts.central.url,
                                                                 facts.central.url_key)
    assert extended.url_parameter is facts.url_parameter
    _check_options(extended, config["options"])

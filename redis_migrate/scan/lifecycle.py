"""The lifecycle module of a target: validating it, and the template it is created from."""

from __future__ import annotations

import ast
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from redis_migrate.analysis.newer_syntax import parse_source
from redis_migrate.analysis.source_text import decode_source

REQUIRED_FUNCTIONS = ("init_redis", "get_redis", "close_redis")
# seed §5 "Timeouts and resilience": each must be set explicitly in the central pool
REQUIRED_SETTINGS = ("socket_connect_timeout", "socket_timeout", "health_check_interval",
                     "retry_on_timeout")
TEMPLATE_NAME = "redis_client.py"


@dataclass(frozen=True, slots=True)
class Problem:
    """Something the lifecycle module lacks."""

    file: str
    line: int
    message: str


def template_text() -> str:
    """The toolkit's lifecycle module template."""
    return resources.files("redis_migrate.templates").joinpath(TEMPLATE_NAME).read_text("utf-8")


def compat_template_text() -> str:
    """The optional aioredis 1.x compatibility wrapper (`apply --compat`)."""
    return resources.files("redis_migrate.templates").joinpath("redis_compat.py").read_text("utf-8")


def validate(repo: Path, relative_path: str) -> list[Problem]:
    """What the lifecycle module at `relative_path` lacks (nothing: an empty list)."""
    path = repo / relative_path
    if not path.is_file():
        return [Problem(relative_path, 1, "lifecycle module is missing: run `migrate init` "
                                          "to create it from the template")]
    try:
        tree = parse_source(decode_source(path.read_bytes()), filename=relative_path)
    except (SyntaxError, UnicodeDecodeError, ValueError) as exc:
        line = getattr(exc, "lineno", None) or 1
        return [Problem(relative_path, line, f"lifecycle module does not parse: {exc}")]
    problems = []
    defined = {node.name: node for node in tree.body
               if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))}
    for name in REQUIRED_FUNCTIONS:
        if name not in defined:
            problems.append(Problem(relative_path, 1, f"lifecycle module does not define "
                                                      f"{name}()"))
    mentioned = _settings_mentioned(tree)
    for setting in REQUIRED_SETTINGS:
        if setting not in mentioned:
            line = defined["init_redis"].lineno if "init_redis" in defined else 1
            problems.append(Problem(relative_path, line,
                                    f"lifecycle module does not set {setting} explicitly "
                                    f"(timeouts and retries are set in the central pool, "
                                    f"not left to redis-py's defaults)"))
    return problems


def _settings_mentioned(tree: ast.Module) -> set[str]:
    """Keyword arguments, dict keys and string constants naming pool settings."""
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.keyword) and node.arg:
            found.add(node.arg)
        elif isinstance(node, ast.Constant) and isinstance(node.value, str):
            found.add(node.value)
    return found & set(REQUIRED_SETTINGS)

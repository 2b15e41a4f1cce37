"""What else runs the app's code: a task-queue worker, a script's `main()`.

A repository often makes more than one program: the web app, a Celery worker that runs tasks
defined beside it, a script run by hand (`python helpers/pubsub.py`). A batch that gives the
web app a lifespan starts the shared client in the web process only; a module that another
program runs would reach `get_redis()` there before any `init_redis()`.

What a program runs is read from imports, never by importing anything: its entry modules (the
module that makes the worker app, the modules that import it to define tasks, any module a
string of it names, as `Celery(include=["app.tasks"])` does; a script's own module) and every
module they import, directly or through another, at any scope (a task's `from app.pubsub
import PubSub` inside its def counts). `import a.b.c` counts `a` and `a.b` too, whose names
the importer can reach; `from a.b import c` counts `a.b` and `a.b.c`, not the packages above
them, which Python runs but whose names the importer cannot reach. A module outside that set
runs in the worker only if its code is reached some other way (handed over as an object, named
by a string elsewhere): a gap a reviewer reading the diff can see, and the reason this is
applied only where the alternative was to move nothing.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from redis_migrate.analysis import scopes
from redis_migrate.analysis.newer_syntax import parse_source
from redis_migrate.scan.discovery import module_name


@dataclass(frozen=True, slots=True)
class OtherProgram:
    """A program of the repository that the batch does not start the shared client in: what
    it is (`Celery() at app/queue/app.py:5`), the files it runs, and what a human does."""

    name: str
    paths: frozenset[str]
    advice: str

    def refusal(self, path: str) -> str:
        return (f"{path} runs in {self.name} too, which does not start the shared client: "
                f"get_redis() would fail there. {self.advice}, then run the batch again")


class ImportGraph:
    """The target's modules and what each imports, read from disk on first use."""

    def __init__(self, repo: Path, files: list[str],
                 path_of: Callable[[str], str | None],
                 grep: Callable[[list[str]], set[str]] | None = None) -> None:
        """`path_of`: the file of a module spelled as an import spells it (a suffix of its
        name); `grep(words)`: the files that hold one of `words` as a word (git grep in a
        work tree), else each file is read here."""
        self.repo = repo
        self.files = files
        self.path_of = path_of
        self.grep = grep
        self._imports: dict[str, frozenset[str]] = {}
        self._trees: dict[str, ast.Module | None] = {}
        self._exact: dict[str, str] | None = None

    def resolve(self, name: str) -> str | None:
        """The file of the module `name`: the one whose module name it is, else the one whose
        name ends in it (a `src/` layout spells `app.x` for `src/app/x.py`)."""
        if self._exact is None:
            self._exact = {module_name(path)[0]: path for path in self.files}
        return self._exact.get(name) or self.path_of(name)

    def tree(self, path: str) -> ast.Module | None:
        if path not in self._trees:
            try:
                self._trees[path] = parse_source((self.repo / path).read_bytes(), path)
            except (OSError, SyntaxError, ValueError):
                self._trees[path] = None  # reported by the inventory, which parses it too
        return self._trees[path]

    def imports(self, path: str) -> frozenset[str]:
        """The files of the target that `path` imports."""
        if path not in self._imports:
            self._imports[path] = frozenset(self._read_imports(path))
        return self._imports[path]

    def _read_imports(self, path: str) -> set[str]:
        tree = self.tree(path)
        if tree is None:
            return set()
        module, is_package = module_name(path)
        package = scopes.package_of(module, is_package)
        names: set[str] = set()
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                for alias in node.names:
                    parts = alias.name.split(".")
                    names.update(".".join(parts[:n]) for n in range(1, len(parts) + 1))
            elif isinstance(node, ast.ImportFrom):
                base = (scopes.resolve_relative(package, node.level, node.module)
                        if node.level else node.module or "")
                names.add(base)
                names.update(f"{base}.{a.name}" if base else a.name for a in node.names
                             if a.name != "*")
        return {found for name in names if name and (found := self.resolve(name)) is not None
                and found != path}

    def named(self, path: str) -> set[str]:
        """Files of modules that string literals of `path` name (`"app.tasks"`,
        `"app.queue.task.QueueTask"`: the longest part that is a module)."""
        tree = self.tree(path)
        found: set[str] = set()
        for node in ast.walk(tree) if tree is not None else ():
            if isinstance(node, ast.Constant) and isinstance(node.value, str) \
                    and scopes.DOTTED_NAME.fullmatch(node.value):
                parts = node.value.split(".")
                for n in range(len(parts), 0, -1):
                    hit = self.resolve(".".join(parts[:n]))
                    if hit is not None:
                        found.add(hit)
                        break
        return found

    def importers(self, target: str) -> set[str]:
        """The files that import the module of `target`."""
        last = module_name(target)[0].rpartition(".")[2]
        # a cheap test first: an importer spells the module's last name as a word
        candidates = self.grep([last]) if self.grep is not None else self.files
        word = re.compile(rb"\b" + re.escape(last.encode()) + rb"\b")
        found = set()
        for path in sorted(candidates):
            if path == target:
                continue
            if self.grep is None:
                try:
                    if not word.search((self.repo / path).read_bytes()):
                        continue
                except OSError:
                    continue
            if target in self.imports(path):
                found.add(path)
        return found

    def closure(self, roots: Iterable[str]) -> set[str]:
        """`roots` and every file they import, directly or through another."""
        seen: set[str] = set()
        todo = list(roots)
        while todo:
            path = todo.pop()
            if path in seen:
                continue
            seen.add(path)
            todo.extend(self.imports(path) - seen)
        return seen

#!/usr/bin/env python3
"""Generate a library-shaped Python package: many classes, deep shared bases, few clients.

    python bench/make_library.py OUT_DIR [--classes 400] [--seed 1]

What site-packages holds and an application rarely does: hundreds of classes deriving from
the same bases (one of the package's own, and `abc.ABC`), each overriding the same methods
with the same local names, keeping instances of other classes in attributes of the same names,
every module mentioning redis (`redis-py` itself is such a package). The link's points-to
closure on this shape is what made `inventory` take minutes on a site-packages holding redis
(issue 10, item 9): every class's attributes were one object through the common bases, so the
closure grew with the square of the classes. Here it must grow with the classes.

Layout: `lib/__init__.py`, `lib/base.py` (the shared base), `lib/mod_NNNN.py` (one class each,
`Node_NNNN`), one client (`redis.Redis(...)`) every `--client-every` classes. Not a git
repository; deterministic for a given seed.
"""

from __future__ import annotations

import random
import shutil
import sys
from pathlib import Path

from make_corpus import generator_parser  # a sibling script: bench/ is on the path

BASE = '''"""The base every node derives from (redis is what it talks to)."""

import abc


class Node(abc.ABC):
    def __init__(self, parent=None):
        self.parent = parent
        self.children = []
        self.state = {}

    def handle(self, request):
        result = request
        self.last = result
        return result

    def attach(self, child):
        self.children.append(child)
        child.parent = self
        return child

    @abc.abstractmethod
    def close(self):
        ...
'''

MODULE = '''"""Node {n} of the library (redis-backed when it holds a client)."""

import abc

import redis

from lib.base import Node
{imports}

class Node_{n}(Node, abc.ABC):
    def __init__(self, parent=None):
        super().__init__(parent)
        self.peer = {peer}
        self.helper = {helper}
{client}
    def handle(self, request):
        result = request
        result.owner = self
        self.last = result
        data = self.peer.handle(result)
        return self.helper.handle(data)

    def attach(self, child):
        node = child
        self.children.append(node)
        node.parent = self
        return node

    def close(self):
        value = self.state.get("x")
        self.peer.close()
{use}
'''

CLIENT = '''        self.client = redis.Redis(host="localhost", port=6379, db={db})
'''
USE = '''        self.client.get("k{n}")
        self.client.close()
'''


def generate(out: Path, classes: int = 400, seed: int = 1, client_every: int = 40,
             force: bool = False) -> dict:
    """Write the package under `out`; return a small manifest."""
    out = Path(out)
    if out.exists() and any(out.iterdir()):
        if not force:
            raise SystemExit(f"make_library: {out} exists and is not empty (use --force)")
        shutil.rmtree(out)
    (out / "lib").mkdir(parents=True)
    (out / "lib" / "__init__.py").write_text('"""A library of nodes."""\n')
    (out / "lib" / "base.py").write_text(BASE)
    rng = random.Random(seed)
    clients = 0
    for i in range(classes):
        peer_n, helper_n = rng.randrange(classes), rng.randrange(classes)
        imports = sorted({f"from lib.mod_{peer_n:04d} import Node_{peer_n:04d}",
                          f"from lib.mod_{helper_n:04d} import Node_{helper_n:04d}"})
        has_client = i % client_every == 0
        clients += has_client
        text = MODULE.format(
            n=f"{i:04d}", imports="\n".join(imports) + "\n",
            peer=f"Node_{peer_n:04d}(self)", helper=f"Node_{helper_n:04d}(parent)",
            client=CLIENT.format(db=i % 16) if has_client else "",
            use=USE.format(n=i) if has_client else "")
        (out / "lib" / f"mod_{i:04d}.py").write_text(text)
    return {"classes": classes, "files": classes + 2, "clients": clients}


def main(argv: list[str] | None = None) -> int:
    a = generator_parser(__doc__, classes=400, client_every=40).parse_args(argv)
    manifest = generate(a.out_dir, a.classes, a.seed, a.client_every, a.force)
    print(f"make_library: {manifest['files']} files, {manifest['clients']} clients -> {a.out_dir}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

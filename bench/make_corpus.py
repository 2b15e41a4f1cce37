#!/usr/bin/env python3
"""Generate a synthetic Python backend (a git repository) for benchmarking `migrate inventory`.

    python bench/make_corpus.py OUT_DIR [--files 10000] [--lines 1000000]
                                        [--redis-ratio 0.01] [--seed 1] [--force]

Layout: ``app/__init__.py``, ``app/svc_NNN/__init__.py`` and modules ``app/svc_NNN/mod_NNNN.py``
(module numbers are global).  ``--files`` counts every ``.py`` file (``__init__.py`` included) and
``--lines`` is the total line count; module sizes vary (log-normal around the mean).

File roles (chosen by the seeded RNG):

* **redis** (``--redis-ratio`` of the files): use redis-py the ways a real backend does --
  ``import redis.asyncio as aioredis`` + module-level ``client = aioredis.Redis.from_url(...)``;
  ``from redis.asyncio import Redis`` + a class holding ``self._redis = Redis.from_url(...)`` and a
  module-level instance; function-local clients closed with ``await r.aclose()``;
  ``ConnectionPool.from_url`` + ``Redis(connection_pool=pool)``; sync ``redis.Redis(host=...)``.
  Operations: get/set/pipeline/publish/xadd/lock/incr+expire.
* **importer** (as many again): import a module-level ``client`` from a redis module and use it,
  *without the text "redis" appearing anywhere in the file* (``from app.svc_003.mod_0042 import
  client as cache_client`` / ``import app.svc_003.mod_0042 as m; m.client.set(...)``).
* **look-alike** (~0.5%): "redis" in comments / strings / identifiers, a local ``class Redis:``
  stand-in -- no redis-py client anywhere.
* **generic**: everything else; never contains "redis" in any letter case.

The commit is reproducible: same arguments -> same file bytes -> same commit id.
A manifest (``.corpus-manifest.json``, committed, not a .py file) records the parameters, the
per-role file lists and the planted-site counts; ``bench/run.py`` uses it as its params stamp.
The blocks a module is filled with are in ``corpus_filler.py``, the planted Redis code in
``corpus_redis_code.py``.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import random
import shutil
import subprocess
import sys
import time
from pathlib import Path

# siblings: bench/ is on the path
from corpus_filler import GENERIC_BLOCKS, filler, module_header
from corpus_redis_code import REDIS_FORMS, importer_section, lookalike_sections

GENERATOR_VERSION = 2
MANIFEST_NAME = ".corpus-manifest.json"
LOOKALIKE_RATIO = 0.005
MIN_MODULE_LINES = 24  # the module header alone is ~20-26 lines
PLANTED_MIN_LINES = 100


# --------------------------------------------------------------------------------------------
# file assembly
# --------------------------------------------------------------------------------------------
def assemble(r: random.Random, target: int, extra_imports: list[str], prelude: list[str],
             planted: list[list[str]]) -> str:
    """Header + prelude + generic blocks with ``planted`` blocks interleaved, ~``target`` lines."""
    lines = module_header(r, extra_imports)
    if prelude:
        lines += ["", ""] + prelude
    fixed = sum(len(b) + 2 for b in planted)
    budget = target - len(lines) - fixed
    generic: list[list[str]] = []
    used = 0
    tries = 0
    while budget - used > 2 and tries < 10_000:
        tries += 1
        b = r.choice(GENERIC_BLOCKS)(r)
        if len(b) + 2 <= budget - used:
            generic.append(b)
            used += len(b) + 2
        else:
            rest = budget - used - 2
            if rest >= 1:
                generic.append(filler(r, rest))
                used += rest + 2
            break
    blocks = list(generic)
    for b in planted:
        blocks.insert(r.randint(0, len(blocks)), b)
    for b in blocks:
        lines += ["", ""] + b
    remaining = target - len(lines)
    if remaining > 0:
        lines += filler(r, remaining)
    return "\n".join(lines) + "\n"


def split_sizes(r: random.Random, n: int, total: int, min_size: int = 12) -> list[int]:
    if n == 0:
        return []
    w = [r.lognormvariate(0.0, 0.6) for _ in range(n)]
    s = sum(w)
    sizes = [max(min_size, round(total * x / s)) for x in w]
    diff = total - sum(sizes)
    order = sorted(range(n), key=lambda i: -sizes[i])
    i = 0
    while diff != 0 and i < 10 * n:
        j = order[i % n]
        step = 1 if diff > 0 else -1
        if step < 0 and sizes[j] <= min_size:
            i += 1
            continue
        # spread the correction over the biggest files
        amount = max(1, abs(diff) // n) * step
        if step < 0:
            amount = -min(-amount, sizes[j] - min_size)
        sizes[j] += amount
        diff -= amount
        i += 1
    return sizes


def plan(files: int, lines: int, redis_ratio: float, seed: int) -> dict:
    """Decide layout, roles and sizes (cheap, single-threaded, deterministic)."""
    if files < 12:
        raise SystemExit("make_corpus: --files must be at least 12")
    n_pkgs = max(1, math.ceil(files / 100))
    n_mods = files - 1 - n_pkgs
    while n_mods < 1:
        n_pkgs -= 1
        n_mods = files - 1 - n_pkgs
    m = random.Random(f"plan:{seed}")
    width = max(4, len(str(n_mods - 1)))
    pwidth = max(3, len(str(n_pkgs - 1)))
    mods = []
    for i in range(n_mods):
        pkg = i * n_pkgs // n_mods
        mods.append(f"app/svc_{pkg:0{pwidth}d}/mod_{i:0{width}d}.py")
    inits = ["app/__init__.py"] + [f"app/svc_{p:0{pwidth}d}/__init__.py" for p in range(n_pkgs)]
    init_lines = 1 + 3 * n_pkgs
    sizes = split_sizes(m, n_mods, max(lines - init_lines, n_mods * MIN_MODULE_LINES), MIN_MODULE_LINES)

    n_redis = max(1, round(files * redis_ratio)) if redis_ratio > 0 else 0
    n_redis = min(n_redis, n_mods // 3)
    n_imp = n_redis
    n_look = min(max(1, round(files * LOOKALIKE_RATIO)), max(0, n_mods - n_redis - n_imp))
    order = list(range(n_mods))
    m.shuffle(order)
    redis_idx = order[:n_redis]
    imp_idx = order[n_redis:n_redis + n_imp]
    look_idx = order[n_redis + n_imp:n_redis + n_imp + n_look]

    # planted files need room for their planted code: swap their sizes with big generic files
    planted_idx = redis_idx + imp_idx + look_idx
    big = [i for i in order[n_redis + n_imp + n_look:] if sizes[i] >= PLANTED_MIN_LINES]
    for i in planted_idx:
        if sizes[i] < PLANTED_MIN_LINES and big:
            j = big.pop()
            sizes[i], sizes[j] = sizes[j], sizes[i]

    names = list(REDIS_FORMS)
    weights = [REDIS_FORMS[k][1] for k in names]
    forms = {}
    for k, i in enumerate(redis_idx):
        forms[i] = "aio_module" if k == 0 else m.choices(names, weights)[0]  # >=1 module-level client
    importers = {}
    exporters = [i for i in redis_idx if forms[i] in ("aio_module", "pool", "sync")]
    for i in imp_idx:
        importers[i] = m.choice(exporters)
    return {"mods": mods, "inits": inits, "sizes": sizes, "forms": forms, "importers": importers,
            "lookalikes": set(look_idx), "n_pkgs": n_pkgs}


def module_name(path: str) -> str:
    return path[:-3].replace("/", ".")


def gen_module(seed: int, p: dict, i: int) -> tuple[str, dict]:
    r = random.Random(f"file:{seed}:{i}")
    target = p["sizes"][i]
    info: dict = {"role": "generic"}
    if i in p["forms"]:
        form = p["forms"][i]
        imports, prelude, funcs, stats = REDIS_FORMS[form][0](r)
        text = assemble(r, target, imports, prelude, funcs)
        info = {"role": "redis", "form": form, **stats}
    elif i in p["importers"]:
        tgt = p["importers"][i]
        is_async = p["forms"][tgt] != "sync"
        imports, funcs, form, ops, holder = importer_section(r, module_name(p["mods"][tgt]), is_async)
        text = assemble(r, target, imports, [], funcs)
        info = {"role": "importer", "form": form, "target": p["mods"][tgt], "uses": len(ops), "methods": ops,
                "holder": None if holder is None else f"{module_name(p['mods'][i])}.{holder}"}
    elif i in p["lookalikes"]:
        blocks, kinds = lookalike_sections(r)
        text = assemble(r, target, [], [], blocks)
        info = {"role": "lookalike", "kinds": kinds}
    else:
        text = assemble(r, target, [], [], [])
    return text, info


def git(tree: Path, *args: str) -> str:
    env = {**os.environ, "GIT_AUTHOR_DATE": "2024-01-01T00:00:00Z", "GIT_COMMITTER_DATE": "2024-01-01T00:00:00Z",
           "GIT_CONFIG_NOSYSTEM": "1"}
    env.pop("GIT_DIR", None)
    env.pop("GIT_WORK_TREE", None)
    base = ["git", "-c", "user.name=redis-migrate bench", "-c", "user.email=bench@example.invalid",
            "-c", "commit.gpgsign=false", "-c", "core.autocrlf=false", "-c", "init.defaultBranch=main",
            "-c", "core.hooksPath=/dev/null"]
    res = subprocess.run(base + list(args), cwd=tree, env=env, capture_output=True, text=True)
    if res.returncode != 0:
        raise SystemExit(f"make_corpus: git {' '.join(args)} failed:\n{res.stderr}")
    return res.stdout


def check_params(files: int, lines: int, redis_ratio: float) -> str | None:
    if files < 12:
        return "--files must be at least 12"
    if lines < files * (MIN_MODULE_LINES + 2):
        return f"--lines must be at least {MIN_MODULE_LINES + 2} x --files"
    if not 0 <= redis_ratio <= 0.3:
        return "--redis-ratio must be within [0, 0.3]"
    return None


def generate(out: Path, files: int = 10_000, lines: int = 1_000_000, redis_ratio: float = 0.01,
             seed: int = 1, force: bool = False, quiet: bool = False) -> dict:
    """Generate the corpus at ``out``; return the manifest."""
    t0 = time.perf_counter()
    out = Path(out)
    if out.exists() and any(out.iterdir()):
        if not force:
            raise SystemExit(f"make_corpus: {out} exists and is not empty (use --force to replace it)")
        shutil.rmtree(out)
    out.mkdir(parents=True, exist_ok=True)
    p = plan(files, lines, redis_ratio, seed)

    total_lines = 0
    for k, path in enumerate(p["inits"]):
        text = ('"""Synthetic backend."""\n' if k == 0 else
                f'"""Service package {k - 1}."""\n\n__all__: list[str] = []\n')
        fp = out / path
        fp.parent.mkdir(parents=True, exist_ok=True)
        fp.write_text(text)
        total_lines += text.count("\n")

    roles: dict[str, list[str]] = {"redis": [], "importer": [], "lookalike": []}
    planted = {"client_constructions": 0, "pool_constructions": 0, "redis_operations": 0,
               "importer_imports": 0, "importer_uses": 0}
    sites = {"instantiation": 0, "close": 0, "owner-singleton": 0}
    forms: dict[str, int] = {}
    details: dict[str, dict] = {}
    for i, path in enumerate(p["mods"]):
        text, info = gen_module(seed, p, i)
        (out / path).write_text(text)
        total_lines += text.count("\n")
        role = info["role"]
        if role == "generic":
            continue
        roles[role].append(path)
        details[path] = info
        if role == "redis":
            planted["client_constructions"] += info["constructions"]
            planted["pool_constructions"] += info["pools"]
            planted["redis_operations"] += info["ops"]
            for kind, n in info["sites"].items():
                sites[kind] += n
            forms[info["form"]] = forms.get(info["form"], 0) + 1
        elif role == "importer":
            planted["importer_imports"] += 1
            planted["importer_uses"] += info["uses"]
            forms["importer_" + info["form"]] = forms.get("importer_" + info["form"], 0) + 1
    t_gen = time.perf_counter() - t0

    manifest = {
        "generator_version": GENERATOR_VERSION,
        "params": {"files": files, "lines": lines, "redis_ratio": redis_ratio, "seed": seed},
        "files": len(p["inits"]) + len(p["mods"]),
        "lines": total_lines,
        # sites as SPEC §3 counts them (a lower bound: `pool.disconnect()` is not counted);
        # importer files hold no site of their own: their operations belong to the origin's site
        "planted_sites": sum(sites.values()),
        "planted_sites_by_kind": sites,
        "planted": planted,
        "forms": dict(sorted(forms.items())),
        "redis_files": sorted(roles["redis"]),
        "importer_files": sorted(roles["importer"]),
        "lookalike_files": sorted(roles["lookalike"]),
        "details": dict(sorted(details.items())),
    }
    (out / MANIFEST_NAME).write_text(json.dumps(manifest, indent=1, sort_keys=True) + "\n")
    git(out, "init", "-q")
    git(out, "add", "-A")
    git(out, "commit", "-q", "--no-verify", "-m", f"synthetic backend (seed {seed})")
    manifest["commit"] = git(out, "rev-parse", "HEAD").strip()
    elapsed = time.perf_counter() - t0
    manifest["generation_seconds"] = round(elapsed, 2)
    if not quiet:
        print(f"make_corpus: {manifest['files']} files, {total_lines} lines, "
              f"{len(roles['redis'])} redis files, {len(roles['importer'])} importer files, "
              f"{len(roles['lookalike'])} look-alike files, {manifest['planted_sites']} planted sites "
              f"({sites['instantiation']} instantiations, {sites['close']} closes, "
              f"{sites['owner-singleton']} owner singletons) -> {out} [{elapsed:.1f}s: generate {t_gen:.1f}s, git {elapsed - t_gen:.1f}s]")
    return manifest


def generator_parser(doc: str, **numbers: float) -> argparse.ArgumentParser:
    """The command line of a tree generator: OUT_DIR, one `--name` per keyword of `numbers`
    (its value the default and its type the option's), then `--seed` and `--force`."""
    ap = argparse.ArgumentParser(description=doc.split("\n\n")[0])
    ap.add_argument("out_dir", type=Path)
    for name, default in numbers.items():
        ap.add_argument(f"--{name.replace('_', '-')}", type=type(default), default=default)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--force", action="store_true", help="replace OUT_DIR if it exists")
    return ap


def main(argv: list[str] | None = None) -> int:
    ap = generator_parser(__doc__, files=10_000, lines=1_000_000, redis_ratio=0.01)
    a = ap.parse_args(argv)
    problem = check_params(a.files, a.lines, a.redis_ratio)
    if problem:
        ap.error(problem)
    generate(a.out_dir, a.files, a.lines, a.redis_ratio, a.seed, a.force)
    return 0


if __name__ == "__main__":
    sys.exit(main())

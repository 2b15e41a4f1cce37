"""Tests for the benchmark's corpus generator and output interpretation.

Part of the default run (`testpaths` holds `bench`); alone: python -m pytest bench/test_bench.py
"""

from __future__ import annotations

import ast
import subprocess
import sys
import time
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
import corpus_redis_code  # noqa: E402
import inventory_check  # noqa: E402
import make_corpus  # noqa: E402
import run  # noqa: E402


def gen(tmp_path_factory, name: str, **kw) -> tuple[Path, dict]:
    out = tmp_path_factory.mktemp(name) / "tree"
    return out, make_corpus.generate(out, quiet=True, **kw)


def ls_py(tree: Path) -> list[str]:
    return subprocess.check_output(["git", "ls-files", "--", "*.py"], cwd=tree, text=True).split()


def grep_l(tree: Path, *flags: str) -> set[str]:
    res = subprocess.run(["git", "grep", "-l", "-I", *flags, "-e", "redis", "--", "*.py"],
                         cwd=tree, capture_output=True, text=True)
    assert res.returncode in (0, 1)
    return set(res.stdout.split())


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    return gen(tmp_path_factory, "c2000", files=2000, lines=200_000, redis_ratio=0.01, seed=7)


def test_sizes_exact(corpus):
    tree, m = corpus
    files = ls_py(tree)
    assert len(files) == m["files"] == 2000
    total = sum((tree / f).read_text().count("\n") for f in files)
    assert total == m["lines"] == 200_000
    sizes = sorted((tree / f).read_text().count("\n") for f in files if not f.endswith("__init__.py"))
    assert sizes[len(sizes) // 2] < 100 < sizes[-1]  # varied, skewed sizes around the mean
    assert sizes[0] >= make_corpus.MIN_MODULE_LINES


@pytest.mark.parametrize("files,lines", [(500, 50_000), (37, 4_000), (1234, 98_765)])
def test_sizes_other_params(tmp_path_factory, files, lines):
    tree, m = gen(tmp_path_factory, "sz", files=files, lines=lines, seed=3)
    assert len(ls_py(tree)) == files
    assert m["lines"] == lines


def test_roles_and_grep(corpus):
    tree, m = corpus
    redis, imp, look = (set(m[k]) for k in ("redis_files", "importer_files", "lookalike_files"))
    assert len(redis) == 20 and len(imp) == 20 and len(look) == 10
    hits = grep_l(tree)
    assert redis <= hits                              # every redis user passes the text prefilter
    assert hits - redis <= look                       # only look-alikes add to it
    assert 0.008 <= len(hits) / m["files"] <= 0.02    # "about 1%"
    hits_i = grep_l(tree, "-i")
    assert not (hits_i & imp), "importer files must not mention redis in any case"
    assert hits_i <= redis | look


def test_all_files_parse_and_importers_resolve(corpus):
    tree, m = corpus
    module_clients = set()
    for f in ls_py(tree):
        t = ast.parse((tree / f).read_text(), f)
        if f in m["redis_files"] and any(isinstance(n, ast.Assign) and any(getattr(x, "id", None) == "client"
                                                                         for x in n.targets) for n in t.body):
            module_clients.add(f[:-3].replace("/", "."))
        if f in m["lookalike_files"]:
            for n in ast.walk(t):
                if isinstance(n, ast.ImportFrom):
                    assert "redis" not in (n.module or "")
                if isinstance(n, ast.Import):
                    assert not any("redis" in a.name for a in n.names)
    for f in m["importer_files"]:
        t = ast.parse((tree / f).read_text())
        mods = [n.module if isinstance(n, ast.ImportFrom) else n.names[0].name for n in t.body
                if isinstance(n, (ast.Import, ast.ImportFrom))
                and ((getattr(n, "module", None) or "").startswith("app.") or n.names[0].name.startswith("app."))]
        assert len(mods) == 1 and mods[0] in module_clients, f
        assert m["details"][f]["target"] == mods[0].replace(".", "/") + ".py"


def test_redis_forms_present(corpus):
    tree, m = corpus
    text = "".join((tree / f).read_text() for f in m["redis_files"])
    for needle in ("import redis.asyncio as aioredis", "aioredis.Redis.from_url(", "from redis.asyncio import Redis",
                   "self._redis = Redis.from_url(", "await r.aclose()", "ConnectionPool.from_url(",
                   "Redis(connection_pool=pool)", "redis.Redis(host=", ".pipeline(", ".publish(", ".xadd(",
                   ".lock(", ".incr(", ".expire("):
        assert needle in text, needle
    imp_text = "".join((tree / f).read_text() for f in m["importer_files"])
    assert " import client" in imp_text and ".client." in imp_text
    k = m["planted_sites_by_kind"]
    assert m["planted_sites"] == sum(k.values())
    assert k["instantiation"] == m["planted"]["client_constructions"] + m["planted"]["pool_constructions"]
    assert k["close"] >= 1 and k["owner-singleton"] >= 1
    assert m["planted"]["client_constructions"] >= len(m["redis_files"])
    for f in m["importer_files"]:  # importer-only methods, so their use is visible at the origin
        d = m["details"][f]
        assert set(d["methods"]) <= set(corpus_redis_code.IMPORTER_OPS)
        assert not set(d["methods"]) & set(m["details"][d["target"]]["methods"])


def test_deterministic(tmp_path_factory):
    heads = []
    for seed in (5, 5, 6):
        tree, m = gen(tmp_path_factory, "det", files=300, lines=30_000, seed=seed)
        heads.append(m["commit"])
        assert subprocess.check_output(["git", "status", "--porcelain"], cwd=tree, text=True) == ""
    assert heads[0] == heads[1] != heads[2]


def test_fast_enough(tmp_path_factory):
    t0 = time.perf_counter()
    gen(tmp_path_factory, "speed", files=2000, lines=200_000, seed=1)
    assert time.perf_counter() - t0 < 10  # 1M lines takes ~3 s on 2 cores


def test_refuses_non_empty_dir(tmp_path):
    (tmp_path / "keep.txt").write_text("x")
    with pytest.raises(SystemExit):
        make_corpus.generate(tmp_path, files=100, lines=10_000, quiet=True)
    assert (tmp_path / "keep.txt").exists()


# ---- run.py output interpretation ---------------------------------------------------------------
def test_count_sites_shapes(tmp_path):
    s = [{"path": "a.py", "line": 1}, {"path": "b.py", "line": 2}]
    assert inventory_check.count_sites(s)[0] == 2
    assert inventory_check.count_sites({"sites": s, "files": 2})[0] == 2
    assert inventory_check.count_sites({"files": {"a.py": [{"line": 1}], "b.py": [{"line": 2}, {"line": 3}]}})[0] == 3
    assert inventory_check.count_sites({"files": [{"path": "a.py", "sites": [{"line": 1}]}]})[0] == 1
    assert inventory_check.count_sites({"results": s, "version": 1})[0] == 2
    assert inventory_check.count_sites({"count": 5, "version": 1})[0] == 5
    assert inventory_check.count_sites({"summary": {"total": 4}})[0] == 4
    assert inventory_check.count_sites("nope")[0] is None
    abs_sites = [{"file": str(tmp_path / "x" / "a.py")}, {"path": "./y/b.py"}, {"location": {"path": "c.py"}}]
    assert inventory_check.site_files(abs_sites, tmp_path) == {"x/a.py", "y/b.py", "c.py"}


def fake_sites(m: dict, with_importers: bool = True) -> list[dict]:
    """SPEC-shaped sites for the planted corpus (what a correct inventory reports)."""
    out = []
    for f in m["redis_files"]:
        d = m["details"][f]
        imps = [m["details"][g] for g in m["importer_files"] if m["details"][g]["target"] == f] if with_importers else []
        ops = sorted(set(d["methods"]).union(*(i["methods"] for i in imps)))
        holders = sorted(i["holder"] for i in imps if i.get("holder"))
        for kind, n in d["sites"].items():
            out += [{"file": f, "line": 1 + j, "col": 1, "kind": kind, "operations": ops, "holders": holders}
                    for j in range(n)]
    return out


def test_check_inventory_flags(corpus, capsys):
    tree, m = corpus
    good = fake_sites(m)
    n, problems = inventory_check.check_inventory({"sites": good, "summary": {}}, m, tree)
    assert n == m["planted_sites"] and problems == []
    assert "from-imports listed as holders" in capsys.readouterr().out
    _, problems = inventory_check.check_inventory({"sites": fake_sites(m, with_importers=False)}, m, tree)
    assert len(problems) == 1 and "importer files" in problems[0]
    _, problems = inventory_check.check_inventory({"sites": good[:-2]}, m, tree)
    assert any("sites <" in p for p in problems)
    assert inventory_check.check_inventory({"sites": []}, m, tree)[1] == ["inventory reported no sites"]
    assert any("MISMATCH" in p for p in inventory_check.check_inventory({"count": 3}, m, tree)[1])
    fp = good + [{"file": m["lookalike_files"][0], "line": 1, "kind": "instantiation", "operations": []}]
    assert inventory_check.check_inventory({"sites": fp}, m, tree)[1] == []  # warned, not an error
    assert "false positives" in capsys.readouterr().out


# ---- issue 10 sections (bench/sections.py, bench/measure.py, bench/make_library.py) ----------
import make_library  # noqa: E402
import measure  # noqa: E402
import sections  # noqa: E402


def test_library_generator_is_deterministic_and_parses(tmp_path):
    a = make_library.generate(tmp_path / "a", classes=30, seed=4)
    b = make_library.generate(tmp_path / "b", classes=30, seed=4)
    assert a == b == {"classes": 30, "files": 32, "clients": 1}
    texts = {p.relative_to(tmp_path / "a"): p.read_text() for p in (tmp_path / "a").rglob("*.py")}
    assert texts == {p.relative_to(tmp_path / "b"): p.read_text() for p in (tmp_path / "b").rglob("*.py")}
    for text in texts.values():
        ast.parse(text)
    assert sum("redis.Redis(" in t for t in texts.values()) == 1
    assert all("import redis" in t for p, t in texts.items() if p.name.startswith("mod_"))
    assert not (tmp_path / "a" / ".git").exists()  # a walked tree, like site-packages


def test_run_timed_reports_each_childs_peak_memory():
    # this process made large first: a child's figure must not inherit its size (Linux counts
    # the memory of the process a child was forked from)
    ballast = bytearray(160 * 2**20)
    big = measure.run_timed([sys.executable, "-c", "x = bytearray(120 * 2**20); print('ok')"])
    small = measure.run_timed([sys.executable, "-c", "print('ok')"])
    del ballast
    assert big.returncode == small.returncode == 0 and big.stdout == small.stdout == b"ok\n"
    assert big.peak_kib > 120 * 1024 > small.peak_kib  # per child, not the max so far
    failed = measure.run_timed([sys.executable, "-c", "import sys; sys.exit(3)"])
    assert failed.returncode == 3


def test_copy_of_a_real_tree_keeps_only_python_files(tmp_path):
    source = tmp_path / "site-packages"
    (source / "pkg" / "__pycache__").mkdir(parents=True)
    (source / "pkg" / "a.py").write_text("import redis\n")
    (source / "pkg" / "__pycache__" / "a.cpython-311.pyc").write_bytes(b"\0")
    (source / "pkg" / "data.json").write_text("{}")
    (source / "pkg" / ".gitignore").write_text("*.tmp\n")
    (source / "pkg" / "link.py").symlink_to(source / "pkg" / "a.py")
    target = tmp_path / "copy" / "interpreter-purelib"
    sections.copy_py_tree(source, target)
    assert sorted(p.relative_to(target).as_posix() for p in target.rglob("*") if p.is_file()) \
        == ["pkg/.gitignore", "pkg/a.py"]
    size = measure.tree_size(target)
    assert (size.files, size.lines) == (1, 1)


def test_pending_batch_and_sizes():
    data = {"sites": [{"status": "pending", "batch": "health"},
                      {"status": "pending", "batch": "read-caches"},
                      {"status": "pending", "batch": "read-caches"},
                      {"status": "manual", "batch": "health"},
                      {"status": "pending", "batch": None}]}
    assert sections.pending_batch(data) == ("read-caches", 2)
    assert sections.pending_batch({"sites": []}) == (None, 0)
    assert run._sizes("1000,5000") == [1000, 5000]
    with pytest.raises(Exception):
        run._sizes("10,x")


def test_reference_grep_and_full_parse_estimate(tmp_path):
    (tmp_path / "m").mkdir()
    for i in range(12):
        (tmp_path / "m" / f"f{i}.py").write_text(f"x{i} = 'redis'\n" * 50)
    name, cmd = measure.reference_grep(tmp_path)
    assert name.split()[0] in ("ripgrep", "git", "grep")
    found = subprocess.run(cmd, capture_output=True, text=True)
    assert found.returncode == 0 and len(found.stdout.split()) == 12
    seconds, files, sample_mb, total_mb = sections.full_parse_estimate(tmp_path, 0.002)
    assert 0 < files < 12 and seconds > 0 and total_mb > sample_mb > 0

"""The synthetic inventory checked against what the generator planted (make_corpus.py's
manifest): how many sites of each kind, in which files, and whether the operations of the
files that import a client reach that client's site. The inventory's JSON is read
tolerantly: its schema belongs to the CLI."""

from __future__ import annotations

from pathlib import Path

from measure import git_out, loud, say

PATH_KEYS = ("path", "file", "filename", "relpath", "rel_path", "module_path", "file_path")


def count_sites(data: object) -> tuple[int | None, list | None, str]:
    """(site count, list of site records if any, how it was read)."""
    if isinstance(data, list):
        return len(data), data, "top-level list"
    if not isinstance(data, dict):
        return None, None, f"unexpected JSON {type(data).__name__}"
    sites = data.get("sites")
    if isinstance(sites, list):
        return len(sites), sites, '"sites" list'
    files = data.get("files")
    if isinstance(files, dict) and all(isinstance(v, list) for v in files.values()):
        flat = [dict(s, path=p) if isinstance(s, dict) else {"path": p} for p, v in files.items() for s in v]
        return len(flat), flat, '"files" mapping of path -> sites'
    if isinstance(files, list) and files and all(isinstance(f, dict) for f in files):
        for key in ("sites", "items", "findings"):
            if all(isinstance(f.get(key), list) for f in files):
                flat = [dict(s, path=f.get("path") or f.get("file")) if isinstance(s, dict) else s
                        for f in files for s in f[key]]
                return len(flat), flat, f'"files" list with "{key}"'
    lists = [k for k, v in data.items() if isinstance(v, list) and v and all(isinstance(x, dict) for x in v)]
    if len(lists) == 1:
        return len(data[lists[0]]), data[lists[0]], f'"{lists[0]}" list'
    for key in ("count", "total", "site_count", "sites_count", "n_sites"):
        if isinstance(data.get(key), int):
            return data[key], None, f'"{key}" field'
    summary = data.get("summary")
    if isinstance(summary, dict):
        n, _, how = count_sites(summary)
        if n is not None:
            return n, None, f'"summary" {how}'
    return None, None, f"no site list found (keys: {sorted(data)[:10]})"


def site_path(s: object, real_tree: Path) -> str | None:
    """The tree-relative, /-separated file of one site record, if it names one."""
    if not isinstance(s, dict):
        return None
    p = next((s[k] for k in PATH_KEYS if isinstance(s.get(k), str)), None)
    if p is None and isinstance(s.get("location"), dict):
        p = next((s["location"][k] for k in PATH_KEYS if isinstance(s["location"].get(k), str)), None)
    if p is None:
        return None
    path = Path(p.split("::")[0])
    if path.is_absolute():
        try:
            path = path.resolve().relative_to(real_tree)
        except ValueError:
            return None
    return path.as_posix().removeprefix("./")


def site_files(sites: list, tree: Path) -> set[str]:
    real_tree = tree.resolve()
    return {p for p in (site_path(s, real_tree) for s in sites) if p is not None}


def check_inventory(data: object, manifest: dict, tree: Path) -> tuple[int | None, list[str]]:
    """Print the sanity check; return (site count, problems).

    Sites are counted as SPEC §3 does: instantiations (clients and pools), close calls, owner
    singletons. Importer files hold no site of their own; their operations belong to the site of
    the client they import, so they are checked through that site's `operations` / `holders`.
    """
    problems: list[str] = []
    n, sites, how = count_sites(data)
    planted = manifest["planted_sites"]
    by_kind = manifest["planted_sites_by_kind"]
    say(f"inventory sites: {n if n is not None else '?'} reported ({how}); planted: {planted} "
        "(" + ", ".join(f"{by_kind.get(k, 0)} {k}" for k in ("instantiation", "close", "owner-singleton")) + ")")
    if n is None:
        problems.append("could not find a site count in the inventory JSON")
        return None, problems
    if n <= 0:
        problems.append("inventory reported no sites")
    elif n < planted:
        problems.append(f"MISMATCH: inventory reported {n} sites < {planted} planted")
    if not sites:
        return n, problems
    kinds: dict[str, int] = {}
    for s in sites:
        if isinstance(s, dict) and isinstance(s.get("kind"), str):
            kinds[s["kind"]] = kinds.get(s["kind"], 0) + 1
    if kinds:
        say("  by kind: " + ", ".join(f"{k} {v} (planted {by_kind.get(k, 0)})" for k, v in sorted(kinds.items())))
        for k, v in by_kind.items():
            if kinds.get(k, 0) < v:
                problems.append(f"MISMATCH: {kinds.get(k, 0)} {k} sites reported < {v} planted")

    real_tree = tree.resolve()
    by_file: dict[str, list[dict]] = {}
    for s in sites:
        p = site_path(s, real_tree)
        if p is not None:
            by_file.setdefault(p, []).append(s)
    redis_files, importers = manifest["redis_files"], manifest["importer_files"]
    if not by_file or not (set(by_file) & set(redis_files) or
                           set(by_file) & set(git_out(tree, "ls-files", "--", "*.py").split())):
        say("  (could not map site paths to corpus files; per-file checks skipped)")
        return n, problems
    missing = [f for f in redis_files if f not in by_file]
    look = sorted(set(by_file) & set(manifest["lookalike_files"]))
    other = sorted(set(by_file) - set(redis_files) - set(manifest["lookalike_files"]))
    say(f"  redis files with a site: {len(redis_files) - len(missing)}/{len(redis_files)}; sites in "
        f"look-alike files: {len(look)}, in other files: {len(other)} (both should be 0)")
    if missing:
        problems.append(f"MISMATCH: {len(missing)} redis files have no site, e.g. {missing[:3]}")
    if look or other:
        loud(f"WARNING: possible false positives in {len(look) + len(other)} files, e.g. {(look + other)[:3]}")

    # importer files: their (importer-only) methods must show up in their origin's site(s), and a
    # `from m import client as alias` must show up as a holder `importer.module.alias`
    details = manifest["details"]
    if not any(isinstance(s.get("operations"), list) for v in by_file.values() for s in v):
        say("  (sites carry no \"operations\"; importer files not checked)")
        return n, problems
    ops_of: dict[str, set[str]] = {}
    holders_of: dict[str, set[str]] = {}
    for f, ss in by_file.items():
        ops_of[f] = {o if isinstance(o, str) else str(o.get("method", o)) if isinstance(o, dict) else str(o)
                     for s in ss for o in (s.get("operations") or [])}
        holders_of[f] = {h for s in ss for h in (s.get("holders") or []) if isinstance(h, str)}
    seen, missed, holder_checked, holder_seen = 0, [], 0, 0
    for f in importers:
        d = details[f]
        if set(d["methods"]) <= ops_of.get(d["target"], set()):
            seen += 1
        else:
            missed.append(f)
        if d.get("holder") and holders_of.get(d["target"]):
            holder_checked += 1
            holder_seen += d["holder"] in holders_of[d["target"]]
    extra = f"; from-imports listed as holders: {holder_seen}/{holder_checked}" if holder_checked else ""
    say(f"  importer files whose operations reach their origin's site: {seen}/{len(importers)}{extra}")
    if missed:
        problems.append(f"MISMATCH: operations of {len(missed)} importer files (client imported from another "
                        f"module, no 'redis' in the file) are missing from their origin's site, e.g. "
                        f"{missed[0]} -> {details[missed[0]]['target']} {details[missed[0]]['methods']}")
    return n, problems

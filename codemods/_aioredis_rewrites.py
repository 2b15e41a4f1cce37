"""The rewrite functions of the aioredis → redis.asyncio rule table (`_aioredis_rules`): the
shared ones (renames, keyword renames, flags) and those of strings, hashes, lists, pipelines
and scripts. Sorted sets and streams have modules of their own (`_aioredis_zset_rewrites`,
`_aioredis_stream_rewrites`).

Each takes a `Site` and returns a new call, `None` or a `Flag`. Pure: no I/O, no LibCST
metadata access.
"""

from __future__ import annotations

import libcst as cst

from ._aioredis_site import RETURN_USED, Flag, Outcome, Rewrite, Site
from ._cst_args import (
    dict_of,
    float_millis,
    int_like,
    is_none,
    keywords,
    kwarg,
    list_of,
    literal_bool,
    negated,
    parg,
    positional,
    renamed,
    starred,
    string_of,
    with_args,
)

# ------------------------------------------------------------------------ rewrites (aioredis 1)


def rename_to(new: str) -> Rewrite:
    """A method that only changes its name (iscan → scan_iter)."""
    def rewrite(site: Site) -> Outcome:
        return with_args(site.call, list(site.call.args), new)
    return rewrite


def kw_rename(names: dict[str, str]) -> Rewrite:
    def rewrite(site: Site) -> Outcome:
        if not set(names) & set(keywords(site.call)):
            return None
        return with_args(site.call, renamed(site.call, names))
    return rewrite


SET_EXIST = {"SET_IF_NOT_EXIST": "nx", "SET_IF_EXIST": "xx"}


def _expiry(name: str, arg: cst.Arg) -> cst.Arg | None:
    """`expire=N` → `ex=N`; literal 0 (1.x: no expiry) → dropped; other → `ex=v or None`."""
    value = arg.value
    if isinstance(value, cst.Integer) and int(value.value, 0) == 0:
        return None
    if not int_like(value) and not isinstance(value, cst.Float):
        value = cst.BooleanOperation(left=value, operator=cst.Or(), right=cst.Name("None"))
    return arg.with_changes(keyword=cst.Name(name), value=value)


def exist_keyword(site: Site, arg: cst.Arg, table: dict[str, str]) -> cst.Arg | Flag | None:
    if is_none(arg.value):
        return None
    constant = site.constant(arg.value)
    if constant not in table:
        return Flag("", f"exist= is not an aioredis {'/'.join(table)} constant")
    return kwarg(table[constant], cst.Name("True")).with_changes(comma=arg.comma)


def rewrite_set(site: Site) -> Outcome:
    """S1: expire/pexpire/exist keywords."""
    kws = keywords(site.call)
    if not {"expire", "pexpire", "exist"} & set(kws):
        return None
    if site.usage == "compare-false":
        return Flag("S1", "result compared with False: redis.asyncio returns None, not False")
    args: list[cst.Arg] = []
    for a in site.call.args:
        name = a.keyword.value if a.keyword is not None else None
        if name in ("expire", "pexpire"):
            new = _expiry("ex" if name == "expire" else "px", a)
        elif name == "exist":
            exist = exist_keyword(site, a, SET_EXIST)
            if isinstance(exist, Flag):
                return Flag("S1", exist.reason)
            new = exist
        else:
            new = a
        if new is not None:
            args.append(new)
    return with_args(site.call, args)


def seconds_to_millis(method: str, milli_method: str, index: int, rule: str) -> Rewrite:
    """S2/S11: a float seconds argument becomes the millisecond command."""
    def rewrite(site: Site) -> Outcome:
        args = positional(site.call)
        if starred(site.call) or len(args) <= index:
            return Flag(rule, "arguments are not spelled positionally")
        value = args[index].value
        if int_like(value):
            return None
        millis = float_millis(value)
        if millis is None:
            return Flag(rule, f"cannot tell whether the time is a float ({method} would "
                              f"need {milli_method})")
        new = list(site.call.args)
        new[site.call.args.index(args[index])] = args[index].with_changes(value=millis)
        return with_args(site.call, new, milli_method)
    return rewrite


def pairs_to_dict(rule: str, first: int, swap: bool = False) -> Rewrite:
    """S5/S6/H2: positional key/value pairs from index `first` → one dict argument."""
    def rewrite(site: Site) -> Outcome:
        args = list(site.call.args)
        head, rest = args[:first], args[first:]
        if len(rest) == 1 and rest[0].keyword is None and not rest[0].star:
            return None  # already a mapping
        if starred(site.call) or any(a.keyword is not None for a in rest):
            return Flag(rule, "pairs are not literal positional arguments (star-args)")
        if not rest or len(rest) % 2:
            return Flag(rule, "odd number of positional pair arguments")
        values = [a.value for a in rest]
        pairs = list(zip(values[1::2], values[::2]) if swap else zip(values[::2], values[1::2]))
        return with_args(site.call, [*head, parg(dict_of(pairs))])
    return rewrite


def rewrite_hmset(site: Site) -> Outcome:
    """H2: hmset(key, f, v, …) → hset(key, mapping={f: v, …})."""
    args = list(site.call.args)
    if len(args) == 2 and args[1].keyword is None and not args[1].star:
        return None  # already redis-py's hmset(name, mapping)
    if site.usage != "discarded":
        return Flag("H2", f"{RETURN_USED} (True → number of new fields)")
    result = pairs_to_dict("H2", 1)(site)
    if not isinstance(result, cst.Call):
        return result
    mapping = result.args[1].value
    return with_args(site.call, [args[0], kwarg("mapping", mapping)], "hset")


def rewrite_hmset_dict(site: Site) -> Outcome:
    """H1: hmset_dict(key, mapping, **kw) → hset(key, mapping={**mapping, **kw})."""
    if site.usage != "discarded":
        return Flag("H1", f"{RETURN_USED} (True → number of new fields, 0 is falsy)")
    key, *rest = site.call.args
    if key.keyword is not None or key.star or any(a.star == "*" for a in rest):
        return Flag("H1", "unexpected argument shape")
    if len(rest) == 1 and rest[0].keyword is None and not rest[0].star:
        mapping: cst.BaseExpression = rest[0].value
    else:
        elements: list[cst.BaseDictElement] = []
        for a in rest:
            if a.star == "**" or a.keyword is None:
                elements.append(cst.StarredDictElement(a.value))
            else:
                elements.append(cst.DictElement(string_of(a.keyword.value), a.value))
        mapping = cst.Dict(elements)
    return with_args(site.call, [key, kwarg("mapping", mapping)], "hset")


def rewrite_bitop(site: Site) -> Outcome:
    """S9: bitop_and(dest, *keys) → bitop("AND", dest, *keys)."""
    operation = site.method.removeprefix("bitop_").upper()
    return with_args(site.call, [parg(string_of(operation)), *site.call.args], "bitop")


def rewrite_object(site: Site) -> Outcome:
    """S16: object_encoding(k) → object("encoding", k)."""
    sub = site.method.removeprefix("object_")
    return with_args(site.call, [parg(string_of(sub)), *site.call.args], "object")


def return_shape(rule: str, ok: frozenset[str], why: str) -> Rewrite:
    """A command whose name stays but whose result shape changes: fine for the listed usages."""
    def rewrite(site: Site) -> Outcome:
        return None if site.usage in ok else Flag(rule, why)
    return rewrite


def always_flag(rule: str, why: str, unless_discarded: bool = False) -> Rewrite:
    def rewrite(site: Site) -> Outcome:
        if unless_discarded and site.usage == "discarded":
            return None
        return Flag(rule, why)
    return rewrite


def keys_list(rule: str) -> Rewrite:
    """L1/Z11: blpop(k1, k2, timeout=t) → blpop([k1, k2], timeout=t)."""
    def rewrite(site: Site) -> Outcome:
        if site.usage == "compare-eq":
            return Flag(rule, "compared with ==: redis.asyncio returns a tuple, 1.x a list")
        keys = [a for a in site.call.args if a.keyword is None]
        if any(a.star == "*" for a in keys) or any(a.star == "**" for a in site.call.args):
            return Flag(rule, "keys are not literal positional arguments (star-args)")
        if len(keys) <= 1:
            return None
        rest = [a for a in site.call.args if a.keyword is not None]
        return with_args(site.call, [parg(list_of([a.value for a in keys])), *rest])
    return rewrite


def rewrite_linsert(site: Site) -> Outcome:
    """L3: linsert(key, pivot, value, before=False) → linsert(key, "BEFORE"/"AFTER", pivot,
    value)."""
    pos, kws = positional(site.call), keywords(site.call)
    if starred(site.call) or len(pos) < 3:
        return Flag("L3", "arguments are not spelled positionally")
    where_given = pos[1].value if len(pos) == 4 else None
    if isinstance(where_given, cst.IfExp):
        where_given = where_given.body
    if isinstance(where_given, cst.SimpleString) \
            and where_given.evaluated_value in ("BEFORE", "AFTER"):
        return None
    before = pos[3].value if len(pos) == 4 else kws["before"].value if "before" in kws else None
    flag = literal_bool(before) if before is not None else False
    where: cst.BaseExpression
    if flag is not None:
        where = string_of("BEFORE" if flag else "AFTER")
    elif before is not None:  # not a literal: decided when the call runs
        where = cst.IfExp(test=before, body=string_of("BEFORE"), orelse=string_of("AFTER"))
    return with_args(site.call, [pos[0], parg(where), pos[1], pos[2]])


def rewrite_pipeline(site: Site) -> Outcome:
    """P2: pipeline() → pipeline(transaction=False)."""
    if site.call.args:
        return None
    return with_args(site.call, [kwarg("transaction", cst.Name("False"))])


def rewrite_multi_exec(site: Site) -> Outcome:
    """P1: multi_exec() → pipeline(transaction=True)."""
    return with_args(site.call, [kwarg("transaction", cst.Name("True"))], "pipeline")


def rewrite_execute(site: Site) -> Outcome:
    """P4 (on a pipeline): execute(return_exceptions=x) → execute(raise_on_error=not x)."""
    args = [a.with_changes(keyword=cst.Name("raise_on_error"), value=negated(a.value))
            if a.keyword is not None and a.keyword.value == "return_exceptions" else a
            for a in site.call.args]
    return with_args(site.call, args) if args != list(site.call.args) else None


def rewrite_publish_json(site: Site) -> Outcome:
    """B2: publish_json(ch, obj) → publish(ch, json.dumps(obj))."""
    pos = positional(site.call)
    if len(pos) != 2 or starred(site.call) or keywords(site.call):
        return Flag("B2", "unexpected argument shape")
    site.imports.append(("json", None))
    dumps = cst.Call(cst.Attribute(cst.Name("json"), cst.Name("dumps")), [cst.Arg(pos[1].value)])
    return with_args(site.call, [pos[0], pos[1].with_changes(value=dumps)], "publish")


def _dotted(node: cst.BaseExpression) -> bool:
    return isinstance(node, cst.Name) or (isinstance(node, cst.Attribute)
                                          and _dotted(node.value))


def eval_like(rule: str) -> Rewrite:
    """K1/K2: eval(script, keys=[…], args=[…]) → eval(script, len(keys), *keys, *args)."""
    def rewrite(site: Site) -> Outcome:
        pos, kws = positional(site.call), keywords(site.call)
        if len(pos) >= 2 and int_like(pos[1].value) and not kws.keys() & {"keys", "args"}:
            return None  # already numkeys
        if starred(site.call) or not pos:
            return Flag(rule, "star-args")
        keys = pos[1].value if len(pos) > 1 else kws["keys"].value if "keys" in kws else None
        args = pos[2].value if len(pos) > 2 else kws["args"].value if "args" in kws else None
        new = [pos[0]]
        for value, count in ((keys, True), (args, False)):
            if value is None:
                if count:
                    new.append(parg(cst.Integer("0")))
            elif isinstance(value, (cst.List, cst.Tuple)) and not any(
                    isinstance(e, cst.StarredElement) for e in value.elements):
                if count:
                    new.append(parg(cst.Integer(str(len(value.elements)))))
                new += [parg(e.value) for e in value.elements]
            elif count and not _dotted(value):
                return Flag(rule, "keys= is neither a literal list nor a name "
                                  "(it would be evaluated twice)")
            else:
                if count:
                    new.append(parg(cst.Call(cst.Name("len"), [cst.Arg(value)])))
                new.append(parg(value, "*"))
        return with_args(site.call, new)
    return rewrite

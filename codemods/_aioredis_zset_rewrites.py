"""The sorted-set rewrites of the aioredis → redis.asyncio rule table (`_aioredis_rules`):
zadd's score/member pairs, the ZSET_* flags and bounds, zunionstore/zinterstore, lex ranges.

Each takes a `Site` and returns a new call, `None` or a `Flag`. Pure, as `_aioredis_rewrites`.
"""

from __future__ import annotations

import libcst as cst

from ._aioredis_rewrites import exist_keyword
from ._aioredis_site import Flag, Outcome, Rewrite, Site
from ._cst_args import (
    code,
    dict_of,
    element_of,
    is_none,
    keywords,
    kwarg,
    list_of,
    literal_bool,
    parg,
    positional,
    starred,
    string_of,
    with_args,
)

ZSET_EXIST = {"ZSET_IF_NOT_EXIST": "nx", "ZSET_IF_EXIST": "xx"}


def rewrite_zadd(site: Site) -> Outcome:
    """Z1: zadd(key, score, member, …, exist=, changed=) → zadd(key, {member: score}, nx=, ch=)."""
    args = list(site.call.args)
    pos = positional(site.call)
    kws = keywords(site.call)
    if starred(site.call):
        return Flag("Z1", "score/member pairs are not literal positional arguments")
    if len(pos) == 2 and not kws.keys() & {"exist", "changed"}:
        return None  # already a mapping
    pairs = pos[1:]
    if not pairs or len(pairs) % 2:
        return Flag("Z1", "odd number of score/member arguments")
    members = [code(a.value) for a in pairs[1::2]]
    if len(set(members)) != len(members):
        return Flag("Z1", "duplicate members would collapse in a dict")
    incr = kws.get("incr")
    if incr is not None and literal_bool(incr.value) is not False and len(pairs) > 2:
        return Flag("Z1", "incr=True needs exactly one member")
    mapping = dict_of([(m.value, s.value) for s, m in zip(pairs[::2], pairs[1::2])])
    new: list[cst.Arg] = [args[0], parg(mapping)]
    for a in args:
        if a.keyword is None:
            continue
        if a.keyword.value == "exist":
            exist = exist_keyword(site, a, ZSET_EXIST)
            if isinstance(exist, Flag):
                return Flag("Z1", exist.reason)
            if exist is not None:
                new.append(exist)
        elif a.keyword.value == "changed":
            if literal_bool(a.value) is not False:
                new.append(a.with_changes(keyword=cst.Name("ch")))
        else:
            new.append(a)
    return with_args(site.call, new)


def rewrite_zrange(site: Site) -> Outcome:
    """Z2: zrange(key[, start[, stop[, withscores]]]) → zrange(key, start, end, withscores=…)."""
    if starred(site.call):
        return Flag("Z2", "star-args")
    pos, kws = positional(site.call), keywords(site.call)
    values = dict(zip(("key", "start", "stop", "withscores"), (a.value for a in pos)))
    for name in ("start", "stop", "withscores"):
        if name in kws:
            values[name] = kws[name].value
    scores = values.get("withscores")
    if scores is not None and literal_bool(scores) is not False and site.usage != "discarded":
        return Flag("Z2", "withscores: 1.x scores are int-or-float, redis.asyncio's are float")
    if len(pos) == 3 and not kws.keys() & {"start", "stop"}:
        return None
    new = [pos[0], parg(values.get("start", cst.Integer("0"))),
           parg(values.get("stop", cst.UnaryOperation(cst.Minus(), cst.Integer("1"))))]
    if scores is not None:
        new.append(kwarg("withscores", scores))
    new += [a for a in site.call.args if a.keyword is not None
            and a.keyword.value not in ("start", "stop", "withscores")]
    return with_args(site.call, new)


EXCLUDE = {"ZSET_EXCLUDE_MIN": ("min",), "ZSET_EXCLUDE_MAX": ("max",),
            "ZSET_EXCLUDE_BOTH": ("min", "max")}


def _open_bound(value: cst.BaseExpression) -> cst.BaseExpression:
    """The exclusive form of a score bound: `"(5"` for a literal, `"(" + str(x)` otherwise."""
    if isinstance(value, (cst.Integer, cst.Float)):
        return string_of(f"({value.value}")
    return cst.BinaryOperation(string_of("("), cst.Add(),
                               cst.Call(cst.Name("str"), [cst.Arg(value)]))


def score_range(rule: str, order: tuple[str, ...], extra: bool) -> Rewrite:
    """Z4/Z5/Z6: explicit min/max, `exclude=` as "(" bounds, offset/count → start/num keywords."""
    names = ("key", *order, *(("withscores", "offset", "count") if extra else ()))
    defaults = {"min": string_of("-inf"), "max": string_of("+inf")}

    def rewrite(site: Site) -> Outcome:
        if starred(site.call):
            return Flag(rule, "star-args")
        pos, kws = positional(site.call), keywords(site.call)
        if kws.keys() & {"start", "num"} or len(pos) > len(names):
            return None if kws.keys() & {"start", "num"} else Flag(rule, "too many arguments")
        values = dict(zip(names, (a.value for a in pos)))
        for name, a in kws.items():
            values[name] = a.value
        legacy = {"exclude", "offset", "count", "withscores"} & set(values)
        if len(pos) == 1 + len(order) and not kws.keys() & legacy:
            return None  # already explicit min/max and nothing else to convert
        if ("offset" in values) != ("count" in values):
            return Flag(rule, "offset and count must be given together")
        bounds = {b: values.get(b, defaults[b]) for b in order}
        exclude = values.get("exclude")
        if exclude is not None and not is_none(exclude):
            constant = site.constant(exclude)
            if constant not in EXCLUDE:
                return Flag(rule, "exclude= is not an aioredis ZSET_EXCLUDE_* constant")
            for b in EXCLUDE[constant]:
                bounds[b] = _open_bound(bounds[b])
        new = [pos[0] if pos else kws["key"], *(parg(bounds[b]) for b in order)]
        if "offset" in values:
            new += [kwarg("start", values["offset"]), kwarg("num", values["count"])]
        if "withscores" in values:
            new.append(kwarg("withscores", values["withscores"]))
        new += [a for a in site.call.args if a.keyword is not None
                and a.keyword.value not in names + ("exclude",)]
        return with_args(site.call, new)
    return rewrite


AGGREGATE = {"ZSET_AGGREGATE_SUM": "SUM", "ZSET_AGGREGATE_MIN": "MIN",
              "ZSET_AGGREGATE_MAX": "MAX"}


def rewrite_zstore(site: Site) -> Outcome:
    """Z7: zunionstore(dest, k1, k2, with_weights=, aggregate=) → (dest, [k1, k2] or {k: w})."""
    pos, kws = positional(site.call), keywords(site.call)
    aggregate = kws.get("aggregate")
    if len(pos) == 2 and isinstance(pos[1].value, (cst.List, cst.Dict)) \
            and "with_weights" not in kws \
            and (aggregate is None or isinstance(aggregate.value, cst.SimpleString)):
        return None
    dest, keys = site.call.args[0], [a for a in site.call.args[1:] if a.keyword is None]
    weights = kws.get("with_weights")
    weighted = weights is not None and literal_bool(weights.value) is not False
    if weighted:
        if weights is not None and literal_bool(weights.value) is None:
            return Flag("Z7", "with_weights= is not a literal")
        pairs: list[tuple[cst.BaseExpression, cst.BaseExpression]] = []
        for a in keys:
            if a.star or not (isinstance(a.value, cst.Tuple) and len(a.value.elements) == 2
                              and not any(isinstance(e, cst.StarredElement)
                                          for e in a.value.elements)):
                return Flag("Z7", "weighted keys are not literal (key, weight) tuples")
            pairs.append((a.value.elements[0].value, a.value.elements[1].value))
        collection: cst.BaseExpression = dict_of(pairs)
    else:
        collection = list_of([element_of(a) for a in keys])
    new = [dest, parg(collection)]
    if aggregate is not None and not is_none(aggregate.value):
        constant = site.constant(aggregate.value)
        if constant not in AGGREGATE:
            return Flag("Z7", "aggregate= is not an aioredis ZSET_AGGREGATE_* constant")
        new.append(kwarg("aggregate", string_of(AGGREGATE[constant])))
    elif aggregate is not None:
        new.append(aggregate)
    return with_args(site.call, new)


_LEX_OPEN = {"min": ('-', "-"), "max": ('+', "+")}


def rewrite_lex(site: Site) -> Outcome:
    """Z9: zrangebylex/zlexcount/zremrangebylex with the full range → explicit "-" "+"."""
    pos, kws = positional(site.call), keywords(site.call)
    if len(pos) >= 3 and not kws:
        return None if all(isinstance(a.value, cst.SimpleString) and a.value.evaluated_value
                           in ("-", "+", b"-", b"+") for a in pos[1:3]) else \
            Flag("Z9", "lex bounds: 1.x added [ or ( prefixes itself")
    if starred(site.call) or len(pos) > 1 or kws:
        return Flag("Z9", "lex bounds/include_*/offset: 1.x added [ or ( prefixes itself")
    return with_args(site.call, [*site.call.args, parg(string_of("-")), parg(string_of("+"))])

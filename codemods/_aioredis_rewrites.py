"""The rewrite functions of the aioredis → redis.asyncio rule table (`_aioredis_rules`).

Each takes a `Site` and returns a new call, `None` or a `Flag`. Pure: no I/O, no LibCST
metadata access.
"""

from __future__ import annotations

import libcst as cst

from ._aioredis_site import RETURN_USED, Flag, Outcome, Rewrite, Site
from ._cst_args import (
    code,
    dict_of,
    element_of,
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
ZSET_EXIST = {"ZSET_IF_NOT_EXIST": "nx", "ZSET_IF_EXIST": "xx"}


def _expiry(name: str, arg: cst.Arg) -> cst.Arg | None:
    """`expire=N` → `ex=N`; literal 0 (1.x: no expiry) → dropped; other → `ex=v or None`."""
    value = arg.value
    if isinstance(value, cst.Integer) and int(value.value, 0) == 0:
        return None
    if not int_like(value) and not isinstance(value, cst.Float):
        value = cst.BooleanOperation(left=value, operator=cst.Or(), right=cst.Name("None"))
    return arg.with_changes(keyword=cst.Name(name), value=value)


def _exist(site: Site, arg: cst.Arg, table: dict[str, str]) -> cst.Arg | Flag | None:
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
            exist = _exist(site, a, SET_EXIST)
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
            exist = _exist(site, a, ZSET_EXIST)
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


def rewrite_xadd(site: Site) -> Outcome:
    """X1: message_id → id, max_len → maxlen, exact_len → approximate=not …."""
    names = ("stream", "fields", "message_id", "max_len", "exact_len")
    pos = positional(site.call)
    if starred(site.call) or len(pos) > len(names):
        return Flag("X1", "star-args")
    new: list[cst.Arg] = list(pos[:2])
    extra = [kwarg(n, a.value) for n, a in zip(names[2:], pos[2:])]
    extra += [a for a in site.call.args if a.keyword is not None]
    if len(pos) <= 2 and not {_keyword(a) for a in extra} & {"message_id", "max_len", "exact_len"}:
        return None
    for a in extra:
        name = _keyword(a)
        if name == "exact_len":
            if literal_bool(a.value) is not False:
                new.append(a.with_changes(keyword=cst.Name("approximate"),
                                          value=negated(a.value)))
        else:
            new.append(a.with_changes(keyword=cst.Name(
                {"message_id": "id", "max_len": "maxlen"}.get(name, name))))
    return with_args(site.call, new)


def rewrite_xtrim(site: Site) -> Outcome:
    """X7: xtrim(stream, max_len, exact_len=False) → xtrim(stream, maxlen, approximate=…)."""
    pos, kws = positional(site.call), keywords(site.call)
    if not ({"max_len", "exact_len"} & kws.keys() or len(pos) > 2):
        return None
    exact = pos[2].value if len(pos) > 2 else kws["exact_len"].value if "exact_len" in kws \
        else None
    new = [a.with_changes(keyword=cst.Name("maxlen")) if a.keyword is not None
           and a.keyword.value == "max_len" else a for a in site.call.args
           if not (a.keyword is not None and a.keyword.value == "exact_len")]
    new = [a for a in new if a not in pos[2:]]
    if exact is not None and literal_bool(exact) is not False:
        new.append(kwarg("approximate", negated(exact)))
    return with_args(site.call, new)


def _keyword(arg: cst.Arg) -> str:
    """The keyword of `name=value` ("" for a positional argument)."""
    return arg.keyword.value if arg.keyword is not None else ""


def _streams_dict(streams: cst.BaseExpression,
                  ids: cst.BaseExpression | None) -> cst.BaseExpression:
    if isinstance(streams, (cst.List, cst.Tuple)) and not any(
            isinstance(e, cst.StarredElement) for e in streams.elements):
        names = [e.value for e in streams.elements]
        if ids is None:
            return dict_of([(n, string_of("$")) for n in names])
        if isinstance(ids, (cst.List, cst.Tuple)) and len(ids.elements) == len(names) \
                and not any(isinstance(e, cst.StarredElement) for e in ids.elements):
            return dict_of([(n, e.value) for n, e in zip(names, ids.elements)])
    if ids is None:
        return cst.parse_expression(f'dict.fromkeys({code(streams)}, "$")')
    return cst.parse_expression(f"dict(zip({code(streams)}, {code(ids)}))")


def xread_like(rule: str, lead: int, new_name: str) -> Rewrite:
    """X2/X3: streams list + latest_ids → {stream: id}; timeout → block (explicit, 0 blocks)."""
    names = ("streams", "timeout", "count", "latest_ids", "no_ack")

    def rewrite(site: Site) -> Outcome:
        pos, kws = positional(site.call), keywords(site.call)
        if starred(site.call):
            return Flag(rule, "star-args")
        if site.usage != "discarded":
            return Flag(rule, "result shape differs: 1.x [(stream, id, fields)], "
                              "redis.asyncio [[stream, [(id, fields)]]]")
        values = dict(zip(names, (a.value for a in pos[lead:])))
        values.update({k: a.value for k, a in kws.items()})
        given = values.get("streams")
        if isinstance(given, cst.Dict) or isinstance(given, cst.Call) and code(
                given.func) in ("dict", "dict.fromkeys"):
            return None  # already {stream: id}
        streams = _streams_dict(values["streams"], values.get("latest_ids"))
        new = [*pos[:lead], parg(streams)]
        timeout = values.get("timeout", cst.Integer("0"))
        if not is_none(timeout):
            new.append(kwarg("block", timeout))
        if "count" in values:
            new.append(kwarg("count", values["count"]))
        if "no_ack" in values:
            new.append(kwarg("noack", values["no_ack"]))
        return with_args(site.call, new, new_name)
    return rewrite


def rewrite_xpending(site: Site) -> Outcome:
    """X8: xpending with a range → xpending_range(…, min=, max=, count=, consumername=)."""
    names = ("stream", "group", "start", "stop", "count", "consumer")
    if starred(site.call):
        return Flag("X8", "star-args")
    values = dict(zip(names, (a.value for a in positional(site.call))))
    values.update({k: a.value for k, a in keywords(site.call).items()})
    given = [n for n in names[2:] if n in values and not is_none(values[n])]
    if not given:
        return None
    if not {"start", "stop", "count"} <= set(given):
        return Flag("X8", "a range needs start, stop and count together in redis.asyncio")
    new = [parg(values["stream"]), parg(values["group"]), kwarg("min", values["start"]),
           kwarg("max", values["stop"]), kwarg("count", values["count"])]
    if "consumer" in given:
        new.append(kwarg("consumername", values["consumer"]))
    return with_args(site.call, new, "xpending_range")


def rewrite_xclaim(site: Site) -> Outcome:
    """X9: xclaim(stream, group, consumer, min_idle, id, *ids) → (…, [id, *ids])."""
    pos = positional(site.call)
    if len(pos) == 5 and isinstance(pos[4].value, cst.List):
        return None
    if len(pos) < 5 or any(a.star == "**" for a in site.call.args):
        return Flag("X9", "message ids are not spelled positionally")
    ids = list_of([element_of(a) for a in pos[4:]])
    rest = [a for a in site.call.args if a.keyword is not None]
    return with_args(site.call, [*pos[:4], parg(ids), *rest])


def rewrite_xgroup_create(site: Site) -> Outcome:
    """X4: latest_id= → id= (the BusyGroupError handler is the guard, checked by the codemod)."""
    return kw_rename({"latest_id": "id"})(site)


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

"""The aioredis → redis.asyncio rule table (facts §1.1–§1.13), as data plus rewrite functions.

Each `Rule` names one row of the facts file. A rewrite gets a `Site` (the call, what its result
is used for, a constant resolver) and returns a new call, `None` (nothing to change) or a
`Flag` (leave the call alone and report why). Pure: no I/O, no LibCST metadata access.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Final

import libcst as cst

from ._cst_args import code as code
from ._cst_args import (
    dict_of,
    element_of,
    float_millis,
    int_like,
    keywords,
    kwarg,
    list_of,
    literal_bool,
    negated,
    parg,
    renamed,
    string_of,
)
from ._cst_args import is_none as is_none
from ._cst_args import positional as positional
from ._cst_args import starred as starred
from ._cst_args import with_args as with_args

AIOREDIS1, AIOREDIS2 = "aioredis1", "aioredis2"


@dataclass(frozen=True, slots=True)
class Flag:
    """A site the codemod leaves unchanged: `rule` and a one-line reason."""

    rule: str
    reason: str


@dataclass(slots=True)
class Site:
    """One command call on a migrated client, as a rewrite function sees it."""

    call: cst.Call
    method: str
    usage: str  # discarded | truth | compare-false | compare-eq | is | in | len | iter | used
    constant: Callable[[cst.BaseExpression], str | None]  # SET_IF_NOT_EXIST, … or None
    imports: list[tuple[str, str | None]] = field(default_factory=list)  # (module, obj)


Outcome = cst.Call | Flag | None
Rewrite = Callable[[Site], Outcome]


@dataclass(frozen=True, slots=True)
class Rule:
    """A row of the facts file. `scope` says where the codemod applies it."""

    id: str
    cls: str  # A | B | C
    library: str
    methods: tuple[str, ...]
    description: str
    scope: str = "call"  # call | statement | error | attribute | with | not-here: <why>
    rewrite: Rewrite | None = None
    guard: str | None = None
    fixture: str | None = None  # fixture case proving it (default: the rule id)


RETURN_USED = "the result is used and its type changes in redis.asyncio"


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


_SET_EXIST = {"SET_IF_NOT_EXIST": "nx", "SET_IF_EXIST": "xx"}
_ZSET_EXIST = {"ZSET_IF_NOT_EXIST": "nx", "ZSET_IF_EXIST": "xx"}


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
            exist = _exist(site, a, _SET_EXIST)
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
            exist = _exist(site, a, _ZSET_EXIST)
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


_EXCLUDE = {"ZSET_EXCLUDE_MIN": ("min",), "ZSET_EXCLUDE_MAX": ("max",),
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
            if constant not in _EXCLUDE:
                return Flag(rule, "exclude= is not an aioredis ZSET_EXCLUDE_* constant")
            for b in _EXCLUDE[constant]:
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


_AGGREGATE = {"ZSET_AGGREGATE_SUM": "SUM", "ZSET_AGGREGATE_MIN": "MIN",
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
        if constant not in _AGGREGATE:
            return Flag("Z7", "aggregate= is not an aioredis ZSET_AGGREGATE_* constant")
        new.append(kwarg("aggregate", string_of(_AGGREGATE[constant])))
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


# ---------------------------------------------------------------------------------- the table

def _r(id: str, cls: str, methods: str, description: str, rewrite: Rewrite | None = None,
       guard: str | None = None, scope: str = "call", library: str = AIOREDIS1,
       fixture: str | None = None) -> Rule:
    return Rule(id, cls, library, tuple(methods.split()), description, scope, rewrite, guard,
                fixture)


_CONSTRUCTOR = "not-here: constructor/pool, rewritten by the lifecycle codemods"
_IMPORT = "not-here: import rename, rewritten by update_imports"
_CHANNEL = "not-here: a Channel/PubSub object, not a call on a migrated client"
_SHAPE = "result shape differs"

_LISTED: Final[tuple[Rule, ...]] = (
    # §1.1 connection, pool, lifecycle
    _r("C1", "B", "create_redis_pool", "create_redis_pool → init_redis()/ConnectionPool",
       scope=_CONSTRUCTOR),
    _r("C2", "B", "create_redis", "create_redis → single-connection client", scope=_CONSTRUCTOR),
    _r("C3", "B", "create_pool", "create_pool + execute → ConnectionPool + execute_command",
       scope=_CONSTRUCTOR),
    _r("C4", "B", "create_connection", "create_connection → single-connection client",
       scope=_CONSTRUCTOR),
    _r("C5", "C", "create_sentinel", "create_sentinel → redis.asyncio.sentinel",
       scope=_CONSTRUCTOR),
    _r("C6", "A", "close wait_closed", "close() + await wait_closed() → await aclose(); a lone "
       "wait_closed() is deleted", guard="inside close_redis() (closing the shared client "
       "elsewhere is a bug)", scope="statement"),
    _r("C7", "A", "close wait_closed", "pool.close() + wait_closed() → pool.aclose()",
       scope=_CONSTRUCTOR),
    _r("C8", "A", "clear", "pool.clear() → pool.disconnect(inuse_connections=False)",
       scope=_CONSTRUCTOR),
    _r("C9", "B", "", "with await r as conn: → async with r.client() as conn:",
       guard="inside an async def, one item bound with `as`", scope="with"),
    _r("C10", "C", "closed db encoding address connection in_transaction in_pubsub",
       "connection properties have no equivalent", scope="attribute"),
    _r("C11", "C", "select", "select(db) changes one pooled connection only",
       always_flag("C11", "select() changes only one pooled connection: use db= on the pool")),
    _r("C12", "C", "", "URL ?encoding=/?timeout= query keys", scope=_CONSTRUCTOR),
    _r("C13", "C", "", "un-awaited command outside an async def never runs",
       scope="statement"),
    # un-awaited commands (C13 split by what the codemod can do)
    _r("U1", "A", "", "bare un-awaited command in an async def → await it", scope="statement"),
    _r("U2", "C", "", "un-awaited command stored in a variable (awaited later or never)",
       scope="statement"),
    # §1.2 per-call encoding
    _r("E1", "A", "", "encoding= equal to the client's decoding → removed", scope="encoding"),
    _r("E2", "B", "", "encoding= on a bytes client → removed + None-safe .decode()",
       guard="`name = await r.<scalar read>(…, encoding='…')` with a literal encoding",
       scope="encoding"),
    _r("E3", "C", "", "encoding=None on a decoding client needs a bytes client",
       scope="encoding"),
    _r("E4", "A", "create_redis_pool", "pool encoding= → decode_responses=True",
       scope=_CONSTRUCTOR),
    # §1.3 strings and keys
    _r("S1", "B", "set", "expire= → ex=, pexpire= → px=, exist=SET_IF_* → nx/xx=True",
       rewrite_set, guard="exist= resolves to an aioredis constant; result not compared "
       "with False"),
    _r("S2", "B", "setex", "float seconds → psetex(ms)",
       seconds_to_millis("setex", "psetex", 1, "S2"),
       guard="seconds is an int (literal, int(), len()) or a float literal"),
    _r("S3", "A", "psetex", "unchanged"),
    _r("S4", "A", "setnx", "unchanged"),
    _r("S5", "B", "mset", "mset(k1, v1, …) → mset({k1: v1, …})", pairs_to_dict("S5", 0),
       guard="pairs are positional (no star-args), even count"),
    _r("S6", "B", "msetnx", "msetnx(k1, v1, …) → msetnx({k1: v1, …})",
       pairs_to_dict("S6", 0), guard="pairs are positional (no star-args), even count"),
    _r("S7", "A", "get getrange getset mget", "unchanged (after encoding= removal)"),
    _r("S8", "A", "incr incrby decr decrby incrbyfloat append strlen setrange bitcount bitpos "
       "getbit setbit", "unchanged"),
    _r("S9", "A", "bitop_and bitop_or bitop_xor bitop_not", "bitop_and(…) → bitop(\"AND\", …)",
       rewrite_bitop),
    _r("S10", "A", "delete unlink exists touch", "unchanged"),
    _r("S11", "B", "expire expireat", "float seconds → pexpire/pexpireat(ms)", None,
       guard="timeout is an int (literal, int(), len()) or a float literal"),
    _r("S12", "A", "pexpire pexpireat persist ttl pttl type keys", "unchanged"),
    _r("S13", "A", "scan", "unchanged"),
    _r("S14", "A", "iscan", "iscan → scan_iter", rename_to("scan_iter")),
    _r("S15", "C", "sort", "sort() signature differs",
       always_flag("S15", "sort() arguments differ (get/by/offset/asc → start/num/get/desc)")),
    _r("S16", "A", "object_encoding object_refcount object_idletime",
       "object_encoding(k) → object(\"encoding\", k)", rewrite_object),
    _r("S17", "C", "time", "time() returns (sec, usec), not a float",
       always_flag("S17", "time() returns a (seconds, microseconds) tuple, not a float",
                   unless_discarded=True)),
    _r("S18", "A", "flushdb flushall", "async_op= → asynchronous=",
       kw_rename({"async_op": "asynchronous"})),
    # §1.4 hashes
    _r("H1", "A", "hmset_dict", "hmset_dict(k, d, **kw) → hset(k, mapping={**d, **kw})",
       rewrite_hmset_dict, guard="result discarded (True → number of new fields)"),
    _r("H2", "B", "hmset", "hmset(k, f, v, …) → hset(k, mapping={f: v, …})", rewrite_hmset,
       guard="pairs are positional (no star-args); result discarded"),
    _r("H3", "A", "hset", "unchanged"),
    _r("H4", "A", "hget hmget hgetall hkeys hvals hlen hexists hdel hincrby hincrbyfloat "
       "hsetnx hstrlen", "unchanged"),
    _r("H5", "B", "hscan", "hscan returns a dict of pairs",
       return_shape("H5", frozenset({"discarded"}), _SHAPE + ": [(f, v)] → {f: v}"),
       guard="result discarded"),
    _r("H6", "A", "ihscan", "ihscan → hscan_iter", rename_to("hscan_iter")),
    # §1.5 sets and sorted sets
    _r("Z1", "B", "zadd", "zadd(k, score, member, …) → zadd(k, {member: score, …})",
       rewrite_zadd, guard="score/member pairs positional, no duplicate members, exist= "
       "resolves to an aioredis constant, incr=True with one member"),
    _r("Z2", "B", "zrange", "explicit start/end (0, -1); withscores keyword", rewrite_zrange,
       guard="withscores false/absent or result discarded"),
    _r("Z3", "A", "zrevrange", "unchanged"),
    _r("Z4", "B", "zrangebyscore", "explicit min/max, exclude → \"(\" bounds, offset/count → "
       "start/num", score_range("Z4", ("min", "max"), True),
       guard="exclude= resolves to an aioredis constant; offset and count together"),
    _r("Z5", "B", "zrevrangebyscore", "as Z4 with max first",
       score_range("Z5", ("max", "min"), True), guard="as Z4"),
    _r("Z6", "B", "zremrangebyscore zcount", "explicit min/max, exclude → \"(\" bounds",
       score_range("Z6", ("min", "max"), False), guard="as Z4"),
    _r("Z7", "B", "zunionstore zinterstore", "keys → list, weighted tuples → dict, "
       "ZSET_AGGREGATE_* → string", rewrite_zstore,
       guard="weighted keys are literal (key, weight) tuples; constants resolve"),
    _r("Z8", "A", "zscore zincrby", "unchanged; flagged when compared with `is`",
       return_shape("Z8", frozenset({"discarded", "truth", "compare-eq", "compare-false",
                                     "in", "len", "iter", "used"}),
                    "score compared with `is`: redis.asyncio returns a float")),
    _r("Z9", "A", "zrangebylex zlexcount zremrangebylex", "full range → explicit \"-\" \"+\"; "
       "other lex bounds flagged", rewrite_lex),
    _r("Z10", "A", "izscan", "izscan → zscan_iter", rename_to("zscan_iter")),
    _r("Z11", "B", "bzpopmin bzpopmax", "bzpopmin(k1, k2, timeout=) → bzpopmin([k1, k2], …)",
       keys_list("Z11"), guard="keys positional (no star-args); result not compared with =="),
    _r("T1", "B", "smembers", "smembers returns a set",
       return_shape("T1", frozenset({"discarded", "truth", "in", "len", "iter"}),
                    _SHAPE + ": list → set (indexing, ordering, json.dumps break)"),
       guard="result discarded or used only in `in`, len(), iteration, truth test"),
    _r("T2", "A", "sadd srem scard sismember spop srandmember smove sdiff sinter sunion "
       "sdiffstore sinterstore sunionstore", "unchanged"),
    _r("T3", "A", "isscan", "isscan → sscan_iter", rename_to("sscan_iter")),
    # §1.6 lists
    _r("L1", "B", "blpop brpop", "blpop(k1, k2, timeout=) → blpop([k1, k2], timeout=)",
       keys_list("L1"), guard="keys positional (no star-args); result not compared with =="),
    _r("L2", "A", "brpoplpush", "unchanged"),
    _r("L3", "A", "linsert", "linsert(k, pivot, v, before=) → linsert(k, \"BEFORE\"/\"AFTER\", "
       "pivot, v)", rewrite_linsert),
    _r("L4", "A", "lpush rpush lpushx rpushx lpop rpop llen lrange lrem lset ltrim lindex "
       "rpoplpush", "unchanged"),
    # §1.7 transactions and pipelines
    _r("P1", "A", "multi_exec", "multi_exec() → pipeline(transaction=True)",
       rewrite_multi_exec),
    _r("P2", "A", "pipeline", "pipeline() → pipeline(transaction=False)", rewrite_pipeline),
    _r("P3", "B", "", "pipeline command futures", guard="futures discarded (not awaited, "
       "not stored and used)", scope="pipeline"),
    _r("P4", "A", "execute", "execute(return_exceptions=x) → execute(raise_on_error=not x)",
       rewrite_execute, scope="pipeline"),
    _r("P5", "C", "", "MultiExecError/PipelineError", scope="error", fixture="ERR-C"),
    _r("P6", "C", "watch", "WATCH on a pooled client",
       always_flag("P6", "WATCH on a pooled client: use pipeline().watch() or transaction()")),
    _r("P7", "A", "", "WatchVariableError → WatchError", scope="error", fixture="ERR-A"),
    # §1.8 pub/sub
    _r("B1", "A", "publish", "unchanged"),
    _r("B2", "A", "publish_json", "publish_json(ch, o) → publish(ch, json.dumps(o))",
       rewrite_publish_json),
    _r("B3", "C", "subscribe psubscribe", "subscribe returns Channels; use client.pubsub()",
       always_flag("B3", "subscribe() on the client: use ps = client.pubsub() and listen()")),
    _r("B4", "C", "wait_message get get_json iter", "Channel reading", scope=_CHANNEL),
    _r("B5", "C", "", "Receiver (mpsc)", scope=_CHANNEL),
    _r("B6", "B", "unsubscribe punsubscribe channels patterns",
       "unsubscribe/channels move to the PubSub object",
       always_flag("B6", "pub/sub state lives on a PubSub object in redis.asyncio"),
       guard="none statically checkable: always flagged"),
    _r("B7", "B", "pubsub_numsub", "pubsub_numsub returns a list of tuples",
       return_shape("B7", frozenset({"discarded"}), _SHAPE + ": dict → [(channel, n)]"),
       guard="result discarded"),
    _r("B8", "A", "", "channel close() → PubSub.aclose()", scope=_CHANNEL),
    # §1.9 streams
    _r("X1", "A", "xadd", "message_id → id, max_len → maxlen, exact_len → approximate=not",
       rewrite_xadd),
    _r("X2", "B", "xread", "streams + latest_ids → {stream: id}, timeout → block",
       xread_like("X2", 0, "xread"), guard="result discarded"),
    _r("X3", "B", "xread_group", "→ xreadgroup(group, consumer, {stream: id}, block=…)",
       xread_like("X3", 2, "xreadgroup"), guard="result discarded"),
    _r("X4", "B", "xgroup_create", "latest_id= → id=", rewrite_xgroup_create,
       guard="not inside a try that catches BusyGroupError"),
    _r("X5", "A", "xrange xrevrange", "start/stop keywords → min/max", None),
    _r("X6", "A", "xgroup_setid", "latest_id= → id=", kw_rename({"latest_id": "id"})),
    _r("X7", "A", "xtrim", "max_len → maxlen, exact_len → approximate=not", rewrite_xtrim),
    _r("X8", "B", "xpending", "with a range → xpending_range(min=, max=, count=)",
       rewrite_xpending, guard="start, stop and count all given"),
    _r("X9", "A", "xclaim", "message ids → one list", rewrite_xclaim),
    # §1.10 scripting
    _r("K1", "A", "eval", "eval(s, keys=[…], args=[…]) → eval(s, len(keys), *keys, *args)",
       eval_like("K1"), guard="keys= is a literal list or a name (evaluated once)"),
    _r("K2", "A", "evalsha", "as K1", eval_like("K2"), guard="as K1"),
    _r("K3", "A", "script_load script_exists script_flush script_kill", "unchanged"),
    _r("K4", "C", "", "register_script is the suggested target (no source pattern)",
       scope="not-here: advice, no 1.x call to match"),
    # §1.12 errors
    _r("ERR", "A", "", "aioredis.errors.X → redis.exceptions.Y (A rows of §1.12)",
       scope="error", fixture="ERR-A"),
    _r("ERR-C", "C", "", "BusyGroupError, PipelineError, MultiExecError, ChannelClosedError, "
       "MasterReplyError, SlaveReplyError, PoolClosedError have no equivalent",
       scope="error"),
    # §1.13 aioredis 2.x
    _r("N1", "A", "", "import aioredis → redis.asyncio", scope=_IMPORT, library=AIOREDIS2),
    _r("N2", "A", "", "aioredis.from_url → redis.asyncio.from_url", scope=_CONSTRUCTOR,
       library=AIOREDIS2),
    _r("N3", "A", "", "aioredis.exceptions.X → redis.exceptions.X (a name from `from "
       "aioredis.exceptions import X` keeps its spelling: update_imports renames the import)",
       scope="error",
       library=AIOREDIS2),
    _r("N4", "C", "", "except asyncio.TimeoutError around client calls", scope="error",
       library=AIOREDIS2),
    _r("N5", "A", "", "aioredis.client.* → redis.asyncio.client.*", scope=_IMPORT,
       library=AIOREDIS2),
    _r("N6", "A", "", "aioredis.lock.Lock → redis.asyncio.lock.Lock", scope=_IMPORT,
       library=AIOREDIS2),
    _r("N7", "A", "", "aioredis.sentinel.* → redis.asyncio.sentinel.*", scope=_IMPORT,
       library=AIOREDIS2),
    _r("N8", "A", "", "aioredis.connection.* → redis.asyncio.connection.*", scope=_IMPORT,
       library=AIOREDIS2),
    _r("N9", "C", "", "aioredis parsers are private in redis-py", scope="error",
       library=AIOREDIS2),
    _r("N10", "A", "", "aioredis.utils.from_url → redis.asyncio.utils.from_url",
       scope=_IMPORT, library=AIOREDIS2),
    _r("N11", "A", "close", "await r.close() → await r.aclose()",
       guard="inside close_redis() (closing the shared client elsewhere is a bug)",
       scope="statement", library=AIOREDIS2),
    _r("N12", "A", "", "PubSub close()/reset() → aclose()", scope=_CHANNEL, library=AIOREDIS2),
    _r("N13", "A", "close wait_closed", "r.close(); await r.wait_closed() → await r.aclose()",
       guard="inside close_redis()", scope="statement", library=AIOREDIS2),
    _r("N14", "B", "", "retry_on_timeout= → retry=", scope=_CONSTRUCTOR, library=AIOREDIS2),
    _r("N15", "C", "", "aioredis.compat has no equivalent", scope="error", library=AIOREDIS2),
)

# S11 and X5 need per-method parameters
RULES: Final[tuple[Rule, ...]] = tuple(
    r if r.id not in ("S11", "X5") else Rule(
        r.id, r.cls, r.library, r.methods, r.description, r.scope, None, r.guard, r.fixture)
    for r in _LISTED)
BY_ID: Final[dict[str, Rule]] = {r.id: r for r in RULES}

# method → rewrite, per library (for rules with scope "call")
_METHOD_REWRITES: dict[str, Rewrite] = {
    "expire": seconds_to_millis("expire", "pexpire", 1, "S11"),
    "expireat": seconds_to_millis("expireat", "pexpireat", 1, "S11"),
    "xrange": kw_rename({"start": "min", "stop": "max"}),
    "xrevrange": kw_rename({"start": "max", "stop": "min"}),
}
METHOD_RULES: Final[dict[str, tuple[str, Rewrite | None]]] = {}
for _rule in RULES:
    if _rule.scope == "call" and _rule.library == AIOREDIS1:
        for _method in _rule.methods:
            METHOD_RULES[_method] = (_rule.id, _METHOD_REWRITES.get(_method, _rule.rewrite))

# commands that do not return a coroutine (1.x or redis.asyncio): never "un-awaited"
NOT_COROUTINES: Final = frozenset({
    "pipeline", "multi_exec", "pubsub", "lock", "register_script", "client", "monitor",
    "iscan", "ihscan", "isscan", "izscan", "scan_iter", "hscan_iter", "sscan_iter",
    "zscan_iter", "close", "wait_closed", "aclose", "get_connection_kwargs",
})

# E2: scalar reads whose 1.x `encoding=` can become a None-safe `.decode()`
SCALAR_READS: Final = frozenset({
    "get", "getset", "getrange", "hget", "lindex", "lpop", "rpop", "rpoplpush", "brpoplpush",
    "echo", "srandmember", "spop", "getdel",
})

# §1.12 (aioredis 1.x, `aioredis.errors.X` or `aioredis.X`): name → redis-py target or None (C)
ERRORS_1: Final[dict[str, str | None]] = {
    "RedisError": "redis.exceptions.RedisError",
    "ReplyError": "redis.exceptions.ResponseError",
    "MaxClientsError": "redis.exceptions.ConnectionError",
    "AuthError": "redis.exceptions.AuthenticationError",
    "BusyGroupError": None,
    "ProtocolError": "redis.exceptions.InvalidResponse",
    "PipelineError": None,
    "MultiExecError": None,
    "WatchVariableError": "redis.exceptions.WatchError",
    "ChannelClosedError": None,
    "ReadOnlyError": "redis.exceptions.ReadOnlyError",
    "MasterNotFoundError": "redis.asyncio.sentinel.MasterNotFoundError",
    "SlaveNotFoundError": "redis.asyncio.sentinel.SlaveNotFoundError",
    "MasterReplyError": None,
    "SlaveReplyError": None,
    "ConnectionClosedError": "redis.exceptions.ConnectionError",
    "ConnectionForcedCloseError": "redis.exceptions.ConnectionError",
    "PoolClosedError": None,
}
ERROR_RULE: Final = {"WatchVariableError": "P7", "PipelineError": "P5",
                     "MultiExecError": "P5"}

# N3 (aioredis 2.x, `aioredis.exceptions.X` or `aioredis.X`): same names in redis.exceptions
ERRORS_2: Final = frozenset({
    "RedisError", "ConnectionError", "TimeoutError", "AuthenticationError", "BusyLoadingError",
    "InvalidResponse", "ResponseError", "DataError", "PubSubError", "WatchError",
    "NoScriptError", "ExecAbortError", "ReadOnlyError", "NoPermissionError", "ModuleError",
    "LockError", "LockNotOwnedError", "ChildDeadlockedError",
    "AuthenticationWrongNumberOfArgsError",
})

ATTRIBUTE_RULES: Final = {**{a: "C10" for a in BY_ID["C10"].methods},
                          "channels": "B6", "patterns": "B6"}
CONSTANTS: Final = frozenset({*_SET_EXIST, *_ZSET_EXIST, *_EXCLUDE, *_AGGREGATE})

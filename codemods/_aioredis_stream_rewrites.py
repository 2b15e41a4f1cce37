"""The stream rewrites of the aioredis → redis.asyncio rule table (`_aioredis_rules`): xadd,
xtrim, xread/xreadgroup, xpending, xclaim and xgroup_create.

Each takes a `Site` and returns a new call, `None` or a `Flag`. Pure, as `_aioredis_rewrites`.
"""

from __future__ import annotations

import libcst as cst

from ._aioredis_rewrites import kw_rename
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
    negated,
    parg,
    positional,
    starred,
    string_of,
    with_args,
)


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

"""E1–E3: aioredis 1.x's per-call `encoding=`, which redis.asyncio does not take.

On a client that decodes with the same encoding the keyword only goes (E1). On a bytes client a
scalar read assigned to a name keeps its meaning with a None-safe `.decode()` on the next line
(E2); any other read is flagged, as is an encoding that differs or is not a literal (E2), and
`encoding=None` on a decoding client (E3). Pure: it reads the tree through `parent`.
"""

from __future__ import annotations

from dataclasses import dataclass

import libcst as cst

from . import _aioredis_rules as rules
from ._aioredis_result_usage import Parent

# scalar reads that return a list of members when given a count
_COUNTED_READS = frozenset({"spop", "srandmember"})


@dataclass(frozen=True, slots=True)
class Decode:
    """E2: `name = name.decode(encoding) if name is not None else None`, after `statement`."""

    statement: cst.SimpleStatementLine
    name: str
    encoding: cst.BaseExpression

    def line(self) -> cst.BaseStatement:
        """The statement that decodes `name`."""
        name = self.name
        return cst.parse_statement(f"{name} = {name}.decode({rules.code(self.encoding)}) "
                                   f"if {name} is not None else None")


def normalised(encoding: str) -> str:
    """`UTF8`, `utf_8` and `utf-8` alike, to compare an encoding with the client's."""
    return encoding.lower().replace("_", "-").replace("utf8", "utf-8")


def convert_encoding(original: cst.Call, site: rules.Site, parent: Parent,
                     decode_responses: bool,
                     encoding: str) -> tuple[rules.Outcome, Decode | None]:
    """The call without its `encoding=` (or a flag), and the `.decode()` its result needs once
    the call is rewritten. `decode_responses` and `encoding` (normalised) are the client's."""
    arg = next((a for a in original.args if a.keyword is not None
                and a.keyword.value == "encoding"), None)
    if arg is None:
        return None, None
    value = arg.value
    literal = value.evaluated_value if isinstance(value, cst.SimpleString) else None
    decode = None
    if rules.is_none(value):
        if decode_responses:
            return rules.Flag("E3", "encoding=None (bytes) on a decoding client: needs a "
                                    "decode_responses=False client"), None
    elif not isinstance(literal, str):
        return rules.Flag("E2", "encoding= is not a literal"), None
    elif decode_responses and normalised(literal) != encoding:
        return rules.Flag("E2", f"encoding={literal!r} differs from the client's"), None
    elif not decode_responses:
        target = _decode_target(original, site.method, parent)
        if target is None:
            return rules.Flag("E2", "bytes client: only `name = await r.<scalar read>(…)`"
                                    " can get a None-safe .decode()"), None
        decode = Decode(target[0], target[1], value)
    args = [a for a in site.call.args if not (a.keyword is not None
                                              and a.keyword.value == "encoding")]
    return rules.with_args(site.call, args), decode


def _decode_target(call: cst.Call, method: str,
                   parent: Parent) -> tuple[cst.SimpleStatementLine, str] | None:
    """(statement, name) for `name = await r.<scalar read>(…)`, else None."""
    if method not in rules.SCALAR_READS or _counted(call, method):
        return None
    awaited = parent(call)
    assign = parent(awaited) if isinstance(awaited, cst.Await) else None
    if not (isinstance(assign, cst.Assign) and len(assign.targets) == 1
            and isinstance(assign.targets[0].target, cst.Name)):
        return None
    line = parent(assign)
    if not isinstance(line, cst.SimpleStatementLine) or len(line.body) != 1:
        return None
    return line, assign.targets[0].target.value


def _counted(call: cst.Call, method: str) -> bool:
    """Whether `call` reads a list: spop/srandmember given a count (or star-args that may
    hold one) return a list of members, not one."""
    if method not in _COUNTED_READS:
        return False
    counts = [a.value for a in rules.positional(call)[1:]]
    counts += [a.value for a in call.args if a.keyword is not None and a.keyword.value == "count"]
    return rules.starred(call) or any(not rules.is_none(c) for c in counts)

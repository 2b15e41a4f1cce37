"""LibCST's metadata resolution without its visit of the whole tree for no provider.

`MetadataWrapper` resolves providers in rounds. Each round computes the providers that cannot
be batched (`PositionProvider`, `_call_positions.CallStartProvider`) one by one, then visits
the whole tree once for the batchable ones that round has, even when it has none: a visit that
calls no provider's hook and changes nothing, and that doubled the cost of a position lookup
(a visit of every node in Python). `skip_empty_batched_visits` makes that round return what
such a visit returns, the empty mapping, without the visit; a round with providers to batch
is LibCST's own.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

import libcst.metadata.wrapper as _wrapper

_SKIPS = "_skips_empty_batches"

_Batch = Callable[[Any, Iterable[Any]], Mapping[Any, Any]]


def skip_empty_batched_visits() -> None:
    """Make LibCST skip the batched visit of a round with no batchable provider. Safe to call
    again; a LibCST without the function is left as it is."""
    batch = getattr(_wrapper, "_gen_batchable", None)
    if batch is None or getattr(batch, _SKIPS, False):
        return
    setattr(_wrapper, "_gen_batchable", _skipping(batch))  # LibCST types it narrowly


def _skipping(batch: _Batch) -> _Batch:
    def gen_batchable(wrapper: Any, providers: Iterable[Any]) -> Mapping[Any, Any]:
        providers = list(providers)
        return batch(wrapper, providers) if providers else {}

    setattr(gen_batchable, _SKIPS, True)
    gen_batchable.__wrapped__ = batch  # type: ignore[attr-defined]
    return gen_batchable

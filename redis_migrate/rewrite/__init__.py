"""Writes the work tree: per-file edit plans, the codemods of a batch, atomic writes, `init`."""

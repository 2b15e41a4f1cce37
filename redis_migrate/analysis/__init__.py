"""Finding Redis sites: per-file extraction (in parallel) and the repo-wide link."""

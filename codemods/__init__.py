"""Codemods, one per rewrite kind, and the Redis API tables they share with the analysis."""

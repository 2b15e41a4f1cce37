"""Nightly catalog import: CSV export from the ERP -> ``catalog:item:<sku>`` hashes.

Runs from cron as a plain synchronous script, so it uses the sync client.
"""

from __future__ import annotations

import csv
import sys
from collections.abc import Iterable

import redis

from backend import settings

CATALOG_FIELDS = ("sku", "title", "price_cents", "stock")


def load_catalog(path: str) -> list[dict[str, str]]:
    fh = open(path, newline="", encoding="utf-8")
    try:
        return [{f: row[f] for f in CATALOG_FIELDS} for row in csv.DictReader(fh)]
    finally:
        fh.close()


def sync_catalog(items: Iterable[dict[str, str]]) -> int:
    """Write every item's hash and the SKU index; returns the number written."""
    client = redis.Redis.from_url(settings.REDIS_URL)
    written = 0
    try:
        for item in items:
            client.hset(f"catalog:item:{item['sku']}", mapping=item)
            client.sadd("catalog:skus", item["sku"])
            written += 1
    finally:
        client.close()
    return written


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print("usage: python -m backend.workers.catalog_sync CATALOG.csv", file=sys.stderr)
        return 2
    print(f"synced {sync_catalog(load_catalog(argv[1]))} catalog items")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))

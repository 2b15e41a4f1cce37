"""Nightly sales report straight from Postgres (aiopg); no Redis involved."""

from __future__ import annotations

import asyncio
from pathlib import Path

import aiopg

from backend import settings

REPORT_SQL = """
    SELECT date_trunc('day', placed_at) AS day, count(*), sum(total_cents)
    FROM orders WHERE placed_at >= now() - interval '1 day' GROUP BY 1
"""


async def write_report(target: Path) -> int:
    pool = await aiopg.create_pool(settings.DATABASE_DSN, minsize=1, maxsize=2)
    try:
        async with pool.acquire() as conn:
            async with conn.cursor() as cur:
                await cur.execute(REPORT_SQL)
                rows = await cur.fetchall()
    finally:
        pool.close()
        await pool.wait_closed()
    out = target.open("w", encoding="utf-8")
    for day, orders, total_cents in rows:
        out.write(f"{day:%Y-%m-%d}\t{orders}\t{total_cents}\n")
    out.close()
    return len(rows)


if __name__ == "__main__":
    asyncio.run(write_report(Path("sales-report.tsv")))

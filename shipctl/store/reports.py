"""Read-only report queries: several named statements run at once, each on its own connection.

The statements are the analytics package's `.sql` files, named by it and read here (see
`store.sql`).
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import asyncpg

from shipctl.errors import DatabaseError
from shipctl.store.sql import query as named

# Enough memory for the sorts behind the medians and the per-group hashes of a year of labels,
# and no JIT, whose compiling costs more than it saves on these short aggregates; set per
# transaction so neither outlives the report.
REPORT_WORK_MEM = "64MB"
REPORT_SETTINGS = f"SET LOCAL work_mem = '{REPORT_WORK_MEM}'; SET LOCAL jit = off"
# Serialises rollup refreshes (one 64-bit key, beside the migration and sweep locks).
ROLLUP_LOCK = 0x5348_4950_4354_524C


@dataclass(frozen=True)
class ReportQuery:
    """One report section: its name, the analytics query it runs, and that query's arguments."""

    name: str
    query: str  # an analytics `.sql` file, without the suffix
    args: tuple[Any, ...]


async def _run_one(pool: asyncpg.Pool, query: ReportQuery) -> list[dict[str, Any]]:
    async with pool.acquire() as conn, conn.transaction(readonly=True):
        await conn.execute(REPORT_SETTINGS)
        try:
            records = await conn.fetch(named(query.query, "analytics"), *query.args)
        except asyncpg.PostgresError as error:
            raise DatabaseError(f"the {query.name} report query failed: {error}") from None
    return [dict(record) for record in records]


async def refresh_rollups(pool: asyncpg.Pool, *args: Any) -> int | None:
    """Run the rollup refresh (analytics `refresh.sql`) under the refresh lock; the number of
    days it rebuilt.

    None when this database user may not write (a read-only user or a standby): the reports
    are exact without a refresh, only slower, so that is not an error.
    """
    async with pool.acquire() as conn:
        try:
            async with conn.transaction():
                await conn.execute(REPORT_SETTINGS)
                await conn.execute("SELECT pg_advisory_xact_lock($1)", ROLLUP_LOCK)
                return int(await conn.fetchval(named("refresh", "analytics"), *args))
        except (asyncpg.InsufficientPrivilegeError, asyncpg.ReadOnlySQLTransactionError):
            return None
        except asyncpg.PostgresError as error:
            raise DatabaseError(f"refreshing the analytics rollups failed: {error}") from None


async def run_reports(
    pool: asyncpg.Pool, queries: Sequence[ReportQuery]
) -> dict[str, list[dict[str, Any]]]:
    """Rows of every query by name; the queries run concurrently on separate connections."""
    results = await asyncio.gather(*(_run_one(pool, query) for query in queries))
    return {query.name: rows for query, rows in zip(queries, results, strict=True)}

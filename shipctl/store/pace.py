"""The pace the workers on one EasyPost account share, kept in PostgreSQL.

One row per worker (`carrier_pace_workers`), written every second or so by that worker in
the same statement that reads the others: no round trip per call, no home-made queue.
"""

from __future__ import annotations

from dataclasses import dataclass

import asyncpg

from shipctl.store.sql import query


@dataclass(frozen=True)
class AccountPace:
    """The workers alive on the account (this one included), and the account's pace as
    they see it on average (None: none of them is paced yet)."""

    workers: int
    pace: float | None


async def publish(
    pool: asyncpg.Pool, account: str, mode: str, worker: str, pace: float | None,
    alive: float,
) -> AccountPace:
    """Record this worker's view of the account's pace; return what the live workers share."""
    row = await pool.fetchrow(query("pace_publish"), account, mode, worker, pace, alive)
    assert row is not None
    return AccountPace(workers=row["workers"], pace=row["pace"])


async def leave(pool: asyncpg.Pool, account: str, mode: str, worker: str) -> None:
    await pool.execute(query("pace_leave"), account, mode, worker)

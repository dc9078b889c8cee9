"""The pace the workers on one EasyPost account share, kept in PostgreSQL.

One row per worker (`carrier_pace_workers`), written a couple of times a second by that
worker in the same statement that reads the others: no round trip per call, no home-made
queue.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime

import asyncpg

from shipctl.store.sql import query

CHANNEL = "shipctl_pace"  # what pace_nudge.sql notifies


@dataclass(frozen=True)
class PaceWorker:
    """One worker alive on the account, as its last heartbeat wrote it."""

    worker: str
    state: str  # its part in the shared pace (jobs/pace_share.Role)
    pace: float | None  # its view of the account's pace, calls/s (None: none yet)
    workers: int  # among how many workers it last split the pace
    joined_at: datetime


async def publish(
    pool: asyncpg.Pool, account: str, mode: str, worker: str, state: str,
    pace: float | None, workers: int, alive: float,
) -> list[PaceWorker]:
    """Record this worker's heartbeat; return the workers alive on the account (this one
    included), oldest first."""
    rows = await pool.fetch(query("pace_publish"), account, mode, worker, state, pace, workers,
                            alive)
    return [PaceWorker(**dict(row)) for row in rows]


async def leave(pool: asyncpg.Pool, account: str, mode: str, worker: str) -> None:
    await pool.execute(query("pace_leave"), account, mode, worker)


@dataclass(frozen=True)
class RememberedPace:
    """What the last worker to leave an account knew of its limit."""

    state: str  # paced or open
    pace: float | None  # the account's pace as it saw it, calls/s (paced)
    window: int  # calls it had in flight (open: with no 429)


async def remember(
    pool: asyncpg.Pool, account: str, mode: str, known: RememberedPace,
) -> None:
    await pool.execute(query("pace_remember"), account, mode, known.state, known.pace,
                       known.window)


async def remembered(
    pool: asyncpg.Pool, account: str, mode: str, within: float,
) -> RememberedPace | None:
    """What the last worker to leave the account knew, if it left within `within` seconds."""
    row = await pool.fetchrow(query("pace_remembered"), account, mode, within)
    return None if row is None else RememberedPace(**dict(row))


async def nudge(pool: asyncpg.Pool, payload: str) -> None:
    """Wake the workers listening (see `listening`): a worker's part changed."""
    await pool.execute(query("pace_nudge"), payload)


@asynccontextmanager
async def listening(pool: asyncpg.Pool, on_nudge: Callable[[str], None]) -> AsyncIterator[None]:
    """`async with listening(pool, on_nudge):` call `on_nudge(payload)` for each nudge, on a
    connection of the pool held meanwhile. Best effort: where LISTEN is not available (a
    pooler in transaction mode) nothing is called, and heartbeats alone carry the news."""
    conn: asyncpg.Connection | None = None

    def deliver(_conn: object, _pid: int, _channel: str, payload: object) -> None:
        on_nudge(str(payload))

    try:
        conn = await pool.acquire()
        await conn.add_listener(CHANNEL, deliver)
    except (asyncpg.PostgresError, asyncpg.InterfaceError, OSError):
        if conn is not None:
            await pool.release(conn)
        conn = None
    try:
        yield
    finally:
        if conn is not None:
            with contextlib.suppress(asyncpg.PostgresError, asyncpg.InterfaceError, OSError):
                await conn.remove_listener(CHANNEL, deliver)
            with contextlib.suppress(asyncpg.PostgresError, asyncpg.InterfaceError, OSError):
                await pool.release(conn)

"""Claiming a run's orders, so that several `shipctl bulk` workers never work one order twice.

Workers may be processes on one machine or on several sharing one PostgreSQL server: all
coordination is PostgreSQL advisory locks, held by connections, so a worker that dies (even
by kill -9) lets go of everything it held at once.
"""

from __future__ import annotations

import os
import socket
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime

import asyncpg

from shipctl.models import RunStatus
from shipctl.store.shipments import StoredOrder, by_ids, finish_run, remaining
from shipctl.store.sql import query

# Two-key advisory locks (RUN_LOCKS, run id) mark the workers of a run; one-key locks on
# shipment ids are the claims. PostgreSQL keeps the two forms apart.
RUN_LOCKS = 0x5348


async def _let_go(pool: asyncpg.Pool, conn: asyncpg.Connection) -> None:
    """Drop every advisory lock the connection holds, and give it back to the pool."""
    try:
        await conn.execute("SELECT pg_advisory_unlock_all()")
    finally:
        await pool.release(conn)


class RunLease:
    """This worker's part in a run: a shared lock on the run, held while it works.

    `joined` says whether another worker was on the run when this one arrived (a second
    terminal, another machine) rather than this being a rerun. `leave()` tells whether this
    worker was the last one on the run, the one that completes it. Each lease is a row of
    `run_workers` (host, pid, when, and what it bought: see `finish`).
    """

    def __init__(self, pool: asyncpg.Pool, run_id: int) -> None:
        self._pool = pool
        self._run_id = run_id
        self._conn: asyncpg.Connection | None = None
        self.joined = False
        self.worker_id: int | None = None

    async def __aenter__(self) -> RunLease:
        self._conn = conn = await self._pool.acquire()
        alone = await conn.fetchval("SELECT pg_try_advisory_lock($1, $2::int)",
                                    RUN_LOCKS, self._run_id)
        if alone:
            await conn.execute("SELECT pg_advisory_unlock($1, $2::int)", RUN_LOCKS, self._run_id)
        await conn.execute("SELECT pg_advisory_lock_shared($1, $2::int)", RUN_LOCKS, self._run_id)
        self.joined = not alone
        self.worker_id = await conn.fetchval(query("run_workers_start"), self._run_id,
                                             socket.gethostname(), os.getpid(), self.joined)
        return self

    async def leave(self) -> bool:
        """Stop working the run; True if no other worker is on it now (this one is the last).

        The last one keeps the run locked until it exits, so a worker arriving meanwhile waits
        for the run to be closed.
        """
        assert self._conn is not None
        await self._conn.execute("SELECT pg_advisory_unlock_shared($1, $2::int)",
                                 RUN_LOCKS, self._run_id)
        last: bool = await self._conn.fetchval("SELECT pg_try_advisory_lock($1, $2::int)",
                                               RUN_LOCKS, self._run_id)
        return last

    async def finish(self, status: RunStatus, bought: int = 0) -> None:
        """Leave the run, having bought `bought` labels; if this worker was the last on it,
        close the run with `status`."""
        assert self._conn is not None
        await self._conn.execute(query("run_workers_finish"), self.worker_id, bought)
        if await self.leave():
            await finish_run(self._pool, self._run_id, status)

    async def __aexit__(self, *exc: object) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            await _let_go(self._pool, conn)


class OrderClaim:
    """Claims for a command that works single orders itself (`create`), taken as a bulk
    worker claims its orders: on one connection, let go of when the command ends."""

    def __init__(self, conn: asyncpg.Connection) -> None:
        self._conn = conn

    async def take(self, order_id: int) -> bool:
        """Claim the order; False when another process holds it (a bulk run buying it)."""
        return bool(await self._conn.fetchval("SELECT pg_try_advisory_lock($1)", order_id))


@asynccontextmanager
async def order_claim(pool: asyncpg.Pool) -> AsyncIterator[OrderClaim]:
    conn = await pool.acquire()
    try:
        yield OrderClaim(conn)
    finally:
        await _let_go(pool, conn)


class OrderClaims:
    """Session advisory locks on one dedicated connection: one lock per order in hand.

    Orders in `states` are claimable; orders in `recheck` only if they were last changed
    before this phase began (an order this worker just left `unknown`, or just quoted, is not
    claimed again by it in the same phase).
    """

    def __init__(
        self, pool: asyncpg.Pool, run_id: int, states: Sequence[str],
        recheck: Sequence[str] = (),
    ) -> None:
        self._pool = pool
        self._run_id = run_id
        self._states = list(states)
        self._recheck = list(recheck)
        self._conn: asyncpg.Connection | None = None
        self._since: datetime | None = None
        self._held: set[int] = set()
        self._finished: list[int] = []

    async def __aenter__(self) -> OrderClaims:
        self._conn = await self._pool.acquire()
        self._since = await self._conn.fetchval("SELECT clock_timestamp()")
        return self

    async def __aexit__(self, *exc: object) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            await _let_go(self._pool, conn)

    async def restart(self) -> None:
        """Begin the phase again from now: orders in `recheck` states last changed before now
        are claimable again (while the run's file is still being stored, its orders' rows are
        touched after the phase began)."""
        assert self._conn is not None
        self._since = await self._conn.fetchval("SELECT clock_timestamp()")

    def finished(self, order_id: int) -> None:
        """The order's outcome is committed; its lock goes with the next claim."""
        self._finished.append(order_id)

    async def claim(self, limit: int) -> list[StoredOrder]:
        """Lock and return up to about `limit` orders that are still unfinished."""
        assert self._conn is not None
        await self._release_finished()
        rows = await self._conn.fetch(
            query("shipments_claim"), self._run_id, self._states, limit, list(self._held),
            self._recheck, self._since,
        )
        ids = [row["id"] for row in rows]
        # Read after locking: another process may have finished an order a moment ago.
        fresh = [o for o in await by_ids(self._conn, ids) if self._claimable(o)]
        stale = set(ids) - {o.id for o in fresh}
        if stale:
            await self._unlock(stale)
        self._held.update(o.id for o in fresh)
        return fresh

    def _claimable(self, order: StoredOrder) -> bool:
        return order.state.value in self._states or order.state.value in self._recheck

    async def remaining(self) -> int:
        """Orders of the run still to be worked, here or by another worker."""
        assert self._conn is not None
        await self._release_finished()
        return await remaining(self._conn, self._run_id, self._states, self._recheck,
                               self._since)

    async def _release_finished(self) -> None:
        if self._finished:
            done, self._finished = self._finished, []
            await self._unlock(done)
            self._held.difference_update(done)

    async def _unlock(self, ids: Sequence[int] | set[int]) -> None:
        assert self._conn is not None
        await self._conn.execute(
            "SELECT pg_advisory_unlock(id) FROM unnest($1::bigint[]) AS id", list(ids)
        )


@dataclass(frozen=True)
class Buyer:
    """This process among those that buy labels: its `bulk` worker (`RunLease.worker_id`) or
    its `shipctl create` run, left out of the others it waits for."""

    worker_id: int | None = None
    create_run_id: int | None = None


async def others_quiet_in(
    pool: asyncpg.Pool, mode: str, store: str, lands_within: float, me: Buyer
) -> float:
    """Seconds until no buy another process may have sent for an order of `mode` and `store`
    can still land.

    A buy lands within `lands_within` seconds of being sent. Another buyer still at work may
    have sent one a moment ago: the whole time. One that finished sent its buys before it
    did: what is left of that time since. A bulk worker that died counts as finished when it
    was first seen dead (`reap_workers`); a `create` run that died, the whole time. None
    since then, or only dry runs (which buy nothing): 0.
    """
    await reap_workers(pool)
    seconds: float = await pool.fetchval(
        query("buyers_quiet_in"), mode, store, lands_within, me.worker_id, me.create_run_id,
    )
    return seconds


async def reap_workers(pool: asyncpg.Pool) -> None:
    """Mark finished, and died, the workers whose lease is gone without their finishing (a
    killed process): one that died may have sent a buy just before, so it counts as having
    finished when it was first seen dead, rather than being waited for ever after."""
    await pool.execute(query("run_workers_reap"), RUN_LOCKS)

"""Claiming a run's orders, so that several `shipctl bulk` processes never work one order twice."""

from __future__ import annotations

from collections.abc import Sequence

import asyncpg

from shipctl.store.shipments import StoredOrder, by_ids
from shipctl.store.sql import query


class OrderClaims:
    """Session advisory locks on one dedicated connection: one lock per order in hand."""

    def __init__(self, pool: asyncpg.Pool, run_id: int, states: Sequence[str]) -> None:
        self._pool = pool
        self._run_id = run_id
        self._states = list(states)
        self._conn: asyncpg.Connection | None = None
        self._held: set[int] = set()
        self._finished: list[int] = []

    async def __aenter__(self) -> OrderClaims:
        self._conn = await self._pool.acquire()
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self._conn is not None:
            try:
                await self._conn.execute("SELECT pg_advisory_unlock_all()")
            finally:
                await self._pool.release(self._conn)
                self._conn = None

    def finished(self, order_id: int) -> None:
        """The order's outcome is committed; its lock goes with the next claim."""
        self._finished.append(order_id)

    async def claim(self, limit: int) -> list[StoredOrder]:
        """Lock and return up to about `limit` orders that are still unfinished."""
        assert self._conn is not None
        await self._release_finished()
        rows = await self._conn.fetch(
            query("shipments_claim"), self._run_id, self._states, limit, list(self._held)
        )
        ids = [row["id"] for row in rows]
        # Read after locking: another process may have finished an order a moment ago.
        fresh = [o for o in await by_ids(self._conn, ids) if o.state.value in self._states]
        stale = set(ids) - {o.id for o in fresh}
        if stale:
            await self._unlock(stale)
        self._held.update(o.id for o in fresh)
        return fresh

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

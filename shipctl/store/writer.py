"""Group commit for order state changes.

Many orders are in flight at once; each state change is queued, and one flush writes every
queued change in a single transaction. A caller's `await` returns once its change is
committed, so "the shipment id is durable before the buy" still holds per order.
"""

from __future__ import annotations

import asyncio
from collections import defaultdict
from typing import Any

import asyncpg

from shipctl.models import PurchasedLabel, Quote
from shipctl.store import shipments
from shipctl.store.sql import query

_Pending = tuple[str, tuple[Any, ...], asyncio.Future[None]]
# A transaction PostgreSQL rolled back to break a deadlock is written again, up to this often.
DEADLOCK_ATTEMPTS = 5


class StateWriter:
    """Queues the state changes of orders and commits them in groups."""

    def __init__(self, pool: asyncpg.Pool, *, max_batch: int = 500) -> None:
        self._pool = pool
        self._max_batch = max_batch
        self._queue: list[_Pending] = []
        self._flusher: asyncio.Task[None] | None = None
        self.flushes = 0
        self.writes = 0
        self.error: BaseException | None = None
        # Held from the first write to the next drain(): a pooled connection costs a reset
        # round trip on every release, and each round trip waits for the busy event loop.
        self._conn: asyncpg.Connection | None = None

    async def created(
        self, row_id: int, shipment_id: str, quote: Quote, digest: str | None
    ) -> None:
        await self._submit("shipments_mark_created",
                           shipments.created_values(row_id, shipment_id, quote, digest))

    async def purchased(self, row_id: int, label: PurchasedLabel) -> None:
        await self.purchased_later(row_id, label)

    def purchased_later(self, row_id: int, label: PurchasedLabel) -> asyncio.Future[None]:
        """Queue the write and return at once; the future is done when it is committed.

        Safe because nothing depends on it: an order left `created` after a crash is
        resolved by retrieving its shipment, which finds the label.
        """
        done = self._enqueue("shipments_mark_purchased",
                             shipments.purchased_values(row_id, label))
        # Nobody awaits it: a failure is raised by drain() instead.
        done.add_done_callback(lambda future: future.cancelled() or future.exception())
        return done

    async def failed(self, row_id: int, code: str, message: str) -> None:
        await self._submit("shipments_mark_failed", shipments.failed_values(row_id, code, message))

    async def unknown(self, row_id: int, code: str, message: str) -> None:
        """The buy's outcome is not known: the order keeps its shipment id for the next run."""
        await self._submit("shipments_mark_unknown",
                           shipments.failed_values(row_id, code, message))

    async def abandoned(self, row_id: int, shipment_id: str) -> None:
        """The shipment is known not to be bought and was made for other data: drop it."""
        await self._submit("shipments_abandon", (row_id, shipment_id))

    async def _submit(self, name: str, values: tuple[Any, ...]) -> None:
        await self._enqueue(name, values)

    def _enqueue(self, name: str, values: tuple[Any, ...]) -> asyncio.Future[None]:
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._queue.append((name, values, done))
        if self._flusher is None or self._flusher.done():
            self._flusher = asyncio.create_task(self._flush_all())
        return done

    async def _flush_all(self) -> None:
        # This task first runs on the loop turn after the first write was queued, so every
        # write queued in that turn joins the first group; later ones join the next.
        while self._queue:
            batch, self._queue = self._queue[: self._max_batch], self._queue[self._max_batch :]
            try:
                await self._write(batch)
            except BaseException as error:
                self.error = self.error or error
                for _, _, done in batch:
                    if not done.done():
                        done.set_exception(error)
                if isinstance(error, asyncio.CancelledError):
                    raise
            else:
                for _, _, done in batch:
                    if not done.done():
                        done.set_result(None)

    async def _write(self, batch: list[_Pending]) -> None:
        grouped: dict[str, list[tuple[Any, ...]]] = defaultdict(list)
        for name, values, _ in batch:
            grouped[name].append(values)
        for rows in grouped.values():
            rows.sort(key=lambda values: values[0])  # row locks in id order, as everyone
        if self._conn is None:
            self._conn = await self._pool.acquire()
        conn = self._conn
        for attempt in range(1, DEADLOCK_ATTEMPTS + 1):
            try:
                if len(grouped) == 1:
                    [(name, rows)] = grouped.items()
                    await conn.executemany(query(name), rows)  # atomic by itself
                else:
                    async with conn.transaction():
                        for name, rows in grouped.items():
                            await conn.executemany(query(name), rows)
                break
            except asyncpg.DeadlockDetectedError:
                # Another worker's transaction held rows this one needed and the server
                # rolled this one back whole: nothing of it was applied, so write it again.
                if attempt == DEADLOCK_ATTEMPTS:
                    raise
        self.flushes += 1
        self.writes += len(batch)

    async def drain(self) -> None:
        """Wait until every queued write is committed; raise the first write that failed."""
        try:
            if self._flusher is not None:
                await asyncio.shield(self._flusher)
        finally:
            if self._conn is not None and (self._flusher is None or self._flusher.done()):
                conn, self._conn = self._conn, None
                await self._pool.release(conn)
        if self.error is not None:
            raise self.error

"""Workers on one EasyPost account share its pace through PostgreSQL.

Each worker's `RateController` measures and rides the limit from its own answers. With
several workers (`bulk --join`, or two `bulk` on one file, on one machine or several) they
also agree on the account's pace: every `SYNC_EVERY` seconds each worker writes its view of
it (its own pace × the workers it last counted) and reads the live workers' views in one
statement (`store.pace.publish`); when its share (the average view ÷ the live workers) is far
from its pace (a worker arrived or left), it paces at its share. A worker arriving on a
paced account starts at its share instead of probing the
limit from slow start; when one leaves (or dies: its row goes stale after `ALIVE` seconds)
the others take up its part at once. One round trip a second per worker, none per call.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from shipctl.carrier.executor import CarrierExecutor
    from shipctl.store.database import Pool

SYNC_EVERY = 1.0  # seconds between two heartbeats of a worker
ALIVE = 3.0  # a worker not heard from for this long no longer counts
# A share within this much of the current pace (relative) leaves it alone: between arrivals
# and departures each worker's own 429s fine-tune its pace, as with one worker (resetting it
# to the average every second would undo its regain after each cut).
BAND = 0.25


class PaceShare:
    """One worker's part in its account's shared pace."""

    def __init__(self, pool: Pool, executor: CarrierExecutor) -> None:
        self._pool = pool
        self._executor = executor
        self._account = executor.account
        self._mode = executor.mode
        self._worker = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self.workers = 1  # live workers on the account, as last counted

    async def sync(self) -> None:
        """Publish this worker's view of the account's pace; take up its share."""
        from shipctl.store import pace

        rate = self._executor.stats.pace
        view = None if rate is None else rate * self.workers
        shared = await pace.publish(self._pool, self._account, self._mode, self._worker, view,
                                    ALIVE)
        self.workers = max(1, shared.workers)
        if shared.pace is None:
            return
        share = shared.pace / self.workers
        if rate is None or abs(share - rate) > BAND * rate:
            self._executor.share_pace(share)

    async def run(self) -> None:
        """Sync every SYNC_EVERY seconds. Best effort: a sync that fails (the database busy
        or gone for a moment) leaves the pace as it is; it never stops the worker."""
        while True:
            with contextlib.suppress(Exception):
                await self.sync()
            await asyncio.sleep(SYNC_EVERY)

    async def leave(self) -> None:
        from shipctl.store import pace

        with contextlib.suppress(Exception):
            await pace.leave(self._pool, self._account, self._mode, self._worker)


@asynccontextmanager
async def shared_pace(pool: Pool, executor: CarrierExecutor) -> AsyncIterator[PaceShare]:
    """`async with shared_pace(pool, executor):` this worker shares its account's pace."""
    share = PaceShare(pool, executor)
    task = asyncio.create_task(share.run())
    try:
        yield share
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        await share.leave()

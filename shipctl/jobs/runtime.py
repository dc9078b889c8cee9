"""What a job runs on, and how it is recorded.

`open_runtime` opens the carrier session and the database pool a job works with;
`recorded_run` writes the job to `runs`, completed when its body returns and failed when
it raises. (`shipctl bulk` has its own run lifecycle: see `jobs.bulk`.)
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from shipctl.models import RunStatus

if TYPE_CHECKING:
    from shipctl.carrier.session import CarrierFactory, CarrierSession
    from shipctl.config import Settings
    from shipctl.store.database import Pool


@dataclass(frozen=True)
class Runtime:
    pool: Pool
    carrier: CarrierSession

    async def warm(self, connections: int) -> None:
        """Open `connections` database connections and start the carrier's threads at once,
        in the background of a job's start-up (see `database.warm`, `CarrierExecutor.warm`).
        Best effort: what fails here fails again, and is reported, where it is needed."""
        from shipctl.store.database import warm

        await asyncio.gather(warm(self.pool, connections), self.carrier.executor.warm(),
                             return_exceptions=True)


@asynccontextmanager
async def open_database(settings: Settings, *, pool_size: int = 10) -> AsyncIterator[Pool]:
    """The database these settings name (`DATABASE_URL`, else the embedded PostgreSQL)."""
    from shipctl.store.database import open_pool

    async with open_pool(settings.database_dsn, settings.data_dir, max_size=pool_size) as pool:
        yield pool


@asynccontextmanager
async def open_runtime(
    settings: Settings, carriers: CarrierFactory, *, concurrency: int | None = None,
    pool_size: int = 10,
) -> AsyncIterator[Runtime]:
    """`async with open_runtime(settings, carriers) as runtime:` the carrier session (opened
    by the factory the composition root chose: the real API or the simulator), then the pool.

    The carrier comes first: a missing API key is reported before a database is started.
    """
    async with (
        carriers(settings, concurrency=concurrency) as carrier,
        open_database(settings, pool_size=pool_size) as pool,
    ):
        yield Runtime(pool=pool, carrier=carrier)


class RecordedRun:
    """A run in progress; `fail()` records it failed even though its body returns."""

    def __init__(self, run_id: int) -> None:
        self.id = run_id
        self.status = RunStatus.COMPLETED

    def fail(self) -> None:
        self.status = RunStatus.FAILED


@asynccontextmanager
async def recorded_run(
    pool: Pool, kind: str, options: dict[str, Any], *, mode: str, store: str = "default",
) -> AsyncIterator[RecordedRun]:
    """`async with recorded_run(pool, "track", {...}, mode=…) as run:` a row in `runs`,
    finished `completed` when the body returns (unless `run.fail()`), `failed` if it raises."""
    from shipctl.store import shipments

    run = RecordedRun(
        await shipments.start_run(pool, kind, mode=mode, store=store, options=options)
    )
    status = RunStatus.FAILED
    try:
        yield run
        status = run.status
    finally:
        await shipments.finish_run(pool, run.id, status)

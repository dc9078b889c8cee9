"""`shipctl demo seed`: a simulated shipping history to try analytics on."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from shipctl.analytics.demo_history import DemoChunk, DemoHistory
from shipctl.analytics.report import refresh_days
from shipctl.errors import InputError

if TYPE_CHECKING:
    from shipctl.store.database import Pool
    from shipctl.store.demo import SeedCounts

DEFAULT_DAYS = 90
DEFAULT_SEED = 2026
MAX_SHIPMENTS = 9_999_999  # references are DEMO-0000001 … DEMO-9999999


def _check(shipments: int, days: int) -> None:
    if not 1 <= shipments <= MAX_SHIPMENTS:
        raise InputError(f"--shipments {shipments}: give a number from 1 to {MAX_SHIPMENTS:,}")
    if not 1 <= days <= 3660:
        raise InputError(f"--days {days}: give a number of days from 1 to 3660")


async def seed_history(
    pool: Pool,
    *,
    shipments: int,
    days: int = DEFAULT_DAYS,
    seed: int = DEFAULT_SEED,
    now: datetime,
    replace: bool = False,
) -> SeedCounts:
    """Store `shipments` simulated shipments bought over the `days` before `now`."""
    from shipctl.store.demo import seed as store_seed

    _check(shipments, days)
    options = {"demo": True, "shipments": shipments, "days": days, "seed": seed}

    def history(run_id: int) -> Iterator[DemoChunk]:
        return DemoHistory(count=shipments, days=days, seed=seed, now=now, run_id=run_id).chunks()

    return await store_seed(pool, options, history, replace=replace)


async def seed_demo(
    database_url: str | None,
    data_dir: Path,
    *,
    shipments: int,
    days: int = DEFAULT_DAYS,
    seed: int = DEFAULT_SEED,
    now: datetime,
    replace: bool = False,
) -> SeedCounts:
    """Open the database and seed it (see `seed_history`)."""
    from shipctl.store.database import open_pool

    _check(shipments, days)
    async with open_pool(database_url, data_dir, max_size=2) as pool:
        counts = await seed_history(
            pool, shipments=shipments, days=days, seed=seed, now=now, replace=replace
        )
        # Build the day rollups now, so the first report reads them instead of every label.
        await refresh_days(pool, now - timedelta(days=days + 1), now)
        return counts

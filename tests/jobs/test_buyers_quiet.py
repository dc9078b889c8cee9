"""Before a shipment is abandoned for a new quote, a worker waits out the buys that other
processes may have sent for it (store/claims.py `others_quiet_in`), and only those: a dry run
buys nothing, and a worker that finished long ago has nothing still on its way."""

from __future__ import annotations

from collections.abc import AsyncIterator

import asyncpg
import pytest

from shipctl.jobs.runtime import recorded_run
from shipctl.models import RunStatus
from shipctl.store import database
from shipctl.store.claims import Buyer, RunLease, others_quiet_in
from shipctl.store.shipments import Scope, open_run

QUIET = 35.0
SCOPE = Scope(mode="simulated", store="default")
SOMEONE_ELSE = Buyer()  # a process with no worker row or create run of its own yet


@pytest.fixture
async def pool(db: str) -> AsyncIterator[asyncpg.Pool]:
    pool = await database.create_pool(database.Target(url=db, embedded=False), max_size=6)
    try:
        yield pool
    finally:
        await pool.close()


async def bulk_run(pool: asyncpg.Pool, *, buys: bool, file: str = "a") -> int:
    run_id, _ = await open_run(pool, "bulk", scope=SCOPE, input_path=f"{file}.csv",
                               input_sha256=file, options={"dry_run": not buys}, buys=buys)
    return run_id


async def quiet_in(pool: asyncpg.Pool, me: Buyer = SOMEONE_ELSE, scope: Scope = SCOPE) -> float:
    return await others_quiet_in(pool, scope.mode, scope.store, QUIET, me)


async def test_nothing_to_wait_for_without_other_buyers(pool: asyncpg.Pool) -> None:
    assert await quiet_in(pool) == 0


async def test_a_dry_run_buys_nothing_so_nobody_waits_for_it(pool: asyncpg.Pool) -> None:
    run_id = await bulk_run(pool, buys=False)
    async with RunLease(pool, run_id) as lease:
        assert await quiet_in(pool) == 0  # at work
        await lease.finish(RunStatus.COMPLETED)
    assert await quiet_in(pool) == 0  # finished a moment ago


async def test_a_worker_at_work_or_dead_is_waited_for_the_whole_time(
    pool: asyncpg.Pool,
) -> None:
    run_id = await bulk_run(pool, buys=True)
    async with RunLease(pool, run_id) as lease:
        assert QUIET - 1 < await quiet_in(pool) <= QUIET
        assert await quiet_in(pool, Buyer(worker_id=lease.worker_id)) == 0  # itself
    # It left without finishing (as a killed worker does): it may have just sent a buy.
    assert QUIET - 1 < await quiet_in(pool) <= QUIET


async def test_a_finished_worker_is_waited_for_what_is_left_of_the_time(
    pool: asyncpg.Pool,
) -> None:
    run_id = await bulk_run(pool, buys=True)
    async with RunLease(pool, run_id) as lease:
        await lease.finish(RunStatus.COMPLETED)
    assert QUIET - 1 < await quiet_in(pool) <= QUIET
    await pool.execute("UPDATE run_workers SET finished_at = now() - interval '10 seconds'")
    assert QUIET - 11 < await quiet_in(pool) <= QUIET - 10
    await pool.execute("UPDATE run_workers SET finished_at = now() - interval '1 hour'")
    assert await quiet_in(pool) == 0


async def test_a_dry_run_taken_up_by_a_worker_that_buys_counts_for_good(
    pool: asyncpg.Pool,
) -> None:
    dry = await bulk_run(pool, buys=False)
    async with RunLease(pool, dry):
        assert await quiet_in(pool) == 0
        assert await bulk_run(pool, buys=True) == dry  # a rerun resumes the run and buys
        # Which of the run's workers buy is not recorded: each of them counts now.
        assert QUIET - 1 < await quiet_in(pool) <= QUIET
        # A dry run taking it up once more does not make it a dry run again.
        assert await bulk_run(pool, buys=False) == dry
        options = await pool.fetchval("SELECT options FROM runs WHERE id = $1", dry)
        assert options["buys"] is True


async def test_a_create_run_counts_unless_it_is_this_one(pool: asyncpg.Pool) -> None:
    async with recorded_run(pool, "create", {}, mode=SCOPE.mode, store=SCOPE.store) as run:
        assert QUIET - 1 < await quiet_in(pool) <= QUIET
        assert await quiet_in(pool, Buyer(create_run_id=run.id)) == 0
    assert QUIET - 1 < await quiet_in(pool) <= QUIET  # finished just now


async def test_buyers_of_another_mode_or_store_are_not_waited_for(pool: asyncpg.Pool) -> None:
    run_id = await bulk_run(pool, buys=True)
    async with RunLease(pool, run_id):
        assert await quiet_in(pool, scope=Scope(mode="test")) == 0
        assert await quiet_in(pool, scope=Scope(mode="simulated", store="east")) == 0
        assert await quiet_in(pool) > 0

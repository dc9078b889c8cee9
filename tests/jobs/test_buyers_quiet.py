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
from shipctl.store.claims import RUN_LOCKS, Buyer, RunLease, others_quiet_in
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


async def worker_state(pool: asyncpg.Pool, worker_id: int | None) -> tuple[bool, bool]:
    """(finished, died) of a run_workers row."""
    row = await pool.fetchrow("SELECT finished_at, died FROM run_workers WHERE id = $1",
                              worker_id)
    assert row is not None
    return row["finished_at"] is not None, row["died"]


async def test_a_worker_at_work_or_just_dead_is_waited_for_the_whole_time_not_for_ever(
    pool: asyncpg.Pool,
) -> None:
    run_id = await bulk_run(pool, buys=True)
    async with RunLease(pool, run_id) as lease:
        assert QUIET - 1 < await quiet_in(pool) <= QUIET
        assert await quiet_in(pool, Buyer(worker_id=lease.worker_id)) == 0  # itself
        assert await worker_state(pool, lease.worker_id) == (False, False)
    # It left without finishing (as a killed worker does): its lease connection, and the
    # run's lock with it, are gone. It may have just sent a buy.
    assert QUIET - 1 < await quiet_in(pool) <= QUIET
    assert await worker_state(pool, lease.worker_id) == (True, True)  # finished when seen dead
    # Seen dead an hour ago: nothing of its can still land, so nobody waits for it any more.
    await pool.execute("UPDATE run_workers SET finished_at = now() - interval '1 hour'")
    assert await quiet_in(pool) == 0


async def test_a_worker_at_work_is_never_taken_for_dead(db: str, pool: asyncpg.Pool) -> None:
    """Its lease holds the run's lock on a connection of its own, in another process: seen
    from here, it is alive however often it is looked at."""
    run_id = await bulk_run(pool, buys=True)
    other = await database.create_pool(database.Target(url=db, embedded=False), max_size=2)
    try:
        async with RunLease(other, run_id) as lease:
            for _ in range(3):
                assert QUIET - 1 < await quiet_in(pool) <= QUIET
            assert await worker_state(pool, lease.worker_id) == (False, False)
            await lease.finish(RunStatus.COMPLETED)
        assert await worker_state(pool, lease.worker_id) == (True, False)
    finally:
        await other.close()


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


async def test_a_worker_row_from_before_the_backend_was_kept_is_dead_once_its_run_is_free(
    db: str, pool: asyncpg.Pool,
) -> None:
    """A row written by an earlier version has no backend: it is alive while anyone holds
    its run's lock, and taken for dead (finished then) once nobody does. The same lock taken
    in another database of the server is another run's."""
    run_id = await bulk_run(pool, buys=True)
    async with RunLease(pool, run_id) as lease:
        await lease.finish(RunStatus.COMPLETED)
    old = await pool.fetchval(
        "INSERT INTO run_workers (run_id, host, pid, joined) VALUES ($1, 'old', 1, false) "
        "RETURNING id", run_id)
    async with RunLease(pool, run_id):  # someone on its run: it may be that old worker
        await quiet_in(pool)
        assert await worker_state(pool, old) == (False, False)
    elsewhere = await asyncpg.connect(db, database="postgres")
    try:
        await elsewhere.execute("SELECT pg_advisory_lock_shared($1, $2::int)", RUN_LOCKS, run_id)
        await quiet_in(pool)
    finally:
        await elsewhere.close()
    assert await worker_state(pool, old) == (True, True)

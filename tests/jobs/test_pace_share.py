"""Workers on one account share its pace through PostgreSQL (jobs/pace_share.py)."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from collections.abc import AsyncIterator, Callable
from contextlib import AsyncExitStack, asynccontextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from shipctl.carrier.client import make_client
from shipctl.carrier.executor import CarrierExecutor
from shipctl.carrier.pacing import SLOW_START, PaceState, queued
from shipctl.jobs.pace_share import IDLE_AFTER, MAX_HOLD, PaceShare, Role, account_pace
from shipctl.simulator import SimulatorConfig, running_simulator
from shipctl.store.database import Pool, open_pool
from shipctl.store.pace import PaceWorker, listening
from tests.conftest import Sql
from tests.jobs.bulk_support import use_example_settings, write_orders

Clock = Callable[[], float]


def row(worker: str, state: Role, pace: float | None = None, workers: int = 1,
        age: float = 0.0) -> PaceWorker:
    joined = datetime(2026, 1, 1, tzinfo=UTC) - timedelta(seconds=age)
    return PaceWorker(worker, state, pace, workers, joined)


def test_the_accounts_pace_and_its_split_from_the_workers_rows() -> None:
    rows = [row("a", Role.PACED, 30.0, 2, age=9), row("b", Role.IDLE, 26.0, 2, age=5),
            row("c", Role.JOINING, age=2), row("me", Role.PACED, 10.0, 1, age=1),
            row("d", Role.WAITING)]
    seen = account_pace(rows, "me")
    # Paced and idle views averaged; `a`, `c` and `me` split it (idle and waiting do not).
    assert seen.pace == pytest.approx((30.0 + 26.0 + 10.0) / 3)
    assert seen.splitting == 3
    assert seen.room_made is False  # `a` still splits among 2
    assert seen.older_probing is False
    probing = account_pace([row("a", Role.PROBING, age=1), row("me", Role.WAITING)], "me")
    assert probing.older_probing and probing.pace is None and probing.splitting == 2
    assert not account_pace([row("me", Role.WAITING, age=1), row("z", Role.PROBING)],
                            "me").older_probing


@asynccontextmanager
async def workers_on(
    db: str, tmp_path: Path, api_base: str, keys: list[str], clock: Clock, concurrency: int = 8,
) -> AsyncIterator[tuple[Pool, list[tuple[CarrierExecutor, PaceShare]]]]:
    """A pool and one executor and pace share per key, all on `clock`."""
    async with AsyncExitStack() as stack:
        pool = await stack.enter_async_context(open_pool(db, tmp_path))
        made = []
        for key in keys:
            client = make_client(key, api_base=api_base, timeout=5, concurrency=concurrency)
            executor = await stack.enter_async_context(
                CarrierExecutor(client, concurrency, clock=clock))
            made.append((executor, PaceShare(pool, executor, clock=clock)))
        yield pool, made


async def test_a_worker_arriving_waits_for_room_then_takes_its_share(
    db: str, tmp_path: Path, sql: Sql,
) -> None:
    now = [0.0]
    with running_simulator(SimulatorConfig(seed=2)) as sim:
        async with workers_on(db, tmp_path, sim.api_base, ["EZTK-one", "EZTK-one", "EZTK-two"],
                              lambda: now[0]) as (_pool, made):
            (first, one), (second, two), (other, elsewhere) = made
            first.share_pace(40.0)  # as after its 429s: 40 calls/s, alone
            await one.sync()
            assert (one.role, first.stats.pace, one.workers) == (Role.PACED, 40.0, 1)
            await elsewhere.sync()  # another account: not counted, not paced
            assert elsewhere.role is Role.PROBING and other.stats.pace is None
            await two.sync()  # arrives on a paced account: holds until the first makes room
            assert two.role is Role.JOINING and second.pace.held
            assert second.stats.pace is None
            await one.sync()
            assert (first.stats.pace, one.workers) == (pytest.approx(20.0), 2)
            await two.sync()  # room made: its share, no slow start
            assert two.role is Role.PACED and not second.pace.held
            assert second.stats.pace == pytest.approx(20.0)
            assert second.stats.window == second.stats.max_window == 8 + queued(8)
            await two.leave()
            await one.sync()  # alone again: the account's whole pace
            assert one.workers == 1 and first.stats.pace == pytest.approx(40.0)
            await one.leave()
            await elsewhere.leave()
    assert sql("SELECT count(*) AS n FROM carrier_pace_workers")[0]["n"] == 0


async def test_a_worker_waits_while_an_older_one_probes_the_limit_but_not_for_ever(
    db: str, tmp_path: Path,
) -> None:
    now = [0.0]
    with running_simulator(SimulatorConfig(seed=2)) as sim:
        async with workers_on(db, tmp_path, sim.api_base, ["EZTK-one"] * 2 + ["EZTK-new"] * 2,
                              lambda: now[0]) as (_pool, made):
            (first, one), (second, two), (third, three), (fourth, four) = made
            await one.sync()  # alone and not paced: it probes the limit
            assert one.role is Role.PROBING and not first.pace.held
            await two.sync()
            assert two.role is Role.WAITING and second.pace.held  # rather than probe as well
            first.pace.on_rate_limited(first.pace.epoch)  # its first 429: paced
            first.share_pace(30.0)
            await one.sync()
            await two.sync()  # the measure is in: join
            await one.sync()  # make room
            await two.sync()
            assert second.stats.pace == pytest.approx(15.0) and not second.pace.held
            await one.leave()
            await two.leave()
            # An older worker that probes and never gets paced is not waited for long.
            await three.sync()
            await four.sync()
            assert four.role is Role.WAITING and fourth.pace.held
            now[0] += MAX_HOLD
            await four.sync()
            assert four.role is Role.PROBING and not fourth.pace.held
            await three.leave()
            await four.leave()
            assert third.stats.pace is None and fourth.stats.pace is None


async def test_a_worker_with_nothing_under_way_gives_its_part_to_the_others(
    db: str, tmp_path: Path,
) -> None:
    now = [0.0]
    with running_simulator(SimulatorConfig(seed=2)) as sim:
        async with workers_on(db, tmp_path, sim.api_base, ["EZTK-one"] * 2,
                              lambda: now[0]) as (_pool, made):
            (first, one), (second, two) = made
            first.share_pace(40.0)
            await one.sync()
            await two.sync()
            await one.sync()
            await two.sync()
            assert first.stats.pace == second.stats.pace == pytest.approx(20.0)
            second.pace.call_started()  # its last order's call ...
            second.pace.call_ended()  # ... is done: nothing more to claim
            now[0] += IDLE_AFTER
            await two.sync()
            assert two.role is Role.IDLE
            await one.sync()  # takes up the idle worker's part
            assert one.workers == 1 and first.stats.pace == pytest.approx(40.0)
            second.pace.call_started()  # work again (another worker's orders let go)
            await two.sync()
            assert two.role is Role.JOINING and second.pace.held  # joins, not at a stale share
            await one.sync()
            await two.sync()
            assert first.stats.pace == second.stats.pace == pytest.approx(20.0)
            second.pace.call_ended()
            await one.leave()
            await two.leave()


async def test_a_change_of_part_wakes_the_other_workers_at_once(
    db: str, tmp_path: Path,
) -> None:
    now = [0.0]
    with running_simulator(SimulatorConfig(seed=2)) as sim:
        async with workers_on(db, tmp_path, sim.api_base, ["EZTK-one"] * 2,
                              lambda: now[0]) as (pool, made):
            (first, one), (_second, two) = made
            heard: list[str] = []
            got = asyncio.Event()

            def nudged(payload: str) -> None:
                heard.append(payload)
                got.set()

            async with listening(pool, nudged), listening(pool, one.on_nudge):
                first.share_pace(40.0)
                await one.sync()  # it became paced: the others hear of it
                await asyncio.wait_for(got.wait(), 5)
                got.clear()
                await two.sync()  # joining
                await asyncio.wait_for(got.wait(), 5)
            assert len(heard) == 2 and heard[1].endswith(two._worker)
            await one.leave()
            await two.leave()


async def test_a_worker_arriving_alone_starts_where_the_last_one_stopped(
    db: str, tmp_path: Path, sql: Sql,
) -> None:
    now = [0.0]
    with running_simulator(SimulatorConfig(seed=2)) as sim:
        async with workers_on(db, tmp_path, sim.api_base, ["EZTK-one"] * 2 + ["EZTK-two"] * 2,
                              lambda: now[0], concurrency=32) as (_pool, made):
            (first, one), (second, two), (wide, three), (later, four) = made
            first.share_pace(30.0)  # paced at 30/s by its 429s
            await one.sync()
            await one.leave()
            await two.sync()  # alone, minutes later: at that pace, no slow start
            assert two.role is Role.PACED and second.stats.pace == pytest.approx(30.0)
            assert second.stats.window == 32 + queued(32)  # the whole window at once
            await two.leave()
            while wide.pace.state is not PaceState.OPEN:  # no 429 with its window open
                wide.pace.on_success()
            await three.sync()
            await three.leave()
            assert later.stats.window == SLOW_START  # slow start's first round ...
            await four.sync()  # ... skipped: the window that went without a 429, at once
            assert four.role is Role.PROBING and later.stats.window == 32 + queued(32)
            assert later.stats.pace is None
            await four.leave()
    assert {row["state"] for row in sql("SELECT state FROM carrier_pace_accounts")} == {
        "paced", "open"}


@pytest.mark.slow
def test_two_workers_on_one_limit_keep_429s_low(isolated_env: Path, db: str, sql: Sql) -> None:
    home = isolated_env
    use_example_settings(home)
    orders = write_orders(home / "orders.csv", 200)
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("SHIPCTL_", "EASYPOST_")) and k != "DATABASE_URL"}
    with running_simulator(SimulatorConfig(latency=0.05, seed=4, rate_limit=50)) as sim:
        env.update(DATABASE_URL=db, EASYPOST_API_BASE=sim.api_base, EASYPOST_API_KEY="EZTK-t",
                   SHIPCTL_DATA_DIR=str(home / "data"), XDG_CONFIG_HOME=str(home / "config"))
        workers = [subprocess.Popen(
            [sys.executable, "-m", "shipctl", "bulk", str(orders), "--yes", "--concurrency", "32"],
            cwd=home, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        ) for _ in range(2)]
        outputs = [worker.communicate(timeout=120) for worker in workers]
        stats = sim.stats()
    assert [worker.returncode for worker in workers] == [0, 0], outputs
    assert stats["purchases"]["total"] == 200
    assert stats["purchases"]["max_per_reference"] == 1
    calls = stats["requests_total"]
    # Two processes and the simulator on two loaded cores: 8.6 % and 11 % were seen at a load
    # of 4.6; the achieved rate and the 429 share are measured in benchmarks/bench_rate_limit.
    assert stats["rate_limited"] <= 0.15 * calls, (stats["rate_limited"], calls)
    bought = sql("SELECT bought FROM run_workers ORDER BY id")
    assert len(bought) == 2 and sum(w["bought"] for w in bought) == 200
    assert sql("SELECT count(*) AS n FROM carrier_pace_workers")[0]["n"] == 0

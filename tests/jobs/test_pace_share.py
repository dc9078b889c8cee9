"""Workers on one account share its pace through PostgreSQL (jobs/pace_share.py)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from shipctl.carrier.client import make_client
from shipctl.carrier.executor import CarrierExecutor
from shipctl.jobs.pace_share import PaceShare
from shipctl.simulator import SimulatorConfig, running_simulator
from shipctl.store.database import open_pool
from tests.conftest import Sql
from tests.jobs.bulk_support import use_example_settings, write_orders


async def test_a_worker_arriving_takes_its_share_and_the_other_takes_up_a_leaver_s_part(
    db: str, tmp_path: Path, sql: Sql,
) -> None:
    sql("DELETE FROM carrier_pace_workers")  # heartbeats of workers killed by earlier tests
    with running_simulator(SimulatorConfig(seed=2)) as sim:
        first_client = make_client("EZTK-one", api_base=sim.api_base, timeout=5, concurrency=8)
        second_client = make_client("EZTK-one", api_base=sim.api_base, timeout=5, concurrency=8)
        other_client = make_client("EZTK-two", api_base=sim.api_base, timeout=5, concurrency=8)
        async with (
            open_pool(db, tmp_path) as pool,
            CarrierExecutor(first_client, 8) as first,
            CarrierExecutor(second_client, 8) as second,
            CarrierExecutor(other_client, 8) as other,
        ):
            first.share_pace(40.0)  # as after its 429s: 40 calls/s
            one, two, elsewhere = (PaceShare(pool, first), PaceShare(pool, second),
                                   PaceShare(pool, other))
            await one.sync()
            assert first.stats.pace == 40.0 and one.workers == 1
            await elsewhere.sync()  # another account: not counted, not paced
            assert elsewhere.workers == 1 and other.stats.pace is None
            await two.sync()  # arrives unpaced: starts at its share, no slow start
            assert two.workers == 2 and second.stats.pace == pytest.approx(20.0)
            assert second.stats.window == 8
            await one.sync()
            assert first.stats.pace == pytest.approx(20.0)
            await two.leave()
            await one.sync()  # alone again: the account's whole pace
            assert one.workers == 1 and first.stats.pace == pytest.approx(40.0)
            await one.leave()
            await elsewhere.leave()
    assert sql("SELECT count(*) AS n FROM carrier_pace_workers")[0]["n"] == 0


@pytest.mark.slow
def test_two_workers_on_one_limit_keep_429s_low(isolated_env: Path, db: str, sql: Sql) -> None:
    home = isolated_env
    use_example_settings(home)
    sql("DELETE FROM carrier_pace_workers")  # heartbeats of workers killed by earlier tests
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
    assert stats["rate_limited"] <= 0.08 * calls, (stats["rate_limited"], calls)
    bought = sql("SELECT bought FROM run_workers ORDER BY id")
    assert len(bought) == 2 and sum(w["bought"] for w in bought) == 200
    assert sql("SELECT count(*) AS n FROM carrier_pace_workers")[0]["n"] == 0

"""A sweep killed with -9 midway keeps every batch it committed, and a rerun completes."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
import textwrap
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from shipctl.cli.wiring import connect_carrier
from shipctl.config import Settings
from shipctl.jobs import track
from shipctl.simulator import SimulatorConfig, running_simulator

from .conftest import buy_labels, ez_labels, real_now

Sql = Callable[..., list[Any]]

# Small batches, so the sweep takes a few paced list requests and can be caught midway.
SWEEP = textwrap.dedent("""
    import sys
    from datetime import UTC, datetime
    from shipctl import eventloop
    from shipctl.cli.wiring import connect_carrier
    from shipctl.config import Settings
    from shipctl.jobs import track
    from shipctl.store.database import open_pool

    settings = Settings(easypost_api_key="EZTK-kill", easypost_api_base=sys.argv[1],
                        database_url=sys.argv[2], data_dir=sys.argv[3], timeout=5.0)

    async def main():
        async with open_pool(sys.argv[2], settings.data_dir) as pool, \\
                connect_carrier(settings) as carrier:
            await track.sweep(pool, carrier.executor, now=datetime.now(UTC), batch_size=10)

    eventloop.run(main())
""")


async def test_killed_sweep_keeps_what_it_stored_and_a_rerun_completes(
    settings: Settings, seed: Callable[..., None], sql: Sql, db: str, tmp_path: Path
) -> None:
    with running_simulator(SimulatorConfig(seed=5, days_per_minute=0.5, latency=0.02)) as sim:
        labels = buy_labels(sim.api_base, 113) + ez_labels()
        seed(labels)
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-c", SWEEP, sim.api_base, db, str(tmp_path / "data"),
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
        )
        stored = 0
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and process.returncode is None:
            stored = sql("SELECT count(*) AS n FROM trackers")[0]["n"]
            if stored >= 20:
                break
            await asyncio.sleep(0.02)
        os.kill(process.pid, signal.SIGKILL)
        _, stderr = await asyncio.wait_for(process.communicate(), timeout=30)
        assert process.returncode == -signal.SIGKILL, stderr.decode()
        kept = sql("SELECT count(*) AS n FROM trackers")[0]["n"]
        assert 20 <= kept < len(labels), "the sweep was not caught midway"
        assert kept % 10 == 0  # whole batches only: each batch is one transaction
        # every stored tracker has its events (written in the tracker's own transaction)
        orphans = sql(
            "SELECT t.tracking_code FROM trackers t LEFT JOIN tracking_events e USING"
            " (tracking_code) WHERE e.id IS NULL AND t.status <> 'unknown'")
        assert orphans == []
        events_before = sql("SELECT count(*) AS n FROM tracking_events")[0]["n"]

        aimed = settings.model_copy(update={"easypost_api_base": sim.api_base})
        report = await track.run_sweep(aimed, now=real_now(), carriers=connect_carrier)
    assert report.outcome == "completed", "the killed sweep's lock must not linger"
    assert report.failed == 0 and report.checked == len(labels)
    assert sql("SELECT count(*) AS n FROM trackers")[0]["n"] == len(labels)
    assert sql("SELECT count(*) AS n FROM tracking_events")[0]["n"] >= events_before
    duplicates = sql(
        "SELECT tracking_code, occurred_at, status, message, count(*) FROM tracking_events"
        " GROUP BY 1, 2, 3, 4 HAVING count(*) > 1")
    assert duplicates == []

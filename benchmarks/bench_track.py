"""The tracking sweep: 10,000 shipments in flight against the simulator at 150 ms latency.

The simulator runs in its own process (`shipctl simulator serve --latency 150ms`) on a state
file seeded beforehand with 10,000 trackers of simulator-issued labels (written with the
simulator's own tracker plans, the way its buy endpoint writes them, which takes a second
instead of 10,000 buys). PostgreSQL is a fresh embedded server in a temporary directory, or
the scratch database in SHIPCTL_BENCH_DATABASE_URL (its shipments and tracking tables are
emptied). Both methods run with the default settings (concurrency 8 per core):

- list: paced `GET /trackers?tracking_codes[]=…` pages of 100, at most 5 requests/s
  (ideal 100 × 5 = 500 trackers/s);
- each: one `GET /trackers/:id` per shipment through the executor (ideal concurrency /
  latency).

`each` runs on a sample (SHIPCTL_BENCH_TRACK_EACH, default 2,000) because at ~100/s the full
10,000 would take minutes and tell nothing more. Run with `python benchmarks/bench_track.py`.
"""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Literal

Method = Literal["list", "each"]

COMMAND = "python benchmarks/bench_track.py"
TRACKERS = int(os.environ.get("SHIPCTL_BENCH_TRACKERS", "10000"))
EACH_SAMPLE = int(os.environ.get("SHIPCTL_BENCH_TRACK_EACH", "2000"))
LATENCY = 0.150


def _seed_simulator(state: Path, count: int) -> list[tuple[str, str]]:
    """(tracking code, tracker id) of `count` in-flight simulator labels in the state file."""
    from shipctl.simulator import trackers
    from shipctl.simulator.config import SimulatorConfig
    from shipctl.simulator.ids import new_tracking_code
    from shipctl.simulator.simulation import Simulation
    from shipctl.simulator.state import Store

    store = Store(state)
    try:
        sim = Simulation(SimulatorConfig(state_path=state), store)
        now = sim.now()
        seeded = []
        with store.transaction():
            for index in range(count):
                code = new_tracking_code("USPS")
                plan = trackers.new_tracker(
                    code,
                    "USPS",
                    now,
                    shipment_id=f"shp_bench{index:06d}",
                    days=3 + index % 3,
                    service="GroundAdvantage",
                )
                store.insert("tracker", plan, lookup=code.upper())
                seeded.append((code, str(plan["id"])))
        return seeded
    finally:
        store.close()


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _start_simulator(state: Path) -> tuple[subprocess.Popen[str], str]:
    port = _free_port()
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "shipctl",
            "simulator",
            "serve",
            "--latency",
            "150ms",
            "--port",
            str(port),
            "--state",
            str(state),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    assert process.stdout is not None
    for line in process.stdout:
        if "listening on" in line:
            return process, line.split("listening on", 1)[1].strip()
    process.kill()
    raise RuntimeError("the simulator did not start")


async def _seed_shipments(pool: Any, labels: list[tuple[str, str]]) -> None:
    bought = datetime.now(UTC) - timedelta(days=1)
    async with pool.acquire() as conn:
        await conn.execute("TRUNCATE tracking_events, trackers, refunds, shipments CASCADE")
        await conn.copy_records_to_table(
            "shipments",
            columns=[
                "reference",
                "state",
                "mode",
                "easypost_shipment_id",
                "carrier",
                "service",
                "tracking_code",
                "tracker_id",
                "purchased_at",
            ],
            records=[
                (
                    f"BENCH-{i:06d}",
                    "purchased",
                    "simulated",
                    f"shp_bench{i:06d}",
                    "USPS",
                    "GroundAdvantage",
                    code,
                    tracker_id,
                    bought,
                )
                for i, (code, tracker_id) in enumerate(labels)
            ],
        )


async def _forget_tracking(pool: Any, keep: int | None = None) -> None:
    """Back to "never tracked"; with `keep`, only that many shipments stay in flight."""
    async with pool.acquire() as conn:
        await conn.execute("TRUNCATE tracking_events, trackers")
        if keep is not None:
            await conn.execute(
                "UPDATE shipments SET state = CASE WHEN id IN"
                " (SELECT id FROM shipments ORDER BY id LIMIT $1) THEN 'purchased'"
                " ELSE 'refunded' END",
                keep,
            )


async def _measure(settings: Any, pool: Any, method: Method) -> dict[str, Any]:
    from shipctl.carrier.session import open_carrier
    from shipctl.jobs import track

    async with open_carrier(settings) as carrier:
        started = time.perf_counter()
        report = await track.sweep(
            pool, carrier.executor, now=datetime.now(UTC), method=method
        )
        seconds = time.perf_counter() - started
        stats = carrier.executor.stats
    concurrency = settings.effective_concurrency()
    ideal = 500.0 if method == "list" else concurrency / LATENCY
    events = await pool.fetchval("SELECT count(*) FROM tracking_events")
    return {
        "method": method,
        "trackers": report.checked,
        "failed": report.failed,
        "seconds": seconds,
        "rate": report.checked / seconds,
        "ideal": ideal,
        "calls": stats.calls,
        "retries": stats.retries,
        "rate_limited": stats.rate_limited,
        "events": events,
        "concurrency": concurrency,
    }


async def _bench(root: Path) -> list[dict[str, Any]]:
    from pydantic import SecretStr

    from shipctl.config import Settings
    from shipctl.store.database import open_pool

    labels = _seed_simulator(root / "simulator.sqlite3", TRACKERS)
    simulator, api_base = _start_simulator(root / "simulator.sqlite3")
    url = os.environ.get("SHIPCTL_BENCH_DATABASE_URL")
    try:
        settings = Settings(
            easypost_api_key=SecretStr("EZTK-bench"),
            easypost_api_base=api_base,
            database_url=SecretStr(url) if url else None,
            data_dir=root,
        )
        async with open_pool(url, root) as pool:
            await _seed_shipments(pool, labels)
            rows = [await _measure(settings, pool, "list")]
            await _forget_tracking(pool, keep=min(EACH_SAMPLE, TRACKERS))
            rows.append(await _measure(settings, pool, "each"))
        return rows
    finally:
        simulator.terminate()
        simulator.wait(timeout=30)
        if url is None:
            from shipctl.store import embedded

            embedded.stop(root)


def run() -> str:
    with tempfile.TemporaryDirectory(prefix="bench-track-") as tmp:
        rows = asyncio.run(_bench(Path(tmp)))
    lines = [
        "## Tracking sweep: list pages vs one call per tracker",
        "",
        f"`{COMMAND}` — {TRACKERS:,} shipments in flight, simulator in its own process at "
        f"150 ms latency, default settings (concurrency {rows[0]['concurrency']}), fresh "
        "PostgreSQL; every tracker and its events stored, one transaction per 100.",
        "",
        "| method | trackers | failed | seconds | trackers/s | ideal/s | of ideal | "
        "calls | retries | 429s | events stored |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for row in rows:
        lines.append(
            f"| {row['method']} | {row['trackers']:,} | {row['failed']} | {row['seconds']:.1f} "
            f"| {row['rate']:.0f} | {row['ideal']:.0f} | {row['rate'] / row['ideal']:.0%} "
            f"| {row['calls']:,} | {row['retries']} | {row['rate_limited']} "
            f"| {row['events']:,} |"
        )
    ratio = rows[0]["rate"] / rows[1]["rate"]
    lines += [
        "",
        f"list / each: **{ratio:.1f}×** faster; `shipctl track` uses list pages "
        "(codes the list does not return get their own `tracker.create`).",
    ]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    print(run())

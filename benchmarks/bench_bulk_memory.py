"""Memory of a 100,000-order bulk file: validation and planning stream.

A child process runs the first two steps of `shipctl bulk` on a generated file — validate
every order, then store them all in PostgreSQL as the run's pending orders — and reports its
peak RSS next to the same child's RSS after importing shipctl (the fixed cost). Run
standalone with `python benchmarks/bench_bulk_memory.py`.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROWS = int(os.environ.get("SHIPCTL_BENCH_ROWS", "100000"))
COMMAND = "python benchmarks/bench_bulk_memory.py"
HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from bench_orders import PEAK_MB, write_orders  # noqa: E402

CHILD = PEAK_MB + """
import asyncio, json, sys, time
from pathlib import Path
from decimal import Decimal
from shipctl import eventloop
from shipctl.jobs import bulk
from shipctl.orders import LoadOptions, OrderSource
from shipctl.store import shipments
from shipctl.store.database import open_pool

path, url = Path(sys.argv[1]), sys.argv[2]
baseline = peak_mb()
options = bulk.BulkOptions(path=path, load=LoadOptions(
    parcel_presets={"small": (Decimal(8), Decimal(6), Decimal(4))}))
report = bulk.BulkReport(status="invalid")
started = time.perf_counter()
bulk._validate(OrderSource(path, options.load), report)
validated = time.perf_counter()

async def plan() -> None:
    async with open_pool(url, Path("."), max_size=2) as pool:
        run_id = await shipments.start_run(pool, "bulk", mode="simulated")
        await bulk._persist(pool, OrderSource(path, options.load), run_id, options,
                            shipments.Scope(mode="simulated"), report, retry_failed=True)

eventloop.run(plan())
done = time.perf_counter()
print(json.dumps({"valid": report.valid, "errors": report.error_count,
                  "validate_s": validated - started, "store_s": done - validated,
                  "baseline_mb": baseline,
                  "peak_mb": peak_mb()}))
"""


def run() -> str:
    from shipctl.store import embedded

    with tempfile.TemporaryDirectory(prefix="shipctl-bench-") as tmp:
        directory = Path(tmp)
        orders = directory / "orders.csv"
        write_orders(orders, ROWS)
        url = embedded.start(directory / "db").url("postgres")
        try:
            done = subprocess.run([sys.executable, "-c", CHILD, str(orders), url], check=True,
                                  capture_output=True, text=True)
        finally:
            embedded.stop(directory / "db")
    figures = json.loads(done.stdout.strip().splitlines()[-1])
    assert figures["valid"] == ROWS, figures
    total = figures["validate_s"] + figures["store_s"]
    return "\n".join([
        f"## Bulk memory ({ROWS:,} orders)",
        "",
        f"`{COMMAND}` — {ROWS:,} template orders: the validation pass, then storing every "
        "order in PostgreSQL as pending (batches of 500), in one child process.",
        "",
        "| figure | value |",
        "|---|---:|",
        f"| validate (orders/s) | {ROWS / figures['validate_s']:,.0f} |",
        f"| store as pending (orders/s) | {ROWS / figures['store_s']:,.0f} |",
        f"| both, seconds | {total:.1f} |",
        f"| RSS after imports (MB) | {figures['baseline_mb']:.0f} |",
        f"| peak RSS (MB), target < 500 | {figures['peak_mb']:.0f} |",
    ])


if __name__ == "__main__":
    print(run())

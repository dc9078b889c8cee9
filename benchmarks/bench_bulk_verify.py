"""`shipctl bulk --verify` against `bulk` without it: same file, same concurrency, one run.

1,000 orders to 500 distinct destinations, 2 % of them undeliverable, the simulator in its own
process with 150 ms latency. Three runs side by side, each in its own store namespace (so
nothing is "already purchased"): without verification; with `--verify --skip-invalid` and an
empty verdict table (one verification call per distinct destination); with `--verify` again,
every verdict now stored (no call). Target: verification costs at most one extra call
latency per order in wall time, i.e. extra seconds ≤ orders × latency / concurrency.
Run standalone with `python benchmarks/bench_bulk_verify.py`.
"""

from __future__ import annotations

import csv
import multiprocessing
import os
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

from bench_bulk import FROM, LATENCY, _serve

ORDERS = 1000
CONCURRENCY = 16
COMMAND = "python benchmarks/bench_bulk_verify.py"
CITIES = [("Portland", "OR", "97214"), ("Austin", "TX", "78701"), ("Denver", "CO", "80202"),
          ("Miami", "FL", "33130"), ("Boston", "MA", "02108")]


def orders_file(directory: Path, count: int) -> Path:
    path = directory / "orders.csv"
    prefix = uuid.uuid4().hex[:6]
    with path.open("w", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(["reference", "name", "street1", "city", "state", "zip", "weight"])
        for i in range(count):
            city, state, zip_code = CITIES[i % len(CITIES)]
            street = f"{100 + i % (count // 2)} Main St"
            if i % 50 == 49:
                street = f"{i} Undeliverable Rd"
            writer.writerow([f"{prefix}-{i}", f"Customer {i}", street, city, state, zip_code,
                             f"{4 + i % 30}oz"])
    return path


def bulk(api_base: str, database_url: str, orders: Path, data_dir: Path, store: str,
         verify: str) -> tuple[float, int]:
    """Seconds for the whole bulk job, and the verification calls it made."""
    from shipctl import eventloop
    from shipctl.cli.wiring import connect_carrier
    from shipctl.config import Settings
    from shipctl.jobs.bulk import BulkOptions, run_bulk
    from shipctl.models import Address

    settings = Settings(easypost_api_key="EZTK-bench", easypost_api_base=api_base,
                        database_url=database_url, concurrency=CONCURRENCY,
                        from_address=Address(**FROM), data_dir=data_dir)
    options = BulkOptions(path=orders, store=store, verify=verify, skip_invalid=True)
    start = time.perf_counter()
    report = eventloop.run(run_bulk(settings, options, carriers=connect_carrier))
    elapsed = time.perf_counter() - start
    assert report.status == "completed", report.status
    calls = report.verification.calls if report.verification else 0
    return elapsed, calls


def run() -> str:
    from shipctl.store import embedded

    multiprocessing.set_start_method("spawn", force=True)
    queue: Any = multiprocessing.Queue()
    server = multiprocessing.Process(target=_serve, args=(queue,), daemon=True)
    server.start()
    try:
        api_base = queue.get(timeout=30)
        with tempfile.TemporaryDirectory(prefix="shipctl-bench-") as tmp:
            directory = Path(tmp)
            url = os.environ.get("SHIPCTL_BENCH_DATABASE_URL")
            if not url:
                url = embedded.start(directory / "db").url("postgres")
            try:
                orders = orders_file(directory, ORDERS)
                tag = uuid.uuid4().hex[:6]
                plain, _ = bulk(api_base, url, orders, directory, f"plain-{tag}", "off")
                fresh, calls = bulk(api_base, url, orders, directory, f"verify-{tag}", "on")
                stored, again = bulk(api_base, url, orders, directory, f"again-{tag}", "on")
            finally:
                if not os.environ.get("SHIPCTL_BENCH_DATABASE_URL"):
                    embedded.stop(directory / "db")
    finally:
        server.terminate()
        server.join(5)
    budget = ORDERS * LATENCY / CONCURRENCY
    lines = [
        "## Bulk with address verification",
        "",
        f"`{COMMAND}` — {ORDERS:,} orders to {ORDERS // 2} distinct destinations (2 % "
        f"undeliverable, refused with --skip-invalid), concurrency {CONCURRENCY}, simulator in "
        f"its own process with {LATENCY * 1000:.0f} ms latency; three runs side by side, each "
        "in its own store. Budget: one extra call latency per order = orders × latency / "
        f"concurrency = {budget:.1f} s.",
        "",
        "| run | verification calls | wall s | extra s vs without | within budget |",
        "|---|---:|---:|---:|---|",
        f"| bulk | 0 | {plain:.1f} | – | – |",
        f"| bulk --verify, empty verdict table | {calls} | {fresh:.1f} | {fresh - plain:+.1f} | "
        f"{'yes' if fresh - plain <= budget else 'no'} |",
        f"| bulk --verify, verdicts stored | {again} | {stored:.1f} | {stored - plain:+.1f} | "
        f"{'yes' if stored - plain <= budget else 'no'} |",
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    print(run())

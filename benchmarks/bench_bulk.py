"""`shipctl bulk` throughput against the simulator in a separate process (150 ms latency).

Side by side in one run, for each concurrency: the whole bulk job (validate, store in
PostgreSQL, quote, buy, record) against a plain ThreadPoolExecutor calling the SDK directly
(create + buy, nothing stored) with the same concurrency, and the ideal
`concurrency / (2 × latency)`. Run standalone with `python benchmarks/bench_bulk.py`.
"""

from __future__ import annotations

import asyncio
import csv
import multiprocessing
import os
import tempfile
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

LATENCY = 0.15
CONCURRENCIES = (16, 45)
# SHIPCTL_BENCH_CONCURRENCIES="45" (comma-separated) measures only those, e.g. while profiling.
CONCURRENCIES_ENV = "SHIPCTL_BENCH_CONCURRENCIES"
ORDERS_PER_SLOT = 40
COMMAND = "python benchmarks/bench_bulk.py"
FROM = {"name": "Warehouse", "street1": "1 Main St", "city": "Springfield", "state": "IL",
        "zip": "62701", "country": "US"}
TO = {"name": "Ann Lee", "street1": "22 Oak Ave", "city": "Boston", "state": "MA",
      "zip": "02108", "country": "US"}


# The whole command against the bare pool: 600 orders at 32 in flight, 100 ms latency.
WHOLE_ORDERS, WHOLE_CONCURRENCY, WHOLE_LATENCY, WHOLE_ROUNDS = 600, 32, 0.1, 3


def _serve(queue: Any, latency: float = LATENCY) -> None:
    from shipctl.simulator import SimulatorConfig, serve

    config = SimulatorConfig(latency=latency, jitter=0.0, seed=1, index_rate_limit=None)
    asyncio.run(serve(config, on_ready=queue.put))


def whole_command(url: str, directory: Path) -> list[tuple[float, float]]:
    """(bare pool, whole `shipctl bulk`) seconds for WHOLE_ORDERS orders, WHOLE_ROUNDS times,
    alternating, against one simulator at WHOLE_LATENCY."""
    queue: Any = multiprocessing.Queue()
    server = multiprocessing.Process(target=_serve, args=(queue, WHOLE_LATENCY), daemon=True)
    server.start()
    try:
        api_base = queue.get(timeout=30)
        rounds = []
        for _ in range(WHOLE_ROUNDS):
            plain = plain_threads(api_base, WHOLE_ORDERS, WHOLE_CONCURRENCY)
            orders = _orders_file(directory, WHOLE_ORDERS)
            ours = shipctl_bulk(api_base, url, orders, WHOLE_CONCURRENCY, directory)
            rounds.append((plain, ours))
        return rounds
    finally:
        server.terminate()
        server.join(5)


def _whole_lines(rounds: list[tuple[float, float]]) -> list[str]:
    ratios = sorted(ours / plain for plain, ours in rounds)
    lines = [
        "",
        "### The whole command against the bare pool",
        "",
        f"{WHOLE_ORDERS} orders at {WHOLE_CONCURRENCY} in flight, {WHOLE_LATENCY * 1000:.0f} ms "
        "latency, same simulator, alternating: the bare pool (create + buy from a thread pool, "
        "nothing stored) and the whole `shipctl bulk` (read and validate the file, open the "
        "run, store, quote, buy, record, close), each timed from start to finish, in this "
        "process (its modules imported). The job validates the file while it connects, and "
        "quotes while later orders are still being stored. Round 1 is the first run on the "
        "simulator's account and opens its window of calls by slow start; the later rounds "
        "start with it open, as the last run on the account left it with no 429 a few seconds "
        "earlier.",
        "",
        "| round | bare pool s | shipctl bulk s | bulk time / bare pool time |",
        "|---:|---:|---:|---:|",
    ]
    for i, (plain, ours) in enumerate(rounds, 1):
        lines.append(f"| {i} | {plain:.2f} | {ours:.2f} | {ours / plain:.2f}× |")
    lines.append(f"| median | | | {ratios[len(ratios) // 2]:.2f}× |")
    return lines


def _orders_file(directory: Path, count: int) -> Path:
    path = directory / f"orders-{uuid.uuid4().hex[:8]}.csv"
    prefix = uuid.uuid4().hex[:6]
    with path.open("w", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(["reference", "name", "street1", "city", "state", "zip", "weight"])
        for i in range(count):
            writer.writerow([f"{prefix}-{i}", TO["name"], TO["street1"], TO["city"], TO["state"],
                             TO["zip"], f"{4 + i % 30}oz"])
    return path


def plain_threads(api_base: str, count: int, concurrency: int) -> float:
    """The baseline: the SDK called from a thread pool, create then buy the cheapest rate."""
    import easypost
    import requests

    client = easypost.EasyPostClient("EZTK-bench", api_base=api_base, timeout=30)
    adapter = requests.adapters.HTTPAdapter(pool_maxsize=concurrency, max_retries=0)
    client._requests_session.mount(api_base.rsplit("/v2", 1)[0], adapter)
    prefix = uuid.uuid4().hex[:6]

    def pair(i: int) -> str:
        shipment = client.shipment.create(to_address=TO, from_address=FROM,
                                          parcel={"weight": 4 + i % 30}, reference=f"{prefix}-{i}")
        cheapest = min(shipment.rates, key=lambda rate: float(rate.rate))
        return str(client.shipment.buy(shipment.id, rate={"id": cheapest.id}).tracking_code)

    start = time.perf_counter()
    with ThreadPoolExecutor(max_workers=concurrency) as pool:
        codes = list(pool.map(pair, range(count)))
    assert len(set(codes)) == count
    return time.perf_counter() - start


def shipctl_bulk(api_base: str, database_url: str, orders: Path, concurrency: int,
                 data_dir: Path) -> float:
    """The bulk job as `shipctl bulk --yes` runs it, in this process."""
    from shipctl import eventloop
    from shipctl.cli.wiring import connect_carrier
    from shipctl.config import Settings
    from shipctl.jobs.bulk import BulkOptions, run_bulk
    from shipctl.models import Address

    settings = Settings(easypost_api_key="EZTK-bench", easypost_api_base=api_base,
                        database_url=database_url, concurrency=concurrency,
                        from_address=Address(**FROM), data_dir=data_dir)
    start = time.perf_counter()
    report = eventloop.run(run_bulk(settings, BulkOptions(path=orders),
                                          carriers=connect_carrier))
    elapsed = time.perf_counter() - start
    assert report.purchased == len(orders.read_text().splitlines()) - 1, report.counts
    return elapsed


def _concurrencies() -> tuple[int, ...]:
    chosen = os.environ.get(CONCURRENCIES_ENV, "")
    return tuple(int(c) for c in chosen.split(",") if c.strip()) or CONCURRENCIES


def run() -> str:
    from shipctl.store import embedded

    multiprocessing.set_start_method("spawn", force=True)
    queue: Any = multiprocessing.Queue()
    server = multiprocessing.Process(target=_serve, args=(queue,), daemon=True)
    server.start()
    rows = []
    try:
        api_base = queue.get(timeout=30)
        with tempfile.TemporaryDirectory(prefix="shipctl-bench-") as tmp:
            directory = Path(tmp)
            url = os.environ.get("SHIPCTL_BENCH_DATABASE_URL")
            if not url:
                url = embedded.start(directory / "db").url("postgres")
            try:
                for concurrency in _concurrencies():
                    count = concurrency * ORDERS_PER_SLOT
                    plain = plain_threads(api_base, count, concurrency)
                    orders = _orders_file(directory, count)
                    ours = shipctl_bulk(api_base, url, orders, concurrency, directory)
                    ideal = concurrency / (2 * LATENCY)
                    rows.append((concurrency, count, count / plain, count / ours, ideal))
                whole = whole_command(url, directory)
            finally:
                if not os.environ.get("SHIPCTL_BENCH_DATABASE_URL"):
                    embedded.stop(directory / "db")
    finally:
        server.terminate()
        server.join(5)
    lines = [
        "## Bulk throughput",
        "",
        f"`{COMMAND}` — simulator in its own process, {LATENCY * 1000:.0f} ms latency, no rate "
        f"limit; {ORDERS_PER_SLOT} orders per concurrency slot. `shipctl bulk` is the whole job "
        "(validate, store, quote, buy, record in PostgreSQL); the baseline is a plain thread "
        "pool calling the SDK (create + buy, nothing stored).",
        "",
        "| concurrency | orders | plain threads labels/s | shipctl bulk labels/s | "
        "bulk / plain | ideal c/(2·latency) | bulk / ideal |",
        "|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for concurrency, count, plain, ours, ideal in rows:
        lines.append(f"| {concurrency} | {count} | {plain:.1f} | {ours:.1f} | "
                     f"{ours / plain:.2f} | {ideal:.1f} | {ours / ideal:.2f} |")
    lines += _whole_lines(whole)
    return "\n".join(lines)


if __name__ == "__main__":
    print(run())

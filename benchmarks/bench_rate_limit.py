"""Riding the account's rate limit: achieved/allowed rate and 429 share at 20, 50, 100 requests/s.

For each limit and each way of running, a fresh simulator in its own process (100 ms ± 20 %
latency, the simulator's token bucket with its burst of a fifth of a second) and one worker at
concurrency 64, side by side in one run:

- `executor`: a `CarrierExecutor` making create+buy pairs as the bulk job does (rate rule,
  safe buy), 64 orders under way: the controller on its own;
- `shipctl bulk`: the whole job in this process (validate, store in PostgreSQL, quote, buy,
  record), timed from start to finish, so its start-up and tail count against it.

The allowed rate is the bucket's: `limit` requests/s, plus its burst once. Achieved counts the
calls the simulator accepted over the wall time; the 429 share is 429s over all calls. Run
standalone with `python benchmarks/bench_rate_limit.py`, or call `run()` for a Markdown section.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import os
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

# requests/s → orders (two limited calls each): 300 and 600 as in the runs that found 39–41 %.
ORDERS = {20.0: 300, 50.0: 600, 100.0: 1200}
CONCURRENCY = 64
LATENCY = 0.1
COMMAND = "python benchmarks/bench_rate_limit.py"
TARGET_RATE, TARGET_429 = 0.90, 0.05

TO = {"name": "Ann Lee", "street1": "22 Oak Ave", "city": "Boston", "state": "MA",
      "zip": "02108", "country": "US"}
FROM = {"name": "Warehouse", "street1": "1 Main St", "city": "Springfield", "state": "IL",
        "zip": "62701", "country": "US"}


def _serve(queue: Any, limit: float) -> None:
    from shipctl.simulator import SimulatorConfig, serve

    config = SimulatorConfig(latency=LATENCY, jitter=0.2, seed=1, rate_limit=limit)
    asyncio.run(serve(config, on_ready=queue.put))


def pairs(api_base: str, count: int, key: str) -> dict[str, Any]:
    """`count` create+buy pairs through one executor; its counters and the wall time."""
    from shipctl import eventloop
    from shipctl.carrier import shipments
    from shipctl.carrier.client import make_client
    from shipctl.carrier.executor import CarrierExecutor
    from shipctl.carrier.rates import choose_rate
    from shipctl.models import Address, Order, Parcel, RateRule

    to, origin = Address(**TO), Address(**FROM)
    prefix = f"r{time.monotonic_ns()}"

    async def go() -> dict[str, Any]:
        client = make_client(key, api_base=api_base, timeout=30, concurrency=CONCURRENCY)
        async with CarrierExecutor(client, CONCURRENCY, max_elapsed=600.0) as executor:
            slots = asyncio.Semaphore(CONCURRENCY)  # as the bulk job: 64 orders under way

            async def pair(i: int) -> str:
                async with slots:
                    order = Order(reference=f"{prefix}-{i}", to_address=to,
                                  parcel=Parcel(weight_oz=12))
                    quoted = await shipments.create_shipment(executor, order, origin)
                    label = await shipments.buy(
                        executor, quoted.shipment_id, choose_rate(quoted, RateRule())
                    )
                    return label.tracking_code

            start = time.perf_counter()
            codes = await asyncio.gather(*(pair(i) for i in range(count)))
            elapsed = time.perf_counter() - start
            assert len(set(codes)) == count
            return {"seconds": elapsed, "stats": executor.stats}

    return eventloop.run(go())


def bulk(api_base: str, count: int, key: str, database_url: str, directory: Path,
         ) -> dict[str, Any]:
    """`shipctl bulk --yes` of `count` orders, in this process; its counters and wall time."""
    from bench_bulk import _orders_file

    from shipctl import eventloop
    from shipctl.cli.wiring import connect_carrier
    from shipctl.config import Settings
    from shipctl.jobs.bulk import BulkOptions, run_bulk
    from shipctl.models import Address

    orders = _orders_file(directory, count)
    settings = Settings(easypost_api_key=key, easypost_api_base=api_base,
                        database_url=database_url, concurrency=CONCURRENCY,
                        from_address=Address(**FROM), data_dir=directory)
    start = time.perf_counter()
    report = eventloop.run(run_bulk(settings, BulkOptions(path=orders),
                                          carriers=connect_carrier))
    elapsed = time.perf_counter() - start
    assert report.purchased == count, report.counts
    return {"seconds": elapsed, "stats": report.stats}


WORKERS, WORKER_CONCURRENCY = 2, 32


def _worker(api_base: str, key: str, database_url: str, orders: Path, directory: Path,
            ) -> dict[str, Any]:
    """One `shipctl bulk --yes` worker in its own process: its stats and when it ran."""
    from shipctl import eventloop
    from shipctl.cli.wiring import connect_carrier
    from shipctl.config import Settings
    from shipctl.jobs.bulk import BulkOptions, run_bulk
    from shipctl.models import Address

    settings = Settings(easypost_api_key=key, easypost_api_base=api_base,
                        database_url=database_url, concurrency=WORKER_CONCURRENCY,
                        from_address=Address(**FROM), data_dir=directory)
    start = time.time()
    report = eventloop.run(run_bulk(settings, BulkOptions(path=orders),
                                          carriers=connect_carrier))
    return {"start": start, "end": time.time(), "stats": report.stats,
            "bought": report.bought_here, "pace": report.stats.pace if report.stats else None}


def two_workers(api_base: str, count: int, key: str, database_url: str, directory: Path,
                ) -> dict[str, Any]:
    """Two processes on one file, 32 in flight each: they join one run and share the pace
    through PostgreSQL. Counters summed; wall time from the first start to the last end."""
    from concurrent.futures import ProcessPoolExecutor

    from bench_bulk import _orders_file

    orders = _orders_file(directory, count)
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(WORKERS, mp_context=context) as processes:
        done = [f.result() for f in [
            processes.submit(_worker, api_base, key, database_url, orders, directory)
            for _ in range(WORKERS)]]
    assert sum(d["bought"] for d in done) == count, [d["bought"] for d in done]
    stats = [d["stats"] for d in done]
    total = replace(stats[0], attempts=sum(s.attempts for s in stats),
                    rate_limited=sum(s.rate_limited for s in stats),
                    failures=sum(s.failures for s in stats),
                    limit_estimate=_account_estimate(done))
    seconds = max(d["end"] for d in done) - min(d["start"] for d in done)
    if os.environ.get("SHIPCTL_BENCH_VERBOSE"):
        base = min(d["start"] for d in done)
        for d in done:
            print(f"worker: {d['start'] - base:.1f}–{d['end'] - base:.1f} s, bought {d['bought']}, "
                  f"calls {d['stats'].attempts}, 429s {d['stats'].rate_limited}, "
                  f"pace {d['pace']}", file=sys.stderr)
    return {"seconds": seconds, "stats": total}


def _account_estimate(done: list[dict[str, Any]]) -> float | None:
    """The account's limit as the workers last measured it: the largest estimate. Once one
    worker has nothing left to claim it goes idle, and the one still calling takes up the
    account's whole pace and measures the whole limit; the idle one's estimate is of its part
    of the split it left (summing them counted that part twice)."""
    estimates = [d["stats"].limit_estimate for d in done if d["stats"].limit_estimate]
    return max(estimates) if estimates else None


def measure(limit: float, way: Callable[[str, int, str], dict[str, Any]]) -> dict[str, Any]:
    """One row: `way(api_base, orders, api_key)` against a fresh simulator, with an API key
    of its own, so that no worker starts from what one of another row knew of the limit."""
    context = multiprocessing.get_context("spawn")
    queue = context.Queue()
    server = context.Process(target=_serve, args=(queue, limit), daemon=True)
    server.start()
    try:
        api_base = queue.get(timeout=30)
        count = ORDERS[limit]
        result = way(api_base, count, f"EZTK-bench-{uuid.uuid4().hex[:8]}")
    finally:
        server.kill()
        server.join(timeout=10)
    stats = result["stats"]
    accepted = stats.attempts - stats.rate_limited
    burst = max(1.0, limit / 5.0)
    allowed = limit + burst / result["seconds"]
    return {
        "limit": limit, "orders": count, "calls": stats.attempts, "429s": stats.rate_limited,
        "failures": stats.failures, "seconds": result["seconds"],
        "achieved": accepted / result["seconds"], "allowed": allowed,
        "estimate": stats.limit_estimate, "load": os.getloadavg()[0],
    }


def _row(name: str, m: dict[str, Any]) -> str:
    ratio = m["achieved"] / m["allowed"]
    share = m["429s"] / m["calls"]
    met = "yes" if ratio >= TARGET_RATE and share <= TARGET_429 and not m["failures"] else "no"
    estimate = f"{m['estimate']:.1f}" if m["estimate"] is not None else "—"
    return (
        f"| {m['limit']:.0f} | {name} | {m['orders']} | {m['calls']:,} | {m['429s']} "
        f"| {share:.1%} | {m['failures']} | {m['seconds']:.1f} | {m['achieved']:.1f} "
        f"| {m['allowed']:.1f} | {ratio:.1%} | {estimate} | {met} | {m['load']:.1f} |"
    )


def run() -> str:
    from shipctl.store import embedded

    rows = []
    with tempfile.TemporaryDirectory(prefix="shipctl-bench-") as tmp:
        directory = Path(tmp)
        url = os.environ.get("SHIPCTL_BENCH_DATABASE_URL")
        if not url:
            url = embedded.start(directory / "db").url("postgres")
        try:
            for limit in ORDERS:
                rows.append(_row("executor", measure(limit, pairs)))
                rows.append(_row("shipctl bulk", measure(
                    limit, lambda api_base, count, key: bulk(api_base, count, key, url, directory)
                )))
                rows.append(_row(f"{WORKERS} × shipctl bulk", measure(
                    limit, lambda api_base, count, key: two_workers(api_base, count, key, url,
                                                                    directory)
                )))
        finally:
            if not os.environ.get("SHIPCTL_BENCH_DATABASE_URL"):
                embedded.stop(directory / "db")
    return "\n".join([
        "## Riding the rate limit",
        "",
        f"`{COMMAND}` — one worker at concurrency {CONCURRENCY}: `executor` is a "
        "CarrierExecutor making create+buy pairs (rate rule, safe buy) with "
        f"{CONCURRENCY} orders under way; `shipctl bulk` is the whole job in-process "
        "(validate, store in PostgreSQL, quote, buy, record), timed from start to finish; "
        f"`{WORKERS} × shipctl bulk` is {WORKERS} processes on the same file, "
        f"{WORKER_CONCURRENCY} in flight each, one run, sharing the pace through PostgreSQL "
        "(counters summed, timed from the first start to the last end; limit as measured: the "
        "larger of their estimates, as the worker still calling at the end takes up the "
        "account's whole pace once the other has nothing left to claim). "
        "Each row against a fresh simulator in its own process, "
        f"{LATENCY * 1000:.0f} ms ± 20 % latency, the simulator's token bucket (burst: a fifth "
        f"of a second's worth); {os.cpu_count()} CPUs; load: the 1-minute load average after "
        "each row. Achieved: calls accepted per second of wall time; allowed: the limit plus "
        f"its burst once over the run. Targets: ≥ {TARGET_RATE:.0%} of allowed, "
        f"≤ {TARGET_429:.0%} of calls 429, no failures.",
        "",
        "| limit req/s | run | orders | calls | 429s | 429 share | failed | seconds | achieved/s "
        "| allowed/s | achieved / allowed | limit as measured | targets met | load |",
        "|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|:---:|---:|",
        *rows,
    ])


if __name__ == "__main__":
    print(run())

"""Riding the account's rate limit: achieved/allowed rate and 429 share at 20, 50, 100 requests/s.

For each limit, a fresh simulator in its own process (100 ms ± 20 % latency, the simulator's
token bucket with its burst of a fifth of a second) and one worker: a `CarrierExecutor` at
concurrency 64 making create+buy pairs as the bulk job does (executor, rate rule, safe buy).
The allowed rate is the bucket's: `limit` requests/s, plus its burst once. Achieved counts the
calls the simulator accepted over the run's wall time (first start to last answer); the 429
share is 429s over all calls. Run standalone with `python benchmarks/bench_rate_limit.py`, or
call `run()` for a Markdown section.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import os
import time
from typing import Any

# requests/s → orders (two limited calls each): 300 and 600 as in the runs that found 39–41 %.
ORDERS = {20.0: 300, 50.0: 600, 100.0: 1200}
CONCURRENCY = 64
LATENCY = 0.1
COMMAND = "python benchmarks/bench_rate_limit.py"
TARGET_RATE, TARGET_429 = 0.90, 0.05

TO = {"name": "Ann Lee", "street1": "22 Oak Ave", "city": "Boston", "state": "MA",
      "zip": "02101", "country": "US"}
FROM = {"name": "Warehouse", "street1": "1 Main St", "city": "Springfield", "state": "IL",
        "zip": "62701", "country": "US"}


def _serve(queue: Any, limit: float) -> None:
    from shipctl.simulator import SimulatorConfig, serve

    config = SimulatorConfig(latency=LATENCY, jitter=0.2, seed=1, rate_limit=limit)
    asyncio.run(serve(config, on_ready=queue.put))


def pairs(api_base: str, count: int) -> dict[str, Any]:
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
        client = make_client("bench", api_base=api_base, timeout=30, concurrency=CONCURRENCY)
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


def measure(limit: float) -> dict[str, Any]:
    context = multiprocessing.get_context("spawn")
    queue = context.Queue()
    server = context.Process(target=_serve, args=(queue, limit), daemon=True)
    server.start()
    try:
        api_base = queue.get(timeout=30)
        count = ORDERS[limit]
        result = pairs(api_base, count)
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


def run() -> str:
    rows = []
    for limit in ORDERS:
        m = measure(limit)
        ratio = m["achieved"] / m["allowed"]
        share = m["429s"] / m["calls"]
        met = "yes" if ratio >= TARGET_RATE and share <= TARGET_429 and not m["failures"] else "no"
        estimate = f"{m['estimate']:.1f}" if m["estimate"] is not None else "—"
        rows.append(
            f"| {m['limit']:.0f} | {m['orders']} | {m['calls']:,} | {m['429s']} | {share:.1%} "
            f"| {m['failures']} | {m['seconds']:.1f} | {m['achieved']:.1f} | {m['allowed']:.1f} "
            f"| {ratio:.1%} | {estimate} | {met} | {m['load']:.1f} |"
        )
    return "\n".join([
        "## Riding the rate limit",
        "",
        f"`{COMMAND}` — one worker: a CarrierExecutor at concurrency {CONCURRENCY} making "
        f"create+buy pairs (rate rule, safe buy) with {CONCURRENCY} orders under way, against a "
        f"fresh simulator in its own process per limit, {LATENCY * 1000:.0f} ms ± 20 % latency, "
        "the simulator's token bucket (burst: a fifth of a second's worth); "
        f"{os.cpu_count()} CPUs; load: the 1-minute load average after each row. Achieved: "
        "calls accepted per second of wall time; allowed: the limit plus its burst once over "
        "the run. "
        f"Targets: ≥ {TARGET_RATE:.0%} of allowed, ≤ {TARGET_429:.0%} of calls 429, no failures.",
        "",
        "| limit req/s | orders | calls | 429s | 429 share | failed | seconds | achieved/s "
        "| allowed/s | achieved / allowed | limit as measured | targets met | load |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|:---:|---:|",
        *rows,
    ])


if __name__ == "__main__":
    print(run())

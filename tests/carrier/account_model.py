"""A bulk run against a model of the account's limit, on the virtual clock.

Each of `concurrency` workers quotes and buys orders one after the other, as the bulk job
does: every call goes through the controller, waits the latency, and is answered by the
simulator's own `TokenBucket` (ticking on the virtual clock) with a success or a 429 and its
Retry-After, which the call then waits as the executor would (`backoff_delay`). A success
takes `handling` longer to answer than a 429 (the shipment and its rates to make), as with
the simulator and EasyPost.
"""

from __future__ import annotations

import asyncio
import random
from dataclasses import dataclass

from shipctl.carrier.pacing import RateController
from shipctl.carrier.retry import backoff_delay
from shipctl.simulator.limits import TokenBucket, retry_after


@dataclass
class Outcome:
    calls: int = 0
    refused: int = 0
    seconds: float = 0.0
    peak_in_flight: int = 0

    @property
    def accepted_rate(self) -> float:
        return (self.calls - self.refused) / self.seconds

    @property
    def refused_share(self) -> float:
        return self.refused / self.calls


async def bulk_run(
    limit: float, *, orders: int, concurrency: int = 64, latency: float = 0.1,
    jitter: float = 0.2, seed: int = 1, burst: float | None = None, handling: float = 0.0,
) -> tuple[Outcome, RateController]:
    loop = asyncio.get_running_loop()
    rng = random.Random(seed)
    bucket = TokenBucket(limit, burst, clock=loop.time)
    controller = RateController(concurrency, clock=loop.time)
    outcome = Outcome()
    queue = list(range(orders))

    async def call() -> None:
        attempt = 0
        while True:
            attempt += 1
            epoch = await controller.acquire()
            outcome.peak_in_flight = max(outcome.peak_in_flight, controller.in_flight)
            await asyncio.sleep(latency * rng.uniform(1 - jitter, 1 + jitter))
            wait = bucket.take()
            if not wait and handling:
                await asyncio.sleep(handling)
            controller.release()
            outcome.calls += 1
            if not wait:
                controller.on_success(epoch)
                return
            outcome.refused += 1
            after = float(retry_after(wait))
            controller.on_rate_limited(epoch, after)
            await asyncio.sleep(backoff_delay(attempt, base=0.25, cap=10.0,
                                              retry_after=after, rng=rng))

    async def worker() -> None:
        while queue:
            queue.pop()
            await call()  # quote
            await call()  # buy

    started = loop.time()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    outcome.seconds = loop.time() - started
    return outcome, controller

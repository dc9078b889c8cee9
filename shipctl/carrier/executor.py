"""CarrierExecutor: every SDK call, in a thread, paced to the account's limit, with retries.

The SDK is synchronous (requests), so each call runs in a `ThreadPoolExecutor` thread and the
event loop only waits. How many run at once, and how fast they start, is the
`RateController`'s: a window that opens up to `concurrency` (which also sizes the thread pool
and the client's connection pool), and a pace measured from the 429s once the account's limit
is in reach (see docs/concurrency.md). Time is injected (`clock`, `sleep`) for tests.
"""

from __future__ import annotations

import asyncio
import hashlib
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from types import TracebackType
from typing import TYPE_CHECKING, Generic, TypeVar

from easypost.errors import EasyPostError

from shipctl.carrier.client import ResponseHeaders
from shipctl.carrier.errors import (
    CarrierConnectionError,
    CarrierServerError,
    CarrierTimeout,
    CarrierTransientError,
    RateLimited,
    classify,
)
from shipctl.carrier.pacing import Clock, RateController, Sleep, queued
from shipctl.carrier.retry import backoff_delay
from shipctl.errors import CarrierError
from shipctl.models import Mode

if TYPE_CHECKING:
    from easypost import EasyPostClient

T = TypeVar("T")


@dataclass
class ExecutorStats:
    """Counters for progress displays and benchmarks; `calls` counts logical calls."""

    calls: int = 0
    attempts: int = 0
    retries: int = 0
    rate_limited: int = 0
    server_errors: int = 0
    timeouts: int = 0
    connection_errors: int = 0
    failures: int = 0
    window: int = 0
    max_window: int = 0
    min_window: int = 0
    in_flight: int = 0
    pace: float | None = None  # calls per second the controller allows (None: not paced)
    limit_estimate: float | None = None  # the account's limit as last measured, calls/s


@dataclass(frozen=True)
class _Attempt(Generic[T]):
    """What one attempt brought back from its thread (the hook's headers are thread-local)."""

    value: T | None = None
    error: EasyPostError | None = None
    status: int | None = None
    retry_after: float | None = None


class CarrierExecutor:
    """Runs `operation(client)` for the event loop, within the window, retrying what is safe."""

    def __init__(
        self,
        client: EasyPostClient,
        concurrency: int,
        *,
        max_attempts: int = 8,
        max_elapsed: float = 120.0,
        base_delay: float = 0.25,
        max_delay: float = 10.0,
        mode: Mode = "test",
        clock: Clock = time.monotonic,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        if concurrency < 1:
            raise ValueError("concurrency must be at least 1")
        self.client = client
        self.concurrency = concurrency
        self.mode: Mode = mode
        self.max_attempts = max_attempts
        self.max_elapsed = max_elapsed
        self.base_delay = base_delay
        self.max_delay = max_delay
        self._clock = clock
        self._sleep = sleep
        self._pool = ThreadPoolExecutor(max_workers=concurrency, thread_name_prefix="easypost")
        # The window holds an eighth more calls than there are threads (`queued`): those
        # wait in the thread pool's own queue, so a thread that ends a call starts the next
        # at once, rather than once the event loop (busy with the database, say) has handed
        # it one. At most `concurrency` requests are ever on the wire.
        self._controller = RateController(concurrency + queued(concurrency), clock=clock,
                                          sleep=sleep)
        self._counts = ExecutorStats()
        self._headers = ResponseHeaders()
        client.subscribe_to_response_hook(self._headers.record)

    @property
    def stats(self) -> ExecutorStats:
        """A snapshot of the counters, the window and the pace."""
        controller = self._controller
        return replace(
            self._counts, window=controller.size, max_window=controller.limit,
            min_window=controller.min_size, in_flight=controller.in_flight,
            pace=controller.rate, limit_estimate=controller.estimate,
        )

    @property
    def account(self) -> str:
        """Which account's rate limit these calls count against: a digest of the API key and
        base, never the key itself (for the pace the workers on one account share)."""
        client = self.client
        seed = f"{client.api_key}@{client.api_base}".encode()
        return hashlib.sha256(seed).hexdigest()[:24]

    @property
    def pace(self) -> RateController:
        """The controller of the window and the pace (for the pace the workers on one
        account share, jobs/pace_share.py)."""
        return self._controller

    def share_pace(self, rate: float) -> None:
        """Pace at `rate` calls per second, this worker's share of the account's pace."""
        self._controller.share(rate)

    async def call(
        self,
        operation: Callable[[EasyPostClient], T],
        *,
        retry: bool = True,
        name: str = "call",
        idempotent: bool = True,
    ) -> T:
        """`operation(client)` in a thread; retried on 429, 5xx, timeouts and dropped connections.

        With `idempotent=False` (a buy) only a 429 is retried here, because nothing happened;
        after a 5xx, timeout or dropped connection the request may have taken effect, and the
        caller must find out before trying again (see `shipments.buy`).
        """
        self._controller.call_started()
        try:
            return await self._call(operation, retry=retry, name=name, idempotent=idempotent)
        finally:
            self._controller.call_ended()

    async def _call(
        self, operation: Callable[[EasyPostClient], T], *, retry: bool, name: str,
        idempotent: bool,
    ) -> T:
        loop = asyncio.get_running_loop()
        started = self._clock()
        self._counts.calls += 1
        attempt = 0
        throttled = 0  # 429s: nothing happened, so only max_elapsed bounds them
        while True:
            attempt += 1
            self._counts.attempts += 1
            epoch = await self._controller.acquire()
            try:
                outcome = await loop.run_in_executor(self._pool, self._run, operation)
            finally:
                self._controller.release()
            if outcome.error is None:
                self._controller.on_success(epoch)
                return outcome.value  # type: ignore[return-value]
            failure = classify(outcome.error, outcome.status, outcome.retry_after, name=name)
            self._count(failure, epoch)
            if isinstance(failure, RateLimited):
                throttled += 1
            # Only a transient error is retried, and without `idempotent` only one that did
            # not take effect (a 429).
            transient = failure if isinstance(failure, CarrierTransientError) else None
            safe = transient is not None and (idempotent or not transient.may_have_taken_effect)
            delay = backoff_delay(
                attempt, base=self.base_delay, cap=self.max_delay,
                retry_after=transient.retry_after if transient is not None else None,
            )
            out_of_time = self._clock() - started + delay > self.max_elapsed
            if not (retry and safe) \
                    or attempt - throttled >= self.max_attempts or out_of_time:
                self._counts.failures += 1
                raise failure from outcome.error
            self._counts.retries += 1
            await self._sleep(delay)

    async def warm(self) -> None:
        """Start the thread pool's threads now, off the event loop. Threads start on demand,
        each on the loop that submits its first call (a couple of milliseconds apiece, the
        loop waiting): warming the pool while a job validates and stores its orders keeps
        that out of its first round of calls."""
        await asyncio.to_thread(self._start_threads)

    def _start_threads(self) -> None:
        # Each warm-up task waits for the others, so none is idle when the next is submitted
        # and every submit starts a thread of its own.
        gathered = threading.Barrier(self.concurrency)
        try:
            tasks = [self._pool.submit(gathered.wait, 5.0) for _ in range(self.concurrency)]
        except RuntimeError:  # shut down meanwhile: nothing to warm
            gathered.abort()
            return
        for task in tasks:
            task.exception()  # a broken barrier (a real call came first) is harmless

    async def sleep(self, seconds: float) -> None:
        """Wait on the executor's injected clock: for callers' own pauses (the safe buy's)."""
        await self._sleep(seconds)

    def _run(self, operation: Callable[[EasyPostClient], T]) -> _Attempt[T]:
        self._headers.clear()
        try:
            return _Attempt(value=operation(self.client))
        except EasyPostError as error:
            return _Attempt(
                error=error, status=self._headers.status, retry_after=self._headers.retry_after
            )

    def _count(self, failure: CarrierError, epoch: int) -> None:
        counts = self._counts
        match failure:
            case RateLimited():
                counts.rate_limited += 1
                self._controller.on_rate_limited(epoch, failure.retry_after)
            case CarrierServerError():
                counts.server_errors += 1
            case CarrierTimeout():
                counts.timeouts += 1
            case CarrierConnectionError():
                counts.connection_errors += 1

    async def aclose(self) -> None:
        """Stop the threads (calls in flight finish within the client timeout)."""
        self._pool.shutdown(wait=False, cancel_futures=True)
        self.client.unsubscribe_from_response_hook(self._headers.record)
        self.client._requests_session.close()

    async def __aenter__(self) -> CarrierExecutor:
        return self

    async def __aexit__(
        self, kind: type[BaseException] | None, error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.aclose()


__all__ = ["CarrierExecutor", "ExecutorStats"]

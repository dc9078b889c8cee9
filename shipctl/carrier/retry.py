"""Backoff with full jitter, and the AIMD window that keeps a run just under a rate limit."""

from __future__ import annotations

import asyncio
import random
import time
from collections import deque


def backoff_delay(
    attempt: int, *, base: float, cap: float, retry_after: float | None = None,
    rng: random.Random | None = None,
) -> float:
    """Seconds to wait before retry `attempt` (1-based): full jitter, at least Retry-After.

    Full jitter (uniform over [0, base·2^attempt]) spreads a crowd of failed calls out instead
    of sending them back together; when the server said when to come back, a little jitter is
    added on top of its Retry-After for the same reason.
    """
    draw = (rng or random).uniform
    ceiling = min(cap, base * (2 ** (attempt - 1)))
    if retry_after is not None:
        return retry_after + draw(0.0, min(cap, base))
    return draw(0.0, ceiling)


RATE_SPAN = 2.0  # seconds of completions that measure the rate achieved
MIN_RATE = 0.5  # calls per second: the pace never stops a run


class AdaptiveWindow:
    """How many calls may be in flight: halved by a 429, grown by one per window of successes.

    A 429 halves the window only when the call that got it started after the last decrease:
    the calls already in flight when the window shrank would all bring back 429s, and
    counting each of them would collapse the window to 1 (TCP's one cut per round trip).
    """

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.size = limit
        self.min_size = limit
        self.in_flight = 0
        self.epoch = 0  # bumped at each decrease
        self._successes = 0
        self._waiters: deque[asyncio.Future[None]] = deque()
        # Calls per second once a 429 was seen (None: unpaced). With a fast API a window of
        # 2 may already be over a limit that a window of 1 is far under; pacing the starts
        # finds the rate between them.
        self.rate: float | None = None
        self._next_start = 0.0
        self._last_raise = 0.0
        self._completions: deque[float] = deque()

    async def acquire(self) -> int:
        """Wait for room in the window (and the pace); returns the epoch the call starts in."""
        await self._take_slot()
        if self.rate is not None:
            now = time.monotonic()
            start = max(now, self._next_start)
            self._next_start = start + 1.0 / self.rate
            if start > now:
                await asyncio.sleep(start - now)
        return self.epoch

    async def _take_slot(self) -> None:
        if self.in_flight >= self.size or self._waiters:
            future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
            self._waiters.append(future)
            try:
                await future
            except asyncio.CancelledError:
                if future.done() and not future.cancelled():
                    self.release()  # it was handed a slot it will not use
                else:
                    self._waiters.remove(future)
                raise
        else:
            self.in_flight += 1

    def release(self) -> None:
        self.in_flight -= 1
        self._wake()

    def _wake(self) -> None:
        # A woken waiter inherits the slot (in_flight is counted for it here), so a newcomer
        # cannot overtake the queue.
        while self._waiters and self.in_flight < self.size:
            future = self._waiters.popleft()
            if not future.done():
                self.in_flight += 1
                future.set_result(None)

    def on_success(self) -> None:
        now = time.monotonic()
        self._completions.append(now)
        while self._completions and self._completions[0] < now - RATE_SPAN:
            self._completions.popleft()
        if self.rate is not None and now - self._last_raise >= 1.0:
            self._last_raise = now
            self.rate += max(0.5, self.rate * 0.05)  # probe upwards a little every second
        self._successes += 1
        if self._successes >= self.size:
            self._successes = 0
            if self.size < self.limit:
                self.size += 1
                self._wake()

    def on_rate_limited(self, started_epoch: int) -> None:
        if started_epoch != self.epoch:
            return
        self.epoch += 1
        self._successes = 0
        self.size = max(1, self.size // 2)
        self.min_size = min(self.min_size, self.size)
        # Pace at a little under what actually succeeded lately.
        now = time.monotonic()
        achieved = len(self._completions) / RATE_SPAN
        if self.rate is not None:
            achieved = min(achieved, self.rate) if achieved else self.rate / 2
        self.rate = max(MIN_RATE, 0.85 * achieved)
        self._last_raise = now

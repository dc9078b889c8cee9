"""Pacing EasyPost calls: one `Pacer` that spaces starts, and the controller that rides a limit.

`Pacer` starts at most `rate` calls per second, evenly spaced, across every task sharing it;
the tracking sweep uses one at EasyPost's fixed 5 requests/s on index endpoints
(`tracking.IndexPacer`). `RateController` owns the executor's window of calls in flight and a
`Pacer` whose rate it sets from what the answers tell (see docs/concurrency.md):

- until the first 429 nothing is paced and the window doubles after each round of successes
  (slow start from SLOW_START), so an account without a limit in reach soon runs at full
  concurrency, and one with a low limit meets it with a few calls rather than all of them;
- a 429 means the account's token bucket was empty at that moment. Successes counted between
  two such moments are what the limit let through, so their rate is the limit (a lower
  bound, exact while the run keeps the bucket empty). The pace drops to `BACKOFF` of that;
- while starts wait on the pace, it climbs back to the estimate within about a second and then
  probes above it slowly, until the next 429 measures the limit again.

Time is injected (`clock`, `sleep`), so tests run the controller on a virtual clock.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import Awaitable, Callable
from enum import StrEnum

Clock = Callable[[], float]
Sleep = Callable[[float], Awaitable[None]]

SLOW_START = 8  # calls in flight before the first answers: the first round's 429s at most
ESTIMATE_SPAN = 3.0  # seconds of answers the limit is measured over (per worker sharing it)
MIN_GAP = 0.25  # the shortest time a recent success rate is measured over
MIN_PAIR = 1.0  # the shortest time between two 429s that measures the limit
BACKOFF = 0.9  # the pace after a 429, as a share of the measured limit
REGAIN = 0.1  # climb per second below the estimate, as a share of the estimate
DEEPEST = 0.5  # the deepest cut, with many workers sharing the account (see `workers`)
PROBE = 0.02  # climb per second above the estimate, as a share of the pace
SEEK = 0.2  # the same while the estimate is only a recent success rate (not between 429s)
HOLD_AFTER = 5.0  # a Retry-After at least this long pauses every start, not just its call
OPEN_ROUNDS = 2  # full windows of successes with no 429 after which the limit is out of reach


def queued(concurrency: int) -> int:
    """Calls let into the executor's window beyond its `concurrency` threads, each waiting
    in the thread pool's queue for the next thread to end its call."""
    return concurrency // 8


class PaceState(StrEnum):
    """Where the controller is in finding the account's limit."""

    PROBING = "probing"  # not paced yet: slow start, the limit may be in reach
    OPEN = "open"  # not paced, the window fully open for a while with no 429: out of reach
    PACED = "paced"  # a 429 (or a share of the account's pace) set the pace


class Pacer:
    """Start at most `rate` calls per second, evenly spaced; `rate=None` starts at once.

    Starts are granted one at a time in arrival order, each at the pace in force when it is
    granted, so lowering the rate takes effect for every call still waiting.
    """

    def __init__(
        self, rate: float | None = None, *, clock: Clock = time.monotonic,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        self.rate = rate
        self._clock = clock
        self._sleep = sleep
        self._next = 0.0
        self._lock = asyncio.Lock()
        self.delayed = False  # a start had to wait since the flag was last cleared

    @property
    def interval(self) -> float:
        return 0.0 if self.rate is None else 1.0 / self.rate

    async def wait(self) -> None:
        if self.rate is None and self._clock() >= self._next:
            return
        async with self._lock:
            now = self._clock()
            start = max(now, self._next)
            if start > now:
                self.delayed = True
                await self._sleep(start - now)
            # From the start as scheduled, not as woken: a late wake-up must not cost pace.
            self._next = start + self.interval

    def hold_until(self, moment: float) -> None:
        """Start nothing before `moment` (on the pacer's clock)."""
        self._next = max(self._next, moment)


class RateController:
    """How many calls may be in flight, and how fast they may start (see the module doc)."""

    def __init__(
        self, limit: int, *, clock: Clock = time.monotonic, sleep: Sleep = asyncio.sleep,
        slow_start: int | None = None,
    ) -> None:
        self.limit = limit
        self.size = min(limit, slow_start or SLOW_START)
        self.min_size = self.size
        self.in_flight = 0
        self.epoch = 0  # bumped at each cut: the 429s of calls started earlier do not cut again
        self.estimate: float | None = None  # the account's limit as last measured, calls/s
        self.measured = False  # the estimate was measured between two 429s
        # Workers pacing the account together (jobs/pace_share.py sets it). A 429 cuts the
        # account's pace by 1 - BACKOFF whoever gets it, so this worker's own part by that
        # times `workers`, and regains as fast: the others, which got no 429, keep theirs.
        self.workers = 1
        self.pacer = Pacer(clock=clock, sleep=sleep)
        self._clock = clock
        self._waiters: deque[asyncio.Future[None]] = deque()
        self._started_at: float | None = None
        self._successes: deque[float] = deque()
        self._refusals: deque[float] = deque()
        self._grown_at = 0.0
        # The start of the recent success rate the last cut was measured from, while that
        # rate was not measured between two 429s (see `_straggler`).
        self._provisional_since: float | None = None
        self._shared_at: float | None = None  # when the pace was last set to a share
        self._round_successes = 0
        self._open_successes = 0  # successes with the window fully open and no 429
        self._gate = asyncio.Event()
        self._gate.set()
        self._calls = 0  # calls under way, from their first attempt to their outcome
        self._quiet_since: float | None = None  # when the last call under way ended

    @property
    def rate(self) -> float | None:
        """Calls per second the pace allows (None: not paced)."""
        return self.pacer.rate

    @property
    def state(self) -> PaceState:
        if self.pacer.rate is not None:
            return PaceState.PACED
        if self._open_successes >= OPEN_ROUNDS * self.limit:
            return PaceState.OPEN
        return PaceState.PROBING

    def hold(self) -> None:
        """Start nothing until `resume()`: another worker on the account is measuring its
        limit, or making room for this one (see jobs/pace_share.py)."""
        self._gate.clear()

    def resume(self) -> None:
        self._gate.set()

    @property
    def held(self) -> bool:
        return not self._gate.is_set()

    def call_started(self) -> None:
        """A call begins (its attempts, retries and waits between them count as one)."""
        self._calls += 1
        self._quiet_since = None

    def call_ended(self) -> None:
        self._calls -= 1
        if self._calls == 0:
            self._quiet_since = self._clock()

    def quiet_for(self) -> float:
        """Seconds since the last call under way ended (0.0 while calls are under way, or
        before the first one)."""
        if self._calls or self._quiet_since is None:
            return 0.0
        return self._clock() - self._quiet_since

    async def acquire(self) -> int:
        """Wait for room in the window and for the pace; returns the epoch the call starts in."""
        if not self._gate.is_set():
            await self._gate.wait()
        if self._started_at is None:
            self._started_at = self._clock()
        await self._take_slot()
        try:
            await self.pacer.wait()
        except asyncio.CancelledError:
            self.release()
            raise
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
                elif future in self._waiters:  # a release may have dropped it already
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

    def on_success(self, started_epoch: int | None = None) -> None:
        """A call that started in `started_epoch` succeeded."""
        now = self._clock()
        self._successes.append(now)
        self._forget(now)
        if started_epoch is not None and started_epoch < self.epoch:
            self._straggler(now)
        if self.pacer.rate is None:
            if self.size == self.limit:
                self._open_successes += 1
                return
            # Slow start: a round of `size` successes with no 429 doubles the window.
            self._round_successes += 1
            if self.size < self.limit and self._round_successes >= self.size:
                self._round_successes = 0
                self.size = min(self.limit, 2 * self.size)
                self._wake()
            return
        self._grow(now)

    def _straggler(self, now: float) -> None:
        """A success of a call started before the last cut. A 429 is answered faster than a
        success (nothing to compute), so when the cut was measured from the recent success
        rate (no earlier 429 to pair with: the first round), the successes of the same round
        were still on their way: counted now, they raise that first estimate."""
        since = self._provisional_since
        if since is None:
            return
        if now - since > self.span:
            self._provisional_since = None
            return
        rate = sum(1 for t in self._successes if t > since) / (now - since)
        if self.estimate is None or rate > self.estimate:
            self.estimate = rate
            if self.pacer.rate is not None and self.pacer.rate < self.backoff * rate:
                self.pacer.rate = self.backoff * rate

    def _grow(self, now: float) -> None:
        elapsed, self._grown_at = now - self._grown_at, now
        rate = self.pacer.rate
        if rate is None or not self.pacer.delayed:
            return  # the pace is not what holds the calls back: nothing to learn by raising it
        self.pacer.delayed = False
        estimate = self.estimate or rate
        if rate < estimate:
            rate = min(estimate, rate + REGAIN * self.workers * estimate * elapsed)
        else:
            rate += (PROBE if self.measured else SEEK) * rate * elapsed
        self.pacer.rate = rate

    def on_rate_limited(self, started_epoch: int, retry_after: float | None = None) -> None:
        """A 429 for a call that started in `started_epoch`, with the server's Retry-After."""
        now = self._clock()
        measured, between_429s, since = self._measure(now)
        self._refusals.append(now)
        self._forget(now)
        if retry_after is not None and retry_after >= HOLD_AFTER:
            self.pacer.hold_until(now + retry_after)
        if started_epoch != self.epoch:
            return
        self.epoch += 1
        self._grown_at = now
        if self.size < self.limit:  # the pace governs from here; the window only bounds
            self.size = self.limit
            self._wake()
        current = self.pacer.rate
        if not between_429s and self._shared_at is not None and self.estimate is not None \
                and now - self._shared_at < self.span:
            # Just after taking a share there is no success rate of its own to go by yet: the
            # share stands for the measure (the others' calls started before they made room
            # may still be landing).
            measured = self.estimate
        self._provisional_since = None if between_429s else since
        if measured > 0.0:
            self.estimate, self.measured = measured, between_429s
            rate = self.backoff * measured
            # Between two 429s the measure is a lower bound of the limit: trust it. A recent
            # success rate may be inflated by the burst: only ever lower the pace with it.
            self.pacer.rate = rate if current is None or between_429s else min(rate, current)
        else:
            # Nothing got through lately: halve, but keep at least one start per Retry-After.
            floor = 1.0 / (retry_after or ESTIMATE_SPAN)
            base = current if current is not None else self.in_flight / ESTIMATE_SPAN
            self.pacer.rate = max(floor, base / 2)

    def open_window(self, window: int) -> None:
        """Skip slow start up to `window` calls in flight: a worker that left this account a
        few minutes ago had that many in flight with no 429 (jobs/pace_share.py)."""
        if self.pacer.rate is None and window > self.size:
            self.size = min(self.limit, window)
            self._wake()

    @property
    def span(self) -> float:
        """Seconds of answers the limit is measured over: with several workers each one gets
        its part of the 429s, so it waits longer for the second of a pair."""
        return ESTIMATE_SPAN * self.workers

    @property
    def backoff(self) -> float:
        """The pace after a 429, as a share of the measured limit (of this worker's part)."""
        return max(DEEPEST, 1.0 - (1.0 - BACKOFF) * self.workers)

    def share(self, rate: float) -> None:
        """Pace at `rate`: this worker's share of the pace the workers on one account agreed
        on (through the database, see jobs/pace_share.py). A worker that arrives on an account
        already paced starts at its share rather than probing the limit from slow start; one
        that stays on after another left takes up its part at once. Its own 429s still
        measure and cut as usual from then on, but only from then on: what it measured before
        was its part of another split, and the 429s of calls started before are not cuts."""
        if self.pacer.rate is None and self.size < self.limit:
            self.size = self.limit
            self._wake()
        now = self._clock()
        self.epoch += 1
        self._successes.clear()
        self._refusals.clear()
        self._started_at = self._grown_at = self._shared_at = now
        self._provisional_since = None
        self.estimate = rate
        self.pacer.rate = rate

    def _measure(self, now: float) -> tuple[float, bool, float]:
        """Calls per second the account let through lately (0.0: none), whether that was
        measured between two 429s, and since when.

        Between two 429s at least MIN_PAIR apart the bucket went from empty to empty, so the
        successes in between are what it refilled: the limit. Closer together, the one or two
        successes still on their way when the second 429 comes back weigh too much (a pair
        0.7 s apart once measured 13/s of a 20/s limit, and the pace took half a minute to
        probe its way back). Without such a pair (the first 429 of a run, after a quiet spell,
        or two 429s close together) the recent success rate stands in, over at least MIN_GAP;
        it may include the bucket's burst, or be cut short by an early 429, so it only ever
        lowers the pace, and until the next pair corrects it the pace seeks upwards faster
        (SEEK rather than PROBE).
        """
        self._forget(now)
        since = next((t for t in self._refusals if now - t >= MIN_PAIR), None)
        paired = since is not None
        if since is None:
            started = self._started_at if self._started_at is not None else now
            since = max(now - self.span, started)
            if now - since < MIN_GAP:
                since = now - MIN_GAP
        count = sum(1 for t in self._successes if t > since)
        return count / (now - since), paired, since

    def _forget(self, now: float) -> None:
        horizon = now - self.span
        for times in (self._successes, self._refusals):
            while times and times[0] < horizon:
                times.popleft()


__all__ = ["PaceState", "Pacer", "RateController"]

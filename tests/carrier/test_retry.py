"""Backoff with full jitter and the AIMD window, on their own."""

from __future__ import annotations

import asyncio
import random

from shipctl.carrier.client import parse_retry_after
from shipctl.carrier.retry import AdaptiveWindow, backoff_delay


def test_backoff_is_full_jitter_under_a_growing_capped_ceiling() -> None:
    rng = random.Random(1)
    for attempt, ceiling in [(1, 0.25), (2, 0.5), (3, 1.0), (10, 10.0)]:
        delays = [backoff_delay(attempt, base=0.25, cap=10.0, rng=rng) for _ in range(200)]
        assert 0.0 <= min(delays) < ceiling / 4
        assert ceiling * 3 / 4 < max(delays) <= ceiling


def test_retry_after_is_a_floor() -> None:
    delays = [backoff_delay(1, base=0.25, cap=10.0, retry_after=2.0) for _ in range(100)]
    assert all(2.0 <= d <= 2.25 for d in delays)
    assert parse_retry_after("3") == 3.0
    assert parse_retry_after(None) is None
    assert parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT") == 1.0


def test_a_burst_of_429s_from_one_round_halves_the_window_once() -> None:
    window = AdaptiveWindow(32)
    epoch = window.epoch
    for _ in range(32):  # every call in flight when the limit hit comes back 429
        window.on_rate_limited(epoch)
    assert (window.size, window.min_size) == (16, 16)
    window.on_rate_limited(window.epoch)  # a call started after the cut
    assert window.size == 8


def test_successes_grow_the_window_by_one_per_window_up_to_the_limit() -> None:
    window = AdaptiveWindow(10)
    window.on_rate_limited(window.epoch)
    assert window.size == 5
    for _ in range(4):
        window.on_success()
    assert window.size == 5
    window.on_success()
    assert window.size == 6
    for _ in range(1000):
        window.on_success()
    assert window.size == 10


def test_the_window_bounds_calls_in_flight() -> None:
    async def run() -> int:
        window = AdaptiveWindow(3)
        window.on_rate_limited(window.epoch)  # one slot left
        peak = 0

        async def call() -> None:
            nonlocal peak
            await window.acquire()
            peak = max(peak, window.in_flight)
            await asyncio.sleep(0.001)
            window.release()

        await asyncio.gather(*(call() for _ in range(20)))
        assert window.in_flight == 0
        return peak

    assert asyncio.run(run()) == 1

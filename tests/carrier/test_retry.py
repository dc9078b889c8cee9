"""Backoff with full jitter, on its own (the pace of all calls: test_pacing.py)."""

from __future__ import annotations

import random

from shipctl.carrier.client import parse_retry_after
from shipctl.carrier.retry import backoff_delay


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

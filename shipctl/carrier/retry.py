"""Backoff with full jitter: how long one failed call waits before its next attempt.

The pace of all calls together is `pacing.RateController`'s.
"""

from __future__ import annotations

import random


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

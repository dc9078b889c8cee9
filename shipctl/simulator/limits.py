"""Token buckets: the account's rate limit on rating and buying, and the index limit."""

from __future__ import annotations

import math
import time
from collections.abc import Callable


class TokenBucket:
    """`rate` tokens per second with a small burst; `take` says how long to wait if empty."""

    def __init__(
        self, rate: float, burst: float | None = None, *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.rate = rate
        self._clock = clock
        # A small burst: a fifth of a second's worth, at least one request.
        self.capacity = burst if burst is not None else max(1.0, rate / 5.0)
        self.tokens = self.capacity
        self.stamp = clock()

    def take(self) -> float:
        """0.0 when a token was taken, else the seconds until one is available."""
        now = self._clock()
        self.tokens = min(self.capacity, self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now
        if self.tokens >= 1.0:
            self.tokens -= 1.0
            return 0.0
        return (1.0 - self.tokens) / self.rate


def retry_after(wait: float) -> str:
    """Retry-After is whole seconds; never 0, or clients would hammer straight back."""
    return str(max(1, math.ceil(wait)))

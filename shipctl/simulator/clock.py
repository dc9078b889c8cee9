"""The simulated clock: wall time sped up from an epoch kept with the state."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from functools import lru_cache


class SimClock:
    """Simulated seconds since the Unix epoch, running `days_per_minute` days per real minute."""

    def __init__(self, epoch: float, days_per_minute: float) -> None:
        self.epoch = epoch
        self.speed = days_per_minute * 1440.0  # simulated seconds per real second

    def now(self) -> float:
        return self.epoch + (time.time() - self.epoch) * self.speed


def iso(ts: float) -> str:
    """`2025-03-07T16:46:20Z`, the format the API uses for most timestamps."""
    return _iso_second(int(ts))


# A shipment stamps dozens of fields with the same few seconds; strftime is the hot spot.
@lru_cache(maxsize=4096)
def _iso_second(second: int) -> str:
    return datetime.fromtimestamp(second, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def iso_offset(ts: float) -> str:
    """`2025-03-07T16:46:19+00:00`, the format the API uses on addresses."""
    return _iso_offset_second(int(ts))


@lru_cache(maxsize=1024)
def _iso_offset_second(second: int) -> str:
    return datetime.fromtimestamp(second, UTC).strftime("%Y-%m-%dT%H:%M:%S+00:00")

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
    return f"{_clock_time(int(ts))}Z"


def iso_offset(ts: float) -> str:
    """`2025-03-07T16:46:19+00:00`, the format the API uses on addresses."""
    return f"{_clock_time(int(ts))}+00:00"


# The simulated clock runs a day per real second by default, so nearly every request
# stamps seconds never seen before: caching whole timestamps missed, and strftime was a
# tenth of a create. Only the date goes through datetime; the time of day is arithmetic.
_TWO_DIGITS = tuple(f"{n:02d}" for n in range(60))


# One request stamps many fields with the same second or two: those are looked up.
_RECENT: dict[int, str] = {}
RECENT_SIZE = 256


def _clock_time(second: int) -> str:
    text = _RECENT.get(second)
    if text is not None:
        return text
    day, rest = divmod(second, 86400)
    hour, rest = divmod(rest, 3600)
    minute, sec = divmod(rest, 60)
    two = _TWO_DIGITS
    text = f"{_date(day)}T{two[hour]}:{two[minute]}:{two[sec]}"
    if len(_RECENT) >= RECENT_SIZE:
        _RECENT.clear()
    _RECENT[second] = text
    return text


@lru_cache(maxsize=1024)
def _date(day: int) -> str:
    return datetime.fromtimestamp(day * 86400, UTC).strftime("%Y-%m-%d")

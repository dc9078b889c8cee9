"""The simulated clock: the wall clock, or wall time fast-forwarded, from an anchor kept with
the state."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from functools import lru_cache
from typing import NamedTuple

DAY = 86400.0


def speed_of(days_per_minute: float | None) -> float:
    """Simulated seconds per real second: 1 unless fast-forward (`days_per_minute`) is asked."""
    return 1.0 if days_per_minute is None else days_per_minute * 1440.0


class Anchor(NamedTuple):
    """A real instant, the simulated instant it stood for, and the speed from there on."""

    real: float
    simulated: float
    speed: float

    def at(self, real: float) -> float:
        return self.simulated + (real - self.real) * self.speed

    def text(self) -> str:
        return f"{self.real!r} {self.simulated!r} {self.speed!r}"

    @classmethod
    def parse(cls, text: str) -> Anchor:
        real, simulated, speed = (float(part) for part in text.split())
        return cls(real, simulated, speed)


def next_anchor(stored: Anchor | None, speed: float, real: float) -> Anchor:
    """The anchor to run from at `speed`: the stored one if its speed is that, else one taken
    at `real`, so that a change of speed never moves simulated time back (labels and
    trackers already made keep their places)."""
    if stored is None:
        return Anchor(real, real, speed)
    if stored.speed == speed:
        return stored
    return Anchor(real, max(real, stored.at(real)), speed)


class SimClock:
    """Simulated seconds since the Unix epoch."""

    def __init__(self, anchor: Anchor) -> None:
        self.anchor = anchor

    @property
    def speed(self) -> float:
        return self.anchor.speed

    def now(self) -> float:
        anchor = self.anchor
        return anchor.simulated + (time.time() - anchor.real) * anchor.speed


def iso(ts: float) -> str:
    """`2025-03-07T16:46:20Z`, the format the API uses for most timestamps."""
    return f"{_clock_time(int(ts))}Z"


def iso_offset(ts: float) -> str:
    """`2025-03-07T16:46:19+00:00`, the format the API uses on addresses."""
    return f"{_clock_time(int(ts))}+00:00"


# Fast-forwarded, nearly every request stamps seconds never seen before: caching whole
# timestamps missed, and strftime was a tenth of a create. Only the date goes through
# datetime; the time of day is arithmetic.
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

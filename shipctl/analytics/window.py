"""The time window of a report: `--since`/`--until` as dates or as `30d`, `6w`, `3m` ago."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from shipctl.errors import InputError
from shipctl.moments import parse_moment, parse_since

MODES = ("live", "test", "simulated")


@dataclass(frozen=True)
class Window:
    """Labels bought in [since, until), optionally one carrier and one mode."""

    since: datetime
    until: datetime
    carrier: str | None = None
    mode: str | None = None


def make_window(
    since: str,
    until: str | None,
    now: datetime,
    *,
    carrier: str | None = None,
    mode: str | None = None,
) -> Window:
    """The window for these options, or InputError naming the option that is wrong."""
    start = parse_since(since, now)
    end = parse_moment(until, now, option="--until", end_of_day=True) if until else now
    if start >= end:
        raise InputError(f"--since {since} is not before --until {until or 'now'}")
    if mode is not None and mode.lower() not in MODES:
        raise InputError(f"--mode {mode!r} is not one of {', '.join(MODES)}")
    return Window(
        since=start,
        until=end,
        carrier=carrier.strip() or None if carrier else None,
        mode=mode.lower() if mode else None,
    )

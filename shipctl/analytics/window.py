"""The time window of a report: `--since`/`--until` as dates or as `30d`, `6w`, `3m` ago."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from shipctl.errors import InputError

# The modes a report files labels under (report_mode(), migration 0006): `demo` is the
# simulated history of `shipctl demo seed` (references DEMO-…), `simulated` every other
# simulated label. `all` is every mode together.
MODES = ("live", "test", "simulated", "demo")
ALL_MODES = "all"
_RELATIVE = re.compile(r"^(\d{1,4})\s*([dwm])$")


@dataclass(frozen=True)
class Window:
    """Labels bought in [since, until), optionally one carrier and one mode (None: all)."""

    since: datetime
    until: datetime
    carrier: str | None = None
    mode: str | None = None

    @property
    def modes(self) -> tuple[str, ...]:
        """The modes the report covers, as every output names them."""
        return (self.mode,) if self.mode else MODES


def key_mode(api_key: str | None, *, simulate: bool) -> str:
    """The mode a report shows by default: the mode of the labels this configuration buys.

    Simulated under `--simulate`, test for an EasyPost test key (EZTK…), live for any other
    key, and every mode when no key is configured (there is no one mode to choose).
    """
    if simulate:
        return "simulated"
    if not api_key:
        return ALL_MODES
    return "test" if api_key.startswith("EZTK") else "live"


def _months_back(moment: datetime, months: int) -> datetime:
    index = moment.year * 12 + moment.month - 1 - months
    year, month = divmod(index, 12)
    day = moment.day
    while True:  # 31 March minus one month is the last day of February
        try:
            return moment.replace(year=year, month=month + 1, day=day)
        except ValueError:
            day -= 1


def parse_moment(text: str, now: datetime, *, option: str, end_of_day: bool = False) -> datetime:
    """A date, an ISO time or `N[d|w|m]` ago; a bare date as `--until` means the end of that day."""
    value = text.strip().lower()
    relative = _RELATIVE.match(value)
    if relative:
        count, unit = int(relative[1]), relative[2]
        if unit == "m":
            return _months_back(now, count)
        return now - timedelta(days=count * (7 if unit == "w" else 1))
    try:
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
            day = date.fromisoformat(value)
            start = datetime(day.year, day.month, day.day, tzinfo=UTC)
            return start + timedelta(days=1) if end_of_day else start
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        raise InputError(
            f"{option} {text!r} is not a date (2026-10-01), a time or an age like 30d, 6w, 3m"
        ) from None
    # A time without an offset is read as UTC: every time shipctl stores is UTC.
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def make_window(
    since: str,
    until: str | None,
    now: datetime,
    *,
    carrier: str | None = None,
    mode: str | None = None,
) -> Window:
    """The window for these options, or InputError naming the option that is wrong."""
    start = parse_moment(since, now, option="--since")
    end = parse_moment(until, now, option="--until", end_of_day=True) if until else now
    if start > now:
        raise InputError(f"--since {since} is in the future")
    if start >= end:
        raise InputError(f"--since {since} is not before --until {until or 'now'}")
    chosen = mode.strip().lower() if mode else ALL_MODES
    if chosen not in (*MODES, ALL_MODES):
        raise InputError(f"--mode {mode!r} is not one of {', '.join((*MODES, ALL_MODES))}")
    return Window(
        since=start,
        until=end,
        carrier=carrier.strip() or None if carrier else None,
        mode=None if chosen == ALL_MODES else chosen,
    )

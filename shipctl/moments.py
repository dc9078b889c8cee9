"""`--since` and `--until` as people write them: a date, a time, or an age such as 30d, 6w, 3m.

The one parser for every command with a time window (`track`, `analytics`).
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta

from shipctl.errors import InputError

_AGE = re.compile(r"^(\d{1,5})\s*([dwm]?)$")  # a bare number is days
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
FORMS = "a date (2026-10-01), a time or an age like 30d, 6w, 3m"


def months_back(moment: datetime, months: int) -> datetime:
    """The same day `months` earlier; 31 March minus one month is the last day of February."""
    year, month = divmod(moment.year * 12 + moment.month - 1 - months, 12)
    if year < 1:
        raise ValueError(f"{months} months back is before year 1")
    day = moment.day
    while True:
        try:
            return moment.replace(year=year, month=month + 1, day=day)
        except ValueError:
            day -= 1


def parse_moment(text: str, now: datetime, *, option: str, end_of_day: bool = False) -> datetime:
    """A date, an ISO time or an age ago; a bare date as `--until` means the end of that day."""
    value = text.strip().lower()
    try:
        age = _AGE.match(value)
        if age:
            count, unit = int(age[1]), age[2]
            if unit == "m":
                return months_back(now, count)
            return now - timedelta(days=count * (7 if unit == "w" else 1))
        if _DATE.match(value):
            day = date.fromisoformat(value)
            start = datetime(day.year, day.month, day.day, tzinfo=UTC)
            return start + timedelta(days=1) if end_of_day else start
        moment = datetime.fromisoformat(text.strip())
    except (ValueError, OverflowError):
        raise InputError(f"{option} {text!r} is not {FORMS}") from None
    # A time without an offset is read as UTC: every time shipctl stores is UTC.
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def parse_since(text: str, now: datetime, *, option: str = "--since") -> datetime:
    """The start of a window, which may not lie in the future."""
    start = parse_moment(text, now, option=option)
    if start > now:
        raise InputError(f"{option} {text} is in the future")
    return start

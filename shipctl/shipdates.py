"""Ship dates as the user writes them: `today`, `tomorrow`, or an ISO date (2026-12-01)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from shipctl.errors import InputError


def utc_today() -> date:
    return datetime.now(UTC).date()


def parse_ship_date(text: str, *, flag: str = "--ship-date", today: date | None = None) -> date:
    """`today`, `tomorrow` or YYYY-MM-DD; anything else is one clear InputError."""
    base = today or utc_today()
    word = text.strip().lower()
    if word == "today":
        return base
    if word == "tomorrow":
        return base + timedelta(days=1)
    try:
        return date.fromisoformat(word)
    except ValueError:
        raise InputError(f"{flag} {text!r}: give today, tomorrow or a date such as "
                         f"{base.isoformat()}") from None


def weekend_warning(day: date) -> str | None:
    """A warning when `day` falls on a weekend (carriers pick up and accept on business days)."""
    if day.weekday() < 5:
        return None
    return (f"ship date {day.isoformat()} is a {day:%A}: most carriers neither pick up nor "
            "accept parcels on weekends")

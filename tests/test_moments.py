"""The one `--since`/`--until` parser that track and analytics share."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from shipctl.errors import InputError
from shipctl.moments import parse_moment, parse_since

NOW = datetime(2026, 3, 31, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("60", NOW - timedelta(days=60)),
        ("60d", NOW - timedelta(days=60)),
        (" 8 W ", NOW - timedelta(weeks=8)),
        ("1m", datetime(2026, 2, 28, 12, 0, tzinfo=UTC)),
        ("13m", datetime(2025, 2, 28, 12, 0, tzinfo=UTC)),
        ("2026-03-01", datetime(2026, 3, 1, tzinfo=UTC)),
        ("2026-03-01T10:00", datetime(2026, 3, 1, 10, 0, tzinfo=UTC)),
        ("2026-03-01T10:00+02:00", datetime(2026, 3, 1, 8, 0, tzinfo=UTC)),
    ],
)
def test_ages_dates_and_times(text: str, expected: datetime) -> None:
    assert parse_since(text, NOW) == expected


def test_a_bare_date_as_the_end_includes_that_day() -> None:
    end = parse_moment("2026-03-30", NOW, option="--until", end_of_day=True)
    assert end == datetime(2026, 3, 31, tzinfo=UTC)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("sometime", "--since 'sometime' is not a date (2026-10-01), a time or an age like "
                     "30d, 6w, 3m"),
        ("3y", "--since '3y' is not a date"),
        ("99999m", "--since '99999m' is not a date"),
        ("2026-13-45", "--since '2026-13-45' is not a date"),
        ("2999-01-01", "--since 2999-01-01 is in the future"),
    ],
)
def test_bad_input_names_the_option(text: str, message: str) -> None:
    with pytest.raises(InputError) as caught:
        parse_since(text, NOW)
    assert caught.value.message.startswith(message)

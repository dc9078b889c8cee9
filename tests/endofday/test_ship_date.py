"""`--ship-date` on bulk and create: EasyPost's label_date, stored on the shipment row, and
the day `manifest` forms the label on."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from shipctl.errors import InputError
from shipctl.shipdates import parse_ship_date, utc_today, weekend_warning
from tests.jobs.test_create import TO

from .support import CONFIG, Run, buy, write_orders


@pytest.fixture
def simulate(shipctl: Run, isolated_env: Path) -> Run:
    (isolated_env / "shipctl.toml").write_text(CONFIG)
    return lambda *args: shipctl("--simulate", *args)


def test_bulk_labels_dated_tomorrow_are_formed_for_tomorrow(
    simulate: Run, sql: Run, isolated_env: Path
) -> None:
    tomorrow = utc_today() + timedelta(days=1)
    buy(simulate, write_orders(isolated_env / "orders.csv", 6), "--ship-date", "tomorrow")
    assert {r["label_date"] for r in sql("SELECT label_date FROM shipments")} == {tomorrow}
    today = simulate("manifest")
    assert today.exit_code == 0 and "left to put on a form" in today.stdout
    result = simulate("manifest", "--date", "tomorrow")
    assert result.exit_code == 0, result.stdout + result.stderr
    assert "2 form(s) made, 6 label(s) on them" in result.stdout


def test_the_label_date_reaches_easypost(simulate: Run, sql: Run, isolated_env: Path) -> None:
    """A label dated yesterday is refused on today's form by EasyPost (the simulator): the
    date was sent, not only stored."""
    yesterday = (utc_today() - timedelta(days=1)).isoformat()
    buy(simulate, write_orders(isolated_env / "orders.csv", 2), "--ship-date", yesterday)
    result = simulate("manifest", "--date", yesterday)
    assert result.exit_code == 1
    Path("/tmp/eod_out.txt").write_text(result.stdout + result.stderr)
    assert "before the form's date" in result.stdout
    assert "2 label(s) refused by EasyPost were left off the forms" in result.stderr
    # Refused: on no form, and left off the forms for good with EasyPost's reason.
    assert sql("SELECT count(*) AS n FROM scan_form_labels")[0]["n"] == 0
    assert {r["state"] for r in sql("SELECT state FROM scan_forms")} == {"failed"}
    assert [r["reason"] for r in sql("SELECT reason FROM scan_form_exclusions")] == [
        "dated_before"] * 2
    again = simulate("manifest", "--date", yesterday)
    assert again.exit_code == 0, again.stdout + again.stderr
    assert "2 label(s) of " in again.stdout and "left off the forms by an earlier run" \
        in again.stdout


def test_create_with_a_weekend_ship_date_is_warned_about(
    simulate: Run, sql: Run, isolated_env: Path
) -> None:
    day = utc_today() + timedelta(days=1)
    while day.weekday() != 5:
        day += timedelta(days=1)
    result = simulate("create", *TO, "--weight", "12oz", "--reference", "W1", "--yes",
                      "--ship-date", day.isoformat())
    assert result.exit_code == 0, result.stderr
    assert f"ship date {day.isoformat()} is a Saturday" in result.stderr
    assert [r["label_date"] for r in sql("SELECT label_date FROM shipments")] == [day]


def test_a_bad_ship_date_is_one_clear_line(simulate: Run, isolated_env: Path) -> None:
    result = simulate("bulk", str(write_orders(isolated_env / "o.csv", 1)), "--yes",
                      "--ship-date", "next week")
    assert result.exit_code == 2
    assert "--ship-date 'next week': give today, tomorrow or a date" in result.stderr
    assert "Traceback" not in result.stderr


def test_parse_ship_date_words_and_weekends() -> None:
    base = parse_ship_date("2026-11-27")  # a Friday
    assert parse_ship_date("today", today=base) == base
    assert parse_ship_date("Tomorrow", today=base).isoformat() == "2026-11-28"
    assert weekend_warning(base) is None
    assert "Saturday" in (weekend_warning(parse_ship_date("tomorrow", today=base)) or "")
    with pytest.raises(InputError):
        parse_ship_date("2026-13-01")

"""`shipctl pickup`: one pickup a day per carrier and origin, bought once, listed, cancelled."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.jobs.bulk_support import ledger

from .support import CONFIG, Run, write_orders


@pytest.fixture
def simulate(shipctl: Run, isolated_env: Path) -> Run:
    (isolated_env / "shipctl.toml").write_text(CONFIG)
    return lambda *args: shipctl("--simulate", *args)


def buy_for_tomorrow(simulate: Run, path: Path, carrier: str = "USPS") -> None:
    result = simulate("bulk", str(path), "--yes", "--carriers", carrier, "--ship-date",
                      "tomorrow", "--labels-out", str(path.with_suffix(".pdf")), "--force")
    assert result.exit_code == 0, result.stdout + result.stderr


def test_a_pickup_per_origin_is_scheduled_once_listed_and_cancelled(
    simulate: Run, sql: Run, isolated_env: Path
) -> None:
    buy_for_tomorrow(simulate, write_orders(isolated_env / "orders.csv", 9))
    result = simulate("pickup", "schedule", "--date", "tomorrow", "--window", "10:00-16:00",
                      "--instructions", "Dock 3")
    assert result.exit_code == 0, result.stdout + result.stderr
    assert "Pickup rates" in result.stdout and "NextDay" in result.stdout
    assert result.stdout.count("← bought") == 2 and result.stdout.count(" WTC") == 2
    assert "2 pickup(s) scheduled now, 0 scheduled before" in result.stdout
    rows = sql("SELECT state, carrier, service, rate, label_count, instructions, "
               "easypost_pickup_id FROM pickups ORDER BY label_count")
    assert [(r["state"], r["service"], r["label_count"]) for r in rows] == [
        ("scheduled", "NextDay", 3), ("scheduled", "NextDay", 6)]
    assert {r["instructions"] for r in rows} == {"Dock 3"}
    assert ledger(isolated_env / "data")["pickups"]["scheduled"] == 2

    again = simulate("pickup", "schedule", "--date", "tomorrow")
    assert again.exit_code == 0, again.stderr
    assert again.stdout.count("already scheduled") == 2
    assert ledger(isolated_env / "data")["pickups"]["scheduled"] == 2

    listed = simulate("pickup", "list")
    assert listed.exit_code == 0 and listed.stdout.count("scheduled") == 2

    first = rows[0]["easypost_pickup_id"]
    cancelled = simulate("pickup", "cancel", first)
    assert cancelled.exit_code == 0, cancelled.stderr
    assert f"pickup {first} cancelled" in cancelled.stdout
    stats = ledger(isolated_env / "data")["pickups"]
    assert stats["canceled"] == 1 and stats["max_per_pickup"] == 1
    twice = simulate("pickup", "cancel", first)
    assert twice.exit_code == 2 and "already cancelled" in twice.stderr
    # The cancelled origin gets a new pickup; the other keeps its own.
    redo = simulate("pickup", "schedule", "--date", "tomorrow")
    assert redo.exit_code == 0, redo.stderr
    assert redo.stdout.count("already scheduled") == 1
    assert ledger(isolated_env / "data")["pickups"]["scheduled"] == 3


def test_the_cheapest_pickup_service_or_the_one_asked_for(
    simulate: Run, sql: Run, isolated_env: Path
) -> None:
    buy_for_tomorrow(simulate, write_orders(isolated_env / "orders.csv", 2), carrier="UPS")
    result = simulate("pickup", "schedule", "--date", "tomorrow", "--carrier", "UPS",
                      "--service", "same-day pickup")
    assert result.exit_code == 0, result.stdout + result.stderr
    assert "Future-day Pickup" in result.stdout  # every rate is shown
    bought = {(r["service"], str(r["rate"])) for r in sql("SELECT service, rate FROM pickups")}
    assert bought == {("Same-day Pickup", "8.95")}


def test_no_labels_no_pickup_and_a_bad_window_is_one_line(simulate: Run) -> None:
    none = simulate("pickup", "schedule", "--date", "tomorrow")
    assert none.exit_code == 0 and "no pickup to schedule" in none.stdout
    bad = simulate("pickup", "schedule", "--window", "5pm")
    assert bad.exit_code == 2 and "--window '5pm': give it as HH:MM-HH:MM" in bad.stderr

"""Answers lost on the way back (the request landed, the connection dropped): a scan form and
a pickup are then looked up on EasyPost, never asked for again."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from shipctl.simulator import SimulatorConfig
from tests.conftest import CliResult

from .support import CONFIG, Carrier, Run, carrier_for, write_orders

SCAN_FORM = "POST /v2/scan_forms"


@pytest.fixture
def carrier() -> Iterator[Carrier]:
    with carrier_for(SimulatorConfig(carriers=("USPS",))) as carrier:
        yield carrier


@pytest.fixture
def run(shipctl: Run, isolated_env: Path, carrier: Carrier) -> Run:
    (isolated_env / "shipctl.toml").write_text(CONFIG)

    def invoke(*args: str) -> CliResult:
        result: CliResult = shipctl(*args, env=carrier.env)
        return result

    return invoke


def bought(run: Run, path: Path) -> None:
    result = run("bulk", str(path), "--yes", "--labels-out", "labels.pdf", "--force")
    assert result.exit_code == 0, result.stdout + result.stderr


def test_a_lost_scan_form_answer_is_found_by_listing_the_forms(
    run: Run, carrier: Carrier, sql: Run, isolated_env: Path
) -> None:
    bought(run, write_orders(isolated_env / "orders.csv", 30))
    carrier.proxy.lose_answer(SCAN_FORM, nth=1)
    result = run("manifest", "--out", "forms.pdf")
    assert result.exit_code == 0, result.stdout + result.stderr
    assert carrier.proxy.lost_answers == [SCAN_FORM]
    # Two origins, two forms: the lost one was found, not asked for again.
    assert carrier.proxy.count(SCAN_FORM) == 2
    assert carrier.proxy.count("GET /v2/scan_forms") >= 1
    stats = carrier.sim.stats()["scan_forms"]
    assert stats == {**stats, "total": 2, "labels": 30, "max_per_shipment": 1}
    states = [r["state"] for r in sql("SELECT state FROM scan_forms")]
    assert states == ["created", "created"]
    assert sql("SELECT count(*) AS n FROM scan_form_labels")[0]["n"] == 30


@pytest.mark.slow
def test_a_lost_scan_form_answer_then_an_outage_waits_for_the_rerun(
    run: Run, carrier: Carrier, sql: Run, isolated_env: Path
) -> None:
    bought(run, write_orders(isolated_env / "orders.csv", 6))
    # The form is made, its answer lost, and EasyPost unreachable after it: not even the
    # listing answers. The labels stay on the `requested` form, asked for nowhere else.
    carrier.proxy.lose_answer(SCAN_FORM, nth=1, down_for=float("inf"))
    first = run("manifest", "--out", "first.pdf")
    assert first.exit_code == 1, first.stdout + first.stderr
    assert "asked for without an answer" in first.stderr
    held = sql("SELECT f.state, count(l.shipment_id) AS n FROM scan_forms f LEFT JOIN "
               "scan_form_labels l ON l.scan_form_id = f.id GROUP BY f.id ORDER BY f.id")
    # The first form (4 labels) was made; the second never reached EasyPost, but its
    # sender cannot know that either: both wait, holding their labels.
    assert [(r["state"], r["n"]) for r in held] == [("requested", 4), ("requested", 2)]
    carrier.proxy.up()
    rerun = run("manifest", "--out", "second.pdf")
    assert rerun.exit_code == 0, rerun.stdout + rerun.stderr
    assert "an earlier run's form, found on EasyPost" in rerun.stdout
    stats = carrier.sim.stats()["scan_forms"]
    assert stats["labels"] == 6 and stats["max_per_shipment"] == 1 and stats["total"] == 2
    # The made form was found; the one never sent was released (NOT_MADE) and its labels
    # went on a new form.
    states = [(r["state"], r["error_code"]) for r in sql(
        "SELECT state, error_code FROM scan_forms ORDER BY id")]
    assert states == [("created", None), ("failed", "NOT_MADE"), ("created", None)]
    assert sql("SELECT count(*) AS n FROM scan_form_labels")[0]["n"] == 6


PICKUP_BUY = "POST /v2/pickups/{id}/buy"


def test_a_pickup_whose_buy_answer_is_lost_is_scheduled_once(
    run: Run, carrier: Carrier, sql: Run, isolated_env: Path
) -> None:
    orders = write_orders(isolated_env / "orders.csv", 4)
    result = run("bulk", str(orders), "--yes", "--ship-date", "tomorrow", "--labels-out",
                 "labels.pdf", "--force")
    assert result.exit_code == 0, result.stdout + result.stderr
    carrier.proxy.lose_answer(PICKUP_BUY, nth=1)
    scheduled = run("pickup", "schedule", "--date", "tomorrow")
    assert scheduled.exit_code == 0, scheduled.stdout + scheduled.stderr
    assert carrier.proxy.lost_answers == [PICKUP_BUY]
    assert "its lost answer found on EasyPost" in scheduled.stdout
    # Two origins, two buys: the lost one was retrieved, never bought again.
    assert carrier.proxy.count(PICKUP_BUY) == 2
    assert carrier.proxy.count("GET /v2/pickups/{id}") == 1
    stats = carrier.sim.stats()["pickups"]
    assert stats["scheduled"] == 2 and stats["max_per_pickup"] == 1
    assert [r["state"] for r in sql("SELECT state FROM pickups")] == ["scheduled"] * 2
    assert all(r["confirmation"] for r in sql("SELECT confirmation FROM pickups"))

    again = run("pickup", "schedule", "--date", "tomorrow")
    assert again.exit_code == 0 and again.stdout.count("already scheduled") == 2
    assert carrier.sim.stats()["pickups"]["scheduled"] == 2


@pytest.mark.slow
def test_a_lost_buy_answer_then_an_outage_is_resolved_by_the_rerun(
    run: Run, carrier: Carrier, sql: Run, isolated_env: Path
) -> None:
    orders = write_orders(isolated_env / "orders.csv", 2)
    result = run("bulk", str(orders), "--yes", "--ship-date", "tomorrow", "--labels-out",
                 "labels.pdf", "--force")
    assert result.exit_code == 0, result.stdout + result.stderr
    # The first buy lands, its answer is lost, and EasyPost stays unreachable after it.
    carrier.proxy.lose_answer(PICKUP_BUY, nth=1, down_for=float("inf"))
    first = run("pickup", "schedule", "--date", "tomorrow")
    assert first.exit_code == 1, first.stdout + first.stderr
    assert "could not be retrieved" in first.stderr
    states = sorted(r["state"] for r in sql("SELECT state FROM pickups"))
    assert "buying" in states  # the unknown buy is remembered, not forgotten
    carrier.proxy.up()
    rerun = run("pickup", "schedule", "--date", "tomorrow")
    assert rerun.exit_code == 0, rerun.stdout + rerun.stderr
    assert [r["state"] for r in sql("SELECT state FROM pickups")] == ["scheduled"] * 2
    stats = carrier.sim.stats()["pickups"]
    assert stats["scheduled"] == 2 and stats["max_per_pickup"] == 1

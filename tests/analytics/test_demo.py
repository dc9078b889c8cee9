"""`shipctl demo seed`: a simulated history, streamed with COPY, that analytics can read."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

pytestmark = pytest.mark.db


def test_seed_small_history(db: str, sql: Callable[..., Any], shipctl: Callable[..., Any]) -> None:
    result = shipctl("demo", "seed", "--shipments", "400", "--days", "30", "--seed", "7")
    assert result.exit_code == 0, result.stderr
    assert "seeded 400 simulated shipments" in result.stdout
    [row] = sql(
        "SELECT count(*) AS n, count(DISTINCT reference) AS refs, min(reference) AS first,"
        " max(reference) AS last, bool_and(mode = 'simulated') AS simulated,"
        " count(*) FILTER (WHERE state = 'failed') AS failed,"
        " count(*) FILTER (WHERE state = 'refunded') AS refunded,"
        " count(*) FILTER (WHERE state = 'purchased') AS purchased,"
        " count(DISTINCT carrier) AS carriers, count(DISTINCT service) AS services,"
        " count(DISTINCT to_state) AS states,"
        " bool_and(purchased_at >= now() - interval '31 days') AS recent"
        " FROM shipments"
    )
    assert (row["n"], row["refs"]) == (400, 400)
    assert (row["first"], row["last"]) == ("DEMO-0000001", "DEMO-0000400")
    assert row["simulated"] and row["recent"]
    assert row["failed"] + row["refunded"] + row["purchased"] == 400
    assert 0 < row["failed"] < 20 and 0 < row["refunded"] < 30  # about 1.5 % and 2.5 %
    assert (row["carriers"], row["services"]) == (3, 9)
    assert row["states"] > 20
    # every label not refunded is tracked, with 1-6 events (the newest ones are still moving)
    [tracked] = sql(
        "SELECT count(*) AS trackers, min(n) AS fewest, max(n) AS most,"
        " count(*) FILTER (WHERE n >= 3) AS three_or_more FROM ("
        "  SELECT t.tracking_code, count(e.id) AS n FROM trackers t"
        "  LEFT JOIN tracking_events e USING (tracking_code) GROUP BY 1) x"
    )
    assert tracked["trackers"] == row["purchased"]
    assert tracked["fewest"] >= 1 and tracked["most"] <= 6
    assert tracked["three_or_more"] > 0.8 * tracked["trackers"]
    [refunds] = sql("SELECT count(*) AS n FROM refunds")
    assert refunds["n"] == row["refunded"]
    [run] = sql("SELECT options, mode, status, orders_total, failed FROM runs")
    assert json.loads(run["options"]) == {"demo": True, "shipments": 400, "days": 30, "seed": 7}
    assert (run["mode"], run["status"], run["orders_total"], run["failed"]) == (
        "simulated", "completed", 400, row["failed"])  # fmt: skip
    document = json.loads(
        shipctl("analytics", "--since", "31d", "--format", "json", "--by", ALL).stdout
    )["sections"]
    overview = document["overview"][0]
    assert overview["labels"] == row["purchased"] + row["refunded"]
    assert overview["purchase_failures"] == row["failed"]
    assert sum(c["labels"] for c in document["carrier"]) == overview["labels"]
    assert sum(s["labels"] for s in document["service"]) == overview["labels"]


ALL = "overview,carrier,service,route,status,failures"


def test_seed_twice_needs_replace(
    db: str, sql: Callable[..., Any], shipctl: Callable[..., Any]
) -> None:
    assert shipctl("demo", "seed", "--shipments", "50", "--seed", "1").exit_code == 0
    [before] = sql("SELECT sum(rate) AS spend FROM shipments")
    again = shipctl("demo", "seed", "--shipments", "50", "--seed", "1")
    assert again.exit_code == 2
    assert "--replace" in again.stderr and len(again.stderr.strip().splitlines()) == 1
    assert shipctl("demo", "seed", "--shipments", "60", "--seed", "1", "--replace").exit_code == 0
    [after] = sql("SELECT count(*) AS n, count(DISTINCT run_id) AS runs FROM shipments")
    assert (after["n"], after["runs"]) == (60, 1)
    [runs] = sql("SELECT count(*) AS n FROM runs")
    assert runs["n"] == 1
    assert before["spend"] > 0


def test_seed_rejects_nonsense(db: str, shipctl: Callable[..., Any]) -> None:
    result = shipctl("demo", "seed", "--shipments", "0")
    assert result.exit_code == 2
    assert "--shipments 0" in result.stderr

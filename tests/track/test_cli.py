"""`shipctl track` through the CLI: --simulate, on-demand codes, JSON, quiet, exit codes."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from shipctl.cli import track_cmd
from shipctl.errors import ExitCode

from .conftest import ez_labels

Sql = Callable[..., list[Any]]


def test_nothing_in_flight_says_so(shipctl: Callable[..., Any]) -> None:
    result = shipctl("--simulate", "track")
    assert result.exit_code == 0, result.stderr
    assert "No shipments in flight" in result.stdout
    assert "simulated" in result.stderr


def test_sweep_tables_json_quiet_and_exit_codes(
    shipctl: Callable[..., Any], db: str, sql: Sql
) -> None:
    from .conftest import seed_shipments

    seed_shipments(db, ez_labels())
    result = shipctl("--simulate", "track")
    assert result.exit_code == 0, result.stderr
    assert "Tracked 7 of 7 shipments in flight" in result.stdout
    assert "return_to_sender" in result.stdout and "exceptions (5)" in result.stdout
    assert sql("SELECT count(*) AS n FROM trackers")[0]["n"] == 7

    # the three still moving are stale (their news is a month old); the returned and the
    # failed one are final, and reported again until they are resolved
    quiet = shipctl("--simulate", "track", "--quiet", "--fail-on-exceptions")
    assert quiet.exit_code == ExitCode.EXCEPTIONS_FOUND
    assert "by status" not in quiet.stdout and "Tracked" not in quiet.stdout
    assert "exceptions (5)" in quiet.stdout and "stale" in quiet.stdout
    assert "returned" in quiet.stdout and "failure" in quiet.stdout
    assert quiet.stderr == ""
    new_only = shipctl("--simulate", "track", "--quiet", "--new-only")
    assert "exceptions (3)" in new_only.stdout and "returned" not in new_only.stdout

    data = json.loads(shipctl("--simulate", "track", "--json").stdout)
    assert set(data) == {"outcome", "method", "now", "purchased_since", "in_flight", "checked",
                         "failed", "new_events", "by_status", "exceptions", "failures",
                         "elapsed_seconds", "refunds_checked", "refunds_answered",
                         "settled_bought", "settled_not_bought", "settled_unresolved"}
    assert data["outcome"] == "completed" and data["in_flight"] == 4 and data["new_events"] == 0
    assert data["by_status"] == {"in_transit": 1, "out_for_delivery": 1, "pre_transit": 1,
                                 "unknown": 1}
    assert {e["tracking_code"]: e["kinds"] for e in data["exceptions"]} == {
        "EZ1000000001": ["stale"], "EZ2000000002": ["stale"], "EZ3000000003": ["stale"],
        "EZ5000000005": ["returned"], "EZ6000000006": ["failure"]}
    assert set(data["exceptions"][0]) == {"tracking_code", "carrier", "reference", "kinds",
                                          "status", "status_detail", "est_delivery_date",
                                          "last_event_at"}

    assert shipctl("--simulate", "track", "--stale-days", "90", "--quiet", "--new-only",
                   "--fail-on-exceptions").exit_code == 0


def test_codes_on_demand_are_shown_and_unknown_codes_not_stored(
    shipctl: Callable[..., Any], sql: Sql
) -> None:
    result = shipctl("--simulate", "track", "EZ4000000004", "9400000000000000000042",
                     "--carrier", "USPS")
    assert result.exit_code == 0, result.stderr
    assert "delivered" in result.stdout and "John Tester" in result.stdout
    assert "Delivered, In/At Mailbox" in result.stdout
    assert "not a shipment shipctl bought" in result.stdout
    assert "reported nothing yet" in result.stdout
    assert sql("SELECT count(*) AS n FROM trackers")[0]["n"] == 0


def test_known_code_on_demand_is_stored(
    shipctl: Callable[..., Any], db: str, sql: Sql
) -> None:
    from .conftest import seed_shipments

    seed_shipments(db, [label for label in ez_labels() if label.tracking_code == "EZ5000000005"])
    result = shipctl("--simulate", "track", "EZ5000000005", "--fail-on-exceptions")
    assert result.exit_code == ExitCode.EXCEPTIONS_FOUND
    assert "REF-EZ5000000005" in result.stdout and "returned" in result.stdout
    assert "5 new events stored" in result.stdout
    rows = sql("SELECT status, tracker_id FROM trackers")
    assert [r["status"] for r in rows] == ["return_to_sender"]
    assert sql("SELECT count(*) AS n FROM tracking_events")[0]["n"] == 5

    data = json.loads(shipctl("--simulate", "track", "EZ5000000005", "--json").stdout)
    assert data["results"][0]["known"] is True and data["results"][0]["new_events"] == 0
    assert data["results"][0]["update"]["status"] == "return_to_sender"


def test_bad_since_is_bad_input(shipctl: Callable[..., Any]) -> None:
    result = shipctl("--simulate", "track", "--since", "sometime")
    assert result.exit_code == ExitCode.BAD_INPUT


def test_exit_codes() -> None:
    assert track_cmd.exit_code(0, 0, fail_on_exceptions=True) == 0
    assert track_cmd.exit_code(0, 3, fail_on_exceptions=False) == 0
    assert track_cmd.exit_code(0, 3, fail_on_exceptions=True) == ExitCode.EXCEPTIONS_FOUND
    assert track_cmd.exit_code(2, 3, fail_on_exceptions=True) == ExitCode.PARTIAL_FAILURE

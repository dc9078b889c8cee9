"""Tracking on demand through the library, and bad codes in a sweep."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from shipctl.cli.wiring import connect_carrier
from shipctl.config import Settings
from shipctl.jobs import track
from shipctl.simulator import RunningSimulator

from .conftest import Label, buy_labels, real_now

Sql = Callable[..., list[Any]]


async def lookup(settings: Settings, codes: list[str], **options: Any) -> track.LookupReport:
    return await track.run_lookup(settings, codes, now=real_now(), carriers=connect_carrier,
                                  **options)


async def test_wrong_carrier_is_shown_not_stored(
    sim: RunningSimulator, settings: Settings, seed: Callable[..., None], sql: Sql
) -> None:
    label = buy_labels(sim.api_base, 1)[0]
    seed([label])
    report = await lookup(settings, [label.tracking_code], carrier="UPS")
    result = report.results[0]
    assert result.known and not result.stored and result.update is not None
    assert result.update.status == "unknown" and result.update.events == ()
    assert result.note and "wrong carrier" in result.note and "not stored" in result.note
    assert sql("SELECT count(*) AS n FROM trackers")[0]["n"] == 0

    right = (await lookup(settings, [label.tracking_code])).results[0]
    assert right.stored and right.update and right.update.status == "pre_transit"
    assert right.reference == f"REF-{label.tracking_code}"
    rows = sql("SELECT status, carrier, tracker_id FROM trackers")
    assert [(r["status"], r["carrier"]) for r in rows] == [("pre_transit", "USPS")]


async def test_unknown_code_in_a_sweep_is_stored_as_unknown_and_goes_stale(
    sim: RunningSimulator, settings: Settings, seed: Callable[..., None], sql: Sql
) -> None:
    from datetime import timedelta

    seed([Label("9400000000000000000099", "USPS", "shp_typo")])
    report = await track.run_sweep(settings, now=real_now(), carriers=connect_carrier)
    assert report.checked == 1 and report.by_status == {"unknown": 1}
    assert report.exceptions == ()  # bought a day ago: not stale yet
    later = await track.run_sweep(settings, now=real_now() + timedelta(days=6),
                                  carriers=connect_carrier)
    assert [e.kinds for e in later.exceptions] == [("stale",)]
    assert sql("SELECT status FROM trackers")[0]["status"] == "unknown"

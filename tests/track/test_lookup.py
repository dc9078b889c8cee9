"""Tracking on demand through the library, bad codes in a sweep, and the progress log."""

from __future__ import annotations

import asyncio
import io
from collections.abc import Callable
from typing import Any

import pytest
from rich.console import Console

from shipctl.cli import track_cmd
from shipctl.cli.wiring import connect_carrier
from shipctl.config import Settings
from shipctl.jobs import track
from shipctl.simulator import RunningSimulator

from .conftest import Label, buy_labels, real_now

Sql = Callable[..., list[Any]]


def lookup(settings: Settings, codes: list[str], **options: Any) -> track.LookupReport:
    return asyncio.run(track.run_lookup(settings, codes, now=real_now(),
                                        carriers=connect_carrier, **options))


def test_wrong_carrier_is_shown_not_stored(
    sim: RunningSimulator, settings: Settings, seed: Callable[..., None], sql: Sql
) -> None:
    label = buy_labels(sim.api_base, 1)[0]
    seed([label])
    report = lookup(settings, [label.tracking_code], carrier="UPS")
    result = report.results[0]
    assert result.known and not result.stored and result.update is not None
    assert result.update.status == "unknown" and result.update.events == ()
    assert result.note and "wrong carrier" in result.note and "not stored" in result.note
    assert sql("SELECT count(*) AS n FROM trackers")[0]["n"] == 0

    right = lookup(settings, [label.tracking_code]).results[0]
    assert right.stored and right.update and right.update.status == "pre_transit"
    assert right.reference == f"REF-{label.tracking_code}"
    rows = sql("SELECT status, carrier, tracker_id FROM trackers")
    assert [(r["status"], r["carrier"]) for r in rows] == [("pre_transit", "USPS")]


def test_unknown_code_in_a_sweep_is_stored_as_unknown_and_goes_stale(
    sim: RunningSimulator, settings: Settings, seed: Callable[..., None], sql: Sql
) -> None:
    from datetime import timedelta

    seed([Label("9400000000000000000099", "USPS", "shp_typo")])
    report = asyncio.run(track.run_sweep(settings, now=real_now(), carriers=connect_carrier))
    assert report.checked == 1 and report.by_status == {"unknown": 1}
    assert report.exceptions == ()  # bought a day ago: not stale yet
    later = asyncio.run(track.run_sweep(settings, now=real_now() + timedelta(days=6),
                                        carriers=connect_carrier))
    assert [e.kinds for e in later.exceptions] == [("stale",)]
    assert sql("SELECT status FROM trackers")[0]["status"] == "unknown"


def test_progress_lines_off_a_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(track_cmd, "LOG_EVERY", 0.0)
    out = io.StringIO()
    log = track_cmd.SweepLog(Console(file=out, width=200), live=False, quiet=False)
    log.begin(200)
    log.advance(100, 0)
    log.advance(98, 2)
    log.close()
    lines = out.getvalue().splitlines()
    assert lines[0].startswith("track: 100/200 checked=100 failed=0")
    assert lines[1].startswith("track: 200/200 checked=198 failed=2")

    quiet = io.StringIO()
    silent = track_cmd.SweepLog(Console(file=quiet), live=False, quiet=True)
    silent.begin(10)
    silent.advance(10, 0)
    assert quiet.getvalue() == ""


def test_progress_bar_on_a_terminal() -> None:
    out = io.StringIO()
    log = track_cmd.SweepLog(Console(file=out, force_terminal=True, width=120), live=True,
                             quiet=False)
    log.begin(100)
    log.advance(100, 0)
    log.close()
    assert "100/100" in out.getvalue()

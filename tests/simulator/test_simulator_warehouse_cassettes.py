"""Batch, scan form, pickup, rate, rerate, insure, tracker-batch, tracker-delete, address-list
and tax-identifier recordings of the real EasyPost API (tests/fixtures/easypost-warehouse,
see its SOURCE.md), replayed against the simulator: same status, same shape.

Replayed as a client of EasyPost does it: a batch is worked in the background, so before
each action on a batch the replay waits, as upstream's tests did while recording, until
the batch has finished its last step. Pickup windows recorded for March 2025 are moved to
dates ahead of the simulated clock.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import requests
import yaml

from shipctl.simulator import RunningSimulator, SimulatorConfig, batches, running_simulator

from .test_simulator_cassettes import collect_ids, shape_mismatches, substitute

CASSETTES = Path(__file__).parent.parent / "fixtures" / "easypost-warehouse"
BATCH_ACTION = re.compile(r"^/v2/batches/(batch_[0-9a-f]{32})/")
RECORDED_PICKUP_DAY = "2025-03-08"
# Recorded in November 2025, after EasyPost had added `delivery_evidence` to trackers and
# `est_delivery_date` to their details, and began answering a tracker create with 201 and
# its `fees`. The simulator follows the March 2025 recordings (test_simulator_cassettes.py).
LATER_TRACKER_FIELDS = {"delivery_evidence"}
LATER_DETAIL_FIELDS = {"est_delivery_date"}


@pytest.fixture
def sim() -> Iterator[RunningSimulator]:
    """In real time, as recorded: a label goes on a form the day it was bought."""
    with running_simulator(SimulatorConfig(seed=7, days_per_minute=1 / 1440)) as running:
        yield running


# Recorded after March 2025 (see SOURCE.md): their trackers are compared as of then.
LATER = ("test_tracker_retrieve_batch", "test_tracker_delete")


def test_the_recordings_are_here() -> None:
    assert len(list(CASSETTES.glob("*.yaml"))) == 22


def _as_of_march_2025(body: Any) -> Any:
    """A later recording's tracker as the March 2025 API shaped it."""
    if isinstance(body, dict):
        if body.get("object") == "Tracker":
            body = {k: v for k, v in body.items() if k not in LATER_TRACKER_FIELDS}
        if body.get("object") == "TrackingDetail":
            body = {k: v for k, v in body.items() if k not in LATER_DETAIL_FIELDS}
        return {k: _as_of_march_2025(v) for k, v in body.items()}
    if isinstance(body, list):
        return [_as_of_march_2025(v) for v in body]
    return body


def _wait_for_batch(session: requests.Session, origin: str, batch_id: str) -> None:
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        got = session.get(f"{origin}/v2/batches/{batch_id}",
                          headers={"Authorization": "Bearer EZTK_simulated"}, timeout=10)
        batch = got.json()
        creating = (batch.get("scan_form") or {}).get("status") == "creating"
        if batch["state"] not in ("creating", "purchasing", "label_generating") \
                and not creating:
            return
        time.sleep(0.02)
    raise AssertionError(f"batch {batch_id} never settled")


@pytest.mark.parametrize("cassette", sorted(CASSETTES.glob("*.yaml")), ids=lambda p: p.stem)
def test_replay_matches_recording(sim: RunningSimulator, cassette: Path,
                                  monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(batches, "PROCESSING_SECONDS", 0.05)
    interactions = yaml.safe_load(cassette.read_text())["interactions"]
    later = cassette.stem in LATER
    pickup_day = (datetime.now(UTC) + timedelta(days=30)).date().isoformat()
    origin = sim.api_base.removesuffix("/v2")
    mapping: dict[str, str] = {}
    session = requests.Session()
    for interaction in interactions:
        request, response = interaction["request"], interaction["response"]
        url = urlsplit(substitute(request["uri"], mapping))
        action = BATCH_ACTION.match(url.path)
        if action:
            _wait_for_batch(session, origin, action.group(1))
        body = request["body"]
        if body is not None:
            body = substitute(body, mapping).replace(RECORDED_PICKUP_DAY, pickup_day)
        query = f"?{url.query}" if url.query else ""
        got = session.request(
            request["method"], origin + url.path + query,
            data=None if body is None else body.encode(),
            headers={"Authorization": "Bearer EZTK_simulated",
                     "Content-Type": "application/json"},
            timeout=10,
        )
        status = response["status"]["code"]
        recorded = json.loads(response["body"]["string"])
        if later:
            recorded = _as_of_march_2025(recorded)
            if url.path == "/v2/trackers":
                status = 200
                recorded.pop("fees", None)
        assert got.status_code == status, got.text
        assert got.headers["Content-Type"].startswith("application/json")
        actual = got.json()
        assert shape_mismatches(recorded, actual) == [], request["uri"]
        collect_ids(recorded, actual, mapping)
        for rec_rate in recorded.get("rates") or []:
            for act_rate in actual.get("rates") or []:
                if (rec_rate["service"], rec_rate["carrier"]) == (
                        act_rate["service"], act_rate["carrier"]):
                    mapping[rec_rate["id"]] = act_rate["id"]

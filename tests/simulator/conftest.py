"""Fixtures: a simulator on port 0 in a background thread, and a real SDK client for it."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import easypost
import pytest

from shipctl.simulator import RunningSimulator, SimulatorConfig, running_simulator

FROM = {"name": "Jack Sparrow", "street1": "388 Townsend St", "street2": "Apt 20",
        "city": "San Francisco", "state": "CA", "zip": "94107", "country": "US"}
TO = {"name": "Elizabeth Swan", "street1": "179 N Harbor Dr", "city": "Redondo Beach",
      "state": "CA", "zip": "90277", "country": "US"}
PARCEL = {"length": 10, "width": 8, "height": 4, "weight": 15.4}


@pytest.fixture
def sim() -> Iterator[RunningSimulator]:
    with running_simulator(SimulatorConfig(seed=7, days_per_minute=60.0)) as running:
        yield running


@pytest.fixture
def client(sim: RunningSimulator) -> easypost.EasyPostClient:
    return easypost.EasyPostClient("EZTK_simulated", api_base=sim.api_base)


def shipment_params(**overrides: Any) -> dict[str, Any]:
    params: dict[str, Any] = {"from_address": dict(FROM), "to_address": dict(TO),
                              "parcel": dict(PARCEL)}
    params.update(overrides)
    return params

"""Fixtures: a simulator on port 0 in a background thread, and a real SDK client for it."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, cast

import easypost
import pytest
from easypost.errors import ApiError

from shipctl.simulator import RunningSimulator, SimulatorConfig, running_simulator

# Request bodies: values of several types, as the SDK passes them on.
FROM: dict[str, Any] = {
    "name": "Jack Sparrow", "street1": "388 Townsend St", "street2": "Apt 20",
    "city": "San Francisco", "state": "CA", "zip": "94107", "country": "US"}
TO: dict[str, Any] = {
    "name": "Elizabeth Swan", "street1": "179 N Harbor Dr", "city": "Redondo Beach",
    "state": "CA", "zip": "90277", "country": "US"}
PARCEL: dict[str, Any] = {"length": 10, "width": 8, "height": 4, "weight": 15.4}


def error_detail(error: ApiError, key: str = "field", index: int = 0) -> Any:
    """What an API error's listed error says; the SDK types `errors` as strings, not objects."""
    return cast(list[Any], error.errors)[index][key]


def carrier_accounts(client: easypost.EasyPostClient) -> list[Any]:
    """The account's carrier accounts: a list, though the SDK's hint says a dict."""
    return cast(list[Any], client.carrier_account.all())


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

"""Delivery dates as the real API gives them (`none`, the default) or estimated."""

from __future__ import annotations

import time

import easypost
from typer.testing import CliRunner

from shipctl.simulator import SimulatorConfig, running_simulator

from .conftest import shipment_params


def test_dates_are_null_as_recorded(client: easypost.EasyPostClient) -> None:
    shipment = client.shipment.create(**shipment_params())
    assert all(r.delivery_date is None for r in shipment.rates)
    assert all(r.delivery_days >= 1 for r in shipment.rates)
    bought = client.shipment.buy(shipment.id, rate=shipment.lowest_rate())
    assert bought.selected_rate.delivery_date is None
    assert bought.tracker.est_delivery_date is None  # a new tracker has none
    time.sleep(0.05)
    # Once the carrier has reported, the tracker has an estimate.
    assert client.tracker.retrieve(bought.tracker.id).est_delivery_date is not None


def test_estimated_dates() -> None:
    with running_simulator(SimulatorConfig(delivery_dates="estimated")) as sim:
        client = easypost.EasyPostClient("EZTK_simulated", api_base=sim.api_base)
        shipment = client.shipment.create(**shipment_params())
        assert all(r.delivery_date is not None for r in shipment.rates)
        bought = client.shipment.buy(shipment.id, rate=shipment.lowest_rate())
        assert bought.tracker.est_delivery_date is not None


def test_serve_rejects_an_unknown_mode() -> None:
    from shipctl.cli.main import app

    result = CliRunner().invoke(app, ["simulator", "serve", "--delivery-dates", "sometimes"])
    assert result.exit_code == 2
    assert "'none' or 'estimated'" in result.output

"""State in a SQLite file, shared by two simulators at once and kept across restarts."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import easypost
import pytest
from conftest import shipment_params
from easypost.errors import InvalidRequestError

from shipctl.simulator import SimulatorConfig, running_simulator
from shipctl.simulator.state import Store


def test_two_simulators_share_one_state_file(tmp_path: Path) -> None:
    state = tmp_path / "sim.sqlite"
    with running_simulator(SimulatorConfig(state_path=state)) as a, \
            running_simulator(SimulatorConfig(state_path=state)) as b:
        client_a = easypost.EasyPostClient("k", api_base=a.api_base)
        client_b = easypost.EasyPostClient("k", api_base=b.api_base)
        shipments = [client_a.shipment.create(**shipment_params(reference=f"r{i}"))
                     for i in range(10)]

        def buy(i: int) -> str:
            client = client_a if i % 2 else client_b
            shipment = shipments[i // 2]
            try:
                client.shipment.buy(shipment.id, rate=shipment.rates[0])
                return "bought"
            except InvalidRequestError as exc:
                assert exc.code == "SHIPMENT.POSTAGE.EXISTS"
                return "exists"

        # Each shipment is bought by both simulators at once: exactly one must win.
        with ThreadPoolExecutor(6) as pool:
            outcomes = list(pool.map(buy, range(20)))
        assert outcomes.count("bought") == 10
        for stats in (a.stats(), b.stats()):
            assert stats["purchases"]["total"] == 10
            assert stats["purchases"]["max_per_shipment"] == 1
        tracker = client_a.tracker.create(tracking_code="EZ3000000003", carrier="USPS")
        assert client_b.tracker.retrieve(tracker.id).status == "out_for_delivery"
        same = client_b.tracker.create(tracking_code="EZ3000000003", carrier="USPS")
        assert same.id == tracker.id
        retrieved = client_b.shipment.retrieve(shipments[0].id)
        assert retrieved.postage_label.label_url.startswith(b.api_base.removesuffix("/v2"))


def test_state_survives_a_restart(tmp_path: Path) -> None:
    state = tmp_path / "sim.sqlite"
    with running_simulator(SimulatorConfig(state_path=state)) as first:
        client = easypost.EasyPostClient("k", api_base=first.api_base)
        shipment = client.shipment.create(**shipment_params(reference="keep-me"))
        client.shipment.buy(shipment.id, rate=shipment.rates[0])
    epoch = Store(state).meta("epoch")
    with running_simulator(SimulatorConfig(state_path=state)) as second:
        client = easypost.EasyPostClient("k", api_base=second.api_base)
        again = client.shipment.retrieve("keep-me")
        assert again.id == shipment.id and again.postage_label is not None
        assert second.stats()["purchases"]["by_reference"] == {"keep-me": 1}
    assert Store(state).meta("epoch") == epoch


def test_reset_clears_the_file(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from shipctl.cli.simulator import app

    state = tmp_path / "sim.sqlite"
    with running_simulator(SimulatorConfig(state_path=state)) as sim:
        client = easypost.EasyPostClient("k", api_base=sim.api_base)
        client.shipment.create(**shipment_params())
    result = CliRunner().invoke(app, ["reset", "--state", str(state)])
    assert result.exit_code == 0, result.output
    rows, _ = Store(state).page("shipment", limit=10)
    assert rows == []


@pytest.mark.parametrize("args", [["serve", "--latency", "5x"], ["serve", "--rate-limit", "fast"]])
def test_bad_values_are_one_clear_error(args: list[str]) -> None:
    from typer.testing import CliRunner

    from shipctl.cli.simulator import app

    result = CliRunner().invoke(app, args)
    assert result.exit_code == 2
    assert "Invalid value" in result.output

"""State in a SQLite file, shared by two simulators at once and kept across restarts."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import easypost
import pytest
from easypost.errors import InvalidRequestError

from shipctl.simulator import SimulatorConfig, running_simulator
from shipctl.simulator.state import Store

from .conftest import shipment_params


def test_two_simulators_share_one_state_file(tmp_path: Path) -> None:
    state = tmp_path / "sim.sqlite"
    with running_simulator(SimulatorConfig(state_path=state)) as a, \
            running_simulator(SimulatorConfig(state_path=state)) as b:
        client_a = easypost.EasyPostClient("EZTK-test", api_base=a.api_base)
        client_b = easypost.EasyPostClient("EZTK-test", api_base=b.api_base)
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
        client = easypost.EasyPostClient("EZTK-test", api_base=first.api_base)
        shipment = client.shipment.create(**shipment_params(reference="keep-me"))
        client.shipment.buy(shipment.id, rate=shipment.rates[0])
    epoch = Store(state).meta("epoch")
    with running_simulator(SimulatorConfig(state_path=state)) as second:
        client = easypost.EasyPostClient("EZTK-test", api_base=second.api_base)
        again = client.shipment.retrieve("keep-me")
        assert again.id == shipment.id and again.postage_label is not None
        assert second.stats()["purchases"]["by_reference"] == {"keep-me": 1}
    assert Store(state).meta("epoch") == epoch


def test_reset_clears_the_file(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from shipctl.cli.simulator import app

    state = tmp_path / "sim.sqlite"
    with running_simulator(SimulatorConfig(state_path=state)) as sim:
        client = easypost.EasyPostClient("EZTK-test", api_base=sim.api_base)
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


def test_two_processes_buy_each_shipment_exactly_once(tmp_path: Path) -> None:
    """Another process on the same file, both buying every shipment at once under load:
    shared commits must still serialise the buys and keep the ledger exact."""
    import os
    import subprocess
    import sys
    import time

    state = tmp_path / "sim.sqlite"
    root = Path(__file__).resolve().parents[2]
    serve = ("import sys\nfrom shipctl.cli.simulator import app\n"
             "sys.argv = ['shipctl-simulator', *sys.argv[1:]]\napp()\n")
    other = subprocess.Popen(
        [sys.executable, "-c", serve, "serve", "--port", "0", "--state", str(state)],
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
        env={**os.environ, "PYTHONPATH": str(root), "PYTHONUNBUFFERED": "1"},
    )
    try:
        assert other.stdout is not None
        other_base = other.stdout.readline().split("listening on", 1)[1].strip()
        with running_simulator(SimulatorConfig(state_path=state)) as here:
            clients = [easypost.EasyPostClient("EZTK-test", api_base=base)
                       for base in (here.api_base, other_base)]
            shipments = [clients[i % 2].shipment.create(**shipment_params(reference=f"p{i}"))
                         for i in range(24)]

            def buy(i: int) -> str:
                shipment = shipments[i // 2]
                try:
                    clients[i % 2].shipment.buy(shipment.id, rate=shipment.rates[0])
                    return "bought"
                except InvalidRequestError as exc:
                    assert exc.code == "SHIPMENT.POSTAGE.EXISTS"
                    return "exists"

            with ThreadPoolExecutor(12) as pool:
                outcomes = list(pool.map(buy, range(48)))
            assert outcomes.count("bought") == 24
            for shipment in shipments:  # each process sees every purchase at once
                for client in clients:
                    assert client.shipment.retrieve(shipment.id).postage_label is not None
            time.sleep(1.3)  # the other process flushes its request counters every second
            stats = here.stats()
            assert stats["purchases"]["total"] == 24
            assert stats["purchases"]["max_per_shipment"] == 1
            assert stats["purchases"]["max_per_reference"] == 1
            buys = stats["requests"]["POST /v2/shipments/{id}/buy"]
            assert buys == {"200": 24, "422": 24}
            assert stats["requests"]["POST /v2/shipments"] == {"201": 24}
    finally:
        other.terminate()
        other.wait(timeout=10)


def test_spliced_shipment_json_is_the_same_document(tmp_path: Path) -> None:
    """Parts encoded once and spliced in must give exactly the document json.dumps gives."""
    import json

    from shipctl.simulator import shipments
    from shipctl.simulator.config import SimulatorConfig as Config
    from shipctl.simulator.simulation import Simulation

    sim = Simulation(Config(), Store(None))
    created = shipments.create(sim, {"shipment": shipment_params(reference="splice")})
    bought = shipments.buy(sim, created["id"], {"rate": {"id": created["rates"][0]["id"]}})
    odd: dict[str, Any] = {"id": "shp_1", "rates": [], "parcel": {"weight": 1.5},
           "to_address": {"zip": "9\u00e9\""}, "from_address": None, "tracker": None}
    for document in (created, bought, shipments.find(sim, created["id"]), odd):
        for _ in range(2):  # the second time, every part comes from the memo
            assert json.loads(shipments.encode(document)) == json.loads(json.dumps(document))


def test_meta_read_through_the_cache_sees_another_connections_commit(tmp_path: Path) -> None:
    """The balance is kept in memory between buys; a commit elsewhere must refresh it."""
    path = tmp_path / "sim.sqlite"
    mine, other = Store(path), Store(path)
    try:
        assert mine.meta("balance") is None
        with other.transaction():
            other.set_meta("balance", "10.00")
        assert mine.meta("balance") == "10.00"
        with mine.transaction():
            mine.set_meta("balance", "7.50")
        with other.transaction():
            assert other.meta("balance") == "7.50"
            other.set_meta("balance", "5.00")
        with mine.transaction():
            assert mine.meta("balance") == "5.00"
        assert mine.init_meta("epoch", "1") == other.init_meta("epoch", "2") == "1"
        with pytest.raises(RuntimeError), mine.transaction():
            mine.set_meta("balance", "0.00")
            raise RuntimeError("undone")
        assert mine.meta("balance") == "5.00"
    finally:
        mine.close()
        other.close()

"""Opening a carrier session: simulated in-process, pointed at a simulator, or no key;
the simulator is wired in by the CLI's composition root, never imported by carrier/."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from pydantic import SecretStr

from shipctl.carrier import shipments
from shipctl.carrier.client import pool_size
from shipctl.carrier.session import CarrierApi, key_mode, open_carrier
from shipctl.cli.wiring import connect_carrier
from shipctl.config import Settings
from shipctl.errors import ExitCode, MissingApiKeyError
from shipctl.simulator import RunningSimulator

from .simulated import FROM, order


async def test_simulate_runs_the_simulator_in_process(isolated_env: Path) -> None:
    settings = Settings(simulate=True, data_dir=isolated_env / "data", concurrency=5)
    async with connect_carrier(settings) as session:
        assert session.mode == "simulated"
        assert session.executor.concurrency == 5
        assert pool_size(session.executor.client) == 5
        quoted = await shipments.create_shipment(session.executor, order("R1"), FROM)
        assert quoted.mode == "simulated"
        assert session.simulator_stats is not None
        assert session.simulator_stats()["requests_total"] >= 1
    assert (isolated_env / "data" / "simulator.sqlite3").exists()


async def test_no_key_names_the_variable_and_simulate(isolated_env: Path) -> None:
    settings = Settings(data_dir=isolated_env / "data")
    with pytest.raises(MissingApiKeyError) as raised:
        async with connect_carrier(settings):
            pass
    assert raised.value.exit_code == ExitCode.CONFIGURATION
    assert "EASYPOST_API_KEY" in raised.value.message and "--simulate" in raised.value.message


async def test_an_api_base_on_a_simulator_is_simulated(
    isolated_env: Path, simulator: Callable[..., RunningSimulator]
) -> None:
    sim = simulator()
    settings = Settings(easypost_api_key=SecretStr("EZAKsecret"), easypost_api_base=sim.api_base,
                        data_dir=isolated_env / "data")
    async with connect_carrier(settings, concurrency=3) as session:
        assert session.mode == "simulated"
        assert session.executor.concurrency == 3
        assert session.simulator_stats is not None


def test_key_modes() -> None:
    assert key_mode("EZTKabc") == "test"
    assert key_mode("EZAKabc") == "live"


def test_ca_bundle_from_the_environment_is_used(monkeypatch: pytest.MonkeyPatch) -> None:
    # The SDK asks for verify=True on every call; the bundle must still win. A bundle that
    # does not exist makes requests fail before it connects, naming the path.
    import easypost

    from shipctl.carrier.client import make_client, request_json

    monkeypatch.setenv("REQUESTS_CA_BUNDLE", "/nonexistent/shipctl-test-ca.pem")
    client = make_client("EZTK-test", api_base="https://127.0.0.1:9/v2", timeout=2,
                         concurrency=1)
    with pytest.raises(easypost.errors.EasyPostError, match=r"shipctl-test-ca\.pem"):
        request_json(client, "GET", "/shipments/shp_1")


def test_carrier_never_imports_the_simulator() -> None:
    """The simulator is chosen at the composition root (cli/wiring.py), not in carrier/."""
    import ast

    import shipctl.carrier

    package = Path(shipctl.carrier.__file__).parent
    for module in sorted(package.glob("*.py")):
        for node in ast.walk(ast.parse(module.read_text(), str(module))):
            names = ([node.module or ""] if isinstance(node, ast.ImportFrom)
                     else [a.name for a in node.names] if isinstance(node, ast.Import) else [])
            assert not any(n.startswith("shipctl.simulator") for n in names), module.name


async def test_a_session_opens_on_the_api_it_is_given(
    isolated_env: Path, simulator: Callable[..., RunningSimulator]
) -> None:
    sim = simulator()
    settings = Settings(data_dir=isolated_env / "data", concurrency=4)  # no key, no --simulate
    api = CarrierApi(sim.api_base, "EZTK-given", "test")
    assert "EZTK-given" not in repr(api)

    async with open_carrier(settings, api=api, concurrency=2) as session:
        assert (session.mode, session.simulator_stats) == ("test", None)
        assert session.executor.concurrency == 2
        quoted = await shipments.create_shipment(session.executor, order("R1"), FROM)
        assert quoted.mode == "test"
    assert sim.stats()["requests_total"] >= 1


def test_the_commands_context_hands_jobs_the_wired_factory() -> None:
    from shipctl.cli.context import AppContext

    assert AppContext().carriers is connect_carrier

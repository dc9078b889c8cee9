"""The end-of-day tests' simulator (USPS only, behind a fault proxy) and `shipctl` against it;
a module needing other carrier accounts overrides `carrier`."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from shipctl.simulator import SimulatorConfig
from tests.conftest import CliResult

from .support import CONFIG, Carrier, Run, carrier_for


@pytest.fixture
def carrier() -> Iterator[Carrier]:
    with carrier_for(SimulatorConfig(carriers=("USPS",))) as carrier:
        yield carrier


@pytest.fixture
def run(shipctl: Run, isolated_env: Path, carrier: Carrier) -> Run:
    (isolated_env / "shipctl.toml").write_text(CONFIG)

    def invoke(*args: str) -> CliResult:
        result: CliResult = shipctl(*args, env=carrier.env)
        return result

    return invoke

"""The print room tests' fixtures: example settings, and an SDK client on the simulator a
`--simulate` run used."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import ExitStack
from pathlib import Path

import easypost
import pytest

from shipctl.simulator import SimulatorConfig, running_simulator
from tests.jobs.bulk_support import use_example_settings


@pytest.fixture
def home(isolated_env: Path) -> Path:
    use_example_settings(isolated_env)
    return isolated_env


@pytest.fixture
def sdk(home: Path) -> Iterator[Callable[[], easypost.EasyPostClient]]:
    """After a `--simulate` run: an SDK client on the run's simulator state."""
    with ExitStack() as stack:

        def open_client() -> easypost.EasyPostClient:
            sim = stack.enter_context(running_simulator(
                SimulatorConfig(state_path=home / "data" / "simulator.sqlite3")))
            return easypost.EasyPostClient("EZTK-test", api_base=sim.api_base)

        yield open_client



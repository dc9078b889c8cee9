"""The simulator on port 0, started per test with the configuration the test needs."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import ExitStack
from typing import Any

import pytest

from shipctl.simulator import RunningSimulator, SimulatorConfig, running_simulator


@pytest.fixture
def simulator() -> Iterator[Callable[..., RunningSimulator]]:
    """`simulator(**config)` starts one; all are stopped after the test."""
    with ExitStack() as stack:

        def start(**config: Any) -> RunningSimulator:
            return stack.enter_context(running_simulator(SimulatorConfig(**config)))

        yield start

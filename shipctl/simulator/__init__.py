"""An offline EasyPost API for tests, demos and load trials (see `running_simulator`)."""

from shipctl.simulator.config import FAULT_KINDS, SimulatorConfig, parse_duration, parse_rate
from shipctl.simulator.server import RunningSimulator, running_simulator, serve

__all__ = [
    "FAULT_KINDS",
    "RunningSimulator",
    "SimulatorConfig",
    "parse_duration",
    "parse_rate",
    "running_simulator",
    "serve",
]

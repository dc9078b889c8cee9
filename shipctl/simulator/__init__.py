"""An offline EasyPost API for tests, demos and load trials (see `running_simulator`).

The server (aiohttp and every endpoint) is imported on first use: settings parse the
simulated carriers with `config` alone, and every command builds settings.
"""

from typing import TYPE_CHECKING, Any

from shipctl.simulator.config import FAULT_KINDS, SimulatorConfig, parse_duration, parse_rate

if TYPE_CHECKING:
    from shipctl.simulator.server import RunningSimulator, running_simulator, serve
else:
    _SERVER = frozenset({"RunningSimulator", "running_simulator", "serve"})

    def __getattr__(name: str) -> Any:
        if name in _SERVER:
            from shipctl.simulator import server

            return getattr(server, name)
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

__all__ = [
    "FAULT_KINDS",
    "RunningSimulator",
    "SimulatorConfig",
    "parse_duration",
    "parse_rate",
    "running_simulator",
    "serve",
]

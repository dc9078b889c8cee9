"""An offline EasyPost API for tests, demos and load trials (see `running_simulator`).

The server (and aiohttp under it) is imported on first use of `running_simulator`, `serve` or
`RunningSimulator`, not with the package: every command reads `SimulatorConfig`'s helpers
while loading its settings, and only `--simulate` serves.
"""

from typing import TYPE_CHECKING, Any

from shipctl.simulator.config import FAULT_KINDS, SimulatorConfig, parse_duration, parse_rate

if TYPE_CHECKING:
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

_SERVER = ("RunningSimulator", "running_simulator", "serve")


def __getattr__(name: str) -> Any:
    if name in _SERVER:
        from shipctl.simulator import server

        return getattr(server, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

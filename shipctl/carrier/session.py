"""Opening a carrier session on the API the caller chose: an executor and its label mode.

Which API (EasyPost, or a simulator for `--simulate`) is the composition root's choice
(`shipctl.cli.wiring`); carrier/ takes a `CarrierApi` and never imports the simulator.
Jobs are handed a `CarrierFactory` and open their sessions through it.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field
from typing import Any, Protocol

from shipctl.carrier.client import make_client
from shipctl.carrier.executor import CarrierExecutor
from shipctl.config import Settings
from shipctl.models import Mode

Stats = Callable[[], dict[str, Any]]


@dataclass(frozen=True)
class CarrierApi:
    """Where a session's calls go: an API base, its key, the labels it buys, and the
    simulator's ledger when the API is a simulator."""

    base: str
    key: str = field(repr=False)
    mode: Mode
    simulator_stats: Stats | None = None


@dataclass
class CarrierSession:
    """A ready executor, what kind of labels it buys, and the simulator's ledger if simulated."""

    executor: CarrierExecutor
    mode: Mode
    simulator_stats: Stats | None


class CarrierFactory(Protocol):
    """Opens the carrier session that `settings` name, `concurrency` calls wide."""

    def __call__(
        self, settings: Settings, *, concurrency: int | None = None
    ) -> AbstractAsyncContextManager[CarrierSession]: ...


@contextlib.asynccontextmanager
async def open_carrier(
    settings: Settings, *, api: CarrierApi, concurrency: int | None = None
) -> AsyncIterator[CarrierSession]:
    """An executor on `api`, with the timeout and retry budget of `settings`."""
    size = concurrency or settings.effective_concurrency()
    client = make_client(api.key, api_base=api.base, timeout=settings.timeout, concurrency=size)
    async with CarrierExecutor(client, size, mode=api.mode,
                               max_elapsed=settings.retry_seconds) as executor:
        yield CarrierSession(executor=executor, mode=api.mode,
                             simulator_stats=api.simulator_stats)


def key_mode(api_key: str) -> Mode:
    """`test` for EasyPost test keys (EZTK…); anything else is treated as live postage."""
    return "test" if api_key.startswith("EZTK") else "live"

"""Opening a carrier session from Settings: the real API, or the simulator (`--simulate`)."""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import json
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from shipctl.carrier.client import DEFAULT_API_BASE, make_client
from shipctl.carrier.executor import CarrierExecutor
from shipctl.config import Settings
from shipctl.errors import MissingApiKeyError
from shipctl.models import Mode

# Any non-empty key will do for the simulator; a fixed one keeps real keys out of its logs.
SIMULATOR_KEY = "EZTK-simulator"


@dataclass
class CarrierSession:
    """A ready executor, what kind of labels it buys, and the simulator's ledger if simulated."""

    executor: CarrierExecutor
    mode: Mode
    simulator_stats: Callable[[], dict[str, Any]] | None


@contextlib.asynccontextmanager
async def open_carrier(
    settings: Settings, *, concurrency: int | None = None
) -> AsyncIterator[CarrierSession]:
    """An executor for `settings`; with `settings.simulate` the simulator runs in-process."""
    size = concurrency or settings.effective_concurrency()
    mode: Mode
    stats: Callable[[], dict[str, Any]] | None
    async with contextlib.AsyncExitStack() as stack:
        if settings.simulate:
            api_base, stats = await _start_simulator(settings, stack)
            api_key, mode = SIMULATOR_KEY, "simulated"
        else:
            secret = settings.easypost_api_key
            api_key = secret.get_secret_value() if secret is not None else ""
            if not api_key:
                raise MissingApiKeyError()
            api_base = settings.easypost_api_base or DEFAULT_API_BASE
            stats = await asyncio.to_thread(_simulator_stats_at, api_base)
            mode = "simulated" if stats is not None else key_mode(api_key)
        client = make_client(api_key, api_base=api_base, timeout=settings.timeout,
                             concurrency=size)
        executor = CarrierExecutor(client, size, mode=mode, max_elapsed=settings.retry_seconds)
        stack.push_async_callback(executor.aclose)
        yield CarrierSession(executor=executor, mode=mode, simulator_stats=stats)


def key_mode(api_key: str) -> Mode:
    """`test` for EasyPost test keys (EZTK…); anything else is treated as live postage."""
    return "test" if api_key.startswith("EZTK") else "live"


async def _start_simulator(
    settings: Settings, stack: contextlib.AsyncExitStack
) -> tuple[str, Callable[[], dict[str, Any]]]:
    from shipctl.simulator import SimulatorConfig, running_simulator

    settings.data_dir.mkdir(parents=True, exist_ok=True)
    config = SimulatorConfig(state_path=settings.data_dir / "simulator.sqlite3")
    manager = running_simulator(config)
    # Starting and stopping wait on the simulator's thread; keep that off the event loop.
    simulator = await asyncio.to_thread(manager.__enter__)
    stack.push_async_callback(asyncio.to_thread, manager.__exit__, None, None, None)
    return simulator.api_base, simulator.stats


def _simulator_stats_at(api_base: str) -> Callable[[], dict[str, Any]] | None:
    """A stats reader when `api_base` is a loopback simulator (`shipctl simulator serve`)."""
    parts = urlsplit(api_base)
    try:
        loopback = parts.hostname == "localhost" or ipaddress.ip_address(
            parts.hostname or "").is_loopback
    except ValueError:
        loopback = False
    if not loopback:
        return None
    stats_url = f"{parts.scheme}://{parts.netloc}/_sim/stats"

    def stats() -> dict[str, Any]:
        import requests

        response = requests.get(stats_url, timeout=5)
        response.raise_for_status()
        result: dict[str, Any] = json.loads(response.text)
        return result

    try:
        answer = stats()
    except Exception:  # not a simulator: a proxy or a recording server on loopback
        return None
    return stats if "purchases" in answer else None

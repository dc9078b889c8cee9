"""The composition root of the carrier: which API a command's carrier session talks to.

With `--simulate` the built-in simulator is started here, in-process, for the session's
lifetime; otherwise the session talks to EASYPOST_API_BASE (EasyPost unless set), and a
simulator already serving there on loopback (`shipctl simulator serve`) is recognised, so
its labels are marked simulated. carrier/ opens the session on the `CarrierApi` chosen here.
`connect_carrier` is the `CarrierFactory` commands hand to jobs (`AppContext.carriers`); a
notebook or a test calling a job passes it too. Everything heavy is imported on first use.
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import json
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

if TYPE_CHECKING:
    from shipctl.carrier.session import CarrierApi, CarrierSession, Stats
    from shipctl.config import Settings

# The simulator accepts any EZTK… key; a fixed one keeps real keys out of its logs.
SIMULATOR_KEY = "EZTK-simulator"


@contextlib.asynccontextmanager
async def connect_carrier(
    settings: Settings, *, concurrency: int | None = None
) -> AsyncIterator[CarrierSession]:
    """The carrier session `settings` name: on the simulator with `settings.simulate`."""
    from shipctl.carrier.session import open_carrier

    async with carrier_api(settings) as api, \
            open_carrier(settings, api=api, concurrency=concurrency) as session:
        yield session


@contextlib.asynccontextmanager
async def carrier_api(settings: Settings) -> AsyncIterator[CarrierApi]:
    """The API `settings` name, alive while the context lasts."""
    if settings.simulate:
        async with simulated_api(settings) as api:
            yield api
    else:
        yield await easypost_api(settings)


async def easypost_api(settings: Settings) -> CarrierApi:
    """EASYPOST_API_BASE with EASYPOST_API_KEY; MissingApiKeyError without a key."""
    from shipctl.carrier.client import DEFAULT_API_BASE
    from shipctl.carrier.session import CarrierApi, key_mode
    from shipctl.errors import MissingApiKeyError

    secret = settings.easypost_api_key
    api_key = secret.get_secret_value() if secret is not None else ""
    if not api_key:
        raise MissingApiKeyError()
    api_base = settings.easypost_api_base or DEFAULT_API_BASE
    stats = await asyncio.to_thread(simulator_stats_at, api_base)
    mode = "simulated" if stats is not None else key_mode(api_key)
    return CarrierApi(api_base, api_key, mode, stats)


@contextlib.asynccontextmanager
async def simulated_api(settings: Settings) -> AsyncIterator[CarrierApi]:
    """The built-in simulator, started in-process with its state in the data directory."""
    from shipctl.carrier.session import CarrierApi
    from shipctl.simulator import SimulatorConfig, running_simulator

    settings.data_dir.mkdir(parents=True, exist_ok=True)
    config = SimulatorConfig(state_path=settings.data_dir / "simulator.sqlite3",
                             days_per_minute=settings.simulate_days_per_minute,
                             carriers=settings.simulate_carriers)
    manager = running_simulator(config)
    # Starting and stopping wait on the simulator's thread; keep that off the event loop.
    starting = asyncio.ensure_future(asyncio.to_thread(manager.__enter__))
    try:
        simulator = await asyncio.shield(starting)
    except asyncio.CancelledError:
        # Not needed after all (the command stopped before its first call): the thread
        # starts it anyway, so stop it again rather than leave it to the interpreter's exit.
        with contextlib.suppress(Exception):
            await starting
            await asyncio.to_thread(manager.__exit__, None, None, None)
        raise
    try:
        yield CarrierApi(simulator.api_base, SIMULATOR_KEY, "simulated", simulator.stats)
    finally:
        await asyncio.to_thread(manager.__exit__, None, None, None)


def simulator_stats_at(api_base: str) -> Stats | None:
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

"""Running the simulator: on a background thread (tests, --simulate) or in the foreground."""

from __future__ import annotations

import asyncio
import gc
import logging
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from aiohttp import web

from shipctl.simulator.app import RUNTIME, Runtime, build_app
from shipctl.simulator.config import SimulatorConfig
from shipctl.simulator.state import Store

# Container allocations between young collections while serving (Python's default: 700).
GC_YOUNG_THRESHOLD = 10_000
# In-flight requests (a `timeout` fault sleeps for 35 s) must not hold up shutdown.
SHUTDOWN_TIMEOUT = 0.5


def new_event_loop() -> asyncio.AbstractEventLoop:
    """uvloop where installed (it roughly doubles aiohttp's throughput), else asyncio's."""
    try:
        import uvloop
    except ImportError:
        return asyncio.new_event_loop()
    loop: asyncio.AbstractEventLoop = uvloop.new_event_loop()
    return loop


async def start(config: SimulatorConfig) -> tuple[web.AppRunner, str]:
    """Start serving; returns the runner (clean it up to stop) and the origin URL."""
    store = Store(config.state_path)
    app = build_app(config, store)
    app[RUNTIME].share_commits()
    app.on_cleanup.append(_close_store)
    runner = web.AppRunner(app, access_log=None, shutdown_timeout=SHUTDOWN_TIMEOUT,
                           handler_cancellation=True)
    await runner.setup()
    site = web.TCPSite(runner, config.host, config.port)
    try:
        await site.start()
    except BaseException:
        await runner.cleanup()
        raise
    host, port = runner.addresses[0][:2]
    shown = f"[{host}]" if ":" in str(host) else host
    return runner, f"http://{shown}:{port}"


async def _close_store(app: web.Application) -> None:
    app[RUNTIME].store.close()


async def serve(config: SimulatorConfig, on_ready: Callable[[str], None] | None = None) -> None:
    """Serve until cancelled (Ctrl-C); `on_ready` gets the API base once listening."""
    runner, origin = await start(config)
    threshold = gc.get_threshold()
    _collect_less()
    try:
        if on_ready is not None:
            on_ready(f"{origin}/v2")
        await asyncio.Event().wait()
    finally:
        gc.unfreeze()
        gc.set_threshold(*threshold)
        await runner.cleanup()


def _collect_less() -> None:
    """Tune the cyclic garbage collector for a process that does nothing but serve.

    Every request makes a few hundred dicts and lists, so with the default thresholds a
    young collection ran every few requests and an old one, walking every module and the
    whole application, every few hundred: some 8% of a create's instructions (callgrind).
    Start-up's objects live as long as the process, so they are frozen out of collections;
    young collections run less often (cycles, from exceptions say, are still collected)."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(GC_YOUNG_THRESHOLD, *gc.get_threshold()[1:])


class RunningSimulator:
    """Handle on a simulator serving on a background thread."""

    def __init__(self, loop: asyncio.AbstractEventLoop, runner: web.AppRunner, origin: str):
        self._loop = loop
        self._runner = runner
        self.origin = origin
        self.api_base = f"{origin}/v2"

    @property
    def _runtime(self) -> Runtime:
        return self._runner.app[RUNTIME]

    def _call(self, fn: Callable[[], Any]) -> Any:
        """Run `fn` on the server's loop thread, where the state connection lives."""
        async def call() -> Any:
            result = fn()
            await self._runtime.settle()
            return result

        return asyncio.run_coroutine_threadsafe(call(), self._loop).result(timeout=30)

    def stats(self) -> dict[str, Any]:
        """The ledger, as GET /_sim/stats returns it."""
        result: dict[str, Any] = self._call(self._runtime.stats)
        return result

    def reset(self) -> None:
        self._call(self._runtime.reset)

    def set_faults(self, fault_rate: float | None = None,
                   kinds: Sequence[str] | None = None) -> None:
        """Change fault injection while running."""
        self._call(lambda: self._runtime.faults.set_faults(fault_rate, kinds))

    def set_latency(self, latency: float, jitter: float = 0.0) -> None:
        """Change the latency added to each /v2 request while running."""
        def change() -> None:
            self._runtime.faults.latency = latency
            self._runtime.faults.jitter = jitter

        self._call(change)

    def set_rate_limit(self, rate_limit: float | None) -> None:
        from shipctl.simulator.limits import TokenBucket

        def change() -> None:
            self._runtime.limiter = TokenBucket(rate_limit) if rate_limit else None

        self._call(change)


@contextmanager
def running_simulator(config: SimulatorConfig | None = None) -> Iterator[RunningSimulator]:
    """Serve on a background thread with its own event loop for the duration of the block."""
    config = config or SimulatorConfig()
    loop = new_event_loop()
    ready: dict[str, Any] = {}
    started = threading.Event()

    def run() -> None:
        asyncio.set_event_loop(loop)
        try:
            ready["value"] = loop.run_until_complete(start(config))
        except BaseException as exc:
            ready["error"] = exc
            started.set()
            loop.close()
            return
        started.set()
        loop.run_forever()
        loop.close()

    thread = threading.Thread(target=run, name="easypost-simulator", daemon=True)
    thread.start()
    started.wait()
    if "error" in ready:
        raise ready["error"]
    runner, origin = ready["value"]
    try:
        yield RunningSimulator(loop, runner, origin)
    finally:
        try:
            asyncio.run_coroutine_threadsafe(runner.cleanup(), loop).result(timeout=30)
        except Exception:  # shutdown must not mask the block's own exception
            logging.getLogger("shipctl.simulator").exception("simulator shutdown failed")
        loop.call_soon_threadsafe(loop.stop)
        thread.join(timeout=30)
